package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.RunningOperator;
import dev.lockstep.operator.telemetry.Telemetry;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * Traces on the real control plane, received by an in-test OTLP/HTTP receiver: the operator's span per run step,
 * and the runner pod's spans under it (the local kubelet runs the runner with the Job's env, TRACEPARENT included).
 * And no secret value anywhere a run reports: metrics, spans, Events, status, the operator's and the runner's logs.
 */
@ExtendWith(ControlPlaneExtension.class)
class TracingApiServerIT {
    private static final Map<String, String> USERS = Migrations.USERS_WITH_CONTRACT;


    private static Telemetry tracingTo(OtlpReceiver receiver, InMemoryMetricReader metrics) {
        return Telemetry.autoConfigured(b -> b
                .addPropertiesSupplier(() -> Map.of("otel.exporter.otlp.endpoint", receiver.endpoint(),
                        "otel.metrics.exporter", "none", "otel.bsp.schedule.delay", "200"))
                .addMeterProviderCustomizer((m, c) -> m.registerMetricReader(metrics)));
    }

    @Test
    void theRunnersSpansAreChildrenOfTheOperatorsRunSpan(Cluster cluster) throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver()) {
            TestDatabase db = cluster.databaseWithScripts("users-db", "users-migrations", USERS);
            RunningOperator operator = cluster.startRunningOperator(tracingTo(receiver, InMemoryMetricReader.create()), 0);
            assertThat(operator.telemetry().tracing()).isTrue();
            cluster.apply(Migrations.fromConfigMap("users", "latest", db, "users-db", "users-migrations"));
            cluster.awaitCondition("users", "Ready", "True", "MigrationSucceeded");

            var expandJob = cluster.jobs().stream().filter(j -> "Expand".equals(j.getMetadata().getAnnotations().get("lockstep.dev/step")))
                    .findFirst().orElseThrow();
            Map<String, String> env = new LinkedHashMap<>();
            for (EnvVar e : expandJob.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv()) {
                env.put(e.getName(), e.getValue());
            }
            assertThat(env).containsKey("TRACEPARENT").containsEntry("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint())
                    .containsEntry("OTEL_TRACES_EXPORTER", "otlp").containsEntry("OTEL_SERVICE_NAME", "lockstep-runner");

            operator.telemetry().flush();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(receiver.spans()).anyMatch(s -> s.service().equals("lockstep-operator") && s.name().equals("lockstep contract"));
                assertThat(receiver.spans()).filteredOn(s -> s.service().equals("lockstep-runner") && s.name().equals("lockstep migrate"))
                        .hasSize(2);
            });
            List<OtlpReceiver.ReceivedSpan> spans = receiver.spans();
            for (String step : List.of("expand", "contract")) {
                OtlpReceiver.ReceivedSpan run = one(spans, s -> s.service().equals("lockstep-operator") && s.name().equals("lockstep " + step));
                assertThat(run.parentSpanId()).as("a run span is a root").isEmpty();
                assertThat(run.attributes()).containsEntry("step", step).containsEntry("result", "success")
                        .containsEntry("lockstep.schemamigration", "users");
                OtlpReceiver.ReceivedSpan migrate = one(spans, s -> s.service().equals("lockstep-runner") && s.name().equals("lockstep migrate")
                        && s.traceId().equals(run.traceId()));
                assertThat(migrate.parentSpanId()).as("the runner's span is the run span's child").isEqualTo(run.spanId());
                assertThat(migrate.attributes()).containsEntry("lockstep.outcome", "SUCCEEDED");
                List<OtlpReceiver.ReceivedSpan> children = spans.stream()
                        .filter(s -> s.traceId().equals(run.traceId()) && s.parentSpanId().equals(migrate.spanId())).toList();
                assertThat(children).extracting(OtlpReceiver.ReceivedSpan::name).contains("connect", "lock wait");
                if (step.equals("expand")) {
                    assertThat(children).extracting(OtlpReceiver.ReceivedSpan::name)
                            .contains("dry run", "apply V1__create_users.sql", "apply V2__add_display_name.sql")
                            .doesNotContain("apply V3__contract_drop_name.sql");
                } else {
                    assertThat(children).extracting(OtlpReceiver.ReceivedSpan::name).contains("apply V3__contract_drop_name.sql");
                }
            }
            assertThat(env.get("TRACEPARENT")).contains(one(spans, s -> s.name().equals("lockstep expand")).spanId());
        }
    }

    @Test
    void noSecretValueReachesMetricsSpansEventsStatusOrLogs(Cluster cluster) throws Exception {
        String password = "s3cr3t-" + UUID.randomUUID();
        String urlPassword = "hunter2-" + UUID.randomUUID();
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs.start();
        root.addAppender(logs);
        InMemoryMetricReader metrics = InMemoryMetricReader.create();
        try (OtlpReceiver receiver = new OtlpReceiver()) {
            TestDatabase db = cluster.database();
            cluster.client().secrets().inNamespace(cluster.namespace()).resource(new SecretBuilder().withNewMetadata()
                    .withName("users-db").endMetadata().addToStringData("username", db.username())
                    .addToStringData("password", password).build()).create();
            Map<String, String> failing = new LinkedHashMap<>(USERS);
            failing.put("V2__add_display_name.sql", "ALTER TABLE nowhere ADD COLUMN display_name text;");
            cluster.scriptsConfigMap("users-migrations", failing);
            RunningOperator operator = cluster.startRunningOperator(tracingTo(receiver, metrics), 0);

            cluster.apply(Migrations.fromConfigMap("users", "latest", db, "users-db", "users-migrations"));
            SchemaMigration leaky = Migrations.fromConfigMap("leaky", "1", "jdbc:postgresql://127.0.0.1:5432/leaky?password=" + urlPassword, "users-db",
                    "users-migrations");
            cluster.apply(leaky);
            SchemaMigration failed = cluster.awaitCondition("users", "Stalled", "True", "MigrationFailed");
            SchemaMigration refused = cluster.awaitCondition("leaky", "Stalled", "True", "InvalidSpec");
            operator.telemetry().flush();
            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.spans().stream().anyMatch(s -> s.name().equals("lockstep migrate")));

            List<String> seen = new ArrayList<>();
            seen.add(PrometheusText.scrape(operator.port()).text());
            for (MetricData m : metrics.collectAllMetrics()) {
                m.getData().getPoints().forEach(p -> seen.add(p.getAttributes().toString()));
            }
            receiver.spans().forEach(s -> seen.add(s.raw()));
            cluster.client().v1().events().inNamespace(cluster.namespace()).list().getItems()
                    .forEach(e -> seen.add(e.getReason() + " " + e.getMessage() + " " + e.getMetadata().getAnnotations()));
            seen.add(Serialization.asJson(failed.getStatus()));
            seen.add(Serialization.asJson(refused.getStatus()));
            for (Pod pod : cluster.client().pods().inNamespace(cluster.namespace()).list().getItems()) {
                seen.add(cluster.client().pods().inNamespace(cluster.namespace()).withName(pod.getMetadata().getName()).getLog());
            }
            logs.list.forEach(e -> seen.add(e.getFormattedMessage() + " " + e.getMDCPropertyMap()
                    + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getMessage())));

            // Every line the operator logs during a reconcile names the resource and its revision (the JSON format's mdc).
            List<ILoggingEvent> reconciling = logs.list.stream()
                    .filter(e -> e.getThreadName().startsWith("ReconcilerExecutor-schemamigration-"))
                    .filter(e -> e.getLoggerName().startsWith("dev.lockstep.")).toList();
            assertThat(reconciling).as("the operator logged while reconciling").isNotEmpty().allSatisfy(e -> assertThat(e.getMDCPropertyMap())
                    .containsEntry("resource.namespace", cluster.namespace())
                    .containsKeys("resource.name", dev.lockstep.operator.telemetry.LogFormat.REVISION));

            assertThat(seen).as("metrics, spans, Events, status, logs").isNotEmpty()
                    .noneMatch(s -> s != null && (s.contains(password) || s.contains(urlPassword)));
            assertThat(String.join("\n", seen)).as("the run did report, so the check above saw something")
                    .contains("lockstep_migration_runs_total", "MigrationFailed", "lockstep migrate", "spec.database.url");
        } finally {
            root.detachAppender(logs);
        }
    }

    private static OtlpReceiver.ReceivedSpan one(List<OtlpReceiver.ReceivedSpan> spans, Predicate<OtlpReceiver.ReceivedSpan> which) {
        List<OtlpReceiver.ReceivedSpan> found = spans.stream().filter(which).toList();
        assertThat(found).as("spans %s", spans.stream().map(s -> s.service() + ":" + s.name()).toList()).hasSize(1);
        return found.get(0);
    }
}
