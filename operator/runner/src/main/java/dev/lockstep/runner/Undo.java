package dev.lockstep.runner;

import dev.lockstep.common.Text;
import dev.lockstep.runner.RunResult.Applied;
import dev.lockstep.runner.RunResult.Failure;
import dev.lockstep.runner.RunResult.Outcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationVersion;

/** Going down: the undo scripts of the versions above a target, newest first, each with its history row. */
final class Undo {
    private Undo() {}

    /**
     * Takes the database down to the target: the undo script of every applied version above it, newest first, each in
     * one transaction with the removal of its history row, so a failure leaves the database at the last version it
     * fully reached. Nothing runs unless every version above the target has its undo script.
     */
    /** The highest version applied before the run that is below {@code version}: where undoing down to it leaves. */
    private static String revisionBelow(MigrationInfoService before, String version) {
        MigrationVersion undone = MigrationVersion.fromVersion(version);
        return Arrays.stream(before.applied())
                .filter(m -> m.getVersion() != null && !m.getState().isFailed() && m.getVersion().compareTo(undone) < 0)
                .map(MigrationInfo::getVersion).max(Comparator.naturalOrder()).map(MigrationVersion::getVersion).orElse(null);
    }

    static RunResult run(MigrationSettings settings, MigrationSource source, MigrationInfoService before,
                                  MigrationVersion limit, String target) {
        String from = MigrationRunner.revision(before);
        List<MigrationInfo> above = Arrays.stream(before.applied())
                .filter(m -> m.getVersion() != null && m.getVersion().compareTo(limit) > 0 && !m.getState().isFailed())
                .sorted(Comparator.comparing(MigrationInfo::getVersion).reversed())
                .toList();
        List<String> baselines = above.stream().filter(m -> m.getType() != null && m.getType().isBaseline())
                .map(m -> m.getVersion().getVersion()).toList();
        if (!baselines.isEmpty()) {
            return RunResult.unchanged("migrate", Outcome.FAILED, target,
                    from, List.of(), new Failure(FailureCategory.ARGUMENTS, null, null, null,
                            "the database was adopted at revision " + baselines.get(0)
                            + " (baseline): it cannot go below it; set the target to " + baselines.get(0) + " or higher"));
        }
        List<String> missing = above.stream().filter(m -> !source.undoScripts().containsKey(m.getVersion()))
                .map(m -> m.getVersion().getVersion()).toList();
        if (!missing.isEmpty()) {
            return RunResult.unchanged("migrate", Outcome.FAILED, target,
                    from, List.of(), new Failure(FailureCategory.VALIDATION, null, null, null,
                            "no undo script for version(s) " + String.join(", ", missing) + ": going down to " + target
                            + " needs U<version>__<description>.sql next to each V script above it"
                            + "; nothing was undone"));
        }
        List<Untransactional> untransactional = above.stream()
                .flatMap(m -> outsideATransaction(source.undoScripts().get(m.getVersion())).stream()).toList();
        if (!untransactional.isEmpty()) {
            return RunResult.unchanged("migrate", Outcome.FAILED, target,
                    from, List.of(), new Failure(FailureCategory.VALIDATION, null,
                            untransactional.get(0).undo().script(), null, refusal(untransactional)
                            + "; nothing was undone"));
        }
        String history = Text.quoteIdentifier(settings.schemas().get(0)) + ".\"flyway_schema_history\"";
        List<Applied> undone = new ArrayList<>();
        MigrationSource.UndoScript running = null;
        try (Connection c = MigrationRunner.dataSource(settings).getConnection()) {
            // Flyway's own lock on this history table, for the whole way down: a concurrent migrate (another runner, a
            // person's laptop) waits for this undo to finish, and this undo for a migrate under way.
            long key = flywayLockKey(settings.schemas().get(0));
            if (!advisoryLock(c, key, HISTORY_LOCK_WAIT)) {
                return RunResult.wentDown(target, from, from, List.of(), new Failure(
                        FailureCategory.SQL, "55P03", null, null, "another migration holds the lock on the history table"
                        + " (Flyway's advisory lock) for more than " + HISTORY_LOCK_WAIT.toSeconds() + " s; nothing was undone:"
                        + " retry once it is done"), undone);
            }
            c.setAutoCommit(false);
            try {
                for (MigrationInfo m : above) {
                    running = source.undoScripts().get(m.getVersion());
                    String sql = Files.readString(running.file(), StandardCharsets.UTF_8);
                    long started = System.nanoTime();
                    List<String> notices;
                    try (Statement st = c.createStatement()) {
                        // Flyway writes this table while it migrates: holding it keeps a concurrent migrate out.
                        st.execute("LOCK TABLE " + history + " IN SHARE ROW EXCLUSIVE MODE");
                        st.clearWarnings();
                        st.execute(sql);
                        notices = notices(st.getWarnings(), settings);
                    }
                    try (PreparedStatement delete = c.prepareStatement("DELETE FROM " + history + " WHERE version = ?")) {
                        delete.setString(1, m.getVersion().getVersion());
                        if (delete.executeUpdate() == 0) {
                            throw new SQLException("the history row of version " + m.getVersion() + " is gone: another run"
                                    + " changed the history; nothing of this step was kept", "40001");
                        }
                    }
                    c.commit();
                    undone.add(new Applied(m.getVersion().getVersion(), m.getDescription(), running.script(),
                            (System.nanoTime() - started) / 1_000_000, notices.isEmpty() ? null : notices));
                }
            } catch (SQLException e) {
                if (MigrationRunner.isConnectionState(e.getSQLState())) {
                    throw e; // the server went away: nothing to roll back on this connection, said below
                }
                c.rollback();
                String to = undone.isEmpty() ? from : MigrationRunner.revision(MigrationRunner.configure(settings, MigrationSettings.LATEST).info());
                return RunResult.wentDown(target, from, to, List.of(), new Failure(
                        FailureCategory.SQL, e.getSQLState(), running.script(), null, Redaction.text(e.getMessage(),
                        settings.password()) + " (undo of " + running.version() + " rolled back; the database is at " + to + ")"),
                        undone);
            }
        } catch (SQLException e) {
            // Each version is undone in its own transaction: those committed stay undone, the one under way rolled back.
            String to = undone.isEmpty() ? from : revisionBelow(before, undone.get(undone.size() - 1).version());
            boolean connection = MigrationRunner.isConnectionState(e.getSQLState());
            String message = Redaction.text(Text.oneLine(e.getMessage()), settings.password());
            if (connection && running != null) {
                message = "the connection to the database was lost during the undo of " + running.version() + " (" + message
                        + "): the server rolled back its transaction, so nothing of " + running.script() + " stayed, unless"
                        + " the connection was lost as it committed (the history table, which the next run reads first, says"
                        + " which); the database is at " + (to == null ? "none" : to);
            }
            return RunResult.wentDown(target, from, to, List.of(),
                    new Failure(connection ? FailureCategory.CONNECTION : FailureCategory.SQL, e.getSQLState(),
                            running == null ? null : running.script(), null, message,
                            connection && MigrationRunner.isTransient(e)),
                    undone);
        } catch (IOException e) {
            return RunResult.wentDown(target, from, from, List.of(), new Failure(
                    FailureCategory.INTERNAL, null, running == null ? null : running.script(), null, e.toString()), undone);
        }
        MigrationInfoService after = MigrationRunner.configure(settings, MigrationSettings.LATEST).info();
        return RunResult.wentDown(target, from, MigrationRunner.revision(after), MigrationRunner.pendingVersions(after), null, undone);
    }

    /**
     * What in an undo script cannot run in the one transaction it runs in, one line each ({@code script:line: what, and
     * how to write it}); empty when it all can. Found before anything is undone, so a way down never stops half done
     * on a statement PostgreSQL refuses in a transaction block.
     */
    static List<Untransactional> outsideATransaction(MigrationSource.UndoScript undo) {
        String sql;
        try {
            sql = Files.readString(undo.file(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of(new Untransactional(undo, undo.script() + ": cannot be read: " + e.getMessage()));
        }
        List<Untransactional> problems = new ArrayList<>();
        for (ScriptStatements.Located statement : ScriptStatements.of(sql).statements()) {
            String where = undo.script() + ":" + statement.line() + ": ";
            TransactionBlocks.of(statement.sql()).ifPresent(form -> problems.add(new Untransactional(undo, where + form.form()
                    + " cannot run inside a transaction; " + form.inUndo())));
            if (DryRun.isTransactionControl(statement.sql())) {
                problems.add(new Untransactional(undo, where + Text.oneLine(statement.sql()) + " controls the"
                        + " transaction itself, which would commit part of the undo without its history row; remove it"));
            }
        }
        return problems;
    }

    /** One statement of an undo script that cannot run in the undo's transaction: the script, and what to change. */
    record Untransactional(MigrationSource.UndoScript undo, String problem) {
        @Override
        public String toString() {
            return problem;
        }
    }

    /** What PostgreSQL said while a script ran, at most a few lines, without any password. */
    private static List<String> notices(java.sql.SQLWarning warning, MigrationSettings settings) {
        List<String> notices = new ArrayList<>();
        for (java.sql.SQLWarning w = warning; w != null && notices.size() < MAX_NOTICES; w = w.getNextWarning()) {
            notices.add(Redaction.text(Text.oneLine(w.getMessage()), settings.password()));
        }
        return notices;
    }

    private static final int MAX_NOTICES = 5;

    /** The message for undo scripts that cannot run as an undo runs. */
    static String refusal(List<Untransactional> problems) {
        return "undo scripts run in one transaction with the removal of their history row, so each of these must change:"
                + " " + String.join("; ", problems.stream().map(Untransactional::problem).toList());
    }

    /** How long going down waits for a migrate holding the history table's lock, as Flyway waits for it. */
    static final java.time.Duration HISTORY_LOCK_WAIT = java.time.Duration.ofSeconds(60);

    /** Takes a session advisory lock, trying every 100 ms (lock_timeout does not bound a try-lock), up to {@code wait}. */
    static boolean advisoryLock(Connection c, long key, java.time.Duration wait) throws SQLException {
        long deadline = System.nanoTime() + wait.toNanos();
        try (PreparedStatement lock = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            lock.setLong(1, key);
            while (true) {
                try (var rs = lock.executeQuery()) {
                    if (rs.next() && rs.getBoolean(1)) {
                        return true; // released with the session, when the connection closes
                    }
                }
                if (System.nanoTime() > deadline) {
                    return false;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    /**
     * The advisory lock key Flyway's PostgreSQL support takes while it migrates: a fixed base plus the hash of the
     * quoted history table name ({@code PostgreSQLAdvisoryLockTemplate}); a database test checks it against the lock
     * a running Flyway migrate holds.
     */
    static long flywayLockKey(String historySchema) {
        return 77431708279161L + ("\"" + historySchema + "\".\"flyway_schema_history\"").hashCode();
    }

}
