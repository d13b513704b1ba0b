package dev.lockstep.api.v1alpha1;

/** The life-cycle phase shown in {@code status.phase} and the Phase printer column. */
public enum Phase {
    /** Waiting for something outside the operator: a Secret, a ConfigMap, a pod to start. */
    Pending,
    /** A runner Job is applying migrations. */
    Migrating,
    /** Expand steps are applied; contract steps wait for an approval in spec.contract.approvedRevision. */
    AwaitingApproval,
    /** Expand steps are applied; contract steps wait for old pods to be gone, or run. */
    Contracting,
    /** The database is at the target; pods that require a revision it has not reached are still held. */
    Releasing,
    /** The database is at the target revision and no gated pod is held. */
    Ready,
    /** Needs a person: see the Stalled condition for what and how. */
    Failed,
    /** {@code spec.suspend} is true; no new work starts. */
    Suspended
}
