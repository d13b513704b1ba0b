package dev.lockstep.runner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.runner.MigrationSettings.Destructive;
import dev.lockstep.runner.MigrationSettings.PlanPolicy;
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
 * Database layer: the plan, its digest and approval, and the destructive-change lint, which finds a change by what
 * the dry run did to the catalog, whatever SQL did it, and leaves the database as it was.
 */
class PlanDatabaseTest {
    private final MigrationRunner runner = new MigrationRunner();
    private TestDatabase db;
    @TempDir
    Path scripts;

    @BeforeEach
    void migrateToOne() throws IOException {
        db = TestPostgres.createDatabase();
        script("V1__create_users.sql", """
                CREATE TABLE users (
                    id bigint PRIMARY KEY,
                    email text NOT NULL,
                    nickname text,
                    age integer CHECK (age >= 0)
                );
                CREATE INDEX users_email_idx ON users (email);
                """);
        assertThat(runner.migrate(settings("latest", PlanPolicy.NONE)).error()).isNull();
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    private MigrationSettings settings(String target, PlanPolicy policy) {
        return MigrationSettings.connect(db.url(), db.username(), db.password()).location(scripts).target(target)
                .lockTimeout(Duration.ofSeconds(5)).holdContract(true).planPolicy(policy).build();
    }

    private static PlanPolicy block() {
        return new PlanPolicy(Destructive.BLOCK, false, null);
    }

    private void script(String name, String sql) throws IOException {
        Files.writeString(scripts.resolve(name), sql);
    }

    private List<String> columns() {
        return db.column("SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY 1");
    }

    private List<String> history() {
        return db.column("SELECT version FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank");
    }

    @Test
    void aColumnDroppedInsideADoBlockIsBlockedWithFileLineAndChangeAndNothingRuns() throws IOException {
        script("V2__tidy_users.sql", """
                -- looks harmless
                CREATE TABLE audit (id bigint);

                DO $$
                BEGIN
                    EXECUTE 'ALTER TABLE users DROP COLUMN ' || 'nickname';
                END $$;
                """);

        RunResult result = runner.migrate(settings("latest", block()));

        assertThat(result.exitCode()).isEqualTo(ExitCode.DESTRUCTIVE);
        assertThat(result.error().category()).isEqualTo(FailureCategory.DESTRUCTIVE);
        assertThat(result.error().script()).isEqualTo("V2__tidy_users.sql");
        assertThat(result.error().message()).contains("V2__tidy_users.sql:4: column users.nickname dropped",
                "Nothing was run", "V<version>__contract_<description>.sql", "spec.policy.destructive: Warn");
        assertThat(result.plan().steps()).singleElement().satisfies(step -> {
            assertThat(step.kind()).isEqualTo(MigrationPlan.Kind.Expand);
            assertThat(step.destructive()).isTrue();
        });
        // The dry run was rolled back, and the real run never started.
        assertThat(columns()).containsExactly("age", "email", "id", "nickname");
        assertThat(db.tables("public")).doesNotContain("audit");
        assertThat(history()).containsExactly("1");
    }

    @Test
    void renamesRetypesNotNullWithoutDefaultAndDroppedIndexesAndConstraintsAreEachPointedAtTheirLine() throws IOException {
        script("V2__reshape_users.sql", """
                ALTER TABLE users RENAME COLUMN nickname TO display_name;
                ALTER TABLE users ALTER COLUMN email TYPE varchar(50);
                ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;
                ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT 'en';
                DROP INDEX users_email_idx;
                ALTER TABLE users DROP CONSTRAINT users_age_check;
                CREATE TABLE teams (id bigint PRIMARY KEY, name text NOT NULL);
                """);

        RunResult result = runner.migrate(settings("latest", block()));

        assertThat(result.exitCode()).isEqualTo(ExitCode.DESTRUCTIVE);
        assertThat(result.plan().steps().get(0).findings()).containsExactlyInAnyOrder(
                "V2__reshape_users.sql:1: column users.nickname renamed to display_name: old code still uses nickname",
                "V2__reshape_users.sql:2: column users.email retyped from text to character varying(50)",
                "V2__reshape_users.sql:3: column users.tenant_id added NOT NULL without a default to existing table users:"
                        + " old code's INSERTs do not set it and fail",
                "V2__reshape_users.sql:5: index users_email_idx dropped (CREATE INDEX users_email_idx ON public.users USING btree (email))",
                "V2__reshape_users.sql:6: constraint users.users_age_check dropped (CHECK ((age >= 0)))");
        assertThat(result.plan().steps().get(0).findings()).noneMatch(f -> f.contains("locale") || f.contains("teams"));
        assertThat(columns()).containsExactly("age", "email", "id", "nickname");
    }

    @Test
    void wideningAColumnAndChangingWhatThePlanItselfCreatedAreNotDestructive() throws IOException {
        script("V2__widen.sql", "ALTER TABLE users ALTER COLUMN age TYPE bigint;\n"
                + "CREATE TABLE teams (id bigint PRIMARY KEY, code varchar(10));\n"
                + "ALTER TABLE teams ALTER COLUMN code TYPE varchar(40);");
        script("V3__teams_name.sql", "ALTER TABLE teams ADD COLUMN name text NOT NULL;\nALTER TABLE teams DROP COLUMN code;");

        RunResult result = runner.migrate(settings("latest", block()));

        assertThat(result.error()).isNull();
        assertThat(result.plan().steps()).allSatisfy(step -> assertThat(step.findings()).isNull());
        assertThat(DestructiveChanges.widens("character varying(10)", "character varying(40)")).isTrue();
        assertThat(DestructiveChanges.widens("character varying(40)", "character varying(10)")).isFalse();
        assertThat(DestructiveChanges.widens("character varying(40)", "text")).isTrue();
        assertThat(DestructiveChanges.widens("numeric(10,2)", "numeric(12,2)")).isTrue();
        assertThat(DestructiveChanges.widens("numeric(10,2)", "numeric(10,0)")).isFalse();
        assertThat(DestructiveChanges.widens("bigint", "integer")).isFalse();
    }

    @Test
    void aScriptThatCommitsItselfIsNeverDryRunAndBlockRefusesIt() throws IOException {
        script("V2__commits.sql", "BEGIN;\nALTER TABLE users ADD COLUMN bio text;\nCOMMIT;\nALTER TABLE users DROP COLUMN nickname;");

        RunResult result = runner.migrate(settings("latest", block()));

        assertThat(result.exitCode()).isEqualTo(ExitCode.DESTRUCTIVE);
        assertThat(result.error().message()).contains("could not be checked", "controls transactions itself (BEGIN)");
        assertThat(columns()).containsExactly("age", "email", "id", "nickname");
    }

    @Test
    void aFunctionWithABeginAtomicBodyIsDryRunNotTakenForTransactionControl() throws IOException {
        script("V2__age_group.sql", """
                CREATE FUNCTION age_group(age integer) RETURNS text LANGUAGE sql IMMUTABLE
                BEGIN ATOMIC
                    SELECT CASE WHEN age < 18 THEN 'minor' ELSE 'adult' END;
                END;
                """);

        RunResult result = runner.migrate(settings("latest", block()));

        assertThat(result.error()).isNull();
        assertThat(result.plan().steps().get(0).note()).isNull();
        assertThat(db.column("SELECT age_group(30)")).containsExactly("adult");
    }

    @Test
    void additiveStepsPassAndWarnAppliesADestructiveStepReportingIt() throws IOException {
        script("V2__add_teams.sql", "CREATE TABLE teams (id bigint PRIMARY KEY, name text NOT NULL);\n"
                + "ALTER TABLE users ADD COLUMN team_id bigint REFERENCES teams (id);\nCREATE INDEX users_team_idx ON users (team_id);");
        RunResult additive = runner.migrate(settings("2", block()));
        assertThat(additive.error()).isNull();
        assertThat(additive.plan().steps()).singleElement().satisfies(step -> {
            assertThat(step.destructive()).isFalse();
            assertThat(step.findings()).isNull();
            assertThat(step.note()).isNull();
        });

        script("V3__drop_nickname.sql", "ALTER TABLE users DROP COLUMN nickname;");
        RunResult warned = runner.migrate(settings("3", new PlanPolicy(Destructive.WARN, false, null)));

        assertThat(warned.error()).isNull();
        assertThat(warned.plan().steps().get(0).findings()).containsExactly("V3__drop_nickname.sql:1: column users.nickname dropped");
        assertThat(columns()).doesNotContain("nickname");
    }

    @Test
    void contractStepsAreDestructiveByNameAndNotBlocked() throws IOException {
        script("V2__add_display_name.sql", "ALTER TABLE users ADD COLUMN display_name text;");
        script("V3__contract_drop_nickname.sql", "ALTER TABLE users DROP COLUMN nickname;");

        RunResult expand = runner.migrate(settings("3", block()));

        assertThat(expand.error()).isNull();
        assertThat(expand.held()).containsExactly("3");
        assertThat(expand.plan().steps()).extracting(MigrationPlan.Step::kind)
                .containsExactly(MigrationPlan.Kind.Expand, MigrationPlan.Kind.Contract);
        assertThat(expand.plan().steps().get(1).destructive()).isTrue();
        assertThat(expand.plan().steps().get(1).findings()).containsExactly("V3__contract_drop_nickname.sql:1: column users.nickname dropped");
        assertThat(columns()).contains("display_name", "nickname");
    }

    @Test
    void aStepThatCannotRunInATransactionIsNotedAndOneWaitingOnABusyTableIsBlockedUnchecked() throws Exception {
        script("V2__index_nickname.sql", "CREATE INDEX CONCURRENTLY users_nickname_idx ON users (nickname);");
        script("V2__index_nickname.sql.conf", "executeInTransaction=false");
        RunResult concurrently = runner.migrate(settings("2", block()));
        assertThat(concurrently.error()).isNull();
        assertThat(concurrently.plan().steps().get(0).note()).contains("runs outside a transaction");

        script("V3__add_bio.sql", "ALTER TABLE users ADD COLUMN bio text;");
        try (Connection holder = db.connect(); Statement st = holder.createStatement()) {
            holder.setAutoCommit(false);
            st.execute("LOCK TABLE users IN ACCESS SHARE MODE"); // a long read: ALTER TABLE must wait for it
            RunResult blocked = runner.migrate(settings("3", block()));
            assertThat(blocked.exitCode()).isEqualTo(ExitCode.LOCKED);
            assertThat(blocked.error().category()).isEqualTo(FailureCategory.LOCK);
            assertThat(blocked.error().message()).contains("could not get a lock", "lock was not granted within 2000 ms",
                    "tried 4 times", "Nothing was run", "Retry once it is quieter").doesNotContain("destructive change");
            RunResult planned = runner.plan(settings("3", new PlanPolicy(Destructive.WARN, false, null)));
            assertThat(planned.error()).isNull();
            assertThat(planned.plan().steps().get(0).note()).startsWith("unchecked: a lock was not granted within 2000 ms");
            holder.rollback();
        }
        assertThat(columns()).doesNotContain("bio");
    }

    @Test
    void aDropIndexConcurrentlyIsDryRunAsADropAndBlocked() throws Exception {
        script("V2__drop_email_idx.sql", "-- no longer needed\nDROP INDEX CONCURRENTLY users_email_idx;");

        RunResult planned = runner.plan(settings("latest", block()));
        RunResult blocked = runner.migrate(settings("latest", block()));

        assertThat(planned.exitCode()).isEqualTo(ExitCode.DESTRUCTIVE);
        assertThat(planned.plan().steps().get(0).findings()).singleElement().asString()
                .startsWith("V2__drop_email_idx.sql:2: index users_email_idx dropped");
        assertThat(blocked.exitCode()).isEqualTo(ExitCode.DESTRUCTIVE);
        assertThat(blocked.error().message()).contains("index users_email_idx dropped", "Nothing was run");
        assertThat(db.column("SELECT indexname FROM pg_indexes WHERE tablename = 'users'")).contains("users_email_idx");
        assertThat(db.column("SELECT count(*) FROM flyway_schema_history WHERE version = '2'")).containsExactly("0");
    }

    @Test
    void aScriptOutsideATransactionIsCheckedAStatementAtATimeAndWhatCannotBeReadIsUnchecked() throws Exception {
        // A column drop next to a concurrent index build: the drop is found although the build cannot be dry-run.
        script("V2__index_and_drop.sql", "CREATE INDEX CONCURRENTLY users_age_idx ON users (age);\n"
                + "ALTER TABLE users DROP COLUMN nickname;");
        RunResult mixed = runner.plan(settings("latest", block()));
        assertThat(mixed.exitCode()).isEqualTo(ExitCode.DESTRUCTIVE);
        assertThat(mixed.plan().steps().get(0).findings()).containsExactly("V2__index_and_drop.sql:2: column users.nickname dropped");
        assertThat(mixed.plan().steps().get(0).note()).contains("leaving out CREATE INDEX CONCURRENTLY (line 1)");

        // A statement that fails in the dry run after one was left out may fail only for want of it: unchecked.
        script("V2__index_and_drop.sql", "CREATE UNIQUE INDEX CONCURRENTLY users_age_key ON users (age);\n"
                + "ALTER TABLE users ADD CONSTRAINT users_age_unique UNIQUE USING INDEX users_age_key;\n"
                + "ALTER TABLE users DROP COLUMN nickname;");
        RunResult wanting = runner.plan(settings("latest", block()));
        assertThat(wanting.exitCode()).isEqualTo(ExitCode.DESTRUCTIVE);
        assertThat(wanting.plan().steps().get(0).note()).startsWith("unchecked: line 2 fails in the dry run")
                .contains("CREATE INDEX CONCURRENTLY (line 1) was left out");

        String other = db.name() + "_other";
        script("V2__index_and_drop.sql", "CREATE DATABASE " + other + ";");
        try {
            RunResult unchecked = runner.migrate(settings("latest", block()));
            assertThat(unchecked.exitCode()).isEqualTo(ExitCode.DESTRUCTIVE);
            assertThat(unchecked.error().message()).contains("could not be checked", "CREATE DATABASE (line 1) runs outside a transaction");
            assertThat(db.column("SELECT count(*) FROM pg_database WHERE datname = '" + other + "'")).containsExactly("0");
        } finally {
            db.execute("DROP DATABASE IF EXISTS " + other);
        }
    }

    @Test
    void anIndexDroppedWhereTheSameStepBuildsOneWithTheSameLeadingColumnsIsNotDestructive() throws Exception {
        script("V2__widen_email_idx.sql", "CREATE INDEX CONCURRENTLY users_email_nickname_idx ON users (email, nickname);\n"
                + "DROP INDEX CONCURRENTLY users_email_idx;");
        script("V2__widen_email_idx.sql.conf", "executeInTransaction=false");

        RunResult widened = runner.migrate(settings("latest", block()));

        assertThat(widened.error()).isNull();
        MigrationPlan.Step step = widened.plan().steps().get(0);
        assertThat(step.destructive()).isFalse();
        assertThat(step.findings()).isNull();
        assertThat(step.note()).contains("index users_email_idx dropped and replaced by users_email_nickname_idx on the same table"
                + " with the same leading columns (email): it serves the same queries, so not destructive");
        assertThat(db.column("SELECT indexname FROM pg_indexes WHERE tablename = 'users' ORDER BY 1"))
                .containsExactly("users_email_nickname_idx", "users_pkey");

        // Replaced by an index that leads with another column: the queries on email lose their index.
        script("V3__reorder_idx.sql", "CREATE INDEX users_nickname_email_idx ON users (nickname, email);\n"
                + "DROP INDEX users_email_nickname_idx;");
        RunResult reordered = runner.plan(settings("latest", block()));
        assertThat(reordered.exitCode()).isEqualTo(ExitCode.DESTRUCTIVE);
        assertThat(reordered.plan().steps().get(0).findings()).singleElement().asString()
                .contains("index users_email_nickname_idx dropped");
    }

    @Test
    void aTableLockedForAMomentIsWaitedForAndTheStepIsChecked() throws Exception {
        script("V2__add_bio.sql", "ALTER TABLE users ADD COLUMN bio text;");
        java.util.concurrent.CountDownLatch locked = new java.util.concurrent.CountDownLatch(1);
        // An earlier runner's session, or an application's transaction, that ends a few seconds later.
        Thread holder = new Thread(() -> {
            try (Connection c = db.connect(); Statement st = c.createStatement()) {
                c.setAutoCommit(false);
                st.execute("LOCK TABLE users IN ACCESS SHARE MODE");
                locked.countDown();
                st.execute("SELECT pg_sleep(3)");
                c.rollback();
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        holder.start();
        locked.await();

        RunResult result = runner.migrate(settings("latest", block()));
        holder.join();

        assertThat(result.error()).isNull();
        assertThat(result.plan().steps().get(0).note()).isNull();
        assertThat(columns()).contains("bio");
    }

    @Test
    void approvalAppliesOnlyThePlanWhoseDigestWasApproved() throws IOException {
        script("V2__add_bio.sql", "ALTER TABLE users ADD COLUMN bio text;");
        PlanPolicy required = new PlanPolicy(Destructive.BLOCK, true, null);

        RunResult awaiting = runner.migrate(settings("latest", required));

        assertThat(awaiting.exitCode()).isEqualTo(ExitCode.APPROVAL);
        String digest = awaiting.plan().digest();
        assertThat(digest).startsWith("sha256:").hasSize(71);
        assertThat(awaiting.error().message()).startsWith("approve with spec.policy.approvedPlanDigest: \"" + digest + "\"")
                .contains("expand 2 from 1", "Nothing was run");
        assertThat(runner.plan(settings("latest", PlanPolicy.NONE)).plan().digest()).as("the same plan, the same digest").isEqualTo(digest);
        assertThat(columns()).doesNotContain("bio");

        // The script changes after review: the approved digest no longer matches, and nothing runs.
        script("V2__add_bio.sql", "ALTER TABLE users ADD COLUMN bio varchar(500);");
        RunResult changed = runner.migrate(settings("latest", new PlanPolicy(Destructive.BLOCK, false, digest)));
        assertThat(changed.exitCode()).isEqualTo(ExitCode.APPROVAL);
        assertThat(changed.error().message()).contains("the approved digest " + digest + " is of another plan");
        assertThat(changed.plan().digest()).isNotEqualTo(digest);

        RunResult approved = runner.migrate(settings("latest", new PlanPolicy(Destructive.BLOCK, false, changed.plan().digest())));
        assertThat(approved.error()).isNull();
        assertThat(approved.applied()).extracting(RunResult.Applied::version).containsExactly("2");
        assertThat(columns()).contains("bio");
    }
}
