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

/** Database layer: `lockstep verify`'s stairway passes on migrations/ and names the revision that does not round-trip. */
class RoundTripDatabaseTest {
    static final Path REFERENCE = ReferenceMigrationsDatabaseTest.MIGRATIONS;

    private TestDatabase db;
    @TempDir
    Path scripts;

    @BeforeEach
    void createDatabase() throws IOException {
        db = TestPostgres.createDatabase();
        script("V1__create_orders.sql", "CREATE TABLE orders (id integer PRIMARY KEY, status text NOT NULL DEFAULT 'new');");
        script("U1__create_orders.sql", "DROP TABLE orders;");
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    private RoundTrip.Report verify(Path location) {
        return new RoundTrip().verify(MigrationSettings.connect(db.url(), db.username(), db.password()).location(location)
                .lockTimeout(Duration.ofSeconds(5)).build());
    }

    private void script(String name, String sql) throws IOException {
        Files.writeString(scripts.resolve(name), sql);
    }

    @Test
    void theReferenceMigrationsRoundTripAtEveryRevision() {
        RoundTrip.Report report = verify(REFERENCE);

        assertThat(report.failure()).isNull();
        assertThat(report.passed()).isTrue();
        assertThat(report.lines()).hasSize(7).first().asString().startsWith("1: up, down, up:");
        assertThat(report.lines()).last().asString().isEqualTo("head 6 down to nothing: round-trips");
    }

    @Test
    void anUndoThatLeavesATableBehindIsNamedWithTheRevisionAndTheDifference() throws IOException {
        script("V2__add_audit.sql", "ALTER TABLE orders ADD COLUMN customer text;\nCREATE TABLE order_audit (id integer);");
        script("U2__add_audit.sql", "ALTER TABLE orders DROP COLUMN customer;");
        script("V3__add_total.sql", "ALTER TABLE orders ADD COLUMN total numeric;");
        script("U3__add_total.sql", "ALTER TABLE orders DROP COLUMN total;");

        RoundTrip.Report report = verify(scripts);

        assertThat(report.passed()).isFalse();
        assertThat(report.exitCode()).isEqualTo(ExitCode.VALIDATION);
        assertThat(report.failedRevision()).isEqualTo("2");
        assertThat(report.failure()).contains("revision 2 does not round-trip", "from revision 1", "+ table order_audit",
                "+ column order_audit.id: integer");
        assertThat(report.lines()).containsExactly("1: up, down, up: 5 objects, round-trips", "2: FAILED");
    }

    @Test
    void aTableAnUndoLeftBehindComesBeforeItsColumnsAndTheUndosNoticeNamesTheTypo() throws IOException {
        script("V2__groupchannels.sql", "CREATE TABLE groupchannels (id int, a int, b int, c int, d int, e int, f int, g int, h int, i int);");
        script("U2__groupchannels.sql", "DROP TABLE IF EXISTS groupchanels;");

        RoundTrip.Report report = verify(scripts);

        assertThat(report.failedRevision()).isEqualTo("2");
        assertThat(report.failure()).startsWith("revision 2 does not round-trip").contains("+ table groupchannels",
                "PostgreSQL said while undoing: U2__groupchannels.sql: table \"groupchanels\" does not exist, skipping");
        assertThat(report.failure().indexOf("+ table groupchannels")).isLessThan(report.failure().indexOf("+ column groupchannels."));
    }

    @Test
    void undoScriptsThatCannotRunInATransactionAreAllNamedBeforeAnythingRuns() throws IOException {
        script("V2__index_status.sql", "CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);");
        script("V2__index_status.sql.conf", "executeInTransaction=false");
        script("U2__index_status.sql", "DROP INDEX CONCURRENTLY orders_status_idx;");
        script("V3__add_total.sql", "ALTER TABLE orders ADD COLUMN total numeric;");
        script("U3__add_total.sql", "ALTER TABLE orders DROP COLUMN total;");
        script("V4__index_total.sql", "CREATE INDEX orders_total_idx ON orders (total);");
        script("U4__index_total.sql", "BEGIN;\nDROP INDEX orders_total_idx;\nCOMMIT;");

        RoundTrip.Report report = verify(scripts);

        assertThat(report.exitCode()).isEqualTo(ExitCode.VALIDATION);
        assertThat(report.failedRevision()).isEqualTo("2");
        assertThat(report.failure()).contains("U2__index_status.sql:1: DROP INDEX CONCURRENTLY cannot run inside a transaction;"
                + " write DROP INDEX without CONCURRENTLY", "U4__index_total.sql:1: BEGIN controls the transaction itself",
                "U4__index_total.sql:3: COMMIT", "nothing was run");
        assertThat(report.lines()).hasSize(3).allMatch(line -> line.contains(": FAILED: U"));
        assertThat(db.tables("public")).isEmpty();
    }

    @Test
    void eachRevisionsLineIsHandedOnAsSoonAsItIsKnown() throws IOException {
        script("V2__add_total.sql", "ALTER TABLE orders ADD COLUMN total numeric;");
        script("U2__add_total.sql", "ALTER TABLE orders DROP COLUMN total;");
        List<String> reachedWhenSaid = new java.util.ArrayList<>();

        RoundTrip.Report report = new RoundTrip().verify(MigrationSettings.connect(db.url(), db.username(), db.password())
                .location(scripts).lockTimeout(Duration.ofSeconds(5)).build(), AppQueries.none(),
                line -> reachedWhenSaid.add(line.substring(0, line.indexOf(':')) + " at "
                        + db.column("SELECT coalesce(max(version), 'none') FROM flyway_schema_history WHERE success").get(0)));

        assertThat(report.passed()).isTrue();
        assertThat(reachedWhenSaid).containsExactly("1 at 1", "2 at 2", "head 2 down to nothing at none");
    }

    @Test
    void anUndoThatDoesNotRestoreATypeOrADefaultIsNamed() throws IOException {
        script("V2__widen_id.sql", "ALTER TABLE orders ALTER COLUMN id TYPE bigint;\nALTER TABLE orders ALTER COLUMN status SET DEFAULT 'open';");
        script("U2__widen_id.sql", "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new';");

        RoundTrip.Report report = verify(scripts);

        assertThat(report.failedRevision()).isEqualTo("2");
        assertThat(report.failure()).contains("~ column orders.id: integer not null -> bigint not null")
                .doesNotContain("column orders.status");
    }

    @Test
    void aMissingUndoScriptFailsAtItsRevision() throws IOException {
        script("V2__add_total.sql", "ALTER TABLE orders ADD COLUMN total numeric;");

        RoundTrip.Report report = verify(scripts);

        assertThat(report.failedRevision()).isEqualTo("2");
        assertThat(report.exitCode()).isEqualTo(ExitCode.VALIDATION);
        assertThat(report.failure()).contains("revision 2 cannot be undone", "no undo script for version(s) 2");
    }

    @Test
    void aScratchDatabaseThatIsNotEmptyIsRefused() {
        db.execute("CREATE TABLE precious (id integer)");

        RoundTrip.Report report = verify(scripts);

        assertThat(report.exitCode()).isEqualTo(ExitCode.ARGUMENTS);
        assertThat(report.failure()).contains("not empty", "table precious");
        assertThat(db.tables("public")).containsExactly("precious");
    }

    @Test
    void aDestructiveExpandStepIsListedOnItsLineAndFailsVerifyWithBlockWhileAContractStepIsNot() throws IOException {
        script("V2__drop_status.sql", "ALTER TABLE orders ADD COLUMN state text;\nALTER TABLE orders DROP COLUMN status;");
        script("U2__drop_status.sql", "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';\nALTER TABLE orders DROP COLUMN state;");
        script("V3__contract_drop_state.sql", "ALTER TABLE orders DROP COLUMN state;");
        script("U3__contract_drop_state.sql", "ALTER TABLE orders ADD COLUMN state text;");

        RoundTrip.Report warned = verify(scripts);

        assertThat(warned.passed()).as(warned.failure()).isTrue();
        assertThat(warned.lines().get(1)).isEqualTo("2: up, down, up: 5 objects, round-trips; destructive expand step:"
                + " V2__drop_status.sql:2: column orders.status dropped");
        assertThat(warned.lines().get(2)).doesNotContain("destructive");

        RoundTrip.Report blocked = new RoundTrip().verify(MigrationSettings.connect(db.url(), db.username(), db.password())
                .location(scripts).lockTimeout(Duration.ofSeconds(5)).build()
                .withPlanPolicy(new MigrationSettings.PlanPolicy(MigrationSettings.Destructive.BLOCK, false, null)));

        assertThat(blocked.exitCode()).isEqualTo(ExitCode.DESTRUCTIVE);
        assertThat(blocked.failedRevision()).isEqualTo("2");
        assertThat(blocked.failure()).contains("expand step 2 would break code", "V2__drop_status.sql:2: column orders.status dropped");
    }

    @Test
    void theExampleApplicationsQueriesWorkAtEveryRevisionFromTheOneTheyRequire() {
        RoundTrip.Report report = new RoundTrip().verify(MigrationSettings.connect(db.url(), db.username(), db.password())
                .location(REFERENCE).lockTimeout(Duration.ofSeconds(5)).build(),
                AppQueries.read(REFERENCE.resolveSibling("examples/accounts/queries.sql")));

        assertThat(report.failure()).isNull();
        assertThat(report.lines().get(0)).endsWith("; 2 application queries work");
        assertThat(report.lines().get(5)).startsWith("6: ").endsWith("; 10 application queries work");
    }

    @Test
    void aQueryOfOlderCodeThatAContractStepBreaksIsNamedWithItsRevisionUnlessItSaysUntil() throws IOException {
        script("V2__add_state.sql", "ALTER TABLE orders ADD COLUMN state text;");
        script("U2__add_state.sql", "ALTER TABLE orders DROP COLUMN state;");
        script("V3__contract_drop_status.sql", "ALTER TABLE orders DROP COLUMN status;");
        script("U3__contract_drop_status.sql", "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';");
        Path queries = scripts.resolveSibling(scripts.getFileName() + "-queries.sql");
        Files.writeString(queries, "-- name: open_orders\n-- requires: 1\nSELECT id FROM orders WHERE status = 'new';\n"
                + "-- name: open_orders_by_state\n-- requires: 2\nSELECT id FROM orders WHERE state = 'new';\n");
        MigrationSettings settings = MigrationSettings.connect(db.url(), db.username(), db.password()).location(scripts)
                .lockTimeout(Duration.ofSeconds(5)).build();

        RoundTrip.Report broken = new RoundTrip().verify(settings, AppQueries.read(queries));

        assertThat(broken.failedRevision()).isEqualTo("3");
        assertThat(broken.exitCode()).isEqualTo(ExitCode.VALIDATION);
        assertThat(broken.failure()).contains("query open_orders (code that requires 1) fails at revision 3",
                "column \"status\" does not exist", "'-- until: 3'");

        Files.writeString(queries, Files.readString(queries).replace("-- requires: 1\n", "-- requires: 1\n-- until: 3\n"));
        try (TestDatabase fresh = TestPostgres.createDatabase()) { // a failed verify leaves its scratch database as it failed
            assertThat(new RoundTrip().verify(MigrationSettings.connect(fresh.url(), fresh.username(), fresh.password())
                    .location(scripts).lockTimeout(Duration.ofSeconds(5)).build(), AppQueries.read(queries)).failure()).isNull();
        }
    }

    @Test
    void aQueryWithoutItsRevisionIsRefusedNamingTheLine() throws IOException {
        Path queries = scripts.resolveSibling(scripts.getFileName() + "-bad.sql");
        Files.writeString(queries, "-- name: a\n-- requires: 1\nSELECT 1;\n\n-- name: b\nSELECT 2;\n");

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AppQueries.read(queries))
                .hasMessageContaining(":5: query b needs a '-- requires: <version>' line");
    }
}
