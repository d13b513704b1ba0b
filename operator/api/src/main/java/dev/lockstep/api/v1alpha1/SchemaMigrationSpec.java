package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** What the database should look like: a revision, where the database is, and where the migrations come from. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SchemaMigrationSpec {
    /** Accepted values of {@code targetRevision}: a Flyway version such as {@code 7} or {@code 2.1}, or {@code latest}. */
    public static final String REVISION_PATTERN = "^(latest|[0-9]+(\\.[0-9]+)*)$";

    @Required
    @Pattern(REVISION_PATTERN)
    @JsonPropertyDescription("The revision the database should be at: a Flyway version such as \"7\" or \"2.1\", or \"latest\" for every migration in the source.")
    private String targetRevision;

    @Required
    @JsonPropertyDescription("The PostgreSQL database to migrate.")
    private DatabaseSpec database;

    @Required
    @JsonPropertyDescription("Where the migration scripts come from: exactly one of configMapRef or image.")
    private SourceSpec source;

    @JsonPropertyDescription("Adopt a database that already has a schema: versions up to and including baseline.version are recorded as applied without running them.")
    private BaselineSpec baseline;

    @JsonPropertyDescription("How the workloads using this schema roll: Rolling (default) or BlueGreen.")
    private RolloutSpec rollout;

    @JsonPropertyDescription("How contract (destructive) steps are let through: after old pods are gone, and optionally after an approval in the spec.")
    private ContractSpec contract;

    @JsonPropertyDescription("What the operator may do beyond applying migrations forward (allowDown), and what it checks before: destructive changes in expand steps, plan approval.")
    private PolicySpec policy;

    @JsonPropertyDescription("Overrides for the runner Job.")
    private RunnerSpec runner;

    @JsonPropertyDescription("When true the operator starts no new work for this resource; a runner Job already running is left to finish.")
    private Boolean suspend;

    @JsonPropertyDescription("How often a Ready database's migration history is compared with the source (a `lockstep"
            + " validate` Job that changes nothing), e.g. 30m, 6h or 1h30m (a bare number is seconds); at least 10s. Drift (history newer than the source,"
            + " a changed or missing script, a failed row) is reported as Stalled with reason DriftDetected. Unset: only"
            + " each run checks.")
    // The grammar of every duration Lockstep reads (dev.lockstep.common.Durations): 500ms, 30s, 1h30m, or seconds.
    @io.fabric8.generator.annotation.Pattern("^([0-9]+|([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)$")
    private String driftCheckInterval;

    public String getTargetRevision() { return targetRevision; }
    public void setTargetRevision(String targetRevision) { this.targetRevision = targetRevision; }
    public DatabaseSpec getDatabase() { return database; }
    public void setDatabase(DatabaseSpec database) { this.database = database; }
    public SourceSpec getSource() { return source; }
    public void setSource(SourceSpec source) { this.source = source; }
    public BaselineSpec getBaseline() { return baseline; }
    public void setBaseline(BaselineSpec baseline) { this.baseline = baseline; }
    public RolloutSpec getRollout() { return rollout; }
    public void setRollout(RolloutSpec rollout) { this.rollout = rollout; }
    public ContractSpec getContract() { return contract; }
    public void setContract(ContractSpec contract) { this.contract = contract; }
    public PolicySpec getPolicy() { return policy; }
    public void setPolicy(PolicySpec policy) { this.policy = policy; }
    public RunnerSpec getRunner() { return runner; }
    public void setRunner(RunnerSpec runner) { this.runner = runner; }
    public String getDriftCheckInterval() { return driftCheckInterval; }
    public void setDriftCheckInterval(String driftCheckInterval) { this.driftCheckInterval = driftCheckInterval; }
    public Boolean getSuspend() { return suspend; }
    public void setSuspend(Boolean suspend) { this.suspend = suspend; }

    /** {@code spec.policy.allowDown} with its default. */
    public boolean downAllowed() { return policy != null && policy.downAllowed(); }

    /** {@code spec.policy}, or one with every default. */
    public PolicySpec policyOrDefault() { return policy == null ? new PolicySpec() : policy; }

    /** {@code spec.suspend} with its default. */
    public boolean suspended() { return Boolean.TRUE.equals(suspend); }
}
