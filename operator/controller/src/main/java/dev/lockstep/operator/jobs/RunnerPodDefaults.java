package dev.lockstep.operator.jobs;

import java.util.Locale;

/**
 * What every runner pod of this operator gets unless its SchemaMigration says otherwise: the ServiceAccount, and the
 * pod's user, group, fsGroup and seccomp profile. The rest of Pod Security "restricted" (runAsNonRoot, no privilege
 * escalation, every capability dropped, a read-only root file system) is not a setting: runner pods always have it.
 *
 * @param serviceAccountName the ServiceAccount of runner pods whose SchemaMigration names none
 *                           ({@code spec.runner.serviceAccountName}); null for the namespace's {@code default}
 * @param runAsUser          the pod's user; null leaves it to the image (65532) or to the cluster (OpenShift's
 *                           restricted-v2 assigns one from the namespace's range and refuses any other)
 * @param runAsGroup         the pod's group; null leaves it as {@code runAsUser} does
 * @param fsGroup            the group that owns the pod's volumes; null for none (the runner only writes its emptyDir)
 * @param seccompProfile     {@code RuntimeDefault}, or {@code Localhost/<path>} for a profile on the node
 * @param template           what every runner pod gets besides ({@code --runner-pod-template}), under a SchemaMigration's
 *                           own {@code spec.runner.podTemplate}; null for nothing
 */
public record RunnerPodDefaults(String serviceAccountName, Long runAsUser, Long runAsGroup, Long fsGroup,
                                String seccompProfile, dev.lockstep.api.v1alpha1.RunnerPodTemplate template) {
    public static final long IMAGE_USER = 65532;
    public static final String RUNTIME_DEFAULT = "RuntimeDefault";
    public static final String LOCALHOST_PREFIX = "Localhost/";
    /** The user and group of the image, seccomp RuntimeDefault, the namespace's default ServiceAccount. */
    public static final RunnerPodDefaults DEFAULT = new RunnerPodDefaults(null, IMAGE_USER, IMAGE_USER, null, RUNTIME_DEFAULT);

    public RunnerPodDefaults(String serviceAccountName, Long runAsUser, Long runAsGroup, Long fsGroup, String seccompProfile) {
        this(serviceAccountName, runAsUser, runAsGroup, fsGroup, seccompProfile, null);
    }

    public RunnerPodDefaults {
        serviceAccountName = serviceAccountName == null || serviceAccountName.isBlank() ? null : serviceAccountName;
        if (serviceAccountName != null && !Names.isDnsSubdomain(serviceAccountName)) {
            throw new IllegalArgumentException("--runner-service-account " + serviceAccountName + ": not a ServiceAccount name"
                    + " (lower-case letters, digits, '-' and '.', at most 253 characters)");
        }
        if (runAsUser != null && runAsUser <= 0) {
            throw new IllegalArgumentException("--runner-run-as-user " + runAsUser + ": runner pods run as a non-root user;"
                    + " give a user id above 0, or auto to leave it to the image or the cluster");
        }
        if (runAsGroup != null && runAsGroup < 0) {
            throw new IllegalArgumentException("--runner-run-as-group " + runAsGroup + ": a group id is 0 or more, or auto");
        }
        if (fsGroup != null && fsGroup < 0) {
            throw new IllegalArgumentException("--runner-fs-group " + fsGroup + ": a group id is 0 or more, or none");
        }
        seccompProfile = seccompProfile == null || seccompProfile.isBlank() ? RUNTIME_DEFAULT : seccompProfile;
        if (!seccompProfile.equals(RUNTIME_DEFAULT) && !(seccompProfile.startsWith(LOCALHOST_PREFIX)
                && seccompProfile.length() > LOCALHOST_PREFIX.length())) {
            throw new IllegalArgumentException("--runner-seccomp-profile " + seccompProfile + ": give RuntimeDefault or"
                    + " Localhost/<profile path on the node>; Pod Security \"restricted\" allows no other (Unconfined is refused)");
        }
    }

    /**
     * The operator-wide template of {@code --runner-pod-template}: a YAML or JSON file of the shape of
     * {@code spec.runner.podTemplate}, checked by the same rules.
     *
     * @throws IllegalArgumentException naming the file and the field, when it cannot be read or breaks a rule
     */
    public static dev.lockstep.api.v1alpha1.RunnerPodTemplate template(java.nio.file.Path file) {
        if (file == null) {
            return null;
        }
        dev.lockstep.api.v1alpha1.RunnerPodTemplate template;
        try (var in = java.nio.file.Files.newInputStream(file)) {
            template = new io.fabric8.kubernetes.client.utils.KubernetesSerialization().unmarshal(in,
                    dev.lockstep.api.v1alpha1.RunnerPodTemplate.class);
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("--runner-pod-template " + file + ": cannot be read as a runner pod template"
                    + " (the shape of spec.runner.podTemplate): " + e.getMessage());
        }
        var problem = RunnerPodTemplates.problem(template, "podTemplate");
        if (problem.isPresent()) {
            throw new IllegalArgumentException("--runner-pod-template " + file + ": " + problem.get());
        }
        return template;
    }

    /** The profile's path on the node when it is {@code Localhost/<path>}, else null. */
    public String localhostProfile() {
        return seccompProfile.startsWith(LOCALHOST_PREFIX) ? seccompProfile.substring(LOCALHOST_PREFIX.length()) : null;
    }

    public String seccompType() {
        return localhostProfile() == null ? RUNTIME_DEFAULT : "Localhost";
    }

    /**
     * A user or group id from a flag: a number, or {@code auto} (also empty) for none.
     *
     * @throws IllegalArgumentException naming {@code flag} when it is neither
     */
    public static Long id(String flag, String value, String none) {
        if (value == null || value.isBlank() || value.trim().toLowerCase(Locale.ROOT).equals(none)) {
            return null;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " " + value + ": give a numeric id (e.g. 65532) or " + none);
        }
    }
}
