package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The periodic drift check of a Ready database (spec.driftCheckInterval). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DriftCheckStatus {
    @JsonPropertyDescription("When the history was last compared with the source: by a check Job, or by the run that migrated.")
    private String lastCheckedAt;

    @JsonPropertyDescription("What the last finished check found: Clean, Drifted, or Failed (the check itself could not run; see message).")
    private DriftResult result;

    @JsonPropertyDescription("True while a check Job runs; result still holds the previous check's finding.")
    private Boolean running;

    @JsonPropertyDescription("What the last check found.")
    private String message;

    @JsonPropertyDescription("The latest check Job (lockstep validate); it never changes the database.")
    private String job;

    @JsonPropertyDescription("How many check Jobs have run for this spec.")
    private Integer checks;

    public String getLastCheckedAt() { return lastCheckedAt; }
    public void setLastCheckedAt(String lastCheckedAt) { this.lastCheckedAt = lastCheckedAt; }
    public DriftResult getResult() { return result; }
    public void setResult(DriftResult result) { this.result = result; }
    public Boolean getRunning() { return running; }
    public void setRunning(Boolean running) { this.running = running; }
    public String getMessage() { return message; }
    public void setMessage(String message) { this.message = message; }
    public String getJob() { return job; }
    public void setJob(String job) { this.job = job; }
    public Integer getChecks() { return checks; }
    public void setChecks(Integer checks) { this.checks = checks; }
}
