package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/** What the operator may do to the database beyond applying additive migrations forward, and what it checks first. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PolicySpec {
    /** What a destructive change found in an expand step does. */
    public enum Destructive { Block, Warn, Off }

    @JsonPropertyDescription("When true, a targetRevision below the database's revision runs the undo scripts"
            + " (U<version>__<description>.sql) of every version above it, newest first, once no pod requires a higher"
            + " revision. Defaults to false: a lower target is then reported as Stalled and nothing runs.")
    private Boolean allowDown;

    @JsonPropertyDescription("Before an expand run applies anything, its steps are dry-run in a transaction that is"
            + " rolled back, and the catalog is compared before and after each. A dropped, renamed or retyped column or"
            + " table, a new NOT NULL column without default on an existing table, a dropped index or constraint in an"
            + " expand step: Block (default) stops the run (Stalled, DestructiveChangeBlocked, with file, line and"
            + " change); Warn applies it and says so in status.plan and a Warning Event; Off skips the dry run."
            + " Contract steps (V<version>__contract_*.sql) are destructive by design and never blocked.")
    private Destructive destructive;

    @JsonPropertyDescription("When true, nothing is applied until spec.policy.approvedPlanDigest names the plan's digest"
            + " (phase AwaitingApproval, with the digest in the message and in status.plan).")
    private Boolean requireApproval;

    @JsonPropertyDescription("The digest of the approved plan (sha256:<64 hex>, from status.plan.digest). When set, only"
            + " a plan with this digest is applied; a plan that changed since waits for a new approval.")
    @Pattern("^sha256:[0-9a-f]{64}$")
    private String approvedPlanDigest;

    @JsonPropertyDescription("Where the destructive-change dry run happens. Unset (the default): in a transaction on the"
            + " database being migrated, rolled back, under a 2 s lock_timeout. Set: on this scratch database, rebuilt from"
            + " the same scripts to the starting revision first, so the database being migrated sees no dry run, not even"
            + " a lock, and steps that run outside a transaction (CREATE INDEX CONCURRENTLY) or with their own BEGIN/COMMIT"
            + " are checked too.")
    private DryRunDatabaseSpec dryRunDatabase;

    public Boolean getAllowDown() { return allowDown; }
    public void setAllowDown(Boolean allowDown) { this.allowDown = allowDown; }
    public Destructive getDestructive() { return destructive; }
    public void setDestructive(Destructive destructive) { this.destructive = destructive; }
    public Boolean getRequireApproval() { return requireApproval; }
    public void setRequireApproval(Boolean requireApproval) { this.requireApproval = requireApproval; }
    public String getApprovedPlanDigest() { return approvedPlanDigest; }
    public void setApprovedPlanDigest(String approvedPlanDigest) { this.approvedPlanDigest = approvedPlanDigest; }

    public DryRunDatabaseSpec getDryRunDatabase() { return dryRunDatabase; }
    public void setDryRunDatabase(DryRunDatabaseSpec dryRunDatabase) { this.dryRunDatabase = dryRunDatabase; }

    /** The scratch database the dry run uses, or null: none is named, or {@code destructive: Off} means no dry run. */
    public DryRunDatabaseSpec dryRunDatabaseInUse() {
        return destructiveOrDefault() == Destructive.Off ? null : dryRunDatabase;
    }

    public boolean downAllowed() { return Boolean.TRUE.equals(allowDown); }

    /** {@code destructive} with its default. */
    public Destructive destructiveOrDefault() { return destructive == null ? Destructive.Block : destructive; }

    public boolean approvalRequired() { return Boolean.TRUE.equals(requireApproval) || approvedPlanDigest != null; }
}
