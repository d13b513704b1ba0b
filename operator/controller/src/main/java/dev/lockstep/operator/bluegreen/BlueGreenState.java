package dev.lockstep.operator.bluegreen;

import dev.lockstep.api.v1alpha1.BlueGreenPhase;

/**
 * The blue/green rollout as an explicit state machine, one handler per state. The Service is switched by exactly one
 * transition (PreviewReady → Flipped), and only towards a side that runs newer code than the active one, so a
 * restarted operator that re-reads the Service never switches back or twice.
 *
 * <pre>
 * Idle ──newer pods on the other color──▶ PreviewGated ──all Ready──▶ PreviewReady ──FLIP──▶ Flipped ──▶ Draining ──old side gone──▶ Idle
 *                                            │  migration failed: stays, the active side keeps serving
 * </pre>
 */
public enum BlueGreenState {
    /** The active side serves; no newer code waits on the other color. */
    Idle {
        @Override
        Transition next(BlueGreenObservation o) {
            if (o.previewIsNewer()) {
                return PreviewGated.next(o);
            }
            return stay(this, o.activeColor() + " serves" + (o.previewPods() > 0 ? "; " + o.previewColor() + " runs no newer code" : ""));
        }
    },
    /** Newer pods on the preview color wait: for the schema (the rolling gate), or to start. */
    PreviewGated {
        @Override
        Transition next(BlueGreenObservation o) {
            if (!o.previewIsNewer()) {
                return settled(o);
            }
            if (o.migrationStalled()) {
                return stay(this, "the migration failed before the switch: " + o.activeColor() + " keeps serving. To roll back,"
                        + " revert the " + o.previewColor() + " pod template (or scale it to zero) and spec.targetRevision");
            }
            if (o.previewReadyPods() == o.previewPods()) {
                return PreviewReady.next(o);
            }
            return stay(this, o.previewReadyPods() + " of " + o.previewPods() + " " + o.previewColor() + " pod(s) Ready on revision "
                    + o.previewRequires() + "; " + o.activeColor() + " serves");
        }
    },
    /** Every preview pod is Ready on its schema: switch the Service. */
    PreviewReady {
        @Override
        Transition next(BlueGreenObservation o) {
            if (!o.previewIsNewer()) {
                return settled(o);
            }
            if (o.previewReadyPods() < o.previewPods() || o.migrationStalled()) {
                return PreviewGated.next(o);
            }
            return new Transition(Flipped, Action.FLIP, "all " + o.previewPods() + " " + o.previewColor()
                    + " pod(s) Ready on revision " + o.previewRequires() + ": switching the Service to " + o.previewColor());
        }
    },
    /** The Service selects the new side (observed after the switch: the new side is now the active one). */
    Flipped {
        @Override
        Transition next(BlueGreenObservation o) {
            if (o.previewIsNewer()) {
                return PreviewGated.next(o);
            }
            return o.previewPods() > 0 ? Draining.next(o) : stay(Idle, o.activeColor() + " serves");
        }
    },
    /** The old side still has pods: they keep contract steps waiting until they are gone. */
    Draining {
        @Override
        Transition next(BlueGreenObservation o) {
            if (o.previewIsNewer()) {
                return PreviewGated.next(o);
            }
            if (o.previewPods() == 0) {
                return stay(Idle, o.activeColor() + " serves; " + "the old side is drained");
            }
            return stay(this, o.activeColor() + " serves; " + o.previewPods() + " " + o.previewColor()
                    + " pod(s) remain: scale " + o.previewColor() + " to zero to drain it (contract steps wait for it)");
        }
    };

    /** What to do in the cluster on a transition. */
    public enum Action { NONE, FLIP }

    public record Transition(BlueGreenState next, Action action, String message) {}

    abstract Transition next(BlueGreenObservation observation);

    /**
     * The handler for what status says. A value this version does not know (a newer operator's) starts from Idle, which
     * assumes nothing: it never switches back, only towards newer code, as after any restart.
     */
    public static BlueGreenState of(BlueGreenPhase shown) {
        return shown == null || shown == BlueGreenPhase.Unknown ? Idle : valueOf(shown.name());
    }

    /** How status shows this state. */
    public BlueGreenPhase phase() {
        return BlueGreenPhase.valueOf(name());
    }

    /** The next state and action for what was observed. */
    public Transition step(BlueGreenObservation observation) {
        return next(observation);
    }

    private static Transition stay(BlueGreenState state, String message) {
        return new Transition(state, Action.NONE, message);
    }

    /** No newer code on the other side: drained or idle, never a switch back. */
    private static Transition settled(BlueGreenObservation o) {
        return o.previewPods() > 0 ? Draining.next(o) : stay(Idle, o.activeColor() + " serves");
    }
}
