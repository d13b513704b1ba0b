package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;

/** {@code status.driftCheck.result}: what the last finished drift check found. */
public enum DriftResult {
    /** The history matches the source. */
    Clean,
    /** A script changed after it was applied, an applied version is gone, or a version was added below the revision. */
    Drifted,
    /** The check itself could not run (the database unreachable, its pod killed); see the message. */
    Failed,
    /** A value this version of the operator does not know (written by a newer one); read, never written. */
    Unknown;

    @JsonCreator
    public static DriftResult of(String value) {
        return StatusValues.of(DriftResult.class, value, Unknown);
    }
}
