package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * {@code status.lastRun.step}: the steps of a revision change, and the check of a Ready one. Expand runs as soon as
 * the target moves and holds contract scripts back; Contract runs the rest once no gated pod requires a revision below
 * the expanded one; Check compares the history with the source every spec.driftCheckInterval and changes nothing.
 */
public enum RunStep {
    Expand,
    Contract,
    Check,
    /** A value this version of the operator does not know (written by a newer one); read, never written. */
    Unknown;

    @JsonCreator
    public static RunStep of(String value) {
        return StatusValues.of(RunStep.class, value, Unknown);
    }
}
