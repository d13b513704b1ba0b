package dev.lockstep.operator.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.api.v1alpha1.SchemaMigrationStatus;
import dev.lockstep.api.v1alpha1.WorkloadsStatus;
import dev.lockstep.operator.Fixtures;
import dev.lockstep.operator.decide.FinishedRun;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TelemetryTest {
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private Telemetry telemetry;

    @AfterEach
    void close() {
        if (telemetry != null) {
            telemetry.close();
        }
    }

    private Telemetry telemetry(Map<String, String> properties) {
        telemetry = Telemetry.autoConfigured(b -> b
                .addPropertiesSupplier(() -> properties)
                .addMeterProviderCustomizer((m, c) -> m.registerMetricReader(metrics))
                .addTracerProviderCustomizer((t, c) -> t.addSpanProcessor(SimpleSpanProcessor.create(spans))));
        return telemetry;
    }

    private static SchemaMigration orders() {
        SchemaMigration sm = Fixtures.migration("shop", "orders", "6");
        sm.getMetadata().setUid("0b9e-uid");
        return sm;
    }

    @Test
    void withoutAnEndpointNothingIsExportedButTheScrapeEndpointHasEverything() {
        ConfigProperties none = DefaultConfigProperties.createFromMap(Map.of());
        assertThat(Telemetry.defaults(none)).containsEntry("otel.metrics.exporter", "none").containsEntry("otel.traces.exporter", "none");
        ConfigProperties endpoint = DefaultConfigProperties.createFromMap(Map.of("otel.exporter.otlp.endpoint", "http://collector:4318"));
        assertThat(Telemetry.defaults(endpoint)).containsEntry("otel.metrics.exporter", "otlp").containsEntry("otel.traces.exporter", "otlp");
        ConfigProperties chosen = DefaultConfigProperties.createFromMap(Map.of("otel.exporter.otlp.endpoint", "http://collector:4318",
                "otel.metrics.exporter", "none"));
        assertThat(Telemetry.defaults(chosen)).doesNotContainKey("otel.metrics.exporter").containsEntry("otel.traces.exporter", "otlp");

        assertThat(telemetry(Map.of()).tracing()).isFalse();
        assertThat(telemetry.runnerEnvironment()).isEmpty();
    }

    @Test
    void runnerPodsGetTheCollectorsAddressButNeverItsHeaders() {
        ConfigProperties config = DefaultConfigProperties.createFromMap(Map.of(
                "otel.exporter.otlp.endpoint", "http://collector:4318", "otel.exporter.otlp.protocol", "http/protobuf",
                "otel.exporter.otlp.headers", "authorization=Bearer s3cr3t", "otel.traces.exporter", "otlp"));
        Map<String, String> env = Telemetry.runnerEnvironment(config);
        assertThat(env).containsEntry("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
                .containsEntry("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
                .containsEntry("OTEL_TRACES_EXPORTER", "otlp").containsEntry("OTEL_METRICS_EXPORTER", "none")
                .containsEntry("OTEL_SERVICE_NAME", "lockstep-runner")
                .doesNotContainKey("OTEL_EXPORTER_OTLP_HEADERS");
        assertThat(env.values()).noneMatch(v -> v.contains("s3cr3t"));
    }

    @Test
    void aRunIsCountedOnceWithBoundedAttributesAndItsDurationAndScripts() {
        Telemetry t = telemetry(Map.of("otel.traces.exporter", "console"));
        SchemaMigration sm = orders();
        FinishedRun ok = new FinishedRun("orders-6-abc", FinishedRun.EXPAND, true, null, NOW.minusSeconds(12), NOW, 3, 0);
        FinishedRun failed = new FinishedRun("orders-6-abc-2", FinishedRun.EXPAND, false, "sql", NOW.minusMillis(800), NOW, 0, 0);
        t.runs().recorded(sm, List.of(ok));
        t.runs().recorded(sm, List.of(ok)); // a status write that lost a conflict, decided again
        t.runs().recorded(sm, List.of(failed));

        Collection<MetricData> data = metrics.collectAllMetrics();
        Attributes success = Attributes.of(RunMetrics.NAMESPACE, "shop", RunMetrics.SCHEMA_MIGRATION, "orders",
                RunMetrics.STEP, "expand", RunMetrics.RESULT, "success");
        Attributes failure = success.toBuilder().put(RunMetrics.RESULT, "failure").put(RunMetrics.CATEGORY, "sql").build();
        assertThat(longPoints(data, "lockstep.migration.runs")).extracting(LongPointData::getAttributes, LongPointData::getValue)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(success, 1L), org.assertj.core.groups.Tuple.tuple(failure, 1L));
        HistogramPointData okDuration = histogram(data, "lockstep.migration.duration").stream()
                .filter(p -> p.getAttributes().equals(success)).findFirst().orElseThrow();
        assertThat(okDuration.getCount()).isEqualTo(1);
        assertThat(okDuration.getSum()).isEqualTo(12.0);
        assertThat(okDuration.getBoundaries()).isEqualTo(RunMetrics.DURATION_BUCKETS);
        assertThat(longPoints(data, "lockstep.migrations.applied")).singleElement().satisfies(p -> {
            assertThat(p.getValue()).isEqualTo(3);
            assertThat(p.getAttributes().get(RunMetrics.DIRECTION)).isEqualTo("up");
        });

        List<SpanData> ended = spans.getFinishedSpanItems();
        assertThat(ended).hasSize(2);
        SpanData first = ended.get(0);
        assertThat(first.getName()).isEqualTo("lockstep expand");
        assertThat(first.getSpanContext().getTraceId()).isEqualTo(RunSpans.context("0b9e-uid", "orders-6-abc").getTraceId());
        assertThat(first.getSpanContext().getSpanId()).isEqualTo(RunSpans.context("0b9e-uid", "orders-6-abc").getSpanId());
        assertThat(first.getStartEpochNanos()).isEqualTo(NOW.minusSeconds(12).toEpochMilli() * 1_000_000);
        assertThat(first.getEndEpochNanos()).isEqualTo(NOW.toEpochMilli() * 1_000_000);
        assertThat(RunSpans.traceparent("0b9e-uid", "orders-6-abc"))
                .isEqualTo("00-" + first.getTraceId() + "-" + first.getSpanId() + "-01");
        assertThat(ended.get(1).getStatus().getStatusCode()).isEqualTo(io.opentelemetry.api.trace.StatusCode.ERROR);
    }

    @Test
    void gaugesCountPhasesGatedPodsAndTimeNotReadyOnlyOnTheLeader() {
        Telemetry t = telemetry(Map.of());
        SchemaMigration ready = orders();
        ready.setStatus(status(Phase.Ready, "True", "2026-12-01T11:00:00Z", 4, 0));
        SchemaMigration stuck = Fixtures.migration("shop", "billing", "3");
        stuck.setStatus(status(Phase.Migrating, "False", "2026-12-01T11:50:00Z", 2, 2));
        AtomicBoolean leading = new AtomicBoolean(true);
        try (ResourceGauges gauges = new ResourceGauges(t.meter(), () -> List.of(ready, stuck), leading::get, Clock.fixed(NOW, ZoneOffset.UTC))) {
            Collection<MetricData> data = metrics.collectAllMetrics();
            assertThat(longPoints(data, "lockstep.schemamigrations")).hasSize(Phase.values().length)
                    .filteredOn(p -> p.getValue() > 0)
                    .extracting(p -> p.getAttributes().get(ResourceGauges.PHASE) + "=" + p.getValue())
                    .containsExactlyInAnyOrder("Ready=1", "Migrating=1");
            assertThat(longPoints(data, "lockstep.pods.gated"))
                    .extracting(p -> p.getAttributes().get(RunMetrics.SCHEMA_MIGRATION) + " " + p.getAttributes().get(ResourceGauges.STATE)
                            + "=" + p.getValue())
                    .containsExactlyInAnyOrder("orders held=0", "orders released=4", "billing held=2", "billing released=0");
            MetricData notReady = data.stream().filter(m -> m.getName().equals("lockstep.schemamigration.not_ready")).findFirst().orElseThrow();
            assertThat(notReady.getDoubleGaugeData().getPoints())
                    .extracting(p -> p.getAttributes().get(RunMetrics.SCHEMA_MIGRATION) + "=" + p.getValue())
                    .containsExactlyInAnyOrder("orders=0.0", "billing=600.0");

            leading.set(false);
            assertThat(metrics.collectAllMetrics()).noneMatch(m -> m.getName().startsWith("lockstep.schemamigration")
                    || m.getName().equals("lockstep.pods.gated"));
        }
    }

    @Test
    void reconcileFailuresSayWhetherTheyWereConflicts() throws Exception {
        Telemetry t = telemetry(Map.of());
        ReconcileMetrics reconciles = new ReconcileMetrics(t.meter());
        Map<String, Object> metadata = Map.of(io.javaoperatorsdk.operator.api.reconciler.Constants.CONTROLLER_NAME, "schemamigration");
        reconciles.failedReconciliation(orders(), new RuntimeException(new io.fabric8.kubernetes.client.KubernetesClientException(
                "the object has been modified", 409, null)), metadata);
        reconciles.failedReconciliation(orders(), new io.fabric8.kubernetes.client.KubernetesClientException("forbidden", 403, null), metadata);
        assertThat(longPoints(metrics.collectAllMetrics(), "lockstep.reconcile.failures"))
                .extracting(p -> p.getAttributes().get(ReconcileMetrics.OUTCOME) + "=" + p.getValue())
                .containsExactlyInAnyOrder("conflict=1", "error=1");
    }

    @Test
    void theServerServesMetricsAndAnswersHealthAndReadiness() throws Exception {
        Telemetry t = telemetry(Map.of());
        t.runs().recorded(orders(), List.of(new FinishedRun("orders-6-abc", FinishedRun.CONTRACT, true, null, NOW.minusSeconds(2), NOW, 1, 0)));
        OperatorHealth health = new OperatorHealth();
        HttpClient http = HttpClient.newHttpClient();
        try (HealthServer server = HealthServer.start("127.0.0.1", 0, t, health)) {
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> scrape = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.body()).contains("lockstep_migration_runs_total{k8s_namespace_name=\"shop\","
                    + "lockstep_schemamigration=\"orders\",result=\"success\",step=\"contract\"} 1.0");
            assertThat(scrape.body()).contains("lockstep_migration_duration_seconds_count{");
            assertThat(get(http, base + "/healthz")).isEqualTo("200 starting");
            assertThat(get(http, base + "/readyz")).isEqualTo("503 starting: the informers' caches are not synced yet");
            health.stopped();
            assertThat(get(http, base + "/healthz")).isEqualTo("503 stopped");
            assertThat(get(http, base + "/nothing-here")).startsWith("404 ");
        }
    }

    private static String get(HttpClient http, String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body().strip();
    }

    private static SchemaMigrationStatus status(Phase phase, String ready, String since, int gated, int held) {
        SchemaMigrationStatus status = new SchemaMigrationStatus();
        status.setPhase(phase);
        status.getConditions().add(new ConditionBuilder().withType("Ready").withStatus(ready).withLastTransitionTime(since).build());
        WorkloadsStatus workloads = new WorkloadsStatus();
        workloads.setGatedPods(gated);
        workloads.setHeldPods(held);
        status.setWorkloads(workloads);
        return status;
    }

    private static List<LongPointData> longPoints(Collection<MetricData> data, String name) {
        return data.stream().filter(m -> m.getName().equals(name)).flatMap(m -> m.getLongSumData().getPoints().isEmpty()
                ? m.getLongGaugeData().getPoints().stream() : m.getLongSumData().getPoints().stream()).toList();
    }

    private static List<HistogramPointData> histogram(Collection<MetricData> data, String name) {
        return data.stream().filter(m -> m.getName().equals(name)).flatMap(m -> m.getHistogramData().getPoints().stream()).toList();
    }
}
