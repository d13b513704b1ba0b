package dev.lockstep.operator.jobs;

import dev.lockstep.api.v1alpha1.RunnerPodTemplate;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The runner pod template: what a SchemaMigration ({@code spec.runner.podTemplate}) and the operator
 * ({@code --runner-pod-template}) may add to the pod Lockstep builds, checked and merged.
 *
 * <p>The rules, in the order a template is checked:
 * <ol>
 *   <li>the command, its arguments and the image are Lockstep's: setting them is refused;</li>
 *   <li>labels and annotations under {@code lockstep.dev/}, and the labels Lockstep selects its pods by, are refused;</li>
 *   <li>env names LOCKSTEP_*, OTEL_*, TRACEPARENT and JAVA_TOOL_OPTIONS are refused (the runner reads them); each
 *       envFrom needs a prefix that is not one of those, so no key of a ConfigMap or Secret can set one;</li>
 *   <li>volumes may not take Lockstep's names, nor be hostPath; mounts may not be at or under /lockstep, /tmp or
 *       /dev/termination-log, and must name a volume of the same template;</li>
 *   <li>security contexts may only tighten: no runAsNonRoot false, no user 0, no Unconfined seccomp, no sysctls; in the
 *       container no privilege, no escalation, no added capability, no writable root, no unmasked /proc.</li>
 * </ol>
 * Merging, the operator's template first, then the SchemaMigration's, over Lockstep's pod: maps (labels, annotations,
 * nodeSelector) key by key, the later winning, Lockstep's own keys always; lists (tolerations, topology spread,
 * pull secrets, env, envFrom, volumes, mounts) added, an env variable of the same name replaced; affinity and
 * priorityClassName replaced; security contexts field by field, capabilities dropped adding up.
 */
public final class RunnerPodTemplates {
    /** Volume names of Lockstep's own runner pods. */
    public static final Set<String> OWN_VOLUMES = Set.of(RunnerJobFactory.MIGRATIONS_VOLUME, RunnerJobFactory.TMP_VOLUME,
            RunnerJobFactory.CREDENTIALS_VOLUME, RunnerJobFactory.TLS_CA_VOLUME, RunnerJobFactory.TLS_CLIENT_VOLUME);
    private static final List<String> OWN_ENV_PREFIXES = List.of("LOCKSTEP_", "OTEL_", "TRACEPARENT", "JAVA_TOOL_OPTIONS");
    private static final Set<String> OWN_LABELS = Set.of("app.kubernetes.io/name", RunnerJobs.LABEL_COMPONENT,
            RunnerJobs.LABEL_MANAGED_BY, "job-name", "controller-uid");
    private static final List<String> OWN_PATHS = List.of("/lockstep", "/tmp", "/dev/termination-log");

    private RunnerPodTemplates() {}

    /** The first rule {@code template} breaks, as "field: what is wrong and the fix"; empty when it breaks none. */
    public static Optional<String> problem(RunnerPodTemplate template, String field) {
        if (template == null) {
            return Optional.empty();
        }
        for (var own : List.of(Map.entry("command", Optional.ofNullable(template.getCommand())),
                Map.entry("args", Optional.ofNullable(template.getArgs())), Map.entry("image", Optional.ofNullable(template.getImage())))) {
            if (own.getValue().isPresent()) {
                return Optional.of(field + "." + own.getKey() + ": the runner's " + own.getKey() + " is Lockstep's own"
                        + (own.getKey().equals("image") ? " (the operator's --runner-image)" : " and follows the spec")
                        + "; remove it");
            }
        }
        if (template.getMetadata() != null) {
            for (String key : keys(template.getMetadata().getLabels())) {
                if (key.startsWith("lockstep.dev/") || OWN_LABELS.contains(key)) {
                    return Optional.of(field + ".metadata.labels." + key + ": Lockstep selects its pods by this label; use another key");
                }
            }
            for (String key : keys(template.getMetadata().getAnnotations())) {
                if (key.startsWith("lockstep.dev/")) {
                    return Optional.of(field + ".metadata.annotations." + key + ": keys under lockstep.dev/ are Lockstep's own; use another prefix");
                }
            }
        }
        List<EnvVar> env = Objects.requireNonNullElse(template.getEnv(), List.of());
        for (int i = 0; i < env.size(); i++) {
            String name = env.get(i).getName();
            if (name == null || name.isBlank()) {
                return Optional.of(field + ".env[" + i + "].name: is required");
            }
            if (ownEnv(name)) {
                return Optional.of(field + ".env[" + i + "]: " + name + " is read by the runner and set by Lockstep from the spec;"
                        + " it may not be overridden");
            }
        }
        List<EnvFromSource> envFrom = Objects.requireNonNullElse(template.getEnvFrom(), List.of());
        for (int i = 0; i < envFrom.size(); i++) {
            String prefix = envFrom.get(i).getPrefix();
            if (prefix == null || prefix.isBlank() || ownEnv(prefix)) {
                return Optional.of(field + ".envFrom[" + i + "].prefix: " + (prefix == null || prefix.isBlank() ? "is required"
                        : "'" + prefix + "' is one of Lockstep's") + ", so that no key can set a variable the runner reads"
                        + " (LOCKSTEP_*, OTEL_*, TRACEPARENT, JAVA_TOOL_OPTIONS): give one such as APP_");
            }
        }
        List<Volume> volumes = Objects.requireNonNullElse(template.getVolumes(), List.of());
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < volumes.size(); i++) {
            Volume v = volumes.get(i);
            if (v.getName() == null || OWN_VOLUMES.contains(v.getName()) || !names.add(v.getName())) {
                return Optional.of(field + ".volumes[" + i + "].name: '" + v.getName() + "' is " + (v.getName() == null ? "required"
                        : OWN_VOLUMES.contains(v.getName()) ? "one of Lockstep's " + new java.util.TreeSet<>(OWN_VOLUMES)
                        : "given twice") + "; pick another name");
            }
            if (v.getHostPath() != null) {
                return Optional.of(field + ".volumes[" + i + "]: hostPath is not allowed (Pod Security \"restricted\", which runner"
                        + " pods meet); use a ConfigMap, Secret, CSI or emptyDir volume");
            }
        }
        List<VolumeMount> mounts = Objects.requireNonNullElse(template.getVolumeMounts(), List.of());
        for (int i = 0; i < mounts.size(); i++) {
            VolumeMount m = mounts.get(i);
            String path = m.getMountPath() == null ? "" : m.getMountPath();
            for (String own : OWN_PATHS) {
                if (path.equals(own) || path.startsWith(own + "/") || own.startsWith(path.endsWith("/") ? path : path + "/")) {
                    return Optional.of(field + ".volumeMounts[" + i + "].mountPath: '" + path + "' is at or around " + own
                            + ", where Lockstep mounts its own; mount it elsewhere (e.g. /etc/" + m.getName() + ")");
                }
            }
            if (!names.contains(m.getName())) {
                return Optional.of(field + ".volumeMounts[" + i + "].name: '" + m.getName() + "' is no volume of " + field
                        + ".volumes; add the volume beside its mount");
            }
        }
        return podSecurity(template.getSecurityContext(), field + ".securityContext")
                .or(() -> containerSecurity(template.getContainerSecurityContext(), field + ".containerSecurityContext"));
    }

    private static Optional<String> podSecurity(PodSecurityContext sc, String field) {
        if (sc == null) {
            return Optional.empty();
        }
        if (Boolean.FALSE.equals(sc.getRunAsNonRoot())) {
            return Optional.of(field + ".runAsNonRoot: runner pods run as a non-root user; remove it or set true");
        }
        if (Long.valueOf(0).equals(sc.getRunAsUser())) {
            return Optional.of(field + ".runAsUser: 0 is root; give a user above 0");
        }
        if (sc.getSysctls() != null && !sc.getSysctls().isEmpty()) {
            return Optional.of(field + ".sysctls: not allowed (Pod Security \"restricted\"); remove them");
        }
        return seccomp(sc.getSeccompProfile(), field);
    }

    private static Optional<String> containerSecurity(SecurityContext sc, String field) {
        if (sc == null) {
            return Optional.empty();
        }
        if (Boolean.TRUE.equals(sc.getPrivileged())) {
            return Optional.of(field + ".privileged: not allowed; remove it");
        }
        if (Boolean.TRUE.equals(sc.getAllowPrivilegeEscalation())) {
            return Optional.of(field + ".allowPrivilegeEscalation: stays false; remove it");
        }
        if (Boolean.FALSE.equals(sc.getReadOnlyRootFilesystem())) {
            return Optional.of(field + ".readOnlyRootFilesystem: stays true (the runner writes to /tmp only); remove it");
        }
        if (Boolean.FALSE.equals(sc.getRunAsNonRoot())) {
            return Optional.of(field + ".runAsNonRoot: stays true; remove it");
        }
        if (Long.valueOf(0).equals(sc.getRunAsUser())) {
            return Optional.of(field + ".runAsUser: 0 is root; give a user above 0");
        }
        if (sc.getCapabilities() != null && sc.getCapabilities().getAdd() != null && !sc.getCapabilities().getAdd().isEmpty()) {
            return Optional.of(field + ".capabilities.add: runner pods drop every capability and add none; remove it");
        }
        if (sc.getProcMount() != null && !"Default".equals(sc.getProcMount())) {
            return Optional.of(field + ".procMount: only Default is allowed; remove it");
        }
        return seccomp(sc.getSeccompProfile(), field);
    }

    private static Optional<String> seccomp(SeccompProfile profile, String field) {
        if (profile != null && profile.getType() != null && !Set.of("RuntimeDefault", "Localhost").contains(profile.getType())) {
            return Optional.of(field + ".seccompProfile.type: " + profile.getType() + " is not allowed; RuntimeDefault or Localhost");
        }
        return Optional.empty();
    }

    private static boolean ownEnv(String name) {
        return OWN_ENV_PREFIXES.stream().anyMatch(name::startsWith);
    }

    private static Set<String> keys(Map<String, String> map) {
        return map == null ? Set.of() : map.keySet();
    }

    /**
     * Merges the templates over the pod Lockstep built: {@code defaults} (the operator's) first, then {@code own} (the
     * SchemaMigration's); both already checked by {@link #problem}. Lockstep's labels and annotations win.
     */
    public static void apply(PodTemplateSpec pod, Container runner, RunnerPodTemplate defaults, RunnerPodTemplate own) {
        Map<String, String> labels = new LinkedHashMap<>();
        Map<String, String> annotations = new LinkedHashMap<>();
        for (RunnerPodTemplate t : new RunnerPodTemplate[] {defaults, own}) {
            if (t == null) {
                continue;
            }
            PodSpec spec = pod.getSpec();
            if (t.getMetadata() != null) {
                labels = over(labels, t.getMetadata().getLabels());
                annotations = over(annotations, t.getMetadata().getAnnotations());
            }
            spec.setNodeSelector(over(spec.getNodeSelector(), t.getNodeSelector()));
            spec.setTolerations(added(spec.getTolerations(), t.getTolerations()));
            spec.setTopologySpreadConstraints(added(spec.getTopologySpreadConstraints(), t.getTopologySpreadConstraints()));
            spec.setImagePullSecrets(added(spec.getImagePullSecrets(), t.getImagePullSecrets()));
            spec.setVolumes(added(spec.getVolumes(), t.getVolumes()));
            if (t.getAffinity() != null) {
                spec.setAffinity(t.getAffinity());
            }
            if (t.getPriorityClassName() != null && !t.getPriorityClassName().isBlank()) {
                spec.setPriorityClassName(t.getPriorityClassName());
            }
            spec.setSecurityContext(merged(spec.getSecurityContext(), t.getSecurityContext()));
            runner.setEnv(byName(runner.getEnv(), t.getEnv()));
            runner.setEnvFrom(added(runner.getEnvFrom(), t.getEnvFrom()));
            runner.setVolumeMounts(added(runner.getVolumeMounts(), t.getVolumeMounts()));
            runner.setSecurityContext(merged(runner.getSecurityContext(), t.getContainerSecurityContext()));
        }
        if (!labels.isEmpty()) {
            pod.getMetadata().setLabels(under(pod.getMetadata().getLabels(), labels));
        }
        if (!annotations.isEmpty()) {
            pod.getMetadata().setAnnotations(under(pod.getMetadata().getAnnotations(), annotations));
        }
    }

    /** {@code extra} under {@code base}: base's keys win. */
    private static Map<String, String> under(Map<String, String> base, Map<String, String> extra) {
        Map<String, String> all = new LinkedHashMap<>(extra == null ? Map.of() : extra);
        if (base != null) {
            all.putAll(base);
        }
        return all;
    }

    /** {@code extra} over {@code base}: extra's keys win. */
    private static Map<String, String> over(Map<String, String> base, Map<String, String> extra) {
        if (extra == null || extra.isEmpty()) {
            return base;
        }
        Map<String, String> all = new LinkedHashMap<>(base == null ? Map.of() : base);
        all.putAll(extra);
        return all;
    }

    private static <T> List<T> added(List<T> base, List<T> extra) {
        if (extra == null || extra.isEmpty()) {
            return base;
        }
        List<T> all = new ArrayList<>(base == null ? List.of() : base);
        extra.stream().filter(e -> !all.contains(e)).forEach(all::add);
        return all;
    }

    private static List<EnvVar> byName(List<EnvVar> base, List<EnvVar> extra) {
        if (extra == null || extra.isEmpty()) {
            return base;
        }
        List<EnvVar> all = new ArrayList<>(base == null ? List.of() : base);
        for (EnvVar e : extra) {
            all.removeIf(b -> b.getName().equals(e.getName()));
            all.add(e);
        }
        return all;
    }

    private static PodSecurityContext merged(PodSecurityContext base, PodSecurityContext extra) {
        if (extra == null) {
            return base;
        }
        PodSecurityContext m = base == null ? new PodSecurityContext() : base;
        set(m, extra, PodSecurityContext::getRunAsUser, PodSecurityContext::setRunAsUser);
        set(m, extra, PodSecurityContext::getRunAsGroup, PodSecurityContext::setRunAsGroup);
        set(m, extra, PodSecurityContext::getRunAsNonRoot, PodSecurityContext::setRunAsNonRoot);
        set(m, extra, PodSecurityContext::getFsGroup, PodSecurityContext::setFsGroup);
        set(m, extra, PodSecurityContext::getFsGroupChangePolicy, PodSecurityContext::setFsGroupChangePolicy);
        set(m, extra, PodSecurityContext::getSupplementalGroups, PodSecurityContext::setSupplementalGroups);
        set(m, extra, PodSecurityContext::getSeLinuxOptions, PodSecurityContext::setSeLinuxOptions);
        set(m, extra, PodSecurityContext::getSeccompProfile, PodSecurityContext::setSeccompProfile);
        return m;
    }

    private static SecurityContext merged(SecurityContext base, SecurityContext extra) {
        if (extra == null) {
            return base;
        }
        SecurityContext m = base == null ? new SecurityContext() : base;
        set(m, extra, SecurityContext::getRunAsUser, SecurityContext::setRunAsUser);
        set(m, extra, SecurityContext::getRunAsGroup, SecurityContext::setRunAsGroup);
        set(m, extra, SecurityContext::getRunAsNonRoot, SecurityContext::setRunAsNonRoot);
        set(m, extra, SecurityContext::getSeLinuxOptions, SecurityContext::setSeLinuxOptions);
        set(m, extra, SecurityContext::getSeccompProfile, SecurityContext::setSeccompProfile);
        if (extra.getCapabilities() != null && extra.getCapabilities().getDrop() != null) {
            Capabilities caps = m.getCapabilities() == null ? new Capabilities() : m.getCapabilities();
            caps.setDrop(added(caps.getDrop(), extra.getCapabilities().getDrop()));
            m.setCapabilities(caps);
        }
        return m;
    }

    private static <S, V> void set(S target, S extra, Function<S, V> get, BiConsumer<S, V> put) {
        V value = get.apply(extra);
        if (value != null) {
            put.accept(target, value);
        }
    }
}
