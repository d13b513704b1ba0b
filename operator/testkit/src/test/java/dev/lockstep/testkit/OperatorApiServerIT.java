package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.OperatorCommand;
import dev.lockstep.operator.OperatorSettings;
import dev.lockstep.operator.SchemaMigrationReconciler;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The operator as a Kubernetes citizen: CRD schema, printer columns, kubectl wait, restarts, leader election. */
@ExtendWith(ControlPlaneExtension.class)
class OperatorApiServerIT {

    @Test
    void crdSchemaRejectsInvalidSpecsOnTheServer(Cluster cluster) {
        GenericKubernetesResource bad = new GenericKubernetesResource();
        bad.setApiVersion("lockstep.dev/v1alpha1");
        bad.setKind("SchemaMigration");
        bad.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("bad").withNamespace(cluster.namespace()).build());
        bad.setAdditionalProperty("spec", Map.of("targetRevision", "v7",
                "database", Map.of("url", "jdbc:postgresql://user:pw@db:5432/x", "credentialsSecretRef", Map.of()),
                "source", Map.of("configMapRef", Map.of("name", "m"))));

        assertThatThrownBy(() -> cluster.client().resource(bad).create())
                .isInstanceOf(KubernetesClientException.class)
                .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
                .hasMessageContaining("spec.targetRevision")
                .hasMessageContaining("spec.database.url")
                .hasMessageContaining("spec.database.credentialsSecretRef.name: Required value");
    }

    @Test
    void printerColumnsAndKubectlWaitWork(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
        cluster.startOperator();
        cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations"));

        ControlPlane.Result wait = cluster.controlPlane().kubectl("-n", cluster.namespace(), "wait", "--for=condition=Ready",
                "sm/accounts", "--timeout=90s");
        assertThat(wait.exit()).as(wait.output()).isZero();
        assertThat(wait.stdout()).contains("condition met");

        ControlPlane.Result get = cluster.controlPlane().kubectl("-n", cluster.namespace(), "get", "sm");
        List<String> lines = get.stdout().lines().toList();
        assertThat(lines.get(0).split("\\s+")).containsExactly("NAME", "AGE", "TARGET", "READY", "CURRENT", "PHASE");
        assertThat(lines.get(1).split("\\s+")).startsWith("accounts").contains("6", "True", "Ready");
        assertThat(cluster.controlPlane().kubectl("-n", cluster.namespace(), "get", "schemamigrations", "accounts").exit()).isZero();
    }

    @Test
    void restartedOperatorAdoptsItsRunningJobAndLeavesStatusAlone(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
        // Hold the runner pod back long enough to restart the operator mid-run.
        cluster.kubelet().delayStart(LocalKubelet.inNamespace(cluster.namespace()), Duration.ofSeconds(4));
        Operator first = cluster.startOperator();
        cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations"));
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.jobs().size() == 1);
        String job = cluster.jobs().get(0).getMetadata().getName();

        cluster.stop(first);
        Operator second = cluster.startOperator();

        SchemaMigration ready = cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
        assertThat(cluster.jobs()).extracting(j -> j.getMetadata().getName()).containsExactly(job);
        assertThat(ready.getStatus().getLastRun().getJob()).isEqualTo(job);

        String since = Cluster.condition(ready, "Ready").orElseThrow().getLastTransitionTime();
        String resourceVersion = ready.getMetadata().getResourceVersion();
        cluster.stop(second);
        Operator third = cluster.startOperator();
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> cluster.jobs().size() == 1);
        SchemaMigration after = cluster.get("accounts");
        assertThat(Cluster.condition(after, "Ready").orElseThrow().getLastTransitionTime()).isEqualTo(since);
        assertThat(after.getStatus().getCurrentRevision()).isEqualTo("6");
        assertThat(after.getMetadata().getResourceVersion()).as("a restart writes nothing new").isEqualTo(resourceVersion);
        cluster.stop(third);
    }

    /**
     * A reconciler whose first status writes lose the optimistic lock: something else changes the resource (here a
     * label) after the framework read it and before the reconcile writes its status, which the API server answers
     * with 409.
     */
    static final class ConflictingReconciler extends SchemaMigrationReconciler {
        final AtomicInteger conflicts = new AtomicInteger();
        final List<Exception> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final KubernetesClient other;

        ConflictingReconciler(KubernetesClient other) {
            super(Cluster.SETTINGS, Clock.systemUTC());
            this.other = other;
        }

        @Override
        public UpdateControl<SchemaMigration> reconcile(SchemaMigration sm, Context<SchemaMigration> context) {
            if (conflicts.get() < 3) {
                int n = conflicts.incrementAndGet();
                other.resources(SchemaMigration.class).inNamespace(sm.getMetadata().getNamespace()).withName(sm.getMetadata().getName())
                        .edit(current -> { current.getMetadata().getLabels().put("touched", Integer.toString(n)); return current; });
            }
            return super.reconcile(sm, context);
        }

        @Override
        public io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl<SchemaMigration> updateErrorStatus(
                SchemaMigration sm, Context<SchemaMigration> context, Exception e) {
            errors.add(e);
            return super.updateErrorStatus(sm, context, e);
        }
    }

    /** A client that counts the answers of each status write it sends, by HTTP code. */
    static KubernetesClient countingStatusWrites(Cluster cluster, Map<Integer, AtomicInteger> answers) {
        try {
            java.nio.file.Path kubeconfig = cluster.controlPlane().kubeconfig();
            var config = io.fabric8.kubernetes.client.Config.fromKubeconfig(null, java.nio.file.Files.readString(kubeconfig), kubeconfig.toString());
            return new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(config)
                    .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("status-writes", new io.fabric8.kubernetes.client.http.Interceptor() {
                        @Override
                        public void after(io.fabric8.kubernetes.client.http.HttpRequest request,
                                          io.fabric8.kubernetes.client.http.HttpResponse<?> response,
                                          io.fabric8.kubernetes.client.http.AsyncBody.Consumer<List<java.nio.ByteBuffer>> consumer) {
                            if (!request.method().equals("GET") && request.uri().getPath().endsWith("/status")
                                    && request.uri().getPath().contains("/schemamigrations/")) {
                                answers.computeIfAbsent(response.code(), k -> new AtomicInteger()).incrementAndGet();
                                // The method, under a negative key: -1 for PATCH, -2 for PUT.
                                answers.computeIfAbsent(request.method().equals("PUT") ? -2 : -1, k -> new AtomicInteger()).incrementAndGet();
                            }
                        }
                    })).build();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aStatusWriteThatLosesAConflictIsDecidedAgainAtOnceWithoutASecondEventOrAnErrorInStatus(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
        Map<Integer, AtomicInteger> answers = new java.util.concurrent.ConcurrentHashMap<>();
        KubernetesClient client = countingStatusWrites(cluster, answers);
        ConflictingReconciler reconciler = new ConflictingReconciler(cluster.client());
        Operator operator = OperatorCommand.start(client, reconciler, List.of(cluster.namespace()), null, true);
        try {
            SchemaMigration sm = Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations");
            sm.getMetadata().setLabels(new java.util.HashMap<>(Map.of("app", "accounts")));
            cluster.apply(sm);

            SchemaMigration ready = cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded", Duration.ofSeconds(90));
            assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("6");
            assertThat(reconciler.conflicts).hasValue(3);
            // Each edit makes the next status write lose its conflict, unless that reconcile had nothing to write.
            assertThat(answers.get(409)).as("the status writes that lost their conflicts").isNotNull()
                    .satisfies(n -> assertThat(n.get()).isBetween(1, 3));
            assertThat(reconciler.errors).as("each conflict decided again in the same reconcile, none left to the retry").isEmpty();
            // An Event tells a transition status holds: when the Job's creation lost its status write and the decision
            // made again already saw the runner running, status never said Pending, and neither does an Event.
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                List<io.fabric8.kubernetes.api.model.Event> events = cluster.events("accounts");
                assertThat(events).extracting(io.fabric8.kubernetes.api.model.Event::getReason)
                        .doesNotHaveDuplicates().contains("MigrationSucceeded").doesNotContain("ApiRequestFailed");
                assertThat(events).allSatisfy(e -> assertThat(e.getCount()).isEqualTo(1));
            });
            assertThat(Cluster.condition(ready, "Reconciling").orElseThrow().getReason()).isEqualTo("MigrationSucceeded");
        } finally {
            operator.stop();
            client.close();
        }
    }

    @Test
    void aReconcileWritesNoStatusWhenNothingChangedAndNoneLosesAConflictToTheOperatorsOwnWrite(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
        Map<Integer, AtomicInteger> answers = new java.util.concurrent.ConcurrentHashMap<>();
        KubernetesClient client = countingStatusWrites(cluster, answers);
        CountingReconciler reconciler = new CountingReconciler();
        Operator operator = OperatorCommand.start(client, reconciler, List.of(cluster.namespace()), null, true);
        try {
            cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations"));
            cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded", Duration.ofSeconds(90));
            int written = settled(answers.get(200));
            int calls = reconciler.calls.get();
            // A change that wakes a reconcile and changes nothing it decides: an annotation on the runner Job.
            var job = cluster.client().batch().v1().jobs().inNamespace(cluster.namespace()).list().getItems().get(0);
            cluster.client().batch().v1().jobs().inNamespace(cluster.namespace()).withName(job.getMetadata().getName())
                    .edit(j -> { j.getMetadata().getAnnotations().put("example.com/touched", "yes"); return j; });
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(reconciler.calls.get()).isGreaterThan(calls));
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(answers.get(200).get()).as("status writes after a reconcile that changed nothing").isEqualTo(written));
            assertThat(answers).as("no status write lost a conflict to the operator's own last write").doesNotContainKey(409);
        } finally {
            operator.stop();
            client.close();
        }
    }

    @Test
    void withoutServerSideApplyTheStatusIsReplacedUnderTheSameLock(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
        Map<Integer, AtomicInteger> answers = new java.util.concurrent.ConcurrentHashMap<>();
        KubernetesClient client = countingStatusWrites(cluster, answers);
        Operator operator = OperatorCommand.start(client, new CountingReconciler(), List.of(cluster.namespace()), null, false);
        try {
            cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations"));
            SchemaMigration ready = cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded", Duration.ofSeconds(90));
            assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("6");
            assertThat(answers).as("status replaced (PUT), never applied").containsKey(-2).doesNotContainKey(-1)
                    .doesNotContainKey(409);
        } finally {
            operator.stop();
            client.close();
        }
    }

    /** The counter's value once it has not moved for two seconds: the writes that follow Ready are done. */
    private static int settled(AtomicInteger counter) {
        int[] last = {-1};
        long[] since = {System.nanoTime()};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            int now = counter.get();
            if (now != last[0]) {
                last[0] = now;
                since[0] = System.nanoTime();
            }
            return System.nanoTime() - since[0] >= Duration.ofSeconds(2).toNanos();
        });
        return last[0];
    }

    /** A reconciler that counts its calls, to tell which of two operators acted. */
    static final class CountingReconciler extends SchemaMigrationReconciler {
        final AtomicInteger calls = new AtomicInteger();

        CountingReconciler() {
            super(new OperatorSettings(Cluster.RUNNER_IMAGE, "IfNotPresent"), Clock.systemUTC());
        }

        @Override
        public UpdateControl<SchemaMigration> reconcile(SchemaMigration sm, Context<SchemaMigration> context) {
            calls.incrementAndGet();
            return super.reconcile(sm, context);
        }
    }

    @Test
    void withLeaderElectionOnlyOneOfTwoOperatorsActsAndTheOtherTakesOver(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
        KubernetesClient clientA = cluster.controlPlane().client();
        KubernetesClient clientB = cluster.controlPlane().client();
        CountingReconciler a = new CountingReconciler();
        CountingReconciler b = new CountingReconciler();
        Operator operatorA = OperatorCommand.start(clientA, a, List.of(cluster.namespace()), lease(cluster, "a"), true);
        await().atMost(Duration.ofSeconds(20)).until(() -> "a".equals(holder(cluster)));
        Operator operatorB = OperatorCommand.start(clientB, b, List.of(cluster.namespace()), lease(cluster, "b"), true);
        try {
            cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations"));
            cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
            assertThat(a.calls.get()).isPositive();
            assertThat(b.calls.get()).isZero();
            assertThat(cluster.jobs()).hasSize(1);

            operatorA.stop();
            await().atMost(Duration.ofSeconds(30)).until(() -> "b".equals(holder(cluster)));
            TestDatabase second = cluster.database();
            cluster.credentialsSecret("second-db", second);
            cluster.apply(Migrations.fromConfigMap("second", "2", second, "second-db", "accounts-migrations"));
            cluster.awaitCondition("second", "Ready", "True", "MigrationSucceeded");
            assertThat(b.calls.get()).isPositive();
            assertThat(cluster.jobs()).hasSize(2);
        } finally {
            operatorB.stop();
            clientA.close();
            clientB.close();
        }
    }

    private static LeaderElectionConfiguration lease(Cluster cluster, String identity) {
        return new LeaderElectionConfiguration("lockstep-operator", cluster.namespace(), Duration.ofSeconds(4),
                Duration.ofSeconds(3), Duration.ofMillis(500), identity, null, false);
    }

    private static String holder(Cluster cluster) {
        Lease lease = cluster.client().leases().inNamespace(cluster.namespace()).withName("lockstep-operator").get();
        return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
    }
}
