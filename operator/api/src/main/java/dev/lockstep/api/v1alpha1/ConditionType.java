package dev.lockstep.api.v1alpha1;

/** The condition types a SchemaMigration carries, in the kstatus convention. */
public enum ConditionType {
    /** True when the schema is at the target revision. */
    Ready,
    /** True while the operator is working towards the target. */
    Reconciling,
    /** True when progress needs a person: a failed script, a bad spec, a missing Secret. */
    Stalled,
    /** True when the database's revision equals the target. */
    SchemaAtTarget,
    /** True when no pod gated on this schema waits for a revision the database has not reached. */
    WorkloadsReleased
}
