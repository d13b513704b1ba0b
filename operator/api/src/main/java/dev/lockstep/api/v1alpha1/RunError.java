package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Why a runner Job failed, as far as it could tell. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RunError {
    @JsonPropertyDescription("What kind of failure: SQL, VALIDATION, DRIFT, CONNECTION, DESTRUCTIVE, APPROVAL, DRY_RUN_DATABASE, LOCK, ARGUMENTS, INTERNAL, or POD when the runner never reported (e.g. OOMKilled, deadline); UNKNOWN only when read from a newer runner.")
    private ErrorCategory category;

    @JsonPropertyDescription("PostgreSQL SQLSTATE, when the database reported one.")
    private String sqlState;

    @JsonPropertyDescription("The script that failed, when one did.")
    private String script;

    @JsonPropertyDescription("The error message.")
    private String message;

    @JsonPropertyDescription("True when the database was unreachable or went away and nothing of the run stayed (it failed before it changed anything, or the server rolled back the script's transaction): the operator starts the next attempt by itself (see lastRun.nextAttemptAt).")
    private Boolean retryable;

    public ErrorCategory getCategory() { return category; }
    public void setCategory(ErrorCategory category) { this.category = category; }
    public String getSqlState() { return sqlState; }
    public void setSqlState(String sqlState) { this.sqlState = sqlState; }
    public String getScript() { return script; }
    public void setScript(String script) { this.script = script; }
    public String getMessage() { return message; }
    public void setMessage(String message) { this.message = message; }
    public Boolean getRetryable() { return retryable; }
    public void setRetryable(Boolean retryable) { this.retryable = retryable; }
}
