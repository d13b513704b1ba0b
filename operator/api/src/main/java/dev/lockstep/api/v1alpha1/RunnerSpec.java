package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/** Overrides for the runner Job; every field has a default. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RunnerSpec {
    public static final long DEFAULT_ACTIVE_DEADLINE_SECONDS = 900;
    public static final int DEFAULT_BACKOFF_LIMIT = 0;
    public static final int DEFAULT_LOCK_TIMEOUT_SECONDS = 10;
    public static final int DEFAULT_STATEMENT_TIMEOUT_SECONDS = 0;

    @JsonPropertyDescription("Service account of runner pods. Defaults to the namespace's default; the runner needs no Kubernetes API access.")
    private String serviceAccountName;

    @JsonPropertyDescription("Resources of the runner container.")
    private ResourceRequirements resources;

    @Min(1)
    @JsonPropertyDescription("Seconds a runner Job may run before Kubernetes stops it. Defaults to 900.")
    private Long activeDeadlineSeconds;

    @Min(0)
    @Max(10)
    @JsonPropertyDescription("Pod retries of a failed run. Defaults to 0: a failed migration needs a person, not a retry loop.")
    private Integer backoffLimit;

    @Min(0)
    @JsonPropertyDescription("PostgreSQL lock_timeout of the migration session, in seconds (0 = none). Defaults to 10, so a migration waiting on a busy table fails instead of blocking traffic.")
    private Integer lockTimeoutSeconds;

    @Min(0)
    @JsonPropertyDescription("PostgreSQL statement_timeout of the migration session, in seconds (0 = none). Defaults to 0.")
    private Integer statementTimeoutSeconds;

    @JsonPropertyDescription("What runner pods get beyond what Lockstep builds: labels, annotations, scheduling, pull secrets,"
            + " extra env and volumes, a security context that may only tighten. Merged over the operator's --runner-pod-template.")
    private RunnerPodTemplate podTemplate;

    public RunnerPodTemplate getPodTemplate() { return podTemplate; }
    public void setPodTemplate(RunnerPodTemplate podTemplate) { this.podTemplate = podTemplate; }

    public String getServiceAccountName() { return serviceAccountName; }
    public void setServiceAccountName(String serviceAccountName) { this.serviceAccountName = serviceAccountName; }
    public ResourceRequirements getResources() { return resources; }
    public void setResources(ResourceRequirements resources) { this.resources = resources; }
    public Long getActiveDeadlineSeconds() { return activeDeadlineSeconds; }
    public void setActiveDeadlineSeconds(Long activeDeadlineSeconds) { this.activeDeadlineSeconds = activeDeadlineSeconds; }
    public Integer getBackoffLimit() { return backoffLimit; }
    public void setBackoffLimit(Integer backoffLimit) { this.backoffLimit = backoffLimit; }
    public Integer getLockTimeoutSeconds() { return lockTimeoutSeconds; }
    public void setLockTimeoutSeconds(Integer lockTimeoutSeconds) { this.lockTimeoutSeconds = lockTimeoutSeconds; }
    public Integer getStatementTimeoutSeconds() { return statementTimeoutSeconds; }
    public void setStatementTimeoutSeconds(Integer statementTimeoutSeconds) { this.statementTimeoutSeconds = statementTimeoutSeconds; }
}
