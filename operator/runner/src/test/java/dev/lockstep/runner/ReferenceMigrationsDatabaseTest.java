package dev.lockstep.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.lockstep.runner.testing.TestDatabase;
import dev.lockstep.runner.testing.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Database layer: the reference set in migrations/ against a real PostgreSQL, from nothing but those files. */
class ReferenceMigrationsDatabaseTest {
    static final Path MIGRATIONS = Path.of(System.getProperty("lockstep.migrationsDir", "../../migrations"));

    private final MigrationRunner runner = new MigrationRunner();
    private TestDatabase db;

    @BeforeEach
    void createDatabase() {
        db = TestPostgres.createDatabase();
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    private MigrationSettings settings(String target) {
        return MigrationSettings.connect(db.url(), db.username(), db.password()).location(MIGRATIONS).target(target).build();
    }

    @Test
    void referenceSetHasFiveOrMoreVersionsAndAConcurrentIndex() throws Exception {
        try (var files = Files.list(MIGRATIONS)) {
            assertThat(files.map(f -> f.getFileName().toString()).filter(n -> n.matches("V\\d+__.+\\.sql")).count())
                    .isGreaterThanOrEqualTo(5);
        }
        assertThat(Files.readString(MIGRATIONS.resolve("V5__index_active_api_keys.sql"))).contains("CREATE INDEX CONCURRENTLY");
    }

    @Test
    void migratesBlankDatabaseToHead() {
        // A hang here means the advisory lock is transactional again: CREATE INDEX CONCURRENTLY (V5) would wait
        // for the transaction holding Flyway's lock forever.
        RunResult result = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> runner.migrate(settings("latest")));

        assertThat(result.error()).isNull();
        assertThat(result.outcome()).isEqualTo(RunResult.Outcome.SUCCEEDED);
        assertThat(result.fromRevision()).isNull();
        assertThat(result.toRevision()).isEqualTo("6");
        assertThat(result.applied()).extracting(RunResult.Applied::version).containsExactly("1", "2", "3", "4", "5", "6");
        assertThat(result.applied()).extracting(RunResult.Applied::script).contains("V5__index_active_api_keys.sql");
        assertThat(result.pending()).isEmpty();

        assertThat(db.tables("public")).contains("users", "roles", "user_roles", "password_credentials", "api_keys",
                "login_events", "flyway_schema_history");
        assertThat(db.column("SELECT name FROM roles ORDER BY id")).containsExactly("admin", "member", "viewer", "auditor");
        assertThat(db.column("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"))
                .contains("users_email_lower_key", "api_keys_active_by_user_idx", "login_events_user_time_idx", "api_keys_prefix_key");
        // CONCURRENTLY builds can leave an INVALID index behind; this one must be valid and usable.
        assertThat(db.column("SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                + "WHERE c.relname = 'api_keys_active_by_user_idx'")).containsExactly("t");
        // Passwords are kept only as salted hashes: there is no column that could hold one in clear text.
        assertThat(db.column("SELECT column_name FROM information_schema.columns WHERE table_name = 'password_credentials' ORDER BY 1"))
                .contains("salt", "password_hash").doesNotContain("password");
    }

    @Test
    void secondRunIsANoOp() {
        runner.migrate(settings("latest"));
        List<String> historyBefore = db.column("SELECT installed_rank || ':' || version || ':' || checksum FROM flyway_schema_history ORDER BY 1");

        RunResult again = runner.migrate(settings("latest"));

        assertThat(again.error()).isNull();
        assertThat(again.applied()).isEmpty();
        assertThat(again.fromRevision()).isEqualTo("6");
        assertThat(again.toRevision()).isEqualTo("6");
        assertThat(db.column("SELECT installed_rank || ':' || version || ':' || checksum FROM flyway_schema_history ORDER BY 1"))
                .isEqualTo(historyBefore);
        assertThat(db.column("SELECT count(*) FROM roles")).containsExactly("4");
    }

    @Test
    void stopsAtTargetRevisionAndListsWhatIsPending() {
        RunResult result = runner.migrate(settings("3"));

        assertThat(result.error()).isNull();
        assertThat(result.toRevision()).isEqualTo("3");
        assertThat(result.applied()).extracting(RunResult.Applied::version).containsExactly("1", "2", "3");
        assertThat(result.pending()).containsExactly("4", "5", "6");
        assertThat(db.tables("public")).contains("password_credentials").doesNotContain("api_keys");

        RunResult rest = runner.migrate(settings("latest"));
        assertThat(rest.fromRevision()).isEqualTo("3");
        assertThat(rest.applied()).extracting(RunResult.Applied::version).containsExactly("4", "5", "6");
    }

    @Test
    void infoReportsCurrentRevisionAndPendingWithoutChangingAnything() {
        runner.migrate(settings("2"));

        RunResult info = runner.info(settings("latest"));

        assertThat(info.error()).isNull();
        assertThat(info.toRevision()).isEqualTo("2");
        assertThat(info.pending()).containsExactly("3", "4", "5", "6");
        assertThat(db.tables("public")).doesNotContain("password_credentials");
    }
}
