package dev.lockstep.api.v1alpha1;

/** Condition reasons: CamelCase, stable, documented in docs/status.md. Tools match on them; never rename one. */
public enum Reason {
    InvalidSpec,
    Suspended,
    MigrationPending,
    MigrationRunning,
    MigrationSucceeded,
    MigrationFailed,
    RunnerFailed,
    SecretNotFound,
    /** The Secret exists but lacks a key the runner pod reads (spec.database.credentialsSecretRef's keys). */
    SecretKeyNotFound,
    ConfigMapNotFound,
    /** The ServiceAccount runner pods run as (spec.runner.serviceAccountName, or the operator's default) is missing. */
    ServiceAccountNotFound,
    ImagePullFailed,
    AtTarget,
    ContractWaitingForPods,
    ContractRunning,
    ContractAwaitingApproval,
    DownNotAllowed,
    UndoScriptMissing,
    DownWaitingForPods,
    DatabaseClaimed,
    /** The API server refused what the operator asked (4xx: an inadmissible object, a quota, RBAC): Stalled. */
    ApiRequestRefused,
    /** A request to the API server failed otherwise (5xx, a timeout): retried with back-off. */
    ApiRequestFailed,
    /** Reconciling failed for another reason (a defect, if it persists): retried with back-off. */
    ReconcileFailed,
    /**
     * A run found the database unreachable, or the server went away during it, and nothing of it stayed: retried with
     * back-off (Progressing), or Stalled once the operator's limit of attempts is spent.
     */
    DatabaseUnavailable,
    DryRunDatabaseInUse,
    DriftDetected,
    DriftCheckFailed,
    DestructiveChangeBlocked,
    /** The dry run could not get a lock on a busy table through its retries; nothing ran. */
    DryRunLockContention,
    DestructiveChangeWarned,
    PlanAwaitingApproval,
    WorkloadsHeld,
    WorkloadsReleased,
    NoWorkloads,
    SchemaReady,
    SchemaBehind,
    SchemaMigrationNotFound,
    InvalidRequiredRevision,
    BelowTarget,
    Unknown
}
