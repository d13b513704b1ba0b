package dev.lockstep.runner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Applies a plan's steps inside one transaction on the database itself, reads the catalog after each, and rolls
 * everything back: PostgreSQL's DDL is transactional, so no second database is needed to see what a script really
 * does. Runs under a short {@code lock_timeout}, so a busy table costs the dry run a note, not the application a
 * queue of blocked queries. A step PostgreSQL cannot run in a transaction ({@code CREATE INDEX CONCURRENTLY}) is not
 * dry-run and says so. Nothing is ever committed.
 */
final class DryRun {
    /** The longest a dry-run statement waits for a lock. */
    static final Duration LOCK_TIMEOUT = Duration.ofSeconds(2);
    /** The longest a dry-run statement may run: a long data step is noted, not waited for. */
    static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(30);
    /** Notes of steps that could not be checked although they could hide a destructive change; Block refuses them. */
    static final String UNCHECKED = "unchecked: ";
    /** Notes of steps a dry run cannot run by their nature (outside a transaction) or that fail in it. */
    static final String NOT_DRY_RUN = "not dry-run: ";
    private static final java.util.Set<String> TRANSACTION_CONTROL =
            java.util.Set.of("BEGIN", "COMMIT", "END", "ROLLBACK", "ABORT", "START", "SAVEPOINT", "RELEASE", "PREPARE");

    private DryRun() {}

    /** The plan's steps with what the dry run found in each; steps without a file (undo) are returned as they are. */
    static List<MigrationPlan.Step> lint(Connection c, List<String> schemas, List<MigrationPlan.Step> steps, List<Path> files,
                                         Duration lockTimeout) throws SQLException {
        List<MigrationPlan.Step> linted = new ArrayList<>();
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            long lockMillis = lockTimeout.isZero() ? LOCK_TIMEOUT.toMillis() : Math.min(lockTimeout.toMillis(), LOCK_TIMEOUT.toMillis());
            long statementMillis = STATEMENT_TIMEOUT.toMillis();
            try (Statement st = c.createStatement()) {
                st.execute("SET LOCAL lock_timeout = " + lockMillis);
                st.execute("SET LOCAL statement_timeout = " + statementMillis);
                // As Flyway runs scripts: unqualified names resolve in the first schema.
                st.execute("SET LOCAL search_path TO \"" + schemas.get(0).replace("\"", "\"\"") + "\"");
            }
            SchemaSnapshot base = SchemaSnapshot.read(c, schemas);
            SchemaSnapshot before = base;
            for (int i = 0; i < steps.size(); i++) {
                MigrationPlan.Step step = steps.get(i);
                Path file = files.get(i);
                if (file == null || step.kind() == MigrationPlan.Kind.Undo) {
                    linted.add(step);
                    continue;
                }
                String sql;
                try {
                    sql = Files.readString(file, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    linted.add(step.withLint(List.of(), UNCHECKED + "cannot read " + file.getFileName() + ": " + e.getMessage()));
                    continue;
                }
                ScriptStatements statements = ScriptStatements.of(sql);
                Optional<String> control = statements.statements().stream().map(ScriptStatements.Located::sql)
                        .filter(st -> TRANSACTION_CONTROL.contains(firstWord(st))).findFirst();
                if (control.isPresent()) {
                    // It would end the dry run's transaction and commit what came before it: never run it here.
                    linted.add(step.withLint(List.of(), UNCHECKED + "it controls transactions itself ("
                            + firstLine(control.get()) + "), which a dry run cannot roll back; remove BEGIN/COMMIT from the script"));
                    continue;
                }
                Savepoint savepoint = c.setSavepoint();
                try (Statement st = c.createStatement()) {
                    st.execute(sql);
                } catch (SQLException e) {
                    c.rollback(savepoint);
                    linted.add(step.withLint(List.of(), notDryRun(e, lockMillis, statementMillis)));
                    continue;
                }
                SchemaSnapshot after = SchemaSnapshot.read(c, schemas);
                List<String> findings = DestructiveChanges.of(base, before, after).stream().map(f -> {
                    int line = statements.lineOf(f.object());
                    return step.script() + (line > 0 ? ":" + line : "") + ": " + f.change();
                }).toList();
                linted.add(step.withLint(findings, null));
                before = after;
            }
        } finally {
            c.rollback();
            c.setAutoCommit(autoCommit);
        }
        return linted;
    }

    private static String notDryRun(SQLException e, long lockMillis, long statementMillis) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return switch (state) {
            case "25001" -> NOT_DRY_RUN + "it runs outside a transaction (such as CREATE INDEX CONCURRENTLY), so its changes are not checked";
            case "55P03" -> UNCHECKED + "a lock was not granted within " + lockMillis + " ms (a busy table), so its changes are"
                    + " not checked; retry when the table is quieter";
            case "57014" -> NOT_DRY_RUN + "a statement ran longer than " + statementMillis / 1000 + " s (a data step), so the"
                    + " rest of it is not checked";
            default -> NOT_DRY_RUN + "it fails inside the dry run (SQLSTATE " + state + ": " + firstLine(e.getMessage())
                    + "); the real run will say more";
        };
    }

    private static String firstWord(String sql) {
        String stripped = sql.stripLeading();
        int end = 0;
        while (end < stripped.length() && Character.isLetter(stripped.charAt(end))) {
            end++;
        }
        return stripped.substring(0, end).toUpperCase(java.util.Locale.ROOT);
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("").strip();
    }
}
