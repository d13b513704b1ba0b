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
    /** A ConfigMap a runner pod mounts (spec.database.tls.ca) lacks the key named. */
    ConfigMapKeyNotFound,
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
    /** The database server's certificate does not verify against spec.database.tls.ca. */
    DatabaseCertificateUntrusted,
    /** The database server's certificate does not name the host in spec.database.url (verify-full). */
    DatabaseHostnameMismatch,
    /** The database server wants a client certificate (spec.database.tls.clientCertificate), or refused the one given. */
    DatabaseClientCertificateRejected,
    /** The database server accepts only TLS connections: spec.database.tls is needed. */
    DatabaseTlsRequired,
    /** Another TLS failure between the runner and the database. */
    DatabaseTlsFailed,
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
