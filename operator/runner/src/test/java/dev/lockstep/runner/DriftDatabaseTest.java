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

/** Database layer: a source that no longer matches the applied history stops every run, naming the versions. */
class DriftDatabaseTest {
    private final MigrationRunner runner = new MigrationRunner();
    private TestDatabase db;
    @TempDir
    Path scripts;

    @BeforeEach
    void migrateToThree() throws IOException {
        db = TestPostgres.createDatabase();
        script("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);");
        script("V2__add_note.sql", "ALTER TABLE orders ADD COLUMN note text;");
        script("V3__create_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY);");
        assertThat(runner.migrate(settings("latest", false)).error()).isNull();
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

    @Test
    void aScriptChangedAfterItWasAppliedIsNamedAndNothingRuns() throws IOException {
        script("V2__add_note.sql", "ALTER TABLE orders ADD COLUMN note varchar(200);");
        script("V4__create_tags.sql", "CREATE TABLE tags (id bigint PRIMARY KEY);");

        RunResult result = runner.migrate(settings("latest", false));

        assertThat(result.error().category()).isEqualTo(FailureCategory.DRIFT);
        assertThat(result.exitCode()).isEqualTo(ExitCode.VALIDATION);
        assertThat(result.error().script()).isEqualTo("V2__add_note.sql");
        assertThat(result.error().message()).contains("drift", "changed since they were applied: 2 (V2__add_note.sql: checksum differs)",
                "Nothing was run");
        assertThat(result.toRevision()).isEqualTo("3");
        assertThat(db.tables("public")).doesNotContain("tags");
        assertThat(history()).containsExactly("1", "2", "3");
    }

    @Test
    void anAppliedVersionGoneFromTheSourceIsNamed() throws IOException {
        Files.delete(scripts.resolve("V2__add_note.sql"));

        RunResult result = runner.migrate(settings("latest", false));

        assertThat(result.error().category()).isEqualTo(FailureCategory.DRIFT);
        assertThat(result.error().message()).contains("applied but gone from the source: 2").doesNotContain("newer");
    }

    @Test
    void aHistoryNewerThanTheSourceIsNamedInsteadOfReportedAsAtLatest() throws IOException {
        // The source was rolled back in Git to before V3; "latest" must not mean "whatever the database has".
        Files.delete(scripts.resolve("V3__create_items.sql"));

        RunResult result = runner.migrate(settings("latest", false));

        assertThat(result.error().category()).isEqualTo(FailureCategory.DRIFT);
        assertThat(result.error().message()).contains("the history is newer than the source: 3 applied, the source ends at 2");
        assertThat(db.tables("public")).contains("items");
    }

    @Test
    void goingDownIsRefusedToo() throws IOException {
        script("U3__create_items.sql", "DROP TABLE items;");
        script("V3__create_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY, name text);");

        RunResult result = runner.migrate(settings("2", true));

        assertThat(result.error().category()).isEqualTo(FailureCategory.DRIFT);
        assertThat(result.undone()).isNull();
        assertThat(db.tables("public")).contains("items");
        assertThat(history()).containsExactly("1", "2", "3");
    }

    @Test
    void aVersionAddedBelowTheDatabasesRevisionIsNamed() throws IOException {
        script("V2_5__add_status.sql", "ALTER TABLE orders ADD COLUMN status text;");

        RunResult result = runner.migrate(settings("latest", false));

        assertThat(result.error().category()).isEqualTo(FailureCategory.DRIFT);
        assertThat(result.error().message()).contains("never applied (added out of order): 2.5");
        assertThat(db.column("SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' ORDER BY 1"))
                .containsExactly("id", "note");
    }

    @Test
    void validateReportsTheSameDriftAndAMatchingSourcePasses() throws IOException {
        assertThat(runner.validate(settings("latest", false)).error()).isNull();

        script("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY, extra int);");
        RunResult result = runner.validate(settings("latest", false));

        assertThat(result.error().category()).isEqualTo(FailureCategory.DRIFT);
        assertThat(result.error().message()).contains("changed since they were applied: 1 (V1__create_orders.sql: checksum differs)");
    }
}
