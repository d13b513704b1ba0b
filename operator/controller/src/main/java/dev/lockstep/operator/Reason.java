package dev.lockstep.operator;

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
    ConfigMapNotFound,
    ImagePullFailed,
    AtTarget,
    ContractWaitingForPods,
    ContractRunning,
    ContractAwaitingApproval,
    DownNotAllowed,
    UndoScriptMissing,
    DownWaitingForPods,
    DatabaseClaimed,
    DriftDetected,
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
