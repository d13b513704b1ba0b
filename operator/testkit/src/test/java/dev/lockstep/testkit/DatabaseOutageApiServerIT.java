package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.api.v1alpha1.ErrorCategory;
import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.PolicySpec;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database outage on the real control plane, with a PostgreSQL this test owns, stopped and started again on the same
 * port and data: down before a run, down between two runs, and stopped in the middle of a script. Each ends Ready at
 * the target with no person, each version applied once.
 */
@ExtendWith(ControlPlaneExtension.class)
class DatabaseOutageApiServerIT {
    private static final String V1 = "CREATE TABLE orders (id bigint PRIMARY KEY);";

    @TempDir
    Path data;
    private OwnedPostgres pg;

    @AfterEach
    void stopPostgres() {
        if (pg != null) {
            pg.stop();
        }
    }

    @Test
    void aDatabaseDownBeforeARunAndBetweenRunsIsWaitedForAndReachedWithNoPerson(Cluster cluster) throws Exception {
        pg = OwnedPostgres.start(data);
        pg.stop();
        cluster.scriptsConfigMap("orders-migrations", Map.of("V1__create_orders.sql", V1,
                "V2__add_note.sql", "ALTER TABLE orders ADD COLUMN note text;"));
        secret(cluster);
        cluster.startOperator();

        cluster.apply(migration("1"));

        SchemaMigration waiting = cluster.awaitCondition("orders", "Reconciling", "True", "DatabaseUnavailable");
        assertThat(waiting.getStatus().getPhase()).isEqualTo(Phase.Migrating);
        assertThat(Cluster.condition(waiting, "Stalled").orElseThrow().getStatus()).isEqualTo("False");
        assertThat(Cluster.condition(waiting, "Ready").orElseThrow().getMessage())
                .contains("the database was unavailable to runner Job", "nothing accepted a connection at 127.0.0.1:" + pg.port(),
                        "Nothing of the run stayed", "Attempt 2 starts at", "lockstep.dev/retry");
        assertThat(waiting.getStatus().getLastRun().getError().getRetryable()).isTrue();
        assertThat(waiting.getStatus().getLastRun().getError().getCategory()).isEqualTo(ErrorCategory.CONNECTION);
        assertThat(waiting.getStatus().getLastRun().getUnavailableAttempts()).isEqualTo(1);
        assertThat(waiting.getStatus().getLastRun().getNextAttemptAt()).isNotNull();
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.events("orders").stream()
                .anyMatch(e -> "Warning".equals(e.getType()) && "DatabaseUnavailable".equals(e.getReason())));
        // It keeps trying while the database stays down, each attempt counted.
        await().atMost(Duration.ofSeconds(60)).until(() -> attempts(cluster) >= 2);

        pg.restart();

        SchemaMigration ready = cluster.awaitCondition("orders", "Ready", "True", "MigrationSucceeded", Duration.ofSeconds(90));
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("1");
        assertThat(ready.getStatus().getLastRun().getAttempt()).isGreaterThanOrEqualTo(3);
        assertThat(pg.history()).containsExactly("1:true");

        // Between runs: the database is down when the next revision is asked for.
        pg.stop();
        cluster.editMigration("orders", sm -> sm.getSpec().setTargetRevision("2"));
        SchemaMigration again = cluster.awaitCondition("orders", "Reconciling", "True", "DatabaseUnavailable");
        assertThat(again.getStatus().getLastRun().getUnavailableAttempts()).as("a new spec counts afresh").isEqualTo(1);
        assertThat(again.getStatus().getCurrentRevision()).isEqualTo("1");

        pg.restart();

        SchemaMigration two = cluster.awaitCondition("orders", "Ready", "True", "MigrationSucceeded", Duration.ofSeconds(90));
        assertThat(two.getStatus().getCurrentRevision()).isEqualTo("2");
        assertThat(pg.history()).containsExactly("1:true", "2:true");
        // Old attempts are pruned as they go, as after any run.
        assertThat(cluster.jobs().size()).isLessThanOrEqualTo(4);
    }

    @Test
    void aDatabaseStoppedInTheMiddleOfAScriptIsRetriedOnceItIsBackAndTheScriptAppliedOnce(Cluster cluster) throws Exception {
        pg = OwnedPostgres.start(data);
        // The script waits while test_control.hold exists, so the test can stop the server while it runs.
        pg.execute("CREATE SCHEMA test_control; CREATE TABLE test_control.hold ()");
        cluster.scriptsConfigMap("orders-migrations", Map.of("V1__create_orders.sql", V1,
                "V2__add_note.sql", "ALTER TABLE orders ADD COLUMN note text;\nSELECT pg_sleep(CASE WHEN to_regclass('test_control.hold')"
                        + " IS NULL THEN 0 ELSE 120 END);"));
        secret(cluster);
        cluster.startOperator();
        SchemaMigration sm = migration("2");
        PolicySpec policy = new PolicySpec();
        policy.setDestructive(PolicySpec.Destructive.Off); // the dry run would run the waiting script too
        sm.getSpec().setPolicy(policy);

        cluster.apply(sm);
        await().atMost(Duration.ofSeconds(90)).until(() -> pg.sleeping());
        pg.stop(); // a fast shutdown: the session in V2 gets 57P01 and its transaction is rolled back

        SchemaMigration waiting = cluster.awaitCondition("orders", "Reconciling", "True", "DatabaseUnavailable");
        assertThat(waiting.getStatus().getLastRun().getError().getSqlState()).isEqualTo("57P01");
        assertThat(waiting.getStatus().getLastRun().getError().getScript()).startsWith("V2__add_note.sql");
        assertThat(waiting.getStatus().getCurrentRevision()).isEqualTo("1");
        assertThat(Cluster.condition(waiting, "Ready").orElseThrow().getMessage()).contains("the server rolled back its transaction");

        pg.restart();
        pg.execute("DROP TABLE test_control.hold");

        SchemaMigration ready = cluster.awaitCondition("orders", "Ready", "True", "MigrationSucceeded", Duration.ofSeconds(90));
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("2");
        assertThat(pg.history()).containsExactly("1:true", "2:true");
        assertThat(pg.columns("orders")).containsExactly("id", "note");
        List<Event> warnings = cluster.events("orders").stream().filter(e -> "Warning".equals(e.getType())).toList();
        assertThat(warnings).extracting(Event::getReason).containsOnly("DatabaseUnavailable");
    }

    private int attempts(Cluster cluster) {
        SchemaMigration sm = cluster.get("orders");
        Integer n = sm.getStatus() == null || sm.getStatus().getLastRun() == null ? null : sm.getStatus().getLastRun().getUnavailableAttempts();
        return n == null ? 0 : n;
    }

    private SchemaMigration migration(String target) {
        return Migrations.fromConfigMap("orders", target, pg.url(), "orders-db", "orders-migrations");
    }

    private void secret(Cluster cluster) {
        cluster.client().secrets().inNamespace(cluster.namespace()).resource(new SecretBuilder().withNewMetadata().withName("orders-db")
                .endMetadata().addToStringData("username", "postgres").addToStringData("password", "unused-with-trust-auth").build()).create();
    }

    /** An embedded PostgreSQL that can be stopped and started again on the same port with the same data. */
    static final class OwnedPostgres {
        private final Path dir;
        private final int port;
        private EmbeddedPostgres server;

        private OwnedPostgres(Path dir, int port) {
            this.dir = dir;
            this.port = port;
        }

        static OwnedPostgres start(Path dir) throws IOException {
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            OwnedPostgres pg = new OwnedPostgres(dir, port);
            pg.restart();
            return pg;
        }

        void restart() throws IOException {
            Files.createDirectories(dir.resolve("pgdata"));
            server = EmbeddedPostgres.builder().setPort(port).setDataDirectory(dir.resolve("pgdata")).setCleanDataDirectory(false).start();
        }

        void stop() {
            if (server != null) {
                try {
                    server.close();
                } catch (IOException e) {
                    throw new IllegalStateException("could not stop the test's PostgreSQL", e);
                }
                server = null;
            }
        }

        int port() { return port; }

        String url() { return "jdbc:postgresql://127.0.0.1:" + port + "/postgres"; }

        Connection connect() throws SQLException {
            return DriverManager.getConnection(url(), "postgres", "");
        }

        void execute(String sql) throws SQLException {
            try (Connection c = connect(); Statement st = c.createStatement()) {
                st.execute(sql);
            }
        }

        boolean sleeping() {
            return server != null && !query("SELECT pid FROM pg_stat_activity WHERE query LIKE '%pg_sleep(CASE%'"
                    + " AND state = 'active' AND pid <> pg_backend_pid()").isEmpty();
        }

        List<String> history() {
            return query("SELECT version || ':' || success FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank");
        }

        List<String> columns(String table) {
            return query("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '"
                    + table + "' ORDER BY ordinal_position");
        }

        private List<String> query(String sql) {
            List<String> rows = new ArrayList<>();
            try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                while (rs.next()) {
                    rows.add(rs.getString(1));
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            return rows;
        }
    }
}
