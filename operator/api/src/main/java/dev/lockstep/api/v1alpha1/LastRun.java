package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** The most recent runner Job of this resource and its outcome, as the runner reported it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LastRun {
    @JsonPropertyDescription("Name of the runner Job; it is kept, with its pod, so its logs stay readable.")
    private String job;

    @JsonPropertyDescription("Hash of the spec fields the Job was made from; a new Job is made only when it changes.")
    private String specHash;

    @JsonPropertyDescription("1 for the first Job of this spec hash; a Job whose pod never started (e.g. its Secret was missing until the deadline) is replaced by the next attempt.")
    private Integer attempt;

    @JsonPropertyDescription("Expand (every step up to the first contract step) or Contract (the rest, once no pod needs the old schema).")
    private RunStep step;

    @JsonPropertyDescription("The revision the Job was asked to reach.")
    private String targetRevision;

    @JsonPropertyDescription("Running, NotStarted (the pod cannot start yet), Succeeded or Failed; Unknown only when read from a newer operator.")
    private RunResult result;

    @JsonPropertyDescription("When the Job started (RFC 3339).")
    private String startedAt;

    @JsonPropertyDescription("When the Job finished (RFC 3339).")
    private String finishedAt;

    @JsonPropertyDescription("Revision before the run.")
    private String fromRevision;

    @JsonPropertyDescription("Revision after the run.")
    private String toRevision;

    @JsonPropertyDescription("Versions the run applied, in order.")
    private List<AppliedMigration> applied;

    @JsonPropertyDescription("Versions the run took back with their undo scripts (going down), newest first.")
    private List<AppliedMigration> undone;

    @JsonPropertyDescription("Why the run failed, when it did.")
    private RunError error;

    @JsonPropertyDescription("Runs of this spec in a row that found the database unavailable (error.retryable); each is followed by another attempt after a back-off, up to the operator's limit (--database-retries). Reset by a spec change or the retry annotation.")
    private Integer unavailableAttempts;

    @JsonPropertyDescription("When the operator starts the next attempt after the database was unavailable (RFC 3339).")
    private String nextAttemptAt;

    public Integer getUnavailableAttempts() { return unavailableAttempts; }
    public void setUnavailableAttempts(Integer unavailableAttempts) { this.unavailableAttempts = unavailableAttempts; }
    public String getNextAttemptAt() { return nextAttemptAt; }
    public void setNextAttemptAt(String nextAttemptAt) { this.nextAttemptAt = nextAttemptAt; }

    public List<AppliedMigration> getUndone() { return undone; }
    public void setUndone(List<AppliedMigration> undone) { this.undone = undone; }
    public String getJob() { return job; }
    public void setJob(String job) { this.job = job; }
    public String getSpecHash() { return specHash; }
    public void setSpecHash(String specHash) { this.specHash = specHash; }
    public RunStep getStep() { return step; }
    public void setStep(RunStep step) { this.step = step; }
    public Integer getAttempt() { return attempt; }
    public void setAttempt(Integer attempt) { this.attempt = attempt; }
    public String getTargetRevision() { return targetRevision; }
    public void setTargetRevision(String targetRevision) { this.targetRevision = targetRevision; }
    public RunResult getResult() { return result; }
    public void setResult(RunResult result) { this.result = result; }
    public String getStartedAt() { return startedAt; }
    public void setStartedAt(String startedAt) { this.startedAt = startedAt; }
    public String getFinishedAt() { return finishedAt; }
    public void setFinishedAt(String finishedAt) { this.finishedAt = finishedAt; }
    public String getFromRevision() { return fromRevision; }
    public void setFromRevision(String fromRevision) { this.fromRevision = fromRevision; }
    public String getToRevision() { return toRevision; }
    public void setToRevision(String toRevision) { this.toRevision = toRevision; }
    public List<AppliedMigration> getApplied() { return applied; }
    public void setApplied(List<AppliedMigration> applied) { this.applied = applied; }
    public RunError getError() { return error; }
    public void setError(RunError error) { this.error = error; }
}
