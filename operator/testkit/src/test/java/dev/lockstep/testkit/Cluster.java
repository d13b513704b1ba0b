package dev.lockstep.testkit;

import static org.awaitility.Awaitility.await;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.OperatorCommand;
import dev.lockstep.operator.OperatorSettings;
import dev.lockstep.operator.RunningOperator;
import dev.lockstep.operator.telemetry.Telemetry;
import dev.lockstep.runner.testing.TestDatabase;
import dev.lockstep.runner.testing.TestPostgres;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One test's view of the shared control plane: its namespace, its operators, its databases. */
public final class Cluster {
    public static final String RUNNER_IMAGE = "lockstep:test";
    public static final Path MIGRATIONS = ControlPlaneExtension.REPO.resolve("migrations");
    /** The shipped settings, but a database outage is retried after 2 s (then 4, 8, 10 s) instead of 10 s (up to 5 min). */
    public static final OperatorSettings SETTINGS = new OperatorSettings(RUNNER_IMAGE, "IfNotPresent",
            new dev.lockstep.operator.decide.DatabaseRetry(Duration.ofSeconds(2), Duration.ofSeconds(10), 20));

    private final ControlPlaneExtension.Shared shared;
    private final String namespace;
    private final Map<Operator, KubernetesClient> operators = new LinkedHashMap<>();
    private final Map<RunningOperator, KubernetesClient> running = new LinkedHashMap<>();
    private final List<TestDatabase> databases = new ArrayList<>();

    Cluster(ControlPlaneExtension.Shared shared, String namespace) {
        this.shared = shared;
        this.namespace = namespace;
    }

    public String namespace() { return namespace; }
    public KubernetesClient client() { return shared.client(); }
    public LocalKubelet kubelet() { return shared.kubelet(); }
    public ControlPlane controlPlane() { return shared.controlPlane(); }

    /** The operator, in this JVM, watching this test's namespace. */
    public Operator startOperator() {
        return startOperator(null);
    }

    public Operator startOperator(LeaderElectionConfiguration leaderElection) {
        // Each operator has a client of its own, as separate processes would.
        KubernetesClient client = shared.controlPlane().client();
        Operator operator = OperatorCommand.start(client, SETTINGS,
                List.of(namespace), leaderElection);
        operators.put(operator, client);
        return operator;
    }

    /** The operator watching every namespace, as the shipped manifest runs it. */
    public Operator startOperatorForAllNamespaces() {
        KubernetesClient client = shared.controlPlane().client();
        Operator operator = OperatorCommand.start(client, SETTINGS, List.of(), null);
        operators.put(operator, client);
        return operator;
    }

    /**
     * The operator as `lockstep operator` runs it, with its telemetry and its HTTP server (/metrics, /healthz, /readyz)
     * on {@code port} of 127.0.0.1 (0: any free one).
     */
    public RunningOperator startRunningOperator(Telemetry telemetry, int port) {
        return startRunningOperator(telemetry, port, null);
    }

    public RunningOperator startRunningOperator(Telemetry telemetry, int port, LeaderElectionConfiguration leaderElection) {
        KubernetesClient client = shared.controlPlane().client();
        RunningOperator operator = RunningOperator.start(client, SETTINGS, List.of(namespace), leaderElection, telemetry,
                "127.0.0.1", port);
        running.put(operator, client);
        return operator;
    }

    public void stop(RunningOperator operator) {
        operator.close();
        KubernetesClient client = running.remove(operator);
        if (client != null) {
            client.close();
        }
    }

    public void stop(Operator operator) {
        operator.stop();
        KubernetesClient client = operators.remove(operator);
        if (client != null) {
            client.close();
        }
    }

    public TestDatabase database() {
        TestDatabase db = TestPostgres.createDatabase();
        databases.add(db);
        return db;
    }

    /** A fresh database, a Secret with its login, and a ConfigMap with the scripts in {@code dir}. */
    public TestDatabase databaseWithScripts(String secret, String configMap, Path dir) {
        return databaseWithScripts(secret, configMap, Scripts.read(dir));
    }

    public TestDatabase databaseWithScripts(String secret, String configMap, Map<String, String> scripts) {
        TestDatabase db = database();
        credentialsSecret(secret, db);
        scriptsConfigMap(configMap, scripts);
        return db;
    }

    /** A Secret with the database's login, as a user would make it. */
    public void credentialsSecret(String name, TestDatabase db) {
        client().secrets().inNamespace(namespace).resource(new SecretBuilder().withNewMetadata().withName(name).endMetadata()
                .addToStringData("username", db.username())
                .addToStringData("password", db.password() == null ? "unused-with-trust-auth" : db.password())
                .build()).create();
    }

    /** A ConfigMap of every script in {@code dir}, as `kubectl create configmap --from-file=dir` makes it. */
    public ConfigMap scriptsConfigMap(String name, Path dir) {
        return scriptsConfigMap(name, Scripts.read(dir));
    }

    public ConfigMap scriptsConfigMap(String name, Map<String, String> scripts) {
        ConfigMap cm = new ConfigMapBuilder().withNewMetadata().withName(name).endMetadata().withData(scripts).build();
        return client().configMaps().inNamespace(namespace).resource(cm).createOr(existing -> existing.update());
    }

    /** Replaces a Deployment's pod template by a merge patch, which no concurrent status write can conflict with. */
    public void rollDeployment(String name, io.fabric8.kubernetes.api.model.PodTemplateSpec template) {
        mergePatch(client().apps().deployments().inNamespace(namespace).withName(name), Map.of("spec", Map.of("template", template)));
    }

    /**
     * Changes an object that controllers write too (a Deployment, a StatefulSet, a pod) by a JSON merge patch: it
     * carries no resourceVersion, so a controller's write in between cannot make it fail with a 409, as an edit can.
     */
    public void mergePatch(io.fabric8.kubernetes.client.dsl.Resource<?> resource, Map<String, Object> patch) {
        resource.patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                client().getKubernetesSerialization().asJson(patch));
    }

    public SchemaMigration apply(SchemaMigration sm) {
        sm.getMetadata().setNamespace(namespace);
        return client().resource(sm).inNamespace(namespace).create();
    }

    /**
     * Changes a SchemaMigration as `kubectl edit` would, reading it again when the operator's status write got in
     * between (a 409 on the resourceVersion), as a person would.
     */
    public SchemaMigration editMigration(String name, java.util.function.Consumer<SchemaMigration> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                return client().resources(SchemaMigration.class).inNamespace(namespace).withName(name)
                        .edit(sm -> { change.accept(sm); return sm; });
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    public SchemaMigration get(String name) {
        return client().resources(SchemaMigration.class).inNamespace(namespace).withName(name).get();
    }

    public List<Job> jobs() {
        return client().batch().v1().jobs().inNamespace(namespace).list().getItems();
    }

    public List<Event> events(String involvedName) {
        return client().v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> involvedName.equals(e.getInvolvedObject().getName())).toList();
    }

    /** How many times {@code involvedName}'s Events of {@code reason} were recorded: their counts, summed. */
    public int eventCount(String involvedName, String reason) {
        return events(involvedName).stream().filter(e -> reason.equals(e.getReason()))
                .mapToInt(e -> e.getCount() == null ? 1 : e.getCount()).sum();
    }

    public static Optional<Condition> condition(SchemaMigration sm, String type) {
        if (sm == null || sm.getStatus() == null) {
            return Optional.empty();
        }
        return sm.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    /** Waits until condition {@code type} has {@code status} and {@code reason}; returns the resource then. */
    public SchemaMigration awaitCondition(String name, String type, String status, String reason, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(100)).until(() -> condition(get(name), type)
                .filter(c -> status.equals(c.getStatus()) && reason.equals(c.getReason())).isPresent());
        return get(name);
    }

    public SchemaMigration awaitCondition(String name, String type, String status, String reason) {
        return awaitCondition(name, type, status, reason, Duration.ofSeconds(60));
    }

    void close() {
        for (RunningOperator operator : List.copyOf(running.keySet())) {
            stop(operator);
        }
        for (Operator operator : List.copyOf(operators.keySet())) {
            stop(operator);
        }
        try {
            client().namespaces().withName(namespace).delete();
        } catch (RuntimeException ignored) {
            // the next run starts a new control plane anyway
        }
        databases.forEach(TestDatabase::close);
    }
}
