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
        return new RoundTrip().verify(new MigrationSettings(db.url(), db.username(), db.password(), List.of("public"), location,
                "latest", null, Duration.ofSeconds(5), Duration.ZERO));
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
}
