package dev.lockstep.operator.jobs;

import dev.lockstep.api.v1alpha1.RunStep;
import dev.lockstep.api.v1alpha1.RunnerSpec;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.api.v1alpha1.SchemaMigrationSpec;
import dev.lockstep.api.v1alpha1.SecretKeysReference;
import dev.lockstep.api.v1alpha1.SourceSpec;
import dev.lockstep.api.v1alpha1.TlsSpec;
import dev.lockstep.operator.OperatorSettings;
import dev.lockstep.operator.telemetry.RunSpans;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Builds the runner Job of a SchemaMigration: one pod, never restarted in place, that runs `lockstep migrate` with the
 * scripts mounted at {@value #MIGRATIONS_DIR} and the credentials Secret exposed to the runner container only.
 * Pods meet the Pod Security "restricted" profile.
 */
public final class RunnerJobFactory {
    public static final String RUNNER_CONTAINER = "runner";
    public static final String COPY_CONTAINER = "copy-migrations";
    public static final String MIGRATIONS_DIR = "/lockstep/migrations";
    public static final String CREDENTIALS_DIR = "/lockstep/credentials";
    public static final String TLS_CA_DIR = "/lockstep/tls/ca";
    public static final String TLS_CLIENT_DIR = "/lockstep/tls/client";
    /** Volume names of a runner pod; a pod template may not take them (see {@link RunnerPodTemplates}). */
    public static final String MIGRATIONS_VOLUME = "migrations";
    public static final String TMP_VOLUME = "tmp";
    public static final String CREDENTIALS_VOLUME = "credentials";
    public static final String TLS_CA_VOLUME = "tls-ca";
    public static final String TLS_CLIENT_VOLUME = "tls-client";
    static final String CA_FILE = "ca.crt";
    static final String CERT_FILE = "tls.crt";
    static final String KEY_FILE = "tls.key";

    private final OperatorSettings settings;
    private final Map<String, String> telemetryEnv;

    public RunnerJobFactory(OperatorSettings settings) {
        this(settings, Map.of());
    }

    /**
     * @param telemetryEnv the {@code OTEL_*} variables of runner pods when the operator traces: the pod then gets the run
     *                     span's {@code TRACEPARENT} too, so its spans are the run span's children; empty when it does not
     */
    public RunnerJobFactory(OperatorSettings settings, Map<String, String> telemetryEnv) {
        this.settings = settings;
        this.telemetryEnv = new TreeMap<>(telemetryEnv);
    }

    public Job create(SchemaMigration sm, String jobName, String specHash) {
        return create(sm, jobName, specHash, RunStep.Expand);
    }

    /** The Job of one step: Expand holds contract scripts back, Contract applies everything up to the target. */
    public Job create(SchemaMigration sm, String jobName, String specHash, RunStep step) {
        SchemaMigrationSpec spec = sm.getSpec();
        RunnerSpec runner = Objects.requireNonNullElseGet(spec.getRunner(), RunnerSpec::new);
        Map<String, String> labels = labels(sm, specHash);

        List<Volume> volumes = new ArrayList<>();
        List<Container> initContainers = new ArrayList<>();
        SourceSpec source = spec.getSource();
        if (source.getConfigMapRef() != null) {
            volumes.add(new VolumeBuilder().withName(MIGRATIONS_VOLUME)
                    .withNewConfigMap().withName(source.getConfigMapRef().getName()).endConfigMap().build());
        } else {
            volumes.add(new VolumeBuilder().withName(MIGRATIONS_VOLUME).withNewEmptyDir().endEmptyDir().build());
            initContainers.add(new ContainerBuilder()
                    .withName(COPY_CONTAINER)
                    .withImage(source.getImage())
                    .withImagePullPolicy(settings.runnerImagePullPolicy())
                    .withCommand("cp", "-R", trimSlash(source.pathOrDefault()) + "/.", MIGRATIONS_DIR + "/")
                    .withVolumeMounts(mount(MIGRATIONS_VOLUME, MIGRATIONS_DIR, false))
                    .withSecurityContext(restrictedContainer())
                    .withResources(copyResources())
                    .build());
        }
        volumes.add(new VolumeBuilder().withName(TMP_VOLUME).withNewEmptyDir().endEmptyDir().build());
        List<VolumeMount> extraMounts = tlsVolumes(spec.getDatabase().getTls(), volumes);
        SecretKeysReference login = spec.getDatabase().getCredentialsSecretRef();
        if (login.asFiles()) {
            VolumeBuilder credentials = new VolumeBuilder().withName(CREDENTIALS_VOLUME);
            var secretVolume = credentials.withNewSecret().withSecretName(login.getName()).withDefaultMode(0444)
                    .addNewItem().withKey(login.usernameKeyOrDefault()).withPath("username").endItem();
            if (login.getPasswordFile() == null) {
                secretVolume.addNewItem().withKey(login.passwordKeyOrDefault()).withPath("password").endItem();
            }
            volumes.add(secretVolume.endSecret().build());
            extraMounts.add(mount(CREDENTIALS_VOLUME, CREDENTIALS_DIR, true));
        }

        Container runnerContainer = new ContainerBuilder()
                .withName(RUNNER_CONTAINER)
                .withImage(settings.runnerImage())
                .withImagePullPolicy(settings.runnerImagePullPolicy())
                .withArgs(args(spec, runner, step))
                .withEnv(env(sm, jobName, step))
                .withVolumeMounts(mount(MIGRATIONS_VOLUME, MIGRATIONS_DIR, true), mount(TMP_VOLUME, "/tmp", false))
                .addAllToVolumeMounts(extraMounts)
                .withSecurityContext(restrictedContainer())
                .withResources(runner.getResources() != null ? runner.getResources() : defaultResources())
                .withTerminationMessagePath("/dev/termination-log")
                // The runner writes its JSON result there; if it dies first, the log tail is the next best thing.
                .withTerminationMessagePolicy("FallbackToLogsOnError")
                .build();

        Job job = new JobBuilder()
                .withNewMetadata()
                    .withName(jobName)
                    .withNamespace(sm.getMetadata().getNamespace())
                    .withLabels(labels)
                    .addToAnnotations(RunnerJobs.TARGET_ANNOTATION, spec.getTargetRevision())
                    .addToAnnotations(RunnerJobs.STEP_ANNOTATION, step.name())
                    .addToAnnotations(RunnerJobs.ANNOTATION_SCHEMA_MIGRATION, sm.getMetadata().getName())
                    .withOwnerReferences(new OwnerReferenceBuilder()
                            .withApiVersion(sm.getApiVersion())
                            .withKind(sm.getKind())
                            .withName(sm.getMetadata().getName())
                            .withUid(sm.getMetadata().getUid())
                            .withController(true)
                            .withBlockOwnerDeletion(true)
                            .build())
                .endMetadata()
                .withNewSpec()
                    .withBackoffLimit(Objects.requireNonNullElse(runner.getBackoffLimit(), RunnerSpec.DEFAULT_BACKOFF_LIMIT))
                    .withActiveDeadlineSeconds(Objects.requireNonNullElse(runner.getActiveDeadlineSeconds(), RunnerSpec.DEFAULT_ACTIVE_DEADLINE_SECONDS))
                    .withNewTemplate()
                        .withNewMetadata().withLabels(labels)
                            .addToAnnotations(settings.runnerPodAnnotations()) // the operator's own, below, win
                            .addToAnnotations(RunnerJobs.ANNOTATION_SCHEMA_MIGRATION, sm.getMetadata().getName()).endMetadata()
                        .withNewSpec()
                            .withRestartPolicy("Never")
                            .withServiceAccountName(serviceAccountName(spec, settings.runnerPod()))
                            // The runner talks to PostgreSQL only; it has no use for an API token.
                            .withAutomountServiceAccountToken(false)
                            .withSecurityContext(podSecurity(settings.runnerPod()))
                            .withInitContainers(initContainers)
                            .withContainers(runnerContainer)
                            .withVolumes(volumes)
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build();
        var pod = job.getSpec().getTemplate();
        RunnerPodTemplates.apply(pod, pod.getSpec().getContainers().get(0), settings.runnerPod().template(), runner.getPodTemplate());
        return job;
    }

    static Map<String, String> labels(SchemaMigration sm, String specHash) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("app.kubernetes.io/name", "lockstep");
        labels.put(RunnerJobs.LABEL_COMPONENT, RunnerJobs.COMPONENT_RUNNER);
        labels.put(RunnerJobs.LABEL_MANAGED_BY, RunnerJobs.MANAGED_BY);
        labels.put(RunnerJobs.LABEL_SCHEMA_MIGRATION, Names.labelValue(sm.getMetadata().getName()));
        labels.put(RunnerJobs.LABEL_SPEC_HASH, specHash);
        return labels;
    }

    private static List<String> args(SchemaMigrationSpec spec, RunnerSpec runner, RunStep step) {
        List<String> args = new ArrayList<>(List.of(
                step == RunStep.Check ? "validate" : "migrate",
                "--location", MIGRATIONS_DIR,
                "--target", spec.getTargetRevision(),
                "--schemas", String.join(",", spec.getDatabase().getSchemas() == null || spec.getDatabase().getSchemas().isEmpty()
                        ? List.of("public") : spec.getDatabase().getSchemas()),
                "--lock-timeout", Objects.requireNonNullElse(runner.getLockTimeoutSeconds(), RunnerSpec.DEFAULT_LOCK_TIMEOUT_SECONDS) + "s",
                "--statement-timeout", Objects.requireNonNullElse(runner.getStatementTimeoutSeconds(), RunnerSpec.DEFAULT_STATEMENT_TIMEOUT_SECONDS) + "s",
                "--result-file", "/dev/termination-log"));
        if (step == RunStep.Expand) {
            args.add("--hold-contract");
            // The expand run plans for the whole rollout (its contract steps included) and is where approval and the
            // destructive-change check happen; the contract run of the same spec is covered by them.
            var policy = spec.policyOrDefault();
            args.add("--destructive");
            args.add(policy.destructiveOrDefault().name().toLowerCase(java.util.Locale.ROOT));
            if (policy.dryRunDatabaseInUse() != null) {
                args.add("--dry-run-url");
                args.add(policy.dryRunDatabaseInUse().getUrl());
            }
            if (policy.approvalRequired()) {
                args.add("--require-approval");
                if (policy.getApprovedPlanDigest() != null) {
                    args.add("--approved-plan-digest");
                    args.add(policy.getApprovedPlanDigest());
                }
            }
        }
        SecretKeysReference login = spec.getDatabase().getCredentialsSecretRef();
        if (login.asFiles()) {
            args.addAll(List.of("--username-file", CREDENTIALS_DIR + "/username"));
        }
        if (login.getPasswordFile() != null) {
            args.addAll(List.of("--password-file", login.getPasswordFile()));
        } else if (login.asFiles()) {
            args.addAll(List.of("--password-file", CREDENTIALS_DIR + "/password"));
        }
        TlsSpec tls = spec.getDatabase().getTls();
        if (tls != null) {
            args.addAll(List.of("--ssl-mode", tls.modeOrDefault()));
            if (tls.getCa() != null) {
                args.addAll(List.of("--ssl-root-cert", TLS_CA_DIR + "/" + CA_FILE));
            }
            if (tls.getClientCertificate() != null) {
                args.addAll(List.of("--ssl-cert", TLS_CLIENT_DIR + "/" + CERT_FILE, "--ssl-key", TLS_CLIENT_DIR + "/" + KEY_FILE));
            }
        }
        if (spec.downAllowed() && step != RunStep.Check) {
            args.add("--allow-down");
        }
        if (spec.getBaseline() != null) {
            args.add("--baseline-version");
            args.add(spec.getBaseline().getVersion());
        }
        return args;
    }

    private List<EnvVar> env(SchemaMigration sm, String jobName, RunStep step) {
        SchemaMigrationSpec spec = sm.getSpec();
        SecretKeysReference secret = spec.getDatabase().getCredentialsSecretRef();
        List<EnvVar> env = new ArrayList<>(List.of(
                new EnvVarBuilder().withName("LOCKSTEP_DB_URL").withValue(spec.getDatabase().getUrl()).build(),
                new EnvVarBuilder().withName("JAVA_TOOL_OPTIONS").withValue("-XX:MaxRAMPercentage=75 -Djava.io.tmpdir=/tmp").build()));
        if (!secret.asFiles()) {
            // From the Secret by reference: the operator never reads it, and a missing Secret or key shows up
            // in the pod's status (CreateContainerConfigError), where the operator can report it.
            env.add(1, secretEnv("LOCKSTEP_DB_USERNAME", secret.getName(), secret.usernameKeyOrDefault()));
            if (secret.getPasswordFile() == null) {
                env.add(2, secretEnv("LOCKSTEP_DB_PASSWORD", secret.getName(), secret.passwordKeyOrDefault()));
            }
        }
        var dryRunDatabase = spec.policyOrDefault().dryRunDatabaseInUse();
        if (step == RunStep.Expand && dryRunDatabase != null) {
            // Only the Job that dry-runs gets the scratch database's credentials.
            SecretKeysReference scratch = dryRunDatabase.getCredentialsSecretRef();
            env.add(secretEnv("LOCKSTEP_DRY_RUN_USERNAME", scratch.getName(), scratch.usernameKeyOrDefault()));
            env.add(secretEnv("LOCKSTEP_DRY_RUN_PASSWORD", scratch.getName(), scratch.passwordKeyOrDefault()));
        }
        if (!telemetryEnv.isEmpty()) {
            telemetryEnv.forEach((name, value) -> env.add(new EnvVarBuilder().withName(name).withValue(value).build()));
            env.add(new EnvVarBuilder().withName("TRACEPARENT")
                    .withValue(RunSpans.traceparent(sm.getMetadata().getUid(), jobName)).build());
        }
        return env;
    }

    /** The ServiceAccount of a runner pod: the SchemaMigration's, else the operator's default, else the namespace's. */
    public static String serviceAccountName(SchemaMigrationSpec spec, RunnerPodDefaults defaults) {
        String own = spec.getRunner() == null ? null : spec.getRunner().getServiceAccountName();
        return own != null && !own.isBlank() ? own : defaults.serviceAccountName();
    }

    static PodSecurityContext podSecurity(RunnerPodDefaults defaults) {
        return new PodSecurityContextBuilder()
                .withRunAsNonRoot(true)
                .withRunAsUser(defaults.runAsUser())
                .withRunAsGroup(defaults.runAsGroup())
                .withFsGroup(defaults.fsGroup())
                .withNewSeccompProfile().withType(defaults.seccompType()).withLocalhostProfile(defaults.localhostProfile())
                .endSeccompProfile()
                .build();
    }

    /**
     * The CA (from a ConfigMap or a Secret) and the client certificate (from a Secret), each key mounted read-only under a
     * fixed name. Mode 0444: the files belong to root and the runner runs as another user; the pod holds nothing else
     * that reads them, and the runner copies the key, converted, to a file of its own with mode 0600.
     */
    private static List<VolumeMount> tlsVolumes(TlsSpec tls, List<Volume> volumes) {
        List<VolumeMount> mounts = new ArrayList<>();
        if (tls == null) {
            return mounts;
        }
        if (tls.getCa() != null) {
            var ca = tls.getCa();
            VolumeBuilder volume = new VolumeBuilder().withName(TLS_CA_VOLUME);
            if (ca.getConfigMapKeyRef() != null) {
                volume.withNewConfigMap().withName(ca.getConfigMapKeyRef().getName()).withDefaultMode(0444)
                        .addNewItem().withKey(ca.getConfigMapKeyRef().getKey()).withPath(CA_FILE).endItem().endConfigMap();
            } else {
                volume.withNewSecret().withSecretName(ca.getSecretKeyRef().getName()).withDefaultMode(0444)
                        .addNewItem().withKey(ca.getSecretKeyRef().getKey()).withPath(CA_FILE).endItem().endSecret();
            }
            volumes.add(volume.build());
            mounts.add(mount(TLS_CA_VOLUME, TLS_CA_DIR, true));
        }
        if (tls.getClientCertificate() != null) {
            var client = tls.getClientCertificate();
            volumes.add(new VolumeBuilder().withName(TLS_CLIENT_VOLUME)
                    .withNewSecret().withSecretName(client.getSecretName()).withDefaultMode(0444)
                        .addNewItem().withKey(client.certificateKeyOrDefault()).withPath(CERT_FILE).endItem()
                        .addNewItem().withKey(client.keyKeyOrDefault()).withPath(KEY_FILE).endItem()
                    .endSecret().build());
            mounts.add(mount(TLS_CLIENT_VOLUME, TLS_CLIENT_DIR, true));
        }
        return mounts;
    }

    private static EnvVar secretEnv(String name, String secret, String key) {
        return new EnvVarBuilder().withName(name)
                .withNewValueFrom().withNewSecretKeyRef().withName(secret).withKey(key).withOptional(false)
                .endSecretKeyRef().endValueFrom().build();
    }

    private static VolumeMount mount(String volume, String path, boolean readOnly) {
        return new VolumeMountBuilder().withName(volume).withMountPath(path).withReadOnly(readOnly).build();
    }

    static SecurityContext restrictedContainer() {
        return new SecurityContextBuilder()
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withRunAsNonRoot(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
                .build();
    }

    private static ResourceRequirements defaultResources() {
        return new ResourceRequirementsBuilder()
                .withRequests(Map.of("cpu", new Quantity("100m"), "memory", new Quantity("256Mi")))
                .withLimits(Map.of("memory", new Quantity("512Mi")))
                .build();
    }

    private static ResourceRequirements copyResources() {
        return new ResourceRequirementsBuilder()
                .withRequests(Map.of("cpu", new Quantity("10m"), "memory", new Quantity("16Mi")))
                .withLimits(Map.of("memory", new Quantity("64Mi")))
                .build();
    }

    private static String trimSlash(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }
}
