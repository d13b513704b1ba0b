package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AnyType;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.List;
import java.util.Map;

/**
 * What a runner pod may get beyond what Lockstep builds: where it is scheduled, what it carries, and a security context
 * that may only tighten. It is merged over the Job Lockstep builds (and over the operator's --runner-pod-template);
 * docs/security.md#runner-pod-template lists the rules. The command, its arguments, the image, the result path and
 * the credentials' environment are Lockstep's own: setting them is refused.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RunnerPodTemplate {
    @JsonPropertyDescription("Labels and annotations of runner pods; keys under lockstep.dev/ and Lockstep's own app.kubernetes.io/ labels are refused.")
    private Metadata metadata;
    @JsonPropertyDescription("Merged key by key over the operator's default.")
    private Map<String, String> nodeSelector;
    @JsonPropertyDescription("Added to the operator's default.")
    private List<Toleration> tolerations;
    @JsonPropertyDescription("Replaces the operator's default.")
    private Affinity affinity;
    @JsonPropertyDescription("Added to the operator's default.")
    private List<TopologySpreadConstraint> topologySpreadConstraints;
    @JsonPropertyDescription("Replaces the operator's default.")
    private String priorityClassName;
    @JsonPropertyDescription("Added to the operator's default, e.g. for spec.source.image in a private registry.")
    private List<LocalObjectReference> imagePullSecrets;
    @JsonPropertyDescription("The pod's security context, merged field by field over Lockstep's; it may only tighten"
            + " (runAsNonRoot stays true, no user 0, seccomp RuntimeDefault or Localhost, no sysctls).")
    private PodSecurityContext securityContext;
    @JsonPropertyDescription("The runner container's security context, merged over Lockstep's; it may only tighten"
            + " (no privilege, no escalation, no added capability, the root file system stays read-only).")
    private SecurityContext containerSecurityContext;
    @JsonPropertyDescription("Extra environment of the runner container; LOCKSTEP_*, OTEL_*, TRACEPARENT and JAVA_TOOL_OPTIONS are Lockstep's own.")
    private List<EnvVar> env;
    @JsonPropertyDescription("Extra environment from ConfigMaps or Secrets; each needs a prefix (e.g. APP_) that is not one of Lockstep's, so no key can set a variable the runner reads.")
    private List<EnvFromSource> envFrom;
    @JsonPropertyDescription("Extra volumes; the names migrations, tmp, credentials, tls-ca and tls-client are Lockstep's.")
    private List<Volume> volumes;
    @JsonPropertyDescription("Mounts of the extra volumes into the runner container; not at or under /lockstep, /tmp or /dev/termination-log.")
    private List<VolumeMount> volumeMounts;

    @JsonPropertyDescription("Refused: the runner's command is Lockstep's own.")
    private AnyType command;
    @JsonPropertyDescription("Refused: the runner's arguments are Lockstep's own (they follow the spec).")
    private AnyType args;
    @JsonPropertyDescription("Refused: the runner's image is the operator's (--runner-image).")
    private AnyType image;

    /** Labels and annotations. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Metadata {
        private Map<String, String> labels;
        private Map<String, String> annotations;

        public Map<String, String> getLabels() { return labels; }
        public void setLabels(Map<String, String> labels) { this.labels = labels; }
        public Map<String, String> getAnnotations() { return annotations; }
        public void setAnnotations(Map<String, String> annotations) { this.annotations = annotations; }
    }

    public Metadata getMetadata() { return metadata; }
    public void setMetadata(Metadata metadata) { this.metadata = metadata; }
    public Map<String, String> getNodeSelector() { return nodeSelector; }
    public void setNodeSelector(Map<String, String> nodeSelector) { this.nodeSelector = nodeSelector; }
    public List<Toleration> getTolerations() { return tolerations; }
    public void setTolerations(List<Toleration> tolerations) { this.tolerations = tolerations; }
    public Affinity getAffinity() { return affinity; }
    public void setAffinity(Affinity affinity) { this.affinity = affinity; }
    public List<TopologySpreadConstraint> getTopologySpreadConstraints() { return topologySpreadConstraints; }
    public void setTopologySpreadConstraints(List<TopologySpreadConstraint> c) { this.topologySpreadConstraints = c; }
    public String getPriorityClassName() { return priorityClassName; }
    public void setPriorityClassName(String priorityClassName) { this.priorityClassName = priorityClassName; }
    public List<LocalObjectReference> getImagePullSecrets() { return imagePullSecrets; }
    public void setImagePullSecrets(List<LocalObjectReference> imagePullSecrets) { this.imagePullSecrets = imagePullSecrets; }
    public PodSecurityContext getSecurityContext() { return securityContext; }
    public void setSecurityContext(PodSecurityContext securityContext) { this.securityContext = securityContext; }
    public SecurityContext getContainerSecurityContext() { return containerSecurityContext; }
    public void setContainerSecurityContext(SecurityContext c) { this.containerSecurityContext = c; }
    public List<EnvVar> getEnv() { return env; }
    public void setEnv(List<EnvVar> env) { this.env = env; }
    public List<EnvFromSource> getEnvFrom() { return envFrom; }
    public void setEnvFrom(List<EnvFromSource> envFrom) { this.envFrom = envFrom; }
    public List<Volume> getVolumes() { return volumes; }
    public void setVolumes(List<Volume> volumes) { this.volumes = volumes; }
    public List<VolumeMount> getVolumeMounts() { return volumeMounts; }
    public void setVolumeMounts(List<VolumeMount> volumeMounts) { this.volumeMounts = volumeMounts; }
    public AnyType getCommand() { return command; }
    public void setCommand(AnyType command) { this.command = command; }
    public AnyType getArgs() { return args; }
    public void setArgs(AnyType args) { this.args = args; }
    public AnyType getImage() { return image; }
    public void setImage(AnyType image) { this.image = image; }
}
