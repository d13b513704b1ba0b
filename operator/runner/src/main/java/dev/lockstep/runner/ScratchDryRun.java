package dev.lockstep.runner;

import dev.lockstep.common.Sha256;
import dev.lockstep.common.Text;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.flywaydb.core.api.FlywayException;

/**
 * The dry run on a database of Lockstep's own ({@code --dry-run-url}, {@code spec.policy.dryRunDatabase}) instead of
 * in a rolled-back transaction on the database being migrated: nothing of the dry run, not even a lock, reaches that
 * database, and steps that run outside a transaction are checked too.
 *
 * <p>Before each dry run the managed schemas of the scratch database are dropped and rebuilt from the same scripts up
 * to the plan's starting revision. Because that empties them, the scratch database is guarded: it must not be the
 * database being migrated (same cluster system identifier and database OID, or this run's own session seen there), and
 * a schema holding objects is emptied only if Lockstep left it so (a fingerprint of it is kept in the
 * {@value #MARKER_SCHEMA} schema after each use). Runners that share one scratch database take turns on an advisory lock.
 */
final class ScratchDryRun {
    /** Where the scratch database records what Lockstep left in each schema. */
    static final String MARKER_SCHEMA = "lockstep_scratch";
    /** Serializes runners that share a scratch database. */
    static final long LOCK_KEY = 0x4C6F636B73746570L; // "Lockstep"
    /** How long a runner waits for another one's dry run on the same scratch database. */
    static final Duration LOCK_WAIT = Duration.ofSeconds(120);

    private ScratchDryRun() {}

    /** The scratch database must not be used; the message names why and what to do. Nothing was run. */
    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message);
        }
    }

    /**
     * The plan's steps with what the dry run on the scratch database found. A scratch database that cannot be used
     * now (unreachable, busy, the scripts fail on it) leaves every expand step unchecked with the reason; one that must
     * never be used (it is the database being migrated, or something else's) throws
     * {@link Refused}.
     *
     * @param adoptedAt the baseline version the database was adopted at, or null
     */
    static List<MigrationPlan.Step> lint(MigrationSettings staged, MigrationPlan plan, List<Path> files, String adoptedAt) {
        MigrationSettings.ScratchDatabase scratch = staged.planPolicy().scratch();
        String where = "the scratch database " + Redaction.url(scratch.url());
        if (adoptedAt != null) {
            return unchecked(plan, "the database was adopted at baseline " + adoptedAt + " and its schema below it is not in the"
                    + " scripts, so " + where + " cannot be rebuilt to " + plan.from() + "; dry-run on the database itself"
                    + " (remove spec.policy.dryRunDatabase / --dry-run-url)");
        }
        MigrationSettings onScratch = MigrationSettings.connect(scratch.url(), scratch.username(), scratch.password())
                .schemas(staged.schemas()).location(staged.location())
                .target(plan.from() == null ? MigrationSettings.LATEST : plan.from()).lockTimeout(DryRun.LOCK_TIMEOUT)
                .tls(staged.tls()) // the same server's certificate, as a rule; its own login
                .build();
        try (Connection s = MigrationRunner.dataSource(onScratch).getConnection()) {
            s.setAutoCommit(true);
            Connection t;
            try {
                t = MigrationRunner.dataSource(staged).getConnection();
            } catch (SQLException e) {
                // As in place: the real run says more about a database it cannot reach.
                return noted(plan, DryRun.NOT_DRY_RUN + Text.oneLine(e.getMessage()));
            }
            try (t) {
                t.setAutoCommit(true);
                if (sameDatabase(t, s)) {
                    throw new Refused("--dry-run-url (spec.policy.dryRunDatabase) reaches the database being migrated; the"
                            + " scratch database has its schemas dropped before every dry run, so it must be a database of"
                            + " its own: create one for it (CREATE DATABASE <name>_scratch) and name that. Nothing was run");
                }
            }
            if (!Undo.advisoryLock(s, LOCK_KEY, LOCK_WAIT)) {
                return unchecked(plan, "another dry run held " + where + " for more than " + LOCK_WAIT.toSeconds() + " s");
            }
            reset(s, staged.schemas(), where);
            try {
                if (plan.from() != null) {
                    String reached = rebuild(onScratch);
                    if (!plan.from().equals(reached)) {
                        return unchecked(plan, where + " reached revision " + reached + " instead of " + plan.from());
                    }
                }
                return DryRun.lintOnScratch(s, staged.schemas(), plan.steps(), files);
            } finally {
                // Whatever the run left is Lockstep's: record it, so the next dry run can tell if anything else wrote there.
                record(s);
            }
        } catch (FlywayException e) {
            return unchecked(plan, where + " could not be brought to revision " + plan.from() + " with the same scripts: "
                    + MigrationRunner.classify(e, onScratch).message() + " (it needs the roles and extensions the scripts use)");
        } catch (SQLException e) {
            return unchecked(plan, where + " cannot be used: " + Text.oneLine(e.getMessage()));
        }
    }

    private static List<MigrationPlan.Step> unchecked(MigrationPlan plan, String why) {
        return noted(plan, DryRun.UNCHECKED + why);
    }

    /** Every expand step with {@code note} and no findings: the scratch dry run did not get to them. */
    private static List<MigrationPlan.Step> noted(MigrationPlan plan, String note) {
        return plan.steps().stream().map(s -> s.kind() == MigrationPlan.Kind.Expand ? s.withLint(List.of(), note) : s).toList();
    }

    /**
     * The same database if both sessions report the same cluster system identifier and database OID, or if the
     * scratch session sees the target session, under a name made up for the purpose, connected to its own database.
     * Either check alone can be unavailable (pg_control_system may be revoked, activity tracking off), so both run.
     */
    static boolean sameDatabase(Connection target, Connection scratch) throws SQLException {
        String targetId = identity(target);
        String scratchId = identity(scratch);
        if (targetId != null && targetId.equals(scratchId)) {
            return true;
        }
        String token = "lockstep-identity-" + UUID.randomUUID();
        try (PreparedStatement set = target.prepareStatement("SELECT set_config('application_name', ?, false)")) {
            set.setString(1, token);
            set.execute();
        }
        try (PreparedStatement seen = scratch.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = ? AND datname = current_database()")) {
            seen.setString(1, token);
            try (ResultSet r = seen.executeQuery()) {
                return r.next() && r.getLong(1) > 0;
            }
        }
    }

    private static String identity(Connection c) {
        try (Statement st = c.createStatement(); ResultSet r = st.executeQuery("SELECT (SELECT system_identifier FROM"
                + " pg_control_system())::text || '/' || d.oid FROM pg_database d WHERE d.datname = current_database()")) {
            return r.next() ? r.getString(1) : null;
        } catch (SQLException e) {
            return null;
        }
    }

    /** Schemas of the scratch database that are not PostgreSQL's own or the record's. */
    private static final String USER_SCHEMAS = "SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog',"
            + " 'information_schema', 'pg_toast', '" + MARKER_SCHEMA + "') AND nspname NOT LIKE 'pg\\_temp\\_%'"
            + " AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%' ORDER BY 1";

    /**
     * Empties the managed schemas, once every schema of the database holding anything holds what Lockstep's last dry
     * run left there: {@code DROP SCHEMA … CASCADE} reaches whatever depends on the managed schemas, in any schema. One
     * transaction, so a refusal leaves the scratch database as it was.
     */
    private static void reset(Connection s, List<String> managed, String where) throws SQLException {
        s.setAutoCommit(false);
        try (Statement st = s.createStatement()) {
            // Catalog text (types, defaults, constraints) is printed relative to the search_path: fix it.
            st.execute("SET LOCAL search_path = pg_catalog");
            st.execute("CREATE SCHEMA IF NOT EXISTS " + MARKER_SCHEMA);
            st.execute("COMMENT ON SCHEMA " + MARKER_SCHEMA + " IS 'Lockstep dry runs: the managed schemas are dropped and"
                    + " rebuilt before each dry run; dry_runs keeps what the last one left in each schema'");
            st.execute("CREATE TABLE IF NOT EXISTS " + MARKER_SCHEMA + ".dry_runs (schema_name text PRIMARY KEY,"
                    + " fingerprint text, left_at timestamptz)");
            for (String schema : userSchemas(s)) {
                if (members(s, schema) == 0) {
                    continue;
                }
                Recorded recorded = recorded(s, schema);
                // A null fingerprint on record: a dry run that died midway; what it left is Lockstep's.
                if (recorded == null || recorded.fingerprint() != null && !recorded.fingerprint().equals(fingerprint(s, schema))) {
                    throw new Refused("schema " + schema + " of " + where + " holds objects " + (recorded == null
                            ? "that Lockstep's dry runs did not make" : "or rows that changed since Lockstep's dry run of "
                            + recorded.leftAt()) + "; a dry run drops and rebuilds schemas there, so Lockstep leaves the"
                            + " database alone: name a database only Lockstep's dry runs use (spec.policy.dryRunDatabase),"
                            + " or empty that schema if what it holds may go. Nothing was run");
                }
            }
            for (String schema : managed) {
                try (PreparedStatement mark = s.prepareStatement("INSERT INTO " + MARKER_SCHEMA + ".dry_runs VALUES (?, NULL, now())"
                        + " ON CONFLICT (schema_name) DO UPDATE SET fingerprint = NULL, left_at = now()")) {
                    mark.setString(1, schema);
                    mark.execute();
                }
                st.execute("DROP SCHEMA IF EXISTS " + Text.quoteIdentifier(schema) + " CASCADE");
                st.execute("CREATE SCHEMA " + Text.quoteIdentifier(schema));
            }
            s.commit();
        } catch (SQLException | RuntimeException e) {
            s.rollback();
            throw e;
        } finally {
            s.setAutoCommit(true);
        }
    }

    /** Runs the same scripts on the scratch database up to the plan's starting revision; returns the revision reached. */
    private static String rebuild(MigrationSettings onScratch) {
        var flyway = MigrationRunner.configure(onScratch);
        flyway.migrate();
        return MigrationRunner.revision(flyway.info());
    }

    /**
     * Keeps what the dry run left in each schema of the database, so the next one can tell nothing else has written
     * there. Best effort: a record that cannot be written leaves the managed schemas marked as interrupted.
     */
    private static void record(Connection s) {
        try {
            s.setAutoCommit(false);
            try (Statement st = s.createStatement()) {
                st.execute("SET LOCAL search_path = pg_catalog");
                st.execute("DELETE FROM " + MARKER_SCHEMA + ".dry_runs");
                for (String schema : userSchemas(s)) {
                    if (members(s, schema) == 0) {
                        continue;
                    }
                    try (PreparedStatement mark = s.prepareStatement("INSERT INTO " + MARKER_SCHEMA + ".dry_runs VALUES (?, ?, now())")) {
                        mark.setString(1, schema);
                        mark.setString(2, fingerprint(s, schema));
                        mark.execute();
                    }
                }
            }
            s.commit();
        } catch (SQLException e) {
            try {
                s.rollback();
            } catch (SQLException ignored) {
                // the connection is gone; the record stays as reset left it
            }
        } finally {
            try {
                s.setAutoCommit(true);
            } catch (SQLException ignored) {
                // as above
            }
        }
    }

    private static List<String> userSchemas(Connection s) throws SQLException {
        List<String> schemas = new java.util.ArrayList<>();
        try (Statement st = s.createStatement(); ResultSet r = st.executeQuery(USER_SCHEMAS)) {
            while (r.next()) {
                schemas.add(r.getString(1));
            }
        }
        return schemas;
    }

    /** Everything in the schema: every object that lives in a schema depends on it (tables, types, collations, …). */
    private static long members(Connection s, String schema) throws SQLException {
        try (PreparedStatement q = s.prepareStatement("SELECT count(*) FROM pg_depend WHERE refclassid = 'pg_namespace'::regclass"
                + " AND refobjid = (SELECT oid FROM pg_namespace WHERE nspname = ?)")) {
            q.setString(1, schema);
            try (ResultSet r = q.executeQuery()) {
                return r.next() ? r.getLong(1) : 0;
            }
        }
    }

    private record Recorded(String fingerprint, String leftAt) {}

    private static Recorded recorded(Connection s, String schema) throws SQLException {
        try (PreparedStatement q = s.prepareStatement("SELECT fingerprint, left_at::text FROM " + MARKER_SCHEMA
                + ".dry_runs WHERE schema_name = ?")) {
            q.setString(1, schema);
            try (ResultSet r = q.executeQuery()) {
                return r.next() ? new Recorded(r.getString(1), r.getString(2)) : null;
            }
        }
    }

    /**
     * A digest of the schema: its members, its catalog, its history rows and the row count of each table. Read with a
     * fixed search_path (see {@link #reset}), so the same schema always gives the same digest.
     */
    static String fingerprint(Connection s, String schema) throws SQLException {
        StringBuilder content = new StringBuilder().append(members(s, schema)).append('\n')
                .append(SchemaSnapshot.read(s, List.of(schema)).objects());
        List<String> tables = new java.util.ArrayList<>();
        try (PreparedStatement q = s.prepareStatement("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid ="
                + " c.relnamespace WHERE n.nspname = ? AND c.relkind IN ('r', 'p') ORDER BY 1")) {
            q.setString(1, schema);
            try (ResultSet r = q.executeQuery()) {
                while (r.next()) {
                    tables.add(r.getString(1));
                }
            }
        }
        for (String table : tables) {
            // Rows count too: something pointed at the scratch database by mistake writes rows before it changes tables.
            try (Statement st = s.createStatement(); ResultSet r = st.executeQuery("SELECT count(*) FROM "
                    + Text.quoteIdentifier(schema) + "." + Text.quoteIdentifier(table))) {
                content.append('\n').append(table).append(' ').append(r.next() ? r.getLong(1) : 0);
            }
            if (table.equals("flyway_schema_history")) {
                try (Statement st = s.createStatement(); ResultSet h = st.executeQuery("SELECT installed_rank, version,"
                        + " checksum, success FROM " + Text.quoteIdentifier(schema) + ".flyway_schema_history ORDER BY installed_rank")) {
                    while (h.next()) {
                        content.append('\n').append(h.getString(1)).append('|').append(h.getString(2)).append('|')
                                .append(h.getString(3)).append('|').append(h.getString(4));
                    }
                }
            }
        }
        return Sha256.hex(content.toString());
    }
}
