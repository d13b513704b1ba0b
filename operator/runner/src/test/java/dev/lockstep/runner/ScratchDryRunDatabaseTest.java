package dev.lockstep.runner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.runner.MigrationSettings.Destructive;
import dev.lockstep.runner.MigrationSettings.PlanPolicy;
import dev.lockstep.runner.MigrationSettings.ScratchDatabase;
import dev.lockstep.runner.testing.TestDatabase;
import dev.lockstep.runner.testing.TestPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Database layer, two databases: the dry run on a scratch database (--dry-run-url, spec.policy.dryRunDatabase). It
 * finds what the in-place dry run finds without touching the database being migrated, checks steps the in-place one
 * cannot, and never empties a database that is not its own.
 */
class ScratchDryRunDatabaseTest {
    private final MigrationRunner runner = new MigrationRunner();
    private TestDatabase db;
    private TestDatabase scratch;
    @TempDir
    Path scripts;

    @BeforeEach
    void migrateToOne() throws IOException {
        db = TestPostgres.createDatabase();
        scratch = TestPostgres.createDatabase();
        script("V1__create_users.sql", """
                CREATE TABLE users (
                    id bigint PRIMARY KEY,
                    email text NOT NULL,
                    nickname text,
                    age integer CHECK (age >= 0)
                );
                CREATE INDEX users_email_idx ON users (email);
                """);
        assertThat(runner.migrate(settings(PlanPolicy.NONE)).error()).isNull();
        db.execute("INSERT INTO users VALUES (1, 'ada@example.com', 'ada', 36)");
    }

    @AfterEach
    void dropDatabases() {
        db.close();
        scratch.close();
    }

    private MigrationSettings settings(PlanPolicy policy) {
        return MigrationSettings.connect(db.url(), db.username(), db.password()).location(scripts)
                .lockTimeout(Duration.ofSeconds(5)).holdContract(true).planPolicy(policy).build();
    }

    private PlanPolicy onScratch(Destructive destructive) {
        return onScratch(destructive, scratch.url());
    }

    private PlanPolicy onScratch(Destructive destructive, String url) {
        return new PlanPolicy(destructive, false, null, new ScratchDatabase(url, scratch.username(), scratch.password()));
    }

    private void script(String name, String sql) throws IOException {
        Files.writeString(scripts.resolve(name), sql);
    }

    private List<String> columns(TestDatabase on) {
        return on.column("SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY 1");
    }

    private List<String> history(TestDatabase on) {
        return on.column("SELECT version FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank");
    }

    @Test
    void findsADropOnTheScratchWhileTheTargetTableIsLockedAndLeavesTheTargetAsItWas() throws Exception {
        script("V2__tidy_users.sql", """
                -- looks harmless
                CREATE TABLE audit (id bigint);

                DO $$
                BEGIN
                    EXECUTE 'ALTER TABLE users DROP COLUMN ' || 'nickname';
                END $$;
                """);
        // An application transaction holds the table: a dry run in place could not check the step, one elsewhere can.
        try (Connection app = db.connect(); Statement st = app.createStatement()) {
            app.setAutoCommit(false);
            st.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE");

            RunResult inPlace = runner.plan(settings(new PlanPolicy(Destructive.BLOCK, false, null)));
            assertThat(inPlace.plan().steps().get(0).note()).startsWith(DryRun.UNCHECKED).contains("lock was not granted", "dryRunDatabase");

            RunResult result = runner.migrate(settings(onScratch(Destructive.BLOCK)));

            assertThat(result.exitCode()).isEqualTo(ExitCode.DESTRUCTIVE);
            assertThat(result.error().message()).contains("V2__tidy_users.sql:4: column users.nickname dropped", "Nothing was run");
            assertThat(result.plan().steps().get(0).note()).isNull();
            app.rollback();
        }
        assertThat(columns(db)).containsExactly("age", "email", "id", "nickname");
        assertThat(db.tables("public")).doesNotContain("audit");
        assertThat(history(db)).containsExactly("1");
        assertThat(db.column("SELECT nickname FROM users")).containsExactly("ada");
        // The scratch was rebuilt to revision 1 with the same scripts, then the plan ran there.
        assertThat(history(scratch)).containsExactly("1");
        assertThat(scratch.tables("public")).contains("users", "audit");
        assertThat(scratch.column("SELECT schema_name || ' ' || (fingerprint IS NOT NULL) FROM lockstep_scratch.dry_runs"))
                .containsExactly("public true");
    }

    @Test
    void checksStepsThatRunOutsideATransactionOrCommitThemselves() throws IOException {
        script("V2__drop_email_index.sql", "DROP INDEX CONCURRENTLY users_email_idx;\n");
        script("V3__own_transaction.sql", """
                BEGIN;
                CREATE TABLE teams (id bigint PRIMARY KEY);
                ALTER TABLE users DROP COLUMN age;
                COMMIT;
                """);

        // In place, the concurrent drop is dry-run as a plain DROP INDEX; the script's own BEGIN/COMMIT is not run.
        RunResult inPlace = runner.plan(settings(new PlanPolicy(Destructive.WARN, false, null)));
        assertThat(inPlace.plan().steps().get(0).note()).isNull();
        assertThat(inPlace.plan().steps().get(0).findings()).singleElement().asString()
                .startsWith("V2__drop_email_index.sql:1: index users_email_idx dropped");
        assertThat(inPlace.plan().steps().get(1).note()).startsWith("unchecked: it controls transactions itself");

        RunResult result = runner.plan(settings(onScratch(Destructive.BLOCK)));

        assertThat(result.exitCode()).isEqualTo(ExitCode.DESTRUCTIVE);
        assertThat(result.plan().steps()).extracting(MigrationPlan.Step::note).containsOnlyNulls();
        assertThat(result.plan().steps().get(0).findings()).singleElement().asString()
                .startsWith("V2__drop_email_index.sql:1: index users_email_idx dropped");
        assertThat(result.plan().steps().get(1).findings()).contains("V3__own_transaction.sql:3: column users.age dropped");
        assertThat(columns(db)).contains("age");
        assertThat(db.column("SELECT indexname FROM pg_indexes WHERE tablename = 'users' ORDER BY 1"))
                .containsExactly("users_email_idx", "users_pkey");
    }

    @Test
    void aScratchUrlThatReachesTheDatabaseBeingMigratedIsRefusedAndNothingIsDropped() throws IOException {
        script("V2__add_teams.sql", "CREATE TABLE teams (id bigint PRIMARY KEY);\n");

        RunResult same = runner.migrate(settings(onScratch(Destructive.BLOCK, db.url())));
        // The same database under another spelling: only the server can tell.
        RunResult spelled = runner.migrate(settings(onScratch(Destructive.BLOCK, db.url() + "?ApplicationName=scratch")));

        assertThat(same.exitCode()).isEqualTo(ExitCode.ARGUMENTS);
        assertThat(same.error().message()).contains("--dry-run-url names the database being migrated");
        assertThat(spelled.exitCode()).isEqualTo(ExitCode.ARGUMENTS);
        assertThat(spelled.error().category()).isEqualTo(FailureCategory.DRY_RUN_DATABASE);
        assertThat(spelled.error().message()).contains("reaches the database being migrated", "Nothing was run");
        assertThat(history(db)).containsExactly("1");
        assertThat(db.column("SELECT email FROM users")).containsExactly("ada@example.com");
        assertThat(db.tables("lockstep_scratch")).isEmpty();
    }

    @Test
    void aScratchDatabaseHoldingWhatLockstepDidNotLeaveThereIsLeftAlone() throws IOException {
        script("V2__add_teams.sql", "CREATE TABLE teams (id bigint PRIMARY KEY);\n");
        scratch.execute("CREATE TABLE precious (id bigint); INSERT INTO precious VALUES (42)");

        RunResult foreign = runner.migrate(settings(onScratch(Destructive.BLOCK)));

        assertThat(foreign.exitCode()).isEqualTo(ExitCode.ARGUMENTS);
        assertThat(foreign.error().category()).isEqualTo(FailureCategory.DRY_RUN_DATABASE);
        assertThat(foreign.error().message()).contains("schema public of the scratch database", "did not make",
                "spec.policy.dryRunDatabase", "Nothing was run");
        assertThat(scratch.column("SELECT id FROM precious")).containsExactly("42");
        assertThat(scratch.tables("lockstep_scratch")).isEmpty();
        assertThat(history(db)).containsExactly("1");

        // Emptied by its owner, it is Lockstep's: used, and used again, each time rebuilt.
        scratch.execute("DROP TABLE precious");
        assertThat(runner.plan(settings(onScratch(Destructive.BLOCK))).error()).isNull();
        assertThat(runner.plan(settings(onScratch(Destructive.BLOCK))).error()).isNull();
        assertThat(history(scratch)).containsExactly("1");

        // Something else writes there after Lockstep's dry run: the next one refuses rather than drop it.
        scratch.execute("CREATE TABLE someone_elses (id bigint)");
        RunResult changed = runner.plan(settings(onScratch(Destructive.BLOCK)));
        assertThat(changed.exitCode()).isEqualTo(ExitCode.ARGUMENTS);
        assertThat(changed.error().message()).contains("changed since Lockstep's dry run");
        assertThat(scratch.tables("public")).contains("someone_elses");
    }

    @Test
    void anUnreachableScratchLeavesExpandStepsUncheckedWhichBlockRefusesAndWarnLetsThrough() throws IOException {
        script("V2__add_teams.sql", "CREATE TABLE teams (id bigint PRIMARY KEY);\n");
        String nowhere = "jdbc:postgresql://127.0.0.1:1/nowhere?connectTimeout=2";

        RunResult blocked = runner.migrate(settings(onScratch(Destructive.BLOCK, nowhere)));

        assertThat(blocked.exitCode()).isEqualTo(ExitCode.DESTRUCTIVE);
        assertThat(blocked.error().message()).contains("could not be checked", "the scratch database jdbc:postgresql://127.0.0.1:1/nowhere",
                "cannot be used", "spec.policy.destructive: Warn");
        assertThat(history(db)).containsExactly("1");

        RunResult warned = runner.migrate(settings(onScratch(Destructive.WARN, nowhere)));

        assertThat(warned.error()).isNull();
        assertThat(warned.plan().steps().get(0).note()).contains("cannot be used");
        assertThat(history(db)).containsExactly("1", "2");
    }

    @Test
    void anAdoptedDatabaseCannotBeRebuiltOnTheScratchAndSaysHowToDryRunInstead() throws IOException {
        TestDatabase adopted = TestPostgres.createDatabase();
        try (adopted) {
            adopted.execute("CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, nickname text, age integer)");
            MigrationSettings adopt = MigrationSettings.connect(adopted.url(), adopted.username(), adopted.password())
                    .location(scripts).target("1").baseline("1").lockTimeout(Duration.ofSeconds(5))
                    .holdContract(true).build();
            assertThat(runner.migrate(adopt).error()).isNull();
            script("V2__add_teams.sql", "CREATE TABLE teams (id bigint PRIMARY KEY);\n");

            RunResult result = runner.plan(adopt.withTarget("latest", false).withPlanPolicy(onScratch(Destructive.BLOCK)));

            assertThat(result.exitCode()).isEqualTo(ExitCode.DESTRUCTIVE);
            assertThat(result.error().message()).contains("adopted at baseline 1", "remove spec.policy.dryRunDatabase");
            assertThat(scratch.tables("public")).isEmpty();
        }
    }

    @Test
    void aStepThatFailsOnTheScratchIsUncheckedAndWhatItDidBeforeTheFailureIsStillFound() throws IOException {
        // Its own transaction commits the drop; the GRANT after it fails on the scratch (the role may exist in production).
        script("V2__drop_age_then_grant.sql", """
                BEGIN;
                ALTER TABLE users DROP COLUMN age;
                COMMIT;
                GRANT SELECT ON users TO lockstep_no_such_role;
                """);

        RunResult result = runner.migrate(settings(onScratch(Destructive.BLOCK)));

        assertThat(result.exitCode()).isEqualTo(ExitCode.DESTRUCTIVE);
        MigrationPlan.Step step = result.plan().steps().get(0);
        assertThat(step.findings()).contains("V2__drop_age_then_grant.sql:2: column users.age dropped");
        assertThat(step.note()).startsWith(DryRun.UNCHECKED).contains("fails on the scratch database at line 4", "42704");
        assertThat(columns(db)).contains("age");
        assertThat(history(db)).containsExactly("1");

        // Failing as a whole (no partial commit): unchecked, and Block refuses rather than run it blind.
        Files.delete(scripts.resolve("V2__drop_age_then_grant.sql"));
        script("V2__grant_reporting.sql", "ALTER TABLE users DROP COLUMN age;\nGRANT SELECT ON users TO lockstep_no_such_role;\n");
        RunResult blind = runner.migrate(settings(onScratch(Destructive.BLOCK)));
        assertThat(blind.exitCode()).isEqualTo(ExitCode.DESTRUCTIVE);
        assertThat(blind.error().message()).contains("could not be checked", "fails on the scratch database");
        assertThat(columns(db)).contains("age");
    }

    @Test
    void objectsInASchemaTheDryRunDoesNotManageKeepTheWholeScratchDatabaseOffLimits() throws IOException {
        script("V2__add_teams.sql", "CREATE TABLE teams (id bigint PRIMARY KEY);\n");
        // public is empty, but dropping it CASCADE would reach what depends on it from elsewhere: refuse the database.
        scratch.execute("CREATE SCHEMA billing; CREATE COLLATION billing.plain (locale = 'C')");

        RunResult result = runner.plan(settings(onScratch(Destructive.BLOCK)));

        assertThat(result.exitCode()).isEqualTo(ExitCode.ARGUMENTS);
        assertThat(result.error().category()).isEqualTo(FailureCategory.DRY_RUN_DATABASE);
        assertThat(result.error().message()).contains("schema billing of the scratch database", "did not make");
        assertThat(scratch.column("SELECT collname FROM pg_collation WHERE collnamespace = 'billing'::regnamespace"))
                .containsExactly("plain");
        assertThat(scratch.column("SELECT nspname FROM pg_namespace WHERE nspname = 'lockstep_scratch'")).isEmpty();
    }

    @Test
    void rowsWrittenIntoTheScratchSinceTheLastDryRunKeepItOffLimits() throws IOException {
        script("V2__add_teams.sql", "CREATE TABLE teams (id bigint PRIMARY KEY);\n");
        assertThat(runner.plan(settings(onScratch(Destructive.BLOCK))).error()).isNull();

        // An application pointed at the scratch database by mistake: its rows must not go with the next rebuild.
        scratch.execute("INSERT INTO users VALUES (7, 'grace@example.com', 'grace', 85)");
        RunResult result = runner.plan(settings(onScratch(Destructive.BLOCK)));

        assertThat(result.error().category()).isEqualTo(FailureCategory.DRY_RUN_DATABASE);
        assertThat(result.error().message()).contains("schema public", "rows that changed since");
        assertThat(scratch.column("SELECT email FROM users")).containsExactly("grace@example.com");
    }

    @Test
    void aManagedSchemaOtherThanPublicWithTypesAndForeignKeysIsRebuiltRunAfterRun() throws IOException {
        Path appScripts = Files.createDirectory(scripts.resolve("app"));
        Files.writeString(appScripts.resolve("V1__create_app.sql"), """
                CREATE TYPE mood AS ENUM ('calm', 'busy');
                CREATE TABLE teams (id bigint PRIMARY KEY);
                CREATE TABLE members (id bigint PRIMARY KEY, team_id bigint REFERENCES teams, mood mood DEFAULT 'calm');
                """);
        TestDatabase target = TestPostgres.createDatabase();
        try (target) {
            MigrationSettings app = MigrationSettings.connect(target.url(), target.username(), target.password())
                    .schemas(List.of("app")).location(appScripts).lockTimeout(Duration.ofSeconds(5))
                    .holdContract(true).build();
            assertThat(runner.migrate(app).error()).isNull();
            Files.writeString(appScripts.resolve("V2__member_names.sql"), "ALTER TABLE members ADD COLUMN name text;\n");

            // The catalog prints app.mood or mood depending on the search_path: the record must not depend on it.
            for (int run = 0; run < 3; run++) {
                RunResult plan = runner.plan(app.withPlanPolicy(onScratch(Destructive.BLOCK)));
                assertThat(plan.error()).as("run %d", run).isNull();
                assertThat(plan.plan().steps().get(0).note()).isNull();
            }
            assertThat(scratch.tables("app")).contains("teams", "members");
        }
    }
}
