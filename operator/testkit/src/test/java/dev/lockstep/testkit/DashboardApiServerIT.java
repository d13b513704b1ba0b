package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lockstep.operator.RunningOperator;
import dev.lockstep.operator.telemetry.Telemetry;
import dev.lockstep.runner.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The shipped dashboard and alert rules against a real Prometheus scraping the operator during real runs: every
 * panel's query answers, the runs it shows are the runs the Events tell, the failed-run alert fires, and the panels
 * are drawn (target/observability/dashboard.png; with -Dlockstep.dashboard.picture=docs/images/dashboard.png, the
 * picture the docs show).
 */
@ExtendWith(ControlPlaneExtension.class)
class DashboardApiServerIT {
    private static final Path OBSERVABILITY = ControlPlaneExtension.REPO.resolve("examples/observability");
    private static final Map<String, String> ACCOUNTS = new LinkedHashMap<>();
    private static final Map<String, String> BILLING = new LinkedHashMap<>();
    private static final Map<String, String> USERS = Migrations.USERS_WITH_CONTRACT;

    static {
        ACCOUNTS.put("V1__create_accounts.sql", "CREATE TABLE accounts (id bigint PRIMARY KEY);");
        ACCOUNTS.put("V2__add_email.sql", "ALTER TABLE accounts ADD COLUMN email text;");
        ACCOUNTS.put("V3__index_email.sql", "CREATE INDEX accounts_email ON accounts (email);");
        BILLING.put("V1__create_invoices.sql", "CREATE TABLE invoices (id bigint PRIMARY KEY);");
        BILLING.put("V2__add_total.sql", "ALTER TABLE invoices ADD COLUMN total numeric REFERENCES nowhere (id);");
    }

    @Test
    void theDashboardsQueriesShowTheRunsTheEventsTellAndTheFailedRunAlertFires(Cluster cluster) throws Exception {
        RunningOperator operator = cluster.startRunningOperator(Telemetry.autoConfigured(), 0);
        try (PrometheusServer prometheus = PrometheusServer.start(List.of("127.0.0.1:" + operator.port()),
                List.of(OBSERVABILITY.resolve("lockstep-alerts.yaml")))) {
            await().atMost(Duration.ofSeconds(30)).until(prometheus::targetsUp);
            Instant start = Instant.now();

            TestDatabase accounts = cluster.databaseWithScripts("accounts-db", "accounts-migrations", ACCOUNTS);
            TestDatabase billing = cluster.databaseWithScripts("billing-db", "billing-migrations", BILLING);
            TestDatabase users = cluster.databaseWithScripts("users-db", "users-migrations", USERS);
            // Pods of the new code that need revision 2 exist before the schema does: the gate holds them.
            cluster.client().apps().deployments().inNamespace(cluster.namespace())
                    .resource(RollingGateApiServerIT.deployment("users-api", "users", "2", 3)).create();
            Thread.sleep(3000);
            cluster.apply(Migrations.fromConfigMap("accounts", "latest", accounts, "accounts-db", "accounts-migrations"));
            cluster.apply(Migrations.fromConfigMap("billing", "2", billing, "billing-db", "billing-migrations"));
            cluster.awaitCondition("billing", "Stalled", "True", "MigrationFailed");
            cluster.apply(Migrations.fromConfigMap("users", "latest", users, "users-db", "users-migrations"));
            cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
            cluster.awaitCondition("users", "Ready", "True", "MigrationSucceeded");
            Thread.sleep(3000);
            cluster.client().configMaps().inNamespace(cluster.namespace()).withName("billing-migrations")
                    .edit(cm -> { cm.getData().put("V2__add_total.sql", "ALTER TABLE invoices ADD COLUMN total numeric;"); return cm; });
            cluster.awaitCondition("billing", "Ready", "True", "MigrationSucceeded");

            // The runs Prometheus holds are the runs the Events tell.
            Map<String, Double> expected = Map.of("accounts success", 1.0, "billing failure", 1.0, "billing success", 1.0,
                    "users success", 2.0);
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(runs(prometheus)).isEqualTo(expected));
            assertThat(cluster.eventCount("accounts", "MigrationSucceeded")).isEqualTo(1);
            assertThat(cluster.eventCount("billing", "MigrationFailed")).isEqualTo(1);
            assertThat(cluster.eventCount("billing", "MigrationSucceeded")).isEqualTo(1);
            // users: the expand run that held the contract step is told by ContractRunning, the contract run by MigrationSucceeded
            assertThat(cluster.eventCount("users", "ContractRunning") + cluster.eventCount("users", "MigrationSucceeded")).isEqualTo(2);
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(prometheus.query(
                    "sum by (phase) (lockstep_schemamigrations{k8s_namespace_name=\"" + cluster.namespace() + "\"}) > 0"))
                    .isEqualTo(Map.of(Map.of("phase", "Ready"), 3.0)));

            // The failed run's alert fires for billing (its series was new: the rule's second branch).
            assertThat(prometheus.alerts("firing")).anySatisfy(a -> assertThat(a)
                    .containsEntry("alertname", "LockstepMigrationFailed").containsEntry("lockstep_schemamigration", "billing")
                    .containsEntry("failure_category", "sql"));

            Thread.sleep(3000); // the last state on the charts
            Instant end = Instant.now();
            List<DashboardPicture.Panel> panels = panels(prometheus, cluster.namespace(), start, end);
            assertThat(panels).hasSize(8).allSatisfy(p -> assertThat(p.lines()).as(p.title()).isNotEmpty());
            DashboardPicture.Panel gated = panels.stream().filter(p -> p.title().equals("Gated pods")).findFirst().orElseThrow();
            PrometheusServer.Series held = gated.lines().stream().filter(l -> l.legend().equals("held")).findFirst().orElseThrow().series();
            assertThat(held.max()).as("pods held until the expand step").isEqualTo(3);
            assertThat(held.last()).as("and released").isEqualTo(0);

            // Every metric the rules and the dashboard name is one the operator exports.
            Set<String> exported = new TreeSet<>();
            PrometheusText.scrape(operator.port()).samples().forEach(s -> exported.add(s.name()));
            Set<String> named = new TreeSet<>(names(Files.readString(OBSERVABILITY.resolve("lockstep-alerts.yaml"))));
            named.addAll(names(Files.readString(OBSERVABILITY.resolve("grafana-dashboard.json"))));
            assertThat(named).hasSizeGreaterThan(6).allSatisfy(n -> assertThat(exported).as("exported metrics").contains(n));

            Path picture = Path.of(System.getProperty("lockstep.dashboard.picture",
                    ControlPlaneExtension.REPO.resolve("operator/testkit/target/observability/dashboard.png").toString()));
            DashboardPicture.write(panels, start, picture.isAbsolute() ? picture : ControlPlaneExtension.REPO.resolve(picture));
            assertThat(Files.size(picture.isAbsolute() ? picture : ControlPlaneExtension.REPO.resolve(picture))).isGreaterThan(20_000);
        }
    }

    /** Runs by SchemaMigration and result, as the "Runs by result" panel sums them. */
    private static Map<String, Double> runs(PrometheusServer prometheus) {
        Map<String, Double> runs = new LinkedHashMap<>();
        prometheus.query("sum by (lockstep_schemamigration, result) (lockstep_migration_runs_total)")
                .forEach((labels, value) -> runs.put(labels.get("lockstep_schemamigration") + " " + labels.get("result"), value));
        return runs;
    }

    /** Each panel of the shipped dashboard: its queries, with the variables a user would pick, over the run. */
    private static List<DashboardPicture.Panel> panels(PrometheusServer prometheus, String namespace, Instant start, Instant end)
            throws java.io.IOException {
        JsonNode dashboard = new ObjectMapper().readTree(OBSERVABILITY.resolve("grafana-dashboard.json").toFile());
        List<DashboardPicture.Panel> panels = new ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            List<DashboardPicture.Line> lines = new ArrayList<>();
            for (JsonNode target : panel.get("targets")) {
                String expr = target.get("expr").asText().replace("$namespace", namespace).replace("$__rate_interval", "10s");
                for (PrometheusServer.Series s : prometheus.queryRange(expr, start, end, Duration.ofSeconds(1))) {
                    lines.add(new DashboardPicture.Line(legend(target.get("legendFormat").asText(), s.labels()), s));
                }
            }
            String unit = panel.path("fieldConfig").path("defaults").path("unit").asText("short");
            panels.add(new DashboardPicture.Panel(panel.get("title").asText(), unit, lines));
        }
        return panels;
    }

    private static String legend(String format, Map<String, String> labels) {
        Matcher m = Pattern.compile("\\{\\{\\s*(\\w+)\\s*}}").matcher(format);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(labels.getOrDefault(m.group(1), "")));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The lockstep_* metric names a text names, as a scrape has them (a histogram's by _bucket, _count or _sum). */
    private static Set<String> names(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\\blockstep_[a-z_]+").matcher(text);
        while (m.find()) {
            if (!m.group().equals("lockstep_schemamigration")) { // the label, not a metric
                names.add(m.group());
            }
        }
        return names;
    }
}
