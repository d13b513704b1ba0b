package dev.lockstep.runner;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;

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
        MigrationSettings onScratch = new MigrationSettings(scratch.url(), scratch.username(), scratch.password(),
                staged.schemas(), staged.location(), plan.from() == null ? MigrationSettings.LATEST : plan.from(), null,
                DryRun.LOCK_TIMEOUT, Duration.ZERO, false, false, MigrationSettings.PlanPolicy.NONE);
        try (Connection s = MigrationRunner.dataSource(onScratch).getConnection()) {
            s.setAutoCommit(true);
            try (Connection t = MigrationRunner.dataSource(staged).getConnection()) {
                t.setAutoCommit(true);
                if (sameDatabase(t, s)) {
                    throw new Refused("--dry-run-url (spec.policy.dryRunDatabase) reaches the database being migrated; the"
                            + " scratch database is emptied before every dry run, so it must be a database of its own: create"
                            + " one for it (CREATE DATABASE <name>_scratch) and name that. Nothing was run");
                }
            } catch (SQLException e) {
                // As in place: the real run says more about a database it cannot reach.
                return plan.steps().stream().map(step -> step.kind() == MigrationPlan.Kind.Expand ? step.withLint(List.of(),
                        DryRun.NOT_DRY_RUN + MigrationRunner.firstLine(e.getMessage())) : step).toList();
            }
            if (!Undo.advisoryLock(s, LOCK_KEY, LOCK_WAIT)) {
                return unchecked(plan, "another dry run held " + where + " for more than " + LOCK_WAIT.toSeconds() + " s");
            }
            reset(s, staged.schemas(), where);
            if (plan.from() != null) {
                String reached = rebuild(onScratch);
                if (!plan.from().equals(reached)) {
                    return unchecked(plan, where + " reached revision " + reached + " instead of " + plan.from());
                }
            }
            List<MigrationPlan.Step> linted = DryRun.lintOnScratch(s, staged.schemas(), plan.steps(), files);
            record(s, staged.schemas());
            return linted;
        } catch (FlywayException e) {
            return unchecked(plan, where + " could not be brought to revision " + plan.from() + " with the same scripts: "
                    + MigrationRunner.classify(e, onScratch).message() + " (it needs the roles and extensions the scripts use)");
        } catch (SQLException e) {
            return unchecked(plan, where + " cannot be used: " + MigrationRunner.firstLine(e.getMessage()));
        }
    }

    private static List<MigrationPlan.Step> unchecked(MigrationPlan plan, String why) {
        return plan.steps().stream().map(s -> s.kind() == MigrationPlan.Kind.Expand ? s.withLint(List.of(), DryRun.UNCHECKED + why) : s)
                .toList();
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

    /**
     * Empties the managed schemas, after checking each is empty or as Lockstep left it; all in one transaction, so a
     * refusal leaves the scratch database as it was.
     */
    private static void reset(Connection s, List<String> schemas, String where) throws SQLException {
        s.setAutoCommit(false);
        try (Statement st = s.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + MARKER_SCHEMA);
            st.execute("COMMENT ON SCHEMA " + MARKER_SCHEMA + " IS 'Lockstep dry runs: the schemas named in dry_runs are"
                    + " dropped and rebuilt before each dry run'");
            st.execute("CREATE TABLE IF NOT EXISTS " + MARKER_SCHEMA + ".dry_runs (schema_name text PRIMARY KEY,"
                    + " fingerprint text, left_at timestamptz)");
            for (String schema : schemas) {
                String now = fingerprint(s, schema);
                Recorded recorded = recorded(s, schema);
                // A null fingerprint on record: a dry run that was interrupted midway; its leftovers are Lockstep's.
                if (now != null && (recorded == null || recorded.fingerprint() != null && !recorded.fingerprint().equals(now))) {
                    s.rollback();
                    throw new Refused("schema " + schema + " of " + where + " holds objects "
                            + (recorded == null ? "that Lockstep did not make" : "that changed since Lockstep's dry run of "
                            + recorded.leftAt()) + "; a dry run drops and rebuilds it, so Lockstep leaves it alone: name a"
                            + " database only Lockstep's dry runs use (spec.policy.dryRunDatabase), or empty that schema"
                            + " if what it holds may go. Nothing was run");
                }
                try (PreparedStatement mark = s.prepareStatement("INSERT INTO " + MARKER_SCHEMA + ".dry_runs VALUES (?, NULL, now())"
                        + " ON CONFLICT (schema_name) DO UPDATE SET fingerprint = NULL, left_at = now()")) {
                    mark.setString(1, schema);
                    mark.execute();
                }
                st.execute("DROP SCHEMA IF EXISTS " + DryRun.quote(schema) + " CASCADE");
                st.execute("CREATE SCHEMA " + DryRun.quote(schema));
            }
            s.commit();
        } finally {
            s.setAutoCommit(true);
        }
    }

    /** Runs the same scripts on the scratch database up to the plan's starting revision; returns the revision reached. */
    private static String rebuild(MigrationSettings onScratch) {
        var flyway = MigrationRunner.configure(onScratch);
        flyway.migrate();
        MigrationInfo current = flyway.info().current();
        return MigrationRunner.version(current);
    }

    /** Keeps what the dry run left in each schema, so the next one can tell nothing else has written there. */
    private static void record(Connection s, List<String> schemas) throws SQLException {
        for (String schema : schemas) {
            try (PreparedStatement mark = s.prepareStatement("UPDATE " + MARKER_SCHEMA + ".dry_runs SET fingerprint = ?,"
                    + " left_at = now() WHERE schema_name = ?")) {
                mark.setString(1, fingerprint(s, schema));
                mark.setString(2, schema);
                mark.execute();
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

    /** Null for an absent or empty schema; otherwise a digest of its catalog and of its history rows. */
    static String fingerprint(Connection s, String schema) throws SQLException {
        long count;
        try (PreparedStatement q = s.prepareStatement("""
                SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = n.oid)
                     + (SELECT count(*) FROM pg_proc WHERE pronamespace = n.oid)
                     + (SELECT count(*) FROM pg_type WHERE typnamespace = n.oid AND typrelid = 0 AND typcategory <> 'A')
                FROM pg_namespace n WHERE n.nspname = ?
                """)) {
            q.setString(1, schema);
            try (ResultSet r = q.executeQuery()) {
                count = r.next() ? r.getLong(1) : 0;
            }
        }
        if (count == 0) {
            return null;
        }
        StringBuilder content = new StringBuilder().append(count).append('\n')
                .append(SchemaSnapshot.read(s, List.of(schema)).objects());
        try (PreparedStatement q = s.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            q.setString(1, DryRun.quote(schema) + ".flyway_schema_history");
            try (ResultSet r = q.executeQuery()) {
                if (r.next() && r.getBoolean(1)) {
                    try (Statement st = s.createStatement(); ResultSet h = st.executeQuery("SELECT installed_rank, version,"
                            + " checksum, success FROM " + DryRun.quote(schema) + ".flyway_schema_history ORDER BY installed_rank")) {
                        while (h.next()) {
                            content.append('\n').append(h.getString(1)).append('|').append(h.getString(2)).append('|')
                                    .append(h.getString(3)).append('|').append(h.getString(4));
                        }
                    }
                }
            }
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(content.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
