package dev.lockstep.operator.decide;

import dev.lockstep.api.v1alpha1.ConditionType;
import dev.lockstep.api.v1alpha1.LastRun;
import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.Reason;
import dev.lockstep.api.v1alpha1.RunResult;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.Revisions;

/**
 * Sets the phase and the conditions of one reconcile together, so they never disagree, and remembers the Event a
 * transition is worth. The reconciler decides; this only writes.
 */
final class StatusReport {
    private final SchemaMigration sm;
    private final ConditionSet conditions;
    String event;
    Reason eventReason;
    boolean warning;
    /** When set, reconcile again after this long even if nothing changes (a wait no event ends). */
    java.time.Duration recheckAfter;

    StatusReport(SchemaMigration sm, ConditionSet conditions) {
        this.sm = sm;
        this.conditions = conditions;
    }

    void stalled(Phase phase, Reason reason, String message) {
        sm.getStatus().setPhase(phase);
        conditions.set(ConditionType.Ready, false, reason, message);
        conditions.set(ConditionType.Reconciling, false, reason, "waiting for a person: see Stalled");
        conditions.set(ConditionType.Stalled, true, reason, message);
        schemaAtTarget();
        event(reason, message, true);
    }

    void progressing(Phase phase, Reason reason, String message, Reason eventReason, String eventMessage) {
        sm.getStatus().setPhase(phase);
        conditions.set(ConditionType.Ready, false, reason, message);
        conditions.set(ConditionType.Reconciling, true, reason, message);
        conditions.set(ConditionType.Stalled, false, reason, "making progress");
        schemaAtTarget();
        if (eventReason != null) {
            event(eventReason, eventMessage, false);
        }
    }

    /** Progressing, on something gone wrong that mends itself (the database unavailable): said by a Warning Event. */
    void retrying(Phase phase, Reason reason, String message, String eventMessage) {
        progressing(phase, reason, message, reason, eventMessage);
        this.warning = true;
    }

    void ready(String message, String detail) {
        sm.getStatus().setPhase(Phase.Ready);
        conditions.set(ConditionType.Ready, true, Reason.MigrationSucceeded, message);
        conditions.set(ConditionType.Reconciling, false, Reason.MigrationSucceeded, message);
        conditions.set(ConditionType.Stalled, false, Reason.MigrationSucceeded, message);
        schemaAtTarget();
        event(Reason.MigrationSucceeded, message + "; " + detail, false);
    }

    void suspended() {
        String current = sm.getStatus().getCurrentRevision();
        String message = "spec.suspend is true: no runner Job is started; the database stays at revision "
                + (current == null ? "unknown" : current) + " until spec.suspend is false";
        sm.getStatus().setPhase(Phase.Suspended);
        conditions.set(ConditionType.Ready, false, Reason.Suspended, message);
        conditions.set(ConditionType.Reconciling, false, Reason.Suspended, message);
        conditions.set(ConditionType.Stalled, false, Reason.Suspended, message);
        schemaAtTarget();
        event(Reason.Suspended, message, false);
    }

    void workloadsReleased(Reason reason, String message) {
        conditions.set(ConditionType.WorkloadsReleased, true, reason, message);
    }

    /** Ready waits for held pods too; a schema at target with pods still held is Releasing. */
    void workloadsHeld(String message) {
        conditions.set(ConditionType.WorkloadsReleased, false, Reason.WorkloadsHeld, message);
        if (sm.getStatus().getPhase() == Phase.Ready) {
            sm.getStatus().setPhase(Phase.Releasing);
            conditions.set(ConditionType.Ready, false, Reason.WorkloadsHeld, message);
            event(Reason.WorkloadsHeld, message, false);
        }
    }

    private void schemaAtTarget() {
        String current = sm.getStatus().getCurrentRevision();
        String target = sm.getSpec() == null ? null : sm.getSpec().getTargetRevision();
        LastRun last = sm.getStatus().getLastRun();
        boolean atTarget;
        if (current == null || target == null) {
            atTarget = false;
        } else if (Revisions.LATEST.equals(target)) {
            atTarget = last != null && last.getResult() == RunResult.Succeeded && Revisions.LATEST.equals(last.getTargetRevision())
                    && sm.getStatus().getPendingVersions() != null && sm.getStatus().getPendingVersions().isEmpty();
        } else {
            atTarget = Revisions.isVersion(current) && Revisions.isVersion(target) && Revisions.compare(current, target) == 0;
        }
        conditions.set(ConditionType.SchemaAtTarget, atTarget, atTarget ? Reason.AtTarget : Reason.BelowTarget,
                "database at revision " + (current == null ? "unknown" : current) + ", target " + target);
    }

    private void event(Reason reason, String message, boolean warning) {
        this.event = message;
        this.eventReason = reason;
        this.warning = warning;
    }
}
