package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;

/** {@code status.lastRun.result}: how the latest runner Job stands. */
public enum RunResult {
    /** The Job's pod runs the runner. */
    Running,
    /** The pod cannot start yet (a missing Secret or ConfigMap, an image pull): nothing touched the database. */
    NotStarted,
    Succeeded,
    Failed,
    /** A value this version of the operator does not know (written by a newer one); read, never written. */
    Unknown;

    /** Reads a stored value; one this version does not know is {@link #Unknown}, never an exception. */
    @JsonCreator
    public static RunResult of(String value) {
        return StatusValues.of(RunResult.class, value, Unknown);
    }
}
