package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.RunningOperator;
import dev.lockstep.operator.telemetry.Telemetry;
import dev.lockstep.runner.testing.TestDatabase;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.PointData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The operator's metrics on the real control plane, read twice (the SDK's in-memory reader, and a scrape of the
 * real /metrics endpoint parsed as the Prometheus text format): each run counted once, with its attributes and its
 * duration, and not again by a restarted operator; the gauges; the reconcile loop; the probes.
 */
@ExtendWith(ControlPlaneExtension.class)
class ObservabilityApiServerIT {
    private static final Map<String, String> USERS = Migrations.USERS_WITH_CONTRACT;
    private static final Map<String, String> ORDERS = new LinkedHashMap<>();

    static {
        ORDERS.put("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);");
        ORDERS.put("V2__add_total.sql", "ALTER TABLE orders ADD COLUMN total numeric REFERENCES nowhere (id);");
    }

    private static final Map<String, String> USERS_EXPAND = Map.of("lockstep_schemamigration", "users", "step", "expand", "result", "success");
    private static final Map<String, String> USERS_CONTRACT = Map.of("lockstep_schemamigration", "users", "step", "contract", "result", "success");
    private static final Map<String, String> ORDERS_FAILED = Map.of("lockstep_schemamigration", "orders", "step", "expand", "result", "failure",
            "failure_category", "sql");
    private static final Map<String, String> ORDERS_FIXED = Map.of("lockstep_schemamigration", "orders", "step", "expand", "result", "success");

    @Test
    void runsAreCountedOnceInTheSdkAndAtTheScrapeEndpointAlsoAcrossARestart(Cluster cluster) throws Exception {
        TestDatabase users = cluster.databaseWithScripts("users-db", "users-migrations", USERS);
        TestDatabase orders = cluster.databaseWithScripts("orders-db", "orders-migrations", ORDERS);
        InMemoryMetricReader memory = InMemoryMetricReader.create();
        List<String> readiness = new CopyOnWriteArrayList<>();
        AtomicBoolean probing = new AtomicBoolean(true);
        int port = freePort();
        Thread prober = probe(port, readiness, probing);

        RunningOperator operator = cluster.startRunningOperator(telemetry(memory), port);
        probing.set(false);
        prober.join();
        assertThat(readiness).as("/readyz answers while the operator started: not ready until the informers had synced")
                .isNotEmpty().allMatch(a -> a.equals("503 starting: the informers' caches are not synced yet") || a.equals("200 ok"));
        assertThat(readiness.get(0)).startsWith("503 ");
        assertThat(get(operator.port(), "/readyz")).isEqualTo("200 ok");
        assertThat(get(operator.port(), "/healthz")).isEqualTo("200 ok");

        cluster.apply(Migrations.fromConfigMap("users", "latest", users, "users-db", "users-migrations"));
        cluster.apply(Migrations.fromConfigMap("orders", "2", orders, "orders-db", "orders-migrations"));
        SchemaMigration usersReady = cluster.awaitCondition("users", "Ready", "True", "MigrationSucceeded");
        SchemaMigration ordersFailed = cluster.awaitCondition("orders", "Stalled", "True", "MigrationFailed");
        int ordersApplied = ordersFailed.getStatus().getLastRun().getApplied().size();
        assertThat(usersReady.getStatus().getCurrentRevision()).isEqualTo("3");

        // Both readers, the same runs: an expand and a contract run of users, a failed expand run of orders.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Collection<MetricData> data = memory.collectAllMetrics();
            assertThat(sum(data, "lockstep.migration.runs", USERS_EXPAND)).isEqualTo(1);
            assertThat(sum(data, "lockstep.migration.runs", USERS_CONTRACT)).isEqualTo(1);
            assertThat(sum(data, "lockstep.migration.runs", ORDERS_FAILED)).isEqualTo(1);
        });
        Collection<MetricData> data = memory.collectAllMetrics();
        assertThat(points(data, "lockstep.migration.runs")).as("no other run was counted").hasSize(3);
        assertThat(histogramCount(data, "lockstep.migration.duration", USERS_CONTRACT)).isEqualTo(1);
        assertThat(sum(data, "lockstep.migrations.applied", Map.of("lockstep_schemamigration", "users", "direction", "up"))).isEqualTo(3);
        assertThat(sum(data, "lockstep.migrations.applied", Map.of("lockstep_schemamigration", "orders", "direction", "up")))
                .isEqualTo(ordersApplied);

        PrometheusText scrape = PrometheusText.scrape(operator.port());
        assertThat(scrape.value("lockstep_migration_runs_total", USERS_EXPAND)).isEqualTo(1);
        assertThat(scrape.value("lockstep_migration_runs_total", USERS_CONTRACT)).isEqualTo(1);
        assertThat(scrape.value("lockstep_migration_runs_total", ORDERS_FAILED)).isEqualTo(1);
        assertThat(scrape.all("lockstep_migration_runs_total")).hasSize(3)
                .allSatisfy(s -> assertThat(s.labels()).containsEntry("k8s_namespace_name", cluster.namespace()));
        assertThat(scrape.value("lockstep_migration_duration_seconds_count", ORDERS_FAILED)).isEqualTo(1);
        assertThat(scrape.value("lockstep_migration_duration_seconds_bucket", with(ORDERS_FAILED, "le", "+Inf"))).isEqualTo(1);
        assertThat(scrape.value("lockstep_migration_duration_seconds_bucket", with(ORDERS_FAILED, "le", "0.1")))
                .as("a run takes more than 100 ms from its Job's creation").isEqualTo(0);
        assertThat(scrape.value("lockstep_migrations_applied_total", Map.of("lockstep_schemamigration", "users", "direction", "up")))
                .isEqualTo(3);
        assertThat(scrape.value("lockstep_schemamigrations", Map.of("phase", "Ready"))).isEqualTo(1);
        assertThat(scrape.value("lockstep_schemamigrations", Map.of("phase", "Failed"))).isEqualTo(1);
        assertThat(scrape.value("lockstep_schemamigration_not_ready_seconds", Map.of("lockstep_schemamigration", "users"))).isEqualTo(0);
        assertThat(scrape.value("lockstep_schemamigration_not_ready_seconds", Map.of("lockstep_schemamigration", "orders")))
                .isGreaterThan(0);
        assertThat(scrape.value("lockstep_reconcile_duration_seconds_count", Map.of("controller", "schemamigration",
                "operation", "reconcile", "outcome", "success"))).isGreaterThan(0);
        assertThat(scrape.text()).doesNotContain("jdbc:", "password", "postgresql://");

        // Events agree: each counted run's result has its one Event.
        assertThat(cluster.eventCount("users", "MigrationSucceeded")).isEqualTo(1);
        assertThat(cluster.eventCount("orders", "MigrationFailed")).isEqualTo(1);

        // A restarted operator finds the results in status: it counts none of them again.
        cluster.stop(operator);
        InMemoryMetricReader afterRestart = InMemoryMetricReader.create();
        RunningOperator restarted = cluster.startRunningOperator(telemetry(afterRestart), 0);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(PrometheusText.scrape(restarted.port())
                .value("lockstep_reconcile_duration_seconds_count", Map.of("controller", "schemamigration"))).isGreaterThanOrEqualTo(2));
        assertThat(points(afterRestart.collectAllMetrics(), "lockstep.migration.runs")).isEmpty();

        // A run after the restart is counted by the new operator, once.
        cluster.client().configMaps().inNamespace(cluster.namespace()).withName("orders-migrations")
                .edit(cm -> { cm.getData().put("V2__add_total.sql", "ALTER TABLE orders ADD COLUMN total numeric;"); return cm; });
        cluster.awaitCondition("orders", "Ready", "True", "MigrationSucceeded");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(sum(afterRestart.collectAllMetrics(), "lockstep.migration.runs", ORDERS_FIXED)).isEqualTo(1));
        assertThat(points(afterRestart.collectAllMetrics(), "lockstep.migration.runs")).hasSize(1);
        PrometheusText again = PrometheusText.scrape(restarted.port());
        assertThat(again.all("lockstep_migration_runs_total")).singleElement()
                .satisfies(s -> assertThat(s.has(ORDERS_FIXED)).isTrue())
                .satisfies(s -> assertThat(s.value()).isEqualTo(1));
        assertThat(again.value("lockstep_schemamigrations", Map.of("phase", "Ready"))).isEqualTo(2);
        assertThat(cluster.eventCount("orders", "MigrationSucceeded")).isEqualTo(1);

        // An operator that has stopped is not live.
        restarted.operator().stop();
        assertThat(get(restarted.port(), "/healthz")).isEqualTo("503 stopped");
        assertThat(get(restarted.port(), "/readyz")).isEqualTo("503 stopped");
    }

    /** The replica without the Lease is live and ready, says it is on standby, and reports no gauges until it leads. */
    @Test
    void aStandbyReplicaSaysSoAndReportsTheGaugesOnceItLeads(Cluster cluster) throws Exception {
        TestDatabase db = cluster.databaseWithScripts("users-db", "users-migrations", USERS);
        RunningOperator a = cluster.startRunningOperator(Telemetry.disabled(), 0, lease(cluster, "a"));
        await().atMost(Duration.ofSeconds(20)).until(() -> get(a.port(), "/readyz").equals("200 ok (leader)"));
        RunningOperator b = cluster.startRunningOperator(Telemetry.autoConfigured(), 0, lease(cluster, "b"));
        assertThat(get(b.port(), "/healthz")).isEqualTo("200 ok (standby: another replica holds the Lease)");
        assertThat(get(b.port(), "/readyz")).isEqualTo("200 ok (standby: another replica holds the Lease)");

        cluster.apply(Migrations.fromConfigMap("users", "latest", db, "users-db", "users-migrations"));
        cluster.awaitCondition("users", "Ready", "True", "MigrationSucceeded");
        assertThat(PrometheusText.scrape(b.port()).all("lockstep_schemamigrations")).as("a standby's gauges").isEmpty();

        cluster.stop(a);
        await().atMost(Duration.ofSeconds(30)).until(() -> get(b.port(), "/readyz").equals("200 ok (leader)"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(PrometheusText.scrape(b.port())
                .value("lockstep_schemamigrations", Map.of("phase", "Ready"))).isEqualTo(1));
        assertThat(PrometheusText.scrape(b.port()).all("lockstep_migration_runs_total"))
                .as("the runs were recorded by the other replica").isEmpty();
    }

    private static LeaderElectionConfiguration lease(Cluster cluster, String identity) {
        return new LeaderElectionConfiguration("lockstep-operator", cluster.namespace(), Duration.ofSeconds(4),
                Duration.ofSeconds(3), Duration.ofMillis(500), identity, null, false);
    }

    private static Telemetry telemetry(InMemoryMetricReader reader) {
        return Telemetry.autoConfigured(b -> b.addMeterProviderCustomizer((m, c) -> m.registerMetricReader(reader)));
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Asks /readyz over and over, from before the server listens until {@code probing} is cleared. */
    private static Thread probe(int port, List<String> answers, AtomicBoolean probing) {
        Thread t = new Thread(() -> {
            while (probing.get()) {
                try {
                    answers.add(get(port, "/readyz"));
                } catch (java.net.ConnectException e) {
                    Thread.onSpinWait(); // not listening yet
                } catch (Exception e) {
                    answers.add("error " + e);
                }
            }
        }, "readyz-probe");
        t.start();
        return t;
    }

    private static String get(int port, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body().strip();
    }

    private static Map<String, String> with(Map<String, String> labels, String key, String value) {
        Map<String, String> all = new LinkedHashMap<>(labels);
        all.put(key, value);
        return all;
    }

    private static List<PointData> points(Collection<MetricData> data, String name) {
        List<PointData> points = new ArrayList<>();
        data.stream().filter(m -> m.getName().equals(name)).forEach(m -> points.addAll(m.getData().getPoints()));
        return points;
    }

    /** The OTel attribute keys of Prometheus label names (dots became underscores). */
    private static boolean matches(Attributes attributes, Map<String, String> labels) {
        Map<String, String> flat = new LinkedHashMap<>();
        attributes.forEach((k, v) -> flat.put(k.getKey().replace('.', '_'), String.valueOf(v)));
        return labels.entrySet().stream().allMatch(e -> e.getValue().equals(flat.get(e.getKey())));
    }

    private static long sum(Collection<MetricData> data, String name, Map<String, String> labels) {
        return points(data, name).stream().filter(p -> matches(p.getAttributes(), labels))
                .mapToLong(p -> ((io.opentelemetry.sdk.metrics.data.LongPointData) p).getValue()).sum();
    }

    private static long histogramCount(Collection<MetricData> data, String name, Map<String, String> labels) {
        return points(data, name).stream().filter(p -> matches(p.getAttributes(), labels))
                .mapToLong(p -> ((io.opentelemetry.sdk.metrics.data.HistogramPointData) p).getCount()).sum();
    }

}
