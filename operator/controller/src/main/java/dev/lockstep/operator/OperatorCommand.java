package dev.lockstep.operator;

import dev.lockstep.common.DurationConverter;
import dev.lockstep.operator.decide.DatabaseRetry;
import dev.lockstep.operator.gate.PodGateReconciler;
import dev.lockstep.operator.jobs.RunnerPodDefaults;
import dev.lockstep.operator.telemetry.LogFormat;
import dev.lockstep.operator.telemetry.Telemetry;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `lockstep operator`: runs the controller against the cluster of the current kubeconfig or service account. */
@Command(name = "operator", mixinStandardHelpOptions = true,
        description = "Run the operator: reconcile SchemaMigrations by running runner Jobs. Uses the in-cluster "
                + "service account, or the current kubeconfig context outside a cluster.")
public class OperatorCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(OperatorCommand.class);

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--runner-image", defaultValue = "${env:LOCKSTEP_RUNNER_IMAGE}", required = true,
            description = "Image of runner pods (this operator's own image). Env: LOCKSTEP_RUNNER_IMAGE.")
    String runnerImage;

    @Option(names = "--runner-image-pull-policy", defaultValue = "${env:LOCKSTEP_RUNNER_IMAGE_PULL_POLICY:-IfNotPresent}",
            description = "Pull policy of runner pods. Default: ${DEFAULT-VALUE}.")
    String runnerImagePullPolicy;

    @Option(names = "--runner-pod-annotation", paramLabel = "KEY=VALUE",
            description = "An annotation every runner pod gets; repeatable. E.g. sidecar.istio.io/inject=false and"
                    + " linkerd.io/inject=disabled, so a service mesh's sidecar does not keep a finished runner's pod running.")
    Map<String, String> runnerPodAnnotations;

    @Option(names = "--runner-service-account", defaultValue = "${env:LOCKSTEP_RUNNER_SERVICE_ACCOUNT}", paramLabel = "NAME",
            description = "ServiceAccount of runner pods whose SchemaMigration names none (spec.runner.serviceAccountName)."
                    + " It must exist in each namespace (the chart makes it); a missing one stalls the SchemaMigration with"
                    + " reason ServiceAccountNotFound. Default: the namespace's default. Env: LOCKSTEP_RUNNER_SERVICE_ACCOUNT.")
    String runnerServiceAccount;

    @Option(names = "--runner-run-as-user", defaultValue = "65532", paramLabel = "UID|auto",
            description = "User of runner pods; auto leaves it to the image or the cluster (OpenShift assigns one from the"
                    + " namespace's range). Default: ${DEFAULT-VALUE}.")
    String runnerRunAsUser;

    @Option(names = "--runner-run-as-group", defaultValue = "65532", paramLabel = "GID|auto",
            description = "Group of runner pods; auto as for the user. Default: ${DEFAULT-VALUE}.")
    String runnerRunAsGroup;

    @Option(names = "--runner-fs-group", defaultValue = "none", paramLabel = "GID|none",
            description = "fsGroup of runner pods (the group that owns their volumes). Default: ${DEFAULT-VALUE}.")
    String runnerFsGroup;

    @Option(names = "--runner-seccomp-profile", defaultValue = "RuntimeDefault", paramLabel = "RuntimeDefault|Localhost/PATH",
            description = "Seccomp profile of runner pods. Default: ${DEFAULT-VALUE}.")
    String runnerSeccompProfile;

    @Option(names = "--runner-pod-template", defaultValue = "${env:LOCKSTEP_RUNNER_POD_TEMPLATE}", paramLabel = "FILE",
            description = "YAML or JSON of the shape of spec.runner.podTemplate that every runner pod gets (tolerations, a"
                    + " nodeSelector, pull secrets, extra env and volumes…), under each SchemaMigration's own. Checked at"
                    + " start by the same rules. Env: LOCKSTEP_RUNNER_POD_TEMPLATE.")
    java.nio.file.Path runnerPodTemplate;

    @Option(names = "--namespaces", split = ",", defaultValue = "${env:LOCKSTEP_WATCH_NAMESPACES}",
            description = "Namespaces to watch, comma-separated. Default: all. Env: LOCKSTEP_WATCH_NAMESPACES.")
    List<String> namespaces;

    @Option(names = "--leader-election", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Take a Lease before acting, so only one of several replicas works. Default: ${DEFAULT-VALUE}.")
    boolean leaderElection;

    @Option(names = "--lease-name", defaultValue = "lockstep-operator", description = "Name of the Lease. Default: ${DEFAULT-VALUE}.")
    String leaseName;

    @Option(names = "--lease-namespace", defaultValue = "${env:POD_NAMESPACE}",
            description = "Namespace of the Lease. Default: the operator pod's namespace (env POD_NAMESPACE).")
    String leaseNamespace;

    @Option(names = "--database-retry-delay", defaultValue = "10s", converter = DurationConverter.class,
            description = "Wait after a run that found the database unavailable and changed nothing, before the next attempt;"
                    + " doubled after each such run. Default: ${DEFAULT-VALUE}.")
    Duration databaseRetryDelay;

    @Option(names = "--database-retry-max-delay", defaultValue = "5m", converter = DurationConverter.class,
            description = "Longest wait between two such attempts. Default: ${DEFAULT-VALUE}.")
    Duration databaseRetryMaxDelay;

    @Option(names = "--database-retries", defaultValue = "20",
            description = "Runs in a row that may find the database unavailable before the SchemaMigration is Stalled with"
                    + " reason DatabaseUnavailable (about 80 minutes with the default delays). Default: ${DEFAULT-VALUE}.")
    int databaseRetries;

    @Option(names = "--metrics-port", defaultValue = "${env:LOCKSTEP_METRICS_PORT:-8080}",
            description = "Port of the HTTP server with /metrics (Prometheus), /healthz and /readyz; 0 picks a free port."
                    + " Default: ${DEFAULT-VALUE}. Env: LOCKSTEP_METRICS_PORT.")
    int metricsPort;

    @Option(names = "--metrics-address", defaultValue = "${env:LOCKSTEP_METRICS_ADDRESS:-0.0.0.0}",
            description = "Address that server listens on. Default: ${DEFAULT-VALUE} (all interfaces).")
    String metricsAddress;

    @Option(names = "--log-format", defaultValue = "${env:LOCKSTEP_LOG_FORMAT:-text}",
            description = "text (one line per message) or json (one JSON object per line, with the reconciled resource's"
                    + " namespace, name and revision under mdc). Default: ${DEFAULT-VALUE}. Env: LOCKSTEP_LOG_FORMAT.")
    String logFormat;

    @Override
    public Integer call() throws InterruptedException, java.io.IOException {
        try {
            LogFormat.of(logFormat).apply();
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        OperatorSettings settings;
        try {
            settings = settings();
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (metricsPort < 0 || metricsPort > 65535) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--metrics-port must be a port number (0 to 65535), not " + metricsPort);
        }
        KubernetesClient client = new KubernetesClientBuilder().build();
        RunningOperator running = RunningOperator.start(client, settings,
                namespaces, leaderElection ? new LeaderElectionConfiguration(leaseName, leaseNamespace) : null,
                Telemetry.autoConfigured(), metricsAddress, metricsPort);
        Runtime.getRuntime().addShutdownHook(new Thread(running::close, "lockstep-shutdown"));
        LOG.info("lockstep operator started (namespaces: {}, leader election: {})",
                namespaces == null || namespaces.isEmpty() ? "all" : namespaces, leaderElection ? leaseName : "off");
        new CountDownLatch(1).await();
        return 0;
    }

    /**
     * The settings the parsed flags give.
     *
     * @throws IllegalArgumentException naming the flag whose value is wrong
     */
    public OperatorSettings settings() {
        var runnerPod = new RunnerPodDefaults(runnerServiceAccount,
                RunnerPodDefaults.id("--runner-run-as-user", runnerRunAsUser, "auto"),
                RunnerPodDefaults.id("--runner-run-as-group", runnerRunAsGroup, "auto"),
                RunnerPodDefaults.id("--runner-fs-group", runnerFsGroup, "none"), runnerSeccompProfile,
                RunnerPodDefaults.template(runnerPodTemplate));
        return new OperatorSettings(runnerImage, runnerImagePullPolicy,
                new DatabaseRetry(databaseRetryDelay, databaseRetryMaxDelay, databaseRetries), runnerPodAnnotations, runnerPod);
    }

    /** Builds, registers and starts the operator; tests use this with their own client. */
    public static Operator start(KubernetesClient client, OperatorSettings settings, List<String> namespaces,
                                 LeaderElectionConfiguration leaderElection) {
        return start(client, settings, namespaces, leaderElection, true);
    }

    public static Operator start(KubernetesClient client, OperatorSettings settings, List<String> namespaces,
                                 LeaderElectionConfiguration leaderElection, boolean serverSideApplyStatus) {
        return start(client, new SchemaMigrationReconciler(settings, Clock.systemUTC()), namespaces, leaderElection,
                serverSideApplyStatus);
    }

    /** With a reconciler of the caller's, e.g. one that counts its calls. */
    public static Operator start(KubernetesClient client, SchemaMigrationReconciler reconciler, List<String> namespaces,
                                 LeaderElectionConfiguration leaderElection, boolean serverSideApplyStatus) {
        return start(client, reconciler, namespaces, leaderElection, serverSideApplyStatus, Metrics.NOOP);
    }

    /** @param metrics the reconcile loop's metrics (see {@link dev.lockstep.operator.telemetry.ReconcileMetrics}) */
    public static Operator start(KubernetesClient client, SchemaMigrationReconciler reconciler, List<String> namespaces,
                                 LeaderElectionConfiguration leaderElection, boolean serverSideApplyStatus, Metrics metrics) {
        Operator operator = new Operator(o -> {
            // The caller owns the client: tests reuse theirs across operator restarts.
            o.withKubernetesClient(client).withCloseClientOnStop(false).withUseSSAToPatchPrimaryResource(serverSideApplyStatus)
                    .withMetrics(metrics);
            if (leaderElection != null) {
                o.withLeaderElectionConfiguration(leaderElection);
            }
        });
        operator.register(reconciler, c -> {
            if (namespaces != null && !namespaces.isEmpty()) {
                c.settingNamespaces(namespaces.toArray(String[]::new));
            }
        });
        operator.register(new PodGateReconciler(Clock.systemUTC()), c -> {
            if (namespaces != null && !namespaces.isEmpty()) {
                c.settingNamespaces(namespaces.toArray(String[]::new));
            }
        });
        operator.start();
        return operator;
    }
}
