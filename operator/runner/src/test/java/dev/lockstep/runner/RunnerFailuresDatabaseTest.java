package dev.lockstep.runner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.runner.testing.TestDatabase;
import dev.lockstep.runner.testing.TestPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Database layer: how the runner fails, and that each failure leaves the database as it was. */
class RunnerFailuresDatabaseTest {
    private final MigrationRunner runner = new MigrationRunner();
    private TestDatabase db;
    @TempDir
    Path scripts;

    @BeforeEach
    void createDatabase() {
        db = TestPostgres.createDatabase();
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    private MigrationSettings settings(String target, String baseline) {
        return MigrationSettings.connect(db.url(), db.username(), db.password()).location(scripts).target(target)
                .baseline(baseline).lockTimeout(Duration.ofSeconds(2)).build();
    }

    private void script(String name, String sql) throws IOException {
        Files.writeString(scripts.resolve(name), sql);
    }

    @Test
    void failedScriptReportsSqlStateAndScriptAndLeavesLastGoodRevision() throws IOException {
        script("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);");
        script("V2__add_customer.sql", "ALTER TABLE orders ADD COLUMN customer_id bigint;\n"
                + "CREATE INDEX orders_customer_idx ON no_such_table (customer_id);");

        RunResult result = runner.migrate(settings("latest", null));

        assertThat(result.outcome()).isEqualTo(RunResult.Outcome.FAILED);
        assertThat(result.exitCode()).isEqualTo(ExitCode.SQL);
        assertThat(result.error().sqlState()).isEqualTo("42P01");
        assertThat(result.error().script()).isEqualTo("V2__add_customer.sql");
        assertThat(result.error().message()).contains("no_such_table");
        assertThat(result.applied()).extracting(RunResult.Applied::version).containsExactly("1");
        assertThat(result.toRevision()).isEqualTo("1");
        assertThat(result.pending()).containsExactly("2");
        // Transactional DDL: the first statement of V2 was rolled back with the second.
        assertThat(db.column("SELECT column_name FROM information_schema.columns WHERE table_name = 'orders'"))
                .containsExactly("id");
        assertThat(db.column("SELECT max(version::int) FROM flyway_schema_history WHERE success")).containsExactly("1");
    }

    @Test
    void aFailureAfterManyVersionsReportsTheRevisionTheHistoryTableHoldsAndListsAppliedInOrder() throws IOException {
        // Flyway returns its successes in hash order once there are more than about ten: the result must not follow it.
        for (int v = 1; v <= 30; v++) {
            script("V" + v + "__step_" + v + ".sql", v == 22 ? "SELECT * FROM no_such_table;" : "CREATE TABLE t_" + v + " (id int PRIMARY KEY);");
        }

        RunResult result = runner.migrate(settings("latest", null));

        assertThat(result.exitCode()).isEqualTo(ExitCode.SQL);
        assertThat(db.column("SELECT max(version::int) FROM flyway_schema_history WHERE success")).containsExactly("21");
        assertThat(result.toRevision()).isEqualTo("21");
        assertThat(result.applied()).extracting(RunResult.Applied::version)
                .containsExactly(java.util.stream.IntStream.rangeClosed(1, 21).mapToObj(String::valueOf).toArray(String[]::new));
        assertThat(result.pending())
                .containsExactly(java.util.stream.IntStream.rangeClosed(22, 30).mapToObj(String::valueOf).toArray(String[]::new));
        // What the result's 4 KiB keeps of a long list is the newest applied, in order.
        RunResult shortened = ResultJson.read(ResultJson.write(result, 900));
        assertThat(shortened.truncated()).isTrue();
        assertThat(shortened.applied()).isNotEmpty();
        assertThat(shortened.applied().get(shortened.applied().size() - 1).version()).isEqualTo("21");
        assertThat(runner.info(settings("latest", null)).toRevision()).isEqualTo("21");
    }

    @Test
    void changedChecksumOfAnAppliedScriptFailsValidationAndAppliesNothing() throws IOException {
        script("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);");
        assertThat(runner.migrate(settings("latest", null)).error()).isNull();
        script("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY, note text);");
        script("V2__create_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY);");

        RunResult result = runner.migrate(settings("latest", null));

        assertThat(result.exitCode()).isEqualTo(ExitCode.VALIDATION);
        assertThat(result.error().message()).containsIgnoringCase("checksum");
        assertThat(db.tables("public")).doesNotContain("items");
        assertThat(runner.validate(settings("latest", null)).exitCode()).isEqualTo(ExitCode.VALIDATION);
    }

    @Test
    void populatedDatabaseWithoutHistoryIsRefusedUnlessABaselineAdoptsIt() throws IOException {
        script("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);");
        script("V2__add_status.sql", "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';");
        script("V3__create_items.sql", "CREATE TABLE items (order_id bigint REFERENCES orders, sku text);");
        // A live schema made by other means, matching V2, with data in it.
        db.execute("CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL DEFAULT 'new');"
                + "INSERT INTO orders VALUES (1, 'paid'), (2, 'new');");

        RunResult refused = runner.migrate(settings("latest", null));
        assertThat(refused.exitCode()).isEqualTo(ExitCode.VALIDATION);
        assertThat(refused.error().message()).contains("baseline");
        assertThat(db.tables("public")).containsExactly("orders");

        RunResult adopted = runner.migrate(settings("latest", "2"));

        assertThat(adopted.error()).isNull();
        assertThat(adopted.applied()).extracting(RunResult.Applied::version).containsExactly("3");
        assertThat(adopted.toRevision()).isEqualTo("3");
        assertThat(adopted.fromRevision()).as("an adopted database was at its baseline before the run").isEqualTo("2");
        assertThat(db.tables("public")).contains("orders", "items");
        assertThat(db.column("SELECT status FROM orders ORDER BY id")).containsExactly("paid", "new");
    }

    @Test
    void unreachableDatabaseIsAConnectionFailure() throws IOException {
        script("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);");
        MigrationSettings nowhere = MigrationSettings.connect("jdbc:postgresql://127.0.0.1:1/nothing", "postgres", "s3cret-pw")
                .location(scripts).lockTimeout(null).statementTimeout(null).build();

        RunResult result = runner.migrate(nowhere);

        assertThat(result.exitCode()).isEqualTo(ExitCode.CONNECTION);
        assertThat(result.error().sqlState()).startsWith("08");
        assertThat(result.error().message()).contains("nothing accepted a connection at 127.0.0.1:1", "is the server up");
        assertThat(result.error().retryable()).as("nothing ran: the operator may simply run it again later").isTrue();
        assertThat(ResultJson.write(result)).doesNotContain("s3cret-pw").contains("\"retryable\":true");
    }

    @Test
    void anUnknownHostIsSaidToBeUnresolvableAndABadPortIsABadArgument() throws IOException {
        script("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);");
        RunResult unknown = runner.migrate(MigrationSettings.connect("jdbc:postgresql://nonexistent-host.invalid:5432/orders", "postgres", null)
                .location(scripts).lockTimeout(null).statementTimeout(null).build());
        RunResult badPort = runner.migrate(MigrationSettings.connect("jdbc:postgresql://127.0.0.1:99999/orders", "postgres", null)
                .location(scripts).lockTimeout(null).statementTimeout(null).build());

        assertThat(unknown.exitCode()).isEqualTo(ExitCode.CONNECTION);
        assertThat(unknown.error().message()).contains("the host nonexistent-host.invalid could not be resolved");
        assertThat(unknown.error().retryable()).as("a DNS name may not exist yet (a Service still being made)").isTrue();
        assertThat(badPort.error().retryable()).isFalse();
        assertThat(badPort.exitCode()).isEqualTo(ExitCode.ARGUMENTS);
        assertThat(badPort.error().category()).isEqualTo(FailureCategory.ARGUMENTS);
        assertThat(badPort.error().message()).contains("--url: port 99999 is not a TCP port (1-65535)");
    }

    @Test
    void missingDatabaseIsAConnectionFailureNamingIt() throws IOException {
        script("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);");
        MigrationSettings missing = MigrationSettings.connect(db.url() + "_missing", db.username(), db.password())
                .location(scripts).lockTimeout(null).statementTimeout(null).build();

        RunResult result = runner.migrate(missing);

        assertThat(result.exitCode()).isEqualTo(ExitCode.CONNECTION);
        assertThat(result.error().message()).contains(db.name() + "_missing");
        assertThat(result.error().retryable()).as("3D000 waits for a person: the name is wrong or the database not made")
                .isFalse();
        assertThat(ResultJson.write(result)).doesNotContain("retryable");
    }

    @Test
    void credentialsInTheUrlAreRefusedBeforeConnecting() throws IOException {
        MigrationSettings leaky = MigrationSettings.connect(db.url() + "?password=hunter22", db.username(), null)
                .location(scripts).lockTimeout(null).statementTimeout(null).build();

        RunResult result = runner.migrate(leaky);

        assertThat(result.exitCode()).isEqualTo(ExitCode.ARGUMENTS);
        assertThat(result.error().message()).contains("--url must not carry credentials");
        assertThat(ResultJson.write(result)).doesNotContain("hunter22");
    }

    @Test
    void unknownTargetRevisionIsABadArgument() throws IOException {
        script("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);");

        RunResult result = runner.migrate(settings("9", null));

        assertThat(result.exitCode()).isEqualTo(ExitCode.ARGUMENTS);
        assertThat(result.error().message()).contains("target revision 9", "[1]");
        assertThat(db.tables("public")).isEmpty();
    }

    @Test
    void targetBelowTheDatabaseIsRefused() throws IOException {
        script("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);");
        script("V2__create_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY);");
        runner.migrate(settings("latest", null));

        RunResult result = runner.migrate(settings("1", null));

        assertThat(result.exitCode()).isEqualTo(ExitCode.ARGUMENTS);
        assertThat(result.error().message()).contains("at revision 2, above the target 1");
        assertThat(db.tables("public")).contains("items");
    }

    @Test
    void aSessionTheServerEndsMidScriptIsAConnectionFailureNotTheScripts() throws Exception {
        script("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);");
        runner.migrate(settings("latest", null));
        script("V2__add_note.sql", "ALTER TABLE orders ADD COLUMN note text;\nSELECT pg_sleep(60);");

        RunResult result = migrateAndEndTheSessionInPgSleep60();

        assertThat(result.exitCode()).isEqualTo(ExitCode.CONNECTION);
        assertThat(result.error().category()).isEqualTo(FailureCategory.CONNECTION);
        assertThat(result.error().message()).contains("connection to the database was lost while the script ran",
                "nothing of V2__add_note.sql stayed", "retry once the database is back").doesNotContain("fix the script");
        assertThat(result.error().retryable()).as("the server rolled the script back").isTrue();
        assertThat(result.toRevision()).isEqualTo("1");
        assertThat(db.column("SELECT column_name FROM information_schema.columns WHERE table_name = 'orders'")).containsExactly("id");
        // Nothing of V2 was recorded: once the database answers again, the same version simply runs.
        script("V2__add_note.sql", "ALTER TABLE orders ADD COLUMN note text;");
        RunResult retried = runner.migrate(settings("latest", null));
        assertThat(retried.error()).isNull();
        assertThat(retried.toRevision()).isEqualTo("2");
    }

    @Test
    void aSessionTheServerEndsInAScriptOutsideATransactionIsNotRetryable() throws Exception {
        script("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);");
        runner.migrate(settings("latest", null));
        script("V2__index_then_wait.sql", "CREATE INDEX CONCURRENTLY orders_id_idx ON orders (id);\nSELECT pg_sleep(60);");
        script("V2__index_then_wait.sql.conf", "executeInTransaction=false");

        RunResult result = migrateAndEndTheSessionInPgSleep60();

        assertThat(result.exitCode()).isEqualTo(ExitCode.CONNECTION);
        assertThat(result.error().message()).containsAnyOf("the script ran outside a transaction",
                "V2__index_then_wait.sql run(s) outside a transaction");
        assertThat(result.error().retryable()).as("the index it built stays: running the script again is a person's call")
                .isFalse();
    }

    /**
     * Migrates to latest and, once a script sleeps in {@code pg_sleep(60)}, ends its session as a restart, a failover or
     * an administrator does: SQLSTATE 57P01.
     */
    private RunResult migrateAndEndTheSessionInPgSleep60() throws Exception {
        java.util.concurrent.CompletableFuture<RunResult> running =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> runner.migrate(settings("latest", null)));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> db.column("SELECT count(*) FROM pg_stat_activity"
                + " WHERE datname = current_database() AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()").get(0).equals("1"));
        db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()");
        return running.get(60, java.util.concurrent.TimeUnit.SECONDS);
    }

    @Test
    void lockTimeoutStopsAMigrationWaitingOnABusyTable() throws Exception {
        script("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);");
        runner.migrate(settings("latest", null));
        script("V2__add_note.sql", "ALTER TABLE orders ADD COLUMN note text;");

        try (Connection holder = db.connect(); Statement st = holder.createStatement()) {
            holder.setAutoCommit(false);
            st.execute("LOCK TABLE orders IN ACCESS SHARE MODE");

            long started = System.nanoTime();
            RunResult result = runner.migrate(settings("latest", null));
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertThat(result.exitCode()).isEqualTo(ExitCode.SQL);
            assertThat(result.error().sqlState()).isEqualTo("55P03");
            assertThat(result.error().script()).isEqualTo("V2__add_note.sql");
            assertThat(took).isLessThan(Duration.ofSeconds(30));
            holder.rollback();
        }
        assertThat(db.column("SELECT column_name FROM information_schema.columns WHERE table_name = 'orders'"))
                .containsExactly("id");
    }

    @Test
    void aScriptFailedOutsideATransactionNamesTheInvalidIndexAndTheFailedRowAndRepairLetsItRetry() throws IOException {
        script("V1__create_accounts.sql", "CREATE TABLE accounts (id int, email text);\nINSERT INTO accounts VALUES (1, 'a'), (2, 'a');");
        script("V2__unique_email.sql", "CREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (email);");
        script("V2__unique_email.sql.conf", "executeInTransaction=false");

        RunResult failed = runner.migrate(settings("latest", null));

        assertThat(failed.exitCode()).isEqualTo(ExitCode.SQL);
        assertThat(failed.error().sqlState()).isEqualTo("23505");
        assertThat(failed.error().message()).contains("could not create unique index", "Key (email)=(a) is duplicated",
                "left INVALID", "public.accounts_email_key on accounts", "DROP INDEX CONCURRENTLY",
                "recorded version 2 as failed", "lockstep repair").doesNotContain("------");
        assertThat(failed.toRevision()).isEqualTo("1");

        // The next run touches nothing and says the same, whatever else the source holds by then.
        script("V3__create_audit.sql", "CREATE TABLE audit (id int);");
        RunResult refused = runner.migrate(settings("latest", null));
        assertThat(refused.exitCode()).isEqualTo(ExitCode.SQL);
        assertThat(refused.error().script()).isEqualTo("V2__unique_email.sql");
        assertThat(refused.error().message()).contains("version 2 (V2__unique_email.sql) failed outside a transaction",
                "public.accounts_email_key on accounts", "Nothing was run");
        assertThat(refused.toRevision()).isEqualTo("1");
        assertThat(db.tables("public")).doesNotContain("audit");
        // info and validate say the same: the revision is the highest successful version, the failed row a failure.
        RunResult info = runner.info(settings("latest", null));
        assertThat(info.exitCode()).isEqualTo(ExitCode.SQL);
        assertThat(info.toRevision()).isEqualTo("1");
        assertThat(info.error().message()).contains("version 2 (V2__unique_email.sql) failed outside a transaction", "lockstep repair");
        RunResult validate = runner.validate(settings("latest", null));
        assertThat(validate.exitCode()).isEqualTo(ExitCode.SQL);
        assertThat(validate.toRevision()).isEqualTo("1");

        // The runbook's repair: fix the data, drop the INVALID index, remove the failed row, retry.
        db.execute("DELETE FROM accounts WHERE id = 2");
        db.execute("DROP INDEX CONCURRENTLY accounts_email_key");
        MigrationRunner.Repair repair = runner.repair(settings("latest", null), false);
        assertThat(repair.result().error()).isNull();
        assertThat(repair.changes()).containsExactly("removed the failed row of 2 (unique email)");

        RunResult retried = runner.migrate(settings("latest", null));
        assertThat(retried.error()).isNull();
        assertThat(retried.applied()).extracting(RunResult.Applied::version).containsExactly("2", "3");
        assertThat(db.column("SELECT indisvalid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                + " WHERE i.relname = 'accounts_email_key'")).containsExactly("t");
    }

    @Test
    void repairAcceptsADeliberateEditOfAnAppliedScript() throws IOException {
        script("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);");
        runner.migrate(settings("latest", null));
        script("V1__create_orders.sql", "-- orders of the shop\nCREATE TABLE orders (id bigint PRIMARY KEY);");
        assertThat(runner.migrate(settings("latest", null)).error().category()).isEqualTo(FailureCategory.DRIFT);

        MigrationRunner.Repair refused = runner.repair(settings("latest", null), false);
        assertThat(refused.result().exitCode()).isEqualTo(ExitCode.VALIDATION);
        assertThat(refused.result().error().message()).contains("repair would accept this drift", "1 (V1__create_orders.sql: checksum differs)",
                "--accept-drift");
        assertThat(refused.changes()).isEmpty();

        MigrationRunner.Repair repair = runner.repair(settings("latest", null), true);

        assertThat(repair.changes()).containsExactly("aligned the checksum, description and type of 1 (create orders) with the source");
        assertThat(runner.migrate(settings("latest", null)).error()).isNull();
        assertThat(runner.repair(settings("latest", null), false).changes()).isEmpty();
    }
}
