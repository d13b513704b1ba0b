package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * {@code status.blueGreen.state}: where a blue/green rollout stands. The operator's state machine has one handler for
 * each value but {@link #Unknown}.
 */
public enum BlueGreenPhase {
    /** The active side serves; no newer code waits on the other color. */
    Idle,
    /** Newer pods on the preview color wait: for the schema (the rolling gate), or to start. */
    PreviewGated,
    /** Every preview pod is Ready on its schema: the Service is switched next. */
    PreviewReady,
    /** The Service selects the new side. */
    Flipped,
    /** The old side's pods are going away. */
    Draining,
    /** A value this version of the operator does not know (written by a newer one); read as Idle, never written. */
    Unknown;

    @JsonCreator
    public static BlueGreenPhase of(String value) {
        return StatusValues.of(BlueGreenPhase.class, value, Unknown);
    }
}
