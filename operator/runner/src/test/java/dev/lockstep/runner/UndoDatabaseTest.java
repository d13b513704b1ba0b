package dev.lockstep.runner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.runner.testing.TestDatabase;
import dev.lockstep.runner.testing.TestPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Database layer: going down with U scripts, only when allowed, all or nothing per version. */
class UndoDatabaseTest {
    private final MigrationRunner runner = new MigrationRunner();
    private TestDatabase db;
    @TempDir
    Path scripts;

    @BeforeEach
    void createDatabase() throws IOException {
        db = TestPostgres.createDatabase();
        script("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);");
        script("U1__create_orders.sql", "DROP TABLE orders;");
        script("V2__add_customer.sql", "ALTER TABLE orders ADD COLUMN customer_id bigint;");
        script("U2__add_customer.sql", "ALTER TABLE orders DROP COLUMN customer_id;");
        script("V3__create_invoices.sql", "CREATE TABLE invoices (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));");
        script("U3__create_invoices.sql", "DROP TABLE invoices;");
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    private MigrationSettings settings(String target, boolean allowDown) {
        return MigrationSettings.connect(db.url(), db.username(), db.password()).location(scripts).target(target)
                .lockTimeout(Duration.ofSeconds(2)).allowDown(allowDown).build();
    }

    private void script(String name, String sql) throws IOException {
        Files.writeString(scripts.resolve(name), sql);
    }

    private List<String> history() {
        return db.column("SELECT version FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank");
    }

    private List<String> columns(String table) {
        return db.column("SELECT column_name FROM information_schema.columns WHERE table_name = '" + table + "' ORDER BY 1");
    }

    @Test
    void undoScriptsRunNewestFirstAndTakeTheirHistoryRowsWithThem() {
        assertThat(runner.migrate(settings("3", false)).error()).isNull();

        RunResult down = runner.migrate(settings("1", true));

        assertThat(down.error()).isNull();
        assertThat(down.undone()).extracting(RunResult.Applied::script).containsExactly("U3__create_invoices.sql", "U2__add_customer.sql");
        assertThat(down.fromRevision()).isEqualTo("3");
        assertThat(down.toRevision()).isEqualTo("1");
        assertThat(down.pending()).containsExactly("2", "3");
        assertThat(db.tables("public")).containsExactly("flyway_schema_history", "orders");
        assertThat(columns("orders")).containsExactly("id");
        assertThat(history()).containsExactly("1");

        RunResult upAgain = runner.migrate(settings("3", false));
        assertThat(upAgain.error()).isNull();
        assertThat(upAgain.applied()).extracting(RunResult.Applied::version).containsExactly("2", "3");
    }

    @Test
    void anUndoScriptThatCannotRunInATransactionIsRefusedBeforeAnythingIsUndone() throws IOException {
        script("V4__index_customer.sql", "CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);");
        script("V4__index_customer.sql.conf", "executeInTransaction=false");
        script("U4__index_customer.sql", "DROP INDEX CONCURRENTLY orders_customer_idx;");
        script("V5__add_note.sql", "ALTER TABLE orders ADD COLUMN note text;");
        script("U5__add_note.sql", "ALTER TABLE orders DROP COLUMN note;");
        assertThat(runner.migrate(settings("5", false)).error()).isNull();

        RunResult plan = runner.plan(settings("3", true));
        RunResult down = runner.migrate(settings("3", true));

        assertThat(plan.plan().steps().get(1).note()).startsWith("cannot run as an undo: U4__index_customer.sql:1: DROP INDEX CONCURRENTLY");
        assertThat(down.exitCode()).isEqualTo(ExitCode.VALIDATION);
        assertThat(down.error().script()).isEqualTo("U4__index_customer.sql");
        assertThat(down.error().message()).contains("U4__index_customer.sql:1: DROP INDEX CONCURRENTLY cannot run inside a transaction",
                "write DROP INDEX without CONCURRENTLY", "nothing was undone");
        assertThat(down.toRevision()).isEqualTo("5");
        assertThat(history()).containsExactly("1", "2", "3", "4", "5");
        assertThat(columns("orders")).contains("note");
    }

    @Test
    void whatPostgresSaidWhileAnUndoRanIsKept() throws IOException {
        script("U3__create_invoices.sql", "DROP TABLE IF EXISTS invoice;\nDROP TABLE invoices;");
        assertThat(runner.migrate(settings("3", false)).error()).isNull();

        RunResult down = runner.migrate(settings("2", true));

        assertThat(down.error()).isNull();
        assertThat(down.undone()).singleElement().extracting(RunResult.Applied::notices)
                .isEqualTo(List.of("table \"invoice\" does not exist, skipping"));
        RunResult read = ResultJson.read(ResultJson.write(down));
        assertThat(read.undone().get(0).notices()).containsExactly("table \"invoice\" does not exist, skipping");
        assertThat(dev.lockstep.runner.cli.Summaries.of(down, settings("2", true)))
                .contains("undid 3 create invoices with U3__create_invoices.sql", "PostgreSQL: table \"invoice\" does not exist, skipping");
    }

    @Test
    void aLowerTargetWithoutAllowDownIsRefusedAndTouchesNothing() {
        runner.migrate(settings("3", false));

        RunResult refused = runner.migrate(settings("1", false));

        assertThat(refused.exitCode()).isEqualTo(ExitCode.ARGUMENTS);
        assertThat(refused.error().message()).contains("above the target 1", "--allow-down", "spec.policy.allowDown");
        assertThat(history()).containsExactly("1", "2", "3");
    }

    @Test
    void aMissingUndoScriptIsNamedBeforeAnythingIsUndone() throws IOException {
        runner.migrate(settings("3", false));
        Files.delete(scripts.resolve("U2__add_customer.sql"));

        RunResult refused = runner.migrate(settings("1", true));

        assertThat(refused.exitCode()).isEqualTo(ExitCode.VALIDATION);
        assertThat(refused.error().message()).contains("no undo script for version(s) 2", "nothing was undone");
        assertThat(history()).containsExactly("1", "2", "3");
        assertThat(db.tables("public")).contains("invoices");
    }

    @Test
    void aFailingUndoScriptLeavesTheDatabaseAtTheLastVersionItFullyReached() throws IOException {
        runner.migrate(settings("3", false));
        script("U2__add_customer.sql", "ALTER TABLE orders DROP COLUMN customer_id;\nALTER TABLE no_such_table DROP COLUMN x;");

        RunResult failed = runner.migrate(settings("1", true));

        assertThat(failed.exitCode()).isEqualTo(ExitCode.SQL);
        assertThat(failed.error().sqlState()).isEqualTo("42P01");
        assertThat(failed.error().script()).isEqualTo("U2__add_customer.sql");
        assertThat(failed.error().message()).contains("no_such_table", "the database is at 2");
        assertThat(failed.undone()).extracting(RunResult.Applied::version).containsExactly("3");
        assertThat(failed.toRevision()).isEqualTo("2");
        // U2's first statement was rolled back with its second: the column is still there, and so is its row.
        assertThat(columns("orders")).containsExactly("customer_id", "id");
        assertThat(history()).containsExactly("1", "2");
    }

    @Test
    void flywayNeverSeesUndoScriptsAndBadlyNamedOnesAreRefused() throws IOException {
        assertThat(runner.info(settings("latest", false)).pending()).containsExactly("1", "2", "3");
        assertThat(runner.validate(settings("latest", false)).error()).isNull();

        script("U4_typo.sql", "SELECT 1;");
        RunResult refused = runner.migrate(settings("latest", false));

        assertThat(refused.exitCode()).isEqualTo(ExitCode.ARGUMENTS);
        assertThat(refused.error().message()).contains("U4_typo.sql", "U<version>__<description>.sql");
    }

    @Test
    void goingDownWaitsForFlywaysAdvisoryLockSoItNeverInterleavesWithAMigrate() throws Exception {
        script("V4__slow.sql", "SELECT pg_sleep(3);");
        script("U4__slow.sql", "SELECT 1;");
        runner.migrate(settings("3", false));
        // The key is the one a running Flyway migrate really holds.
        java.util.concurrent.CompletableFuture<RunResult> migrating = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> runner.migrate(settings("4", false)));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> db.column(
                "SELECT ((classid::bigint << 32) | objid::bigint)::text FROM pg_locks WHERE locktype = 'advisory' AND granted")
                .contains(String.valueOf(Undo.flywayLockKey("public"))));
        assertThat(migrating.get().error()).isNull();

        // A session holding that lock (as a migrate does) keeps the undo waiting until it lets go.
        try (java.sql.Connection holder = db.connect(); java.sql.Statement st = holder.createStatement()) {
            st.execute("SELECT pg_advisory_lock(" + Undo.flywayLockKey("public") + ")");
            java.util.concurrent.CompletableFuture<RunResult> down = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> runner.migrate(settings("3", true)));
            org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(1500)).atMost(java.time.Duration.ofSeconds(3))
                    .until(() -> !down.isDone());
            assertThat(history()).containsExactly("1", "2", "3", "4");
            st.execute("SELECT pg_advisory_unlock(" + Undo.flywayLockKey("public") + ")");
            assertThat(down.get(20, java.util.concurrent.TimeUnit.SECONDS).error()).isNull();
        }
        assertThat(history()).containsExactly("1", "2", "3");
    }
}
