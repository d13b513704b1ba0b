package dev.lockstep.runner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.runner.DryRun.Reads;
import dev.lockstep.runner.testing.TestDatabase;
import dev.lockstep.runner.testing.TestPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Database layer: after each step the dry run reads only the objects that were there before the plan and what can take
 * their place, not the whole catalog, and reads nothing after a step that wrote no catalog row. A destructive change it
 * missed that way would run unwarned, so here every plan is dry-run twice on the same database, reading the whole
 * catalog after each step (the reference) and reading what the dry run reads, and the two must find the same, to the
 * note and the line. The plans are made to tempt a narrower read: an object dropped and made again under its name,
 * renamed and replaced, a name that moves between kinds, a change seen only through what depends on it (a view, a
 * foreign key, a default), two schemas with the same names, a data step whose trigger changes the schema, a step that
 * only sets the search path; and 40 random plans over the same names, data steps among them.
 */
class DryRunReadsDatabaseTest {
    private static final String BASE = """
            CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, nickname text, age integer CHECK (age >= 0));
            CREATE INDEX users_email_idx ON users (email);
            CREATE SEQUENCE order_numbers;
            CREATE TABLE orders (id bigint PRIMARY KEY DEFAULT nextval('order_numbers'), user_id bigint REFERENCES users (id),
                                 total numeric(10,2), placed timestamptz);
            CREATE INDEX orders_user_idx ON orders (user_id);
            CREATE VIEW active_users AS SELECT id, email, nickname FROM users WHERE age IS NOT NULL;
            CREATE MATERIALIZED VIEW order_totals AS SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id;
            CREATE FUNCTION user_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM users';
            CREATE FUNCTION adult(age integer) RETURNS boolean LANGUAGE sql AS 'SELECT age >= 18';
            CREATE TABLE events (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);
            CREATE DOMAIN email_address AS text;
            CREATE TABLE contacts (id bigint PRIMARY KEY, address email_address);
            CREATE SCHEMA lookup;
            CREATE TABLE lookup.countries (code text PRIMARY KEY, name text);
            CREATE FUNCTION lookup.valid_code(code text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT length(code) = 2';
            ALTER TABLE contacts ADD COLUMN country text REFERENCES lookup.countries (code) CHECK (lookup.valid_code(country));
            CREATE SCHEMA codes;
            CREATE DOMAIN codes.iso AS text;
            ALTER TABLE contacts ADD COLUMN region codes.iso;
            ALTER TABLE contacts ADD COLUMN extra text CHECK (extra::jsonb <> '{}'::jsonb);
            CREATE COLLATION lookup.plain FROM "C";
            CREATE INDEX users_nickname_plain_idx ON users (nickname COLLATE lookup.plain);
            """;

    @TempDir
    Path scripts;

    static Stream<Arguments> plansThatTemptANarrowerRead() {
        return Stream.of(
                Arguments.of("a table dropped and made again under its name", List.of(
                        "DROP TABLE orders CASCADE;\nCREATE TABLE orders (id bigint PRIMARY KEY, note text);")),
                Arguments.of("a table renamed and another made under its old name", List.of(
                        "ALTER TABLE users RENAME TO people;\nCREATE TABLE users (id bigint PRIMARY KEY, email text);")),
                Arguments.of("a column renamed, seen again in a view and a foreign key", List.of(
                        "ALTER TABLE users RENAME COLUMN id TO user_id;")),
                Arguments.of("a column renamed and another made under its old name", List.of(
                        "ALTER TABLE users RENAME COLUMN nickname TO handle;\nALTER TABLE users ADD COLUMN nickname integer;")),
                Arguments.of("a view made again differently under its name", List.of(
                        "DROP VIEW active_users;\nCREATE VIEW active_users AS SELECT id FROM users;")),
                Arguments.of("an index dropped and its name taken by an index on a new table", List.of(
                        "DROP INDEX users_email_idx;\nCREATE TABLE mail (address text);\nCREATE INDEX users_email_idx ON mail (address);")),
                Arguments.of("an index dropped and replaced in the same step", List.of(
                        "DROP INDEX orders_user_idx;\nCREATE INDEX orders_user_placed_idx ON orders (user_id, placed);")),
                Arguments.of("an index renamed, the same index under another name (nothing to find)",
                        List.of("ALTER INDEX users_email_idx RENAME TO users_by_email;")),
                Arguments.of("a function made again with other arguments, another renamed", List.of(
                        "DROP FUNCTION user_count();\nCREATE FUNCTION user_count(active boolean) RETURNS bigint LANGUAGE sql"
                                + " AS 'SELECT count(*) FROM users';",
                        "ALTER FUNCTION adult(integer) RENAME TO grown_up;")),
                Arguments.of("a function dropped and made again with the same arguments, a view dropped", List.of(
                        "DROP FUNCTION adult(integer);\nCREATE FUNCTION adult(age integer) RETURNS boolean LANGUAGE sql"
                                + " AS 'SELECT age >= 21';\nDROP VIEW active_users;")),
                Arguments.of("a sequence renamed, seen in a column's default (nothing to find)", List.of(
                        "ALTER SEQUENCE order_numbers RENAME TO order_ids;")),
                Arguments.of("a domain renamed, seen in a column's type", List.of("ALTER DOMAIN email_address RENAME TO mailbox;")),
                Arguments.of("a table made a view under the same name", List.of(
                        "ALTER TABLE contacts RENAME TO contacts_old;\nCREATE VIEW contacts AS SELECT id FROM contacts_old;")),
                Arguments.of("a materialized view dropped, a partitioned table's column dropped", List.of(
                        "DROP MATERIALIZED VIEW order_totals;", "ALTER TABLE events DROP COLUMN id;")),
                Arguments.of("what the plan itself made, changed and dropped, then a base name taken", List.of(
                        "CREATE TABLE teams (id bigint PRIMARY KEY, code varchar(10));",
                        "ALTER TABLE teams ALTER COLUMN code TYPE varchar(5);\nALTER TABLE users RENAME TO members;",
                        "DROP TABLE teams;\nCREATE TABLE users (id integer);")),
                Arguments.of("changes made in a DO block", List.of("""
                        DO $$
                        BEGIN
                            EXECUTE 'ALTER TABLE orders DROP COLUMN ' || 'placed';
                            EXECUTE 'ALTER TABLE users ALTER COLUMN nickname SET NOT NULL';
                        END $$;""")),
                Arguments.of("the schema renamed away", List.of("ALTER SCHEMA public RENAME TO old_public;\nCREATE SCHEMA public;")),
                Arguments.of("a data step whose trigger drops a column", List.of("""
                        CREATE TABLE audit_log (id bigint);
                        CREATE FUNCTION tidy() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            EXECUTE 'ALTER TABLE users DROP COLUMN nickname';
                            RETURN NEW;
                        END $$;
                        CREATE TRIGGER tidy AFTER INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION tidy();""",
                        "INSERT INTO audit_log VALUES (1);")),
                Arguments.of("data steps between changes", List.of("INSERT INTO users (id, email) VALUES (1, 'a');",
                        "ALTER TABLE users ALTER COLUMN age TYPE smallint;", "UPDATE users SET nickname = 'b';",
                        "DELETE FROM orders;\nALTER TABLE orders DROP COLUMN placed;")),
                Arguments.of("a step that only sets the search path, which qualifies names the catalog's text gives", List.of(
                        "CREATE SCHEMA side;", "SET search_path TO side;")),
                Arguments.of("a table in a schema not read, named by a foreign key, renamed", List.of(
                        "ALTER TABLE lookup.countries RENAME TO nations;")),
                Arguments.of("a column of a table in a schema not read, named by a foreign key, renamed", List.of(
                        "CREATE TABLE teams (id bigint);", "ALTER TABLE lookup.countries RENAME COLUMN code TO iso;")),
                Arguments.of("a function in a schema not read, called by a check constraint, renamed", List.of(
                        "ALTER FUNCTION lookup.valid_code(text) RENAME TO ok_code;")),
                Arguments.of("a domain moved to a schema not read, seen in a column's type", List.of(
                        "CREATE TABLE teams (id bigint);", "ALTER DOMAIN email_address SET SCHEMA lookup;")),
                Arguments.of("a function a check constraint calls moved into the schema read", List.of(
                        "CREATE TABLE teams (id bigint);", "ALTER FUNCTION lookup.valid_code(text) SET SCHEMA public;")),
                Arguments.of("a schema not read renamed, seen in a column's type", List.of(
                        "CREATE TABLE teams (id bigint);", "ALTER SCHEMA codes RENAME TO iso_codes;")),
                Arguments.of("a table moved to a schema not read", List.of(
                        "CREATE TABLE teams (id bigint);", "ALTER TABLE events SET SCHEMA lookup;")),
                Arguments.of("a collation an index uses renamed", List.of(
                        "CREATE TABLE teams (id bigint);", "ALTER COLLATION lookup.plain RENAME TO bytewise;")),
                Arguments.of("a type the plan made, given to a column, then renamed", List.of(
                        "CREATE DOMAIN handle AS text;\nALTER TABLE users ALTER COLUMN nickname TYPE handle;",
                        "CREATE TABLE teams (id bigint);", "ALTER DOMAIN handle RENAME TO moniker;")),
                Arguments.of("a check constraint renamed, a foreign key made deferrable: only their own rows change", List.of(
                        "CREATE TABLE teams (id bigint);", "ALTER TABLE users RENAME CONSTRAINT users_age_check TO age_not_negative;",
                        "ALTER TABLE orders ALTER CONSTRAINT orders_user_id_fkey DEFERRABLE;")),
                Arguments.of("an index added in one step, the one it would replace dropped in the next", List.of(
                        "CREATE INDEX users_email_nickname_idx ON users (email, nickname);", "CREATE TABLE teams (id bigint);",
                        "DROP INDEX users_email_idx;")),
                Arguments.of("the schema renamed away, nothing made in its place", List.of(
                        "CREATE TABLE teams (id bigint);", "ALTER SCHEMA public RENAME TO old_public;")),
                Arguments.of("a table dropped, made again under its name steps later, then changed", List.of(
                        "DROP TABLE orders CASCADE;", "CREATE TABLE teams (id bigint);",
                        "CREATE TABLE orders (id bigint, user_id bigint, total numeric(10,2), placed timestamptz);",
                        "CREATE TABLE squads (id bigint);", "ALTER TABLE orders DROP COLUMN total;")),
                Arguments.of("a step that adds a schema to the search path, which writes a column's type unqualified", List.of(
                        "CREATE TABLE teams (id bigint);", "SET search_path TO public, codes;")),
                Arguments.of("the search path changed by a step", List.of(
                        "CREATE SCHEMA side;\nSET search_path TO side;\nCREATE TABLE users (x int);",
                        "ALTER TABLE public.users ADD COLUMN tenant bigint NOT NULL;")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plansThatTemptANarrowerRead")
    void readingOnlyTheBaseObjectsFindsWhatReadingTheWholeCatalogFinds(String name, List<String> steps) throws Exception {
        try (TestDatabase db = TestPostgres.createDatabase()) {
            db.execute(BASE);
            Comparison comparison = compare(db, List.of("public"), steps);
            if (!name.endsWith("(nothing to find)")) {
                assertThat(comparison.reference()).as("the reference finds something in: " + name)
                        .anyMatch(step -> step.findings() != null || step.note() != null);
            }
            assertThat(comparison.narrow()).isEqualTo(comparison.reference());
        }
    }

    /**
     * On a scratch database each step commits, and the dry run is followed by a read only where the digest of what a read
     * is written from changed ({@link CatalogDigest}); the plans are dry-run on two copies of the base, once each way.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("plansThatTemptANarrowerRead")
    void onAScratchDatabaseReadingOnlyWhatChangedFindsWhatReadingTheWholeCatalogFinds(String name, List<String> steps)
            throws Exception {
        List<MigrationPlan.Step> plan = plan(steps);
        List<MigrationPlan.Step> reference;
        List<MigrationPlan.Step> narrow;
        try (TestDatabase db = TestPostgres.createDatabase(baseTemplate); Connection c = db.connect()) {
            reference = DryRun.lintOnScratch(c, List.of("public"), plan, files(), Reads.WHOLE_CATALOG);
        }
        try (TestDatabase db = TestPostgres.createDatabase(baseTemplate); Connection c = db.connect()) {
            narrow = DryRun.lintOnScratch(c, List.of("public"), plan, files(), Reads.BASE_OBJECTS);
        }
        assertThat(narrow).isEqualTo(reference);
    }

    /** A database holding {@link #BASE}, copied for each scratch dry run. */
    private static TestDatabase baseTemplate;

    @BeforeAll
    static void makeTheBaseTemplate() {
        baseTemplate = TestPostgres.createDatabase();
        baseTemplate.execute(BASE);
    }

    @AfterAll
    static void dropTheBaseTemplate() {
        baseTemplate.close();
    }

    /**
     * A temporary table that takes the name of one a foreign key names (or of a built-in type a check names) comes first
     * in the search path, and so changes how the constraint is written (the old table's name is now qualified), though no row the base is read from
     * changed: the reads after each step must see it as the whole read does. The session's temporary schema is there
     * before the plan, so only the new table's name can tell.
     */
    @Test
    void aNameTakenEarlierInTheSearchPathIsSeenThroughWhatNamesIt() throws Exception {
        try (TestDatabase db = TestPostgres.createDatabase(); Connection c = db.connect()) {
            db.execute(BASE);
            try (var st = c.createStatement()) {
                st.execute("CREATE TEMP TABLE scratch (id bigint)");
            }
            Comparison comparison = lintBothWays(c, List.of("public"), List.of("CREATE TABLE teams (id bigint);",
                    "CREATE TEMP TABLE users (id bigint PRIMARY KEY);", "CREATE TABLE squads (id bigint);"));
            assertThat(comparison.reference().get(1).findings()).as("the reference sees the foreign key written anew")
                    .anyMatch(f -> f.contains("orders_user_id_fkey") && f.contains("public.users"));
            assertThat(comparison.narrow()).isEqualTo(comparison.reference());
            // A built-in type has no row in pg_depend to follow, but a temporary table can take its name too.
            Comparison builtIn = lintBothWays(c, List.of("public"), List.of("CREATE TABLE teams (id bigint);",
                    "CREATE TEMP TABLE jsonb (a int);", "CREATE TABLE squads (id bigint);"));
            assertThat(builtIn.reference().get(1).findings()).as("the reference sees the check written anew")
                    .anyMatch(f -> f.contains("contacts_extra_check") && f.contains("pg_catalog.jsonb"));
            assertThat(builtIn.narrow()).isEqualTo(builtIn.reference());
        }
    }

    @Test
    void twoSchemasWithTheSameNamesAreReadAsTheWholeCatalogReadsThem() throws Exception {
        try (TestDatabase db = TestPostgres.createDatabase()) {
            db.execute("CREATE SCHEMA billing; CREATE TABLE public.accounts (id bigint PRIMARY KEY, name text);"
                    + " CREATE TABLE billing.accounts (id bigint PRIMARY KEY, balance numeric(10,2));"
                    + " CREATE INDEX accounts_name_idx ON public.accounts (name);");
            Comparison comparison = compare(db, List.of("public", "billing"), List.of(
                    "ALTER TABLE billing.accounts RENAME TO ledgers;\nCREATE TABLE billing.accounts (id int);",
                    "DROP INDEX public.accounts_name_idx;\nCREATE INDEX accounts_name_idx ON billing.accounts (id);",
                    "ALTER TABLE public.accounts ALTER COLUMN name TYPE varchar(20);"));

            assertThat(comparison.reference()).flatMap(s -> s.findings() == null ? List.of() : s.findings())
                    .contains("V2__step.sql:1: column billing.accounts.balance dropped",
                            "V3__step.sql:1: index public.accounts_name_idx dropped (CREATE INDEX accounts_name_idx ON"
                                    + " public.accounts USING btree (name))")
                    .anyMatch(f -> f.startsWith("V4__step.sql:1: column public.accounts.name retyped"));
            assertThat(comparison.narrow()).isEqualTo(comparison.reference());
        }
    }

    @Test
    void aNewDatabaseHasNothingToBreakSoItsStepsAreNotDryRunAndThePlanSaysSo() throws Exception {
        try (TestDatabase db = TestPostgres.createDatabase(); Connection c = db.connect()) {
            SchemaSnapshot base = SchemaSnapshot.read(c, List.of("public"));
            assertThat(SchemaSnapshot.Scope.of(base, List.of("public")).isEmpty()).isTrue();
            Comparison comparison = compare(db, List.of("public"), List.of(
                    "CREATE TABLE users (id bigint PRIMARY KEY, email text);", "ALTER TABLE users DROP COLUMN email;",
                    "BEGIN;\nCREATE TABLE teams (id int);\nCOMMIT;"));

            // The whole-catalog reference runs them and finds nothing destructive either: what a step drops, the plan made.
            assertThat(comparison.reference()).allSatisfy(step -> assertThat(step.findings()).isNull());
            assertThat(comparison.narrow()).extracting(MigrationPlan.Step::note).containsExactly(DryRun.NOT_DRY_RUN
                    + "schema(s) public held nothing before this plan, so no step can break code written for them; none of"
                    + " its 3 step(s) was dry-run", null, null);
            assertThat(comparison.narrow()).allSatisfy(step -> {
                assertThat(step.findings()).isNull();
                assertThat(step.destructive()).isFalse();
            });
            // Nothing ran, and nothing is unchecked for Block to refuse: there was nothing to protect.
            assertThat(db.tables("public")).isEmpty();
        }
    }

    @Test
    void withoutCountsOfCatalogWritesEveryStepIsReadAfter() throws Exception {
        try (TestDatabase db = TestPostgres.createDatabase()) {
            db.execute(BASE);
            List<String> steps = List.of("INSERT INTO users (id, email) VALUES (1, 'a');", "DO $$ BEGIN SET LOCAL track_counts = off;"
                    + " EXECUTE 'ALTER TABLE orders DROP COLUMN placed'; END $$;", "ALTER TABLE contacts DROP COLUMN address;");
            try (Connection c = db.connect()) {
                // As on a server that does not count: the dry run cannot tell a data step, so it reads after every one.
                try (var st = c.createStatement()) {
                    st.execute("SET track_counts = off");
                }
                List<MigrationPlan.Step> narrow = lintBothWays(c, List.of("public"), steps).narrow();
                assertThat(narrow.get(2).findings()).anyMatch(f -> f.contains("column contacts.address dropped"));
            }
            // A step that turns counting off itself is read after, and so is every step after it.
            Comparison comparison = compare(db, List.of("public"), steps);
            assertThat(comparison.narrow()).isEqualTo(comparison.reference());
            assertThat(comparison.narrow().get(1).findings()).anyMatch(f -> f.contains("column orders.placed dropped"));
            assertThat(comparison.narrow().get(2).findings()).anyMatch(f -> f.contains("column contacts.address dropped"));
        }
    }

    @Test
    void aBaseReadInItsOwnScopeIsTheBaseItself() throws Exception {
        try (TestDatabase db = TestPostgres.createDatabase(); Connection c = db.connect()) {
            db.execute(BASE);
            SchemaSnapshot base = SchemaSnapshot.read(c, List.of("public"));
            db.execute("CREATE TABLE unrelated (id int); CREATE INDEX unrelated_idx ON unrelated (id);");

            SchemaSnapshot scoped = SchemaSnapshot.read(c, List.of("public"), SchemaSnapshot.Scope.of(base, List.of("public")));

            assertThat(scoped.objects()).isEqualTo(base.objects()).containsKeys("table users", "view active_users",
                    "materialized view order_totals", "sequence order_numbers", "function adult(age integer)",
                    "index users_email_idx", "constraint orders.orders_user_id_fkey", "column events.at");
        }
    }

    /**
     * Random plans of three steps, each of one to three statements, over names the base holds and names it does not: each
     * dry-run both ways must agree. A statement that fails is part of the test (the step is rolled back, both ways).
     */
    @Test
    void randomPlansOverTheBaseNamesAreFoundAlikeBothWays() throws Exception {
        String[] tables = {"users", "orders", "contacts", "teams", "people"};
        String[] columns = {"email", "nickname", "age", "total", "user_id", "note"};
        String[] indexes = {"users_email_idx", "orders_user_idx", "teams_idx"};
        String[] views = {"active_users", "team_view"};
        Random random = new Random(20261205L);
        int plansWithFindings = 0;
        try (TestDatabase db = TestPostgres.createDatabase()) {
            db.execute(BASE);
            for (int plan = 0; plan < 40; plan++) {
                List<String> steps = new ArrayList<>();
                for (int step = 0; step < 3; step++) {
                    StringBuilder sql = new StringBuilder();
                    for (int statement = 0, n = 1 + random.nextInt(3); statement < n; statement++) {
                        String t = pick(random, tables);
                        String col = pick(random, columns);
                        String i = pick(random, indexes);
                        String v = pick(random, views);
                        sql.append(switch (random.nextInt(14)) {
                            case 0 -> "CREATE TABLE " + t + " (id bigint PRIMARY KEY, " + col + " text)";
                            case 1 -> "DROP TABLE IF EXISTS " + t + " CASCADE";
                            case 2 -> "ALTER TABLE IF EXISTS " + t + " RENAME TO " + pick(random, tables);
                            case 3 -> "ALTER TABLE IF EXISTS " + t + " RENAME COLUMN " + col + " TO " + pick(random, columns);
                            case 4 -> "ALTER TABLE IF EXISTS " + t + " ALTER COLUMN " + col + " TYPE "
                                    + pick(random, new String[] {"text", "varchar(3)", "bigint", "integer"}) + " USING NULL";
                            case 5 -> "ALTER TABLE IF EXISTS " + t + " ADD COLUMN " + col + "_" + step + " integer"
                                    + pick(random, new String[] {" NOT NULL", " NOT NULL DEFAULT 0", ""});
                            case 6 -> "CREATE INDEX " + i + " ON " + t + " (id)";
                            case 7 -> "DROP INDEX IF EXISTS " + i;
                            case 8 -> "CREATE OR REPLACE VIEW " + v + " AS SELECT id FROM " + t;
                            case 9 -> "DROP VIEW IF EXISTS " + v + " CASCADE";
                            case 10 -> "ALTER TABLE IF EXISTS " + t + " DROP COLUMN IF EXISTS " + col + " CASCADE";
                            case 12 -> "INSERT INTO " + t + " (id) VALUES (" + (plan * 10 + step) + ")";
                            case 13 -> "UPDATE " + t + " SET id = id";
                            default -> "ALTER TABLE IF EXISTS " + t + " ALTER COLUMN " + col + " SET NOT NULL";
                        }).append(";\n");
                    }
                    steps.add(sql.toString());
                }
                Comparison comparison = compare(db, List.of("public"), steps);
                assertThat(comparison.narrow()).as("plan %d: %s", plan, steps).isEqualTo(comparison.reference());
                if (comparison.reference().stream().anyMatch(s -> s.findings() != null)) {
                    plansWithFindings++;
                }
            }
        }
        // The random plans must have tested something: half of them (20 with this seed) change what the base holds.
        assertThat(plansWithFindings).isGreaterThanOrEqualTo(15);
    }

    private static String pick(Random random, String[] names) {
        return names[random.nextInt(names.length)];
    }

    private record Comparison(List<MigrationPlan.Step> reference, List<MigrationPlan.Step> narrow) {}

    /** Dry-runs {@code steps} (V2, V3, … in order) twice on the database, which each dry run leaves as it was. */
    private Comparison compare(TestDatabase db, List<String> schemas, List<String> steps) throws Exception {
        try (Connection c = db.connect()) {
            return lintBothWays(c, schemas, steps);
        }
    }

    private Comparison lintBothWays(Connection c, List<String> schemas, List<String> steps) throws Exception {
        List<MigrationPlan.Step> plan = plan(steps);
        List<MigrationPlan.Step> reference = DryRun.lint(c, schemas, plan, files(), Duration.ZERO, Reads.WHOLE_CATALOG);
        List<MigrationPlan.Step> narrow = DryRun.lint(c, schemas, plan, files(), Duration.ZERO, Reads.BASE_OBJECTS);
        return new Comparison(reference, narrow);
    }

    /** The plan of {@code steps}, V2, V3, … in order, its scripts written anew. */
    private List<MigrationPlan.Step> plan(List<String> steps) throws IOException {
        try (Stream<Path> old = Files.list(scripts)) {
            for (Path p : old.toList()) {
                Files.delete(p);
            }
        }
        List<MigrationPlan.Step> plan = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            String script = "V" + (i + 2) + "__step.sql";
            write(script, steps.get(i));
            plan.add(new MigrationPlan.Step(String.valueOf(i + 2), "step", script, MigrationPlan.Kind.Expand, 0, false, null, null));
        }
        return plan;
    }

    private List<Path> files() {
        try (Stream<Path> written = Files.list(scripts)) {
            return written.sorted(java.util.Comparator.comparingInt(
                    p -> Integer.parseInt(p.getFileName().toString().substring(1, p.getFileName().toString().indexOf("__"))))).toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Path write(String name, String sql) throws IOException {
        return Files.writeString(scripts.resolve(name), sql);
    }
}
