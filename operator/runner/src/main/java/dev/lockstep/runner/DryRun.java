package dev.lockstep.runner;

import dev.lockstep.common.Text;
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
import java.util.Objects;
import java.util.Optional;

/**
 * Applies a plan's steps inside one transaction on the database itself, reads the catalog after each (only the objects
 * that were there before the plan, and what took their name or kept their OID: see {@link SchemaSnapshot.Scope}; and
 * not after a step that wrote no catalog row: see {@link CatalogWrites}), and rolls everything back: PostgreSQL's DDL
 * is transactional, so no second database is needed to see what a script really does. Runs under a short {@code lock_timeout}, so a busy table costs the dry run a note, not the application a
 * queue of blocked queries. A step PostgreSQL cannot run in a transaction is dry-run a statement at a time, with a
 * transactional stand-in for what {@link TransactionBlocks} knows, and is unchecked otherwise. Nothing is ever committed.
 *
 * <p>When the policy names a scratch database, {@link #lintOnScratch} runs the same check there instead, committing
 * each step, so nothing at all runs on the database being migrated.
 */
final class DryRun {
    /** The longest a dry-run statement waits for a lock. */
    static final Duration LOCK_TIMEOUT = Duration.ofSeconds(2);
    /** The longest a dry-run statement may run: a long data step is noted, not waited for. */
    static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(30);
    /** Notes of steps that could not be checked although they could hide a destructive change; Block refuses them. */
    static final String UNCHECKED = "unchecked: ";
    /** Notes of steps whose table stayed locked: unchecked, and retried with back-off before Block refuses them. */
    static final String LOCK_BUSY = UNCHECKED + "a lock was not granted within ";
    /** Notes of steps a dry run cannot run by their nature (outside a transaction) or that fail in it. */
    static final String NOT_DRY_RUN = "not dry-run: ";
    private static final java.util.Set<String> TRANSACTION_CONTROL =
            java.util.Set.of("BEGIN", "COMMIT", "END", "ROLLBACK", "ABORT", "START", "SAVEPOINT", "RELEASE", "PREPARE");

    private DryRun() {}

    /** The plan's steps with what the dry run found in each; steps without a file (undo) are returned as they are. */
    static List<MigrationPlan.Step> lint(Connection c, List<String> schemas, List<MigrationPlan.Step> steps, List<Path> files,
                                         Duration lockTimeout) throws SQLException {
        return lint(c, schemas, steps, files, lockTimeout, Reads.BASE_OBJECTS);
    }

    static List<MigrationPlan.Step> lint(Connection c, List<String> schemas, List<MigrationPlan.Step> steps, List<Path> files,
                                         Duration lockTimeout, Reads reads) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            long lockMillis = lockTimeout.isZero() ? LOCK_TIMEOUT.toMillis() : Math.min(lockTimeout.toMillis(), LOCK_TIMEOUT.toMillis());
            long statementMillis = STATEMENT_TIMEOUT.toMillis();
            try (Statement st = c.createStatement()) {
                st.execute("SET LOCAL lock_timeout = " + lockMillis);
                st.execute("SET LOCAL statement_timeout = " + statementMillis);
                // As Flyway runs scripts: unqualified names resolve in the first schema.
                st.execute("SET LOCAL search_path TO " + Text.quoteIdentifier(schemas.get(0)));
            }
            return check(c, schemas, steps, files, reads, true, (sql, statements) -> {
                Optional<String> control = transactionControl(statements);
                if (control.isPresent()) {
                    // It would end the dry run's transaction and commit what came before it: never run it here.
                    return UNCHECKED + "it controls transactions itself (" + Text.firstLine(control.get()) + "), which a dry run"
                            + " cannot roll back; remove BEGIN/COMMIT from the script, or dry-run on a scratch database"
                            + " (spec.policy.dryRunDatabase)";
                }
                Savepoint savepoint = c.setSavepoint();
                try (Statement st = c.createStatement()) {
                    st.execute(sql);
                    return null;
                } catch (SQLException e) {
                    c.rollback(savepoint);
                    if ("25001".equals(e.getSQLState())) {
                        return statementByStatement(c, statements, lockMillis, statementMillis);
                    }
                    return notDryRun(e, lockMillis, statementMillis);
                }
            });
        } finally {
            c.rollback();
            c.setAutoCommit(autoCommit);
        }
    }

    /**
     * As {@link #lint}, on a scratch database that nobody else uses (see {@link ScratchDryRun}): each step is committed
     * there as Flyway would run it, so a step that runs outside a transaction ({@code CREATE INDEX CONCURRENTLY}) or
     * that has its own BEGIN/COMMIT is checked too. Leaves the scratch database at the end of the plan (as it was, when
     * its schemas held nothing and there is nothing to check).
     */
    static List<MigrationPlan.Step> lintOnScratch(Connection c, List<String> schemas, List<MigrationPlan.Step> steps,
                                                  List<Path> files) throws SQLException {
        return lintOnScratch(c, schemas, steps, files, Reads.BASE_OBJECTS);
    }

    static List<MigrationPlan.Step> lintOnScratch(Connection c, List<String> schemas, List<MigrationPlan.Step> steps,
                                                  List<Path> files, Reads reads) throws SQLException {
        long lockMillis = LOCK_TIMEOUT.toMillis();
        long statementMillis = STATEMENT_TIMEOUT.toMillis();
        c.setAutoCommit(true);
        try (Statement st = c.createStatement()) {
            st.execute("SET lock_timeout = " + lockMillis);
            st.execute("SET statement_timeout = " + statementMillis);
            st.execute("SET search_path TO " + Text.quoteIdentifier(schemas.get(0)));
        }
        return check(c, schemas, steps, files, reads, false, (sql, statements) -> {
            if (transactionControl(statements).isEmpty()) {
                c.setAutoCommit(false);
                try (Statement st = c.createStatement()) {
                    st.execute(sql);
                    c.commit();
                    return null;
                } catch (SQLException e) {
                    c.rollback();
                    if (!"25001".equals(e.getSQLState())) {
                        return failedOnScratch(e, null);
                    }
                    // It cannot run in a transaction: run it statement by statement, as Flyway does such a script.
                } finally {
                    c.setAutoCommit(true);
                }
            }
            for (ScriptStatements.Located statement : statements.statements()) {
                try (Statement st = c.createStatement()) {
                    st.execute(statement.sql());
                } catch (SQLException e) {
                    try (Statement st = c.createStatement()) {
                        st.execute("ROLLBACK"); // in case it failed inside the script's own BEGIN
                    }
                    return failedOnScratch(e, statement.line());
                }
            }
            return null;
        });
    }

    private static final String UNCHECKED_REMEDY = "; dry-run on a scratch database (spec.policy.dryRunDatabase), or let it"
            + " through with spec.policy.destructive: Warn";

    /**
     * A script PostgreSQL will not run in a transaction, dry-run a statement at a time: each statement that may run in
     * one runs; one that may not is run as its transactional stand-in ({@code DROP INDEX CONCURRENTLY} as {@code DROP
     * INDEX}), left out when its form is harmless ({@code CREATE INDEX CONCURRENTLY}), and otherwise makes the step
     * unchecked, which Block refuses: a step that cannot be dry-run may still be destructive.
     */
    private static String statementByStatement(Connection c, ScriptStatements statements, long lockMillis, long statementMillis)
            throws SQLException {
        List<String> leftOut = new ArrayList<>();
        for (ScriptStatements.Located statement : statements.statements()) {
            Optional<TransactionBlocks.Form> form = TransactionBlocks.of(statement.sql());
            if (form.isPresent() && form.get().dryRun() == TransactionBlocks.DryRunAs.UNCHECKED) {
                return UNCHECKED + form.get().form() + " (line " + statement.line() + ") runs outside a transaction, so a dry"
                        + " run cannot run it, and " + form.get().why() + UNCHECKED_REMEDY;
            }
            if (form.isPresent() && form.get().dryRun() == TransactionBlocks.DryRunAs.HARMLESS) {
                leftOut.add(form.get().form() + " (line " + statement.line() + "): " + form.get().why());
                continue;
            }
            String sql = form.map(TransactionBlocks.Form::standIn).orElse(statement.sql());
            // Each statement on its own savepoint: what the statements before a failing one changed is still compared.
            Savepoint one = c.setSavepoint();
            try (Statement st = c.createStatement()) {
                st.execute(sql);
            } catch (SQLException e) {
                c.rollback(one);
                if ("25001".equals(e.getSQLState())) {
                    return UNCHECKED + "line " + statement.line() + " runs outside a transaction (" + Text.firstLine(statement.sql())
                            + "), so a dry run cannot run it and cannot tell what it changes" + UNCHECKED_REMEDY;
                }
                if (!leftOut.isEmpty()) {
                    // It may fail only for want of what was left out (an index it uses): the rest is not known to be safe.
                    return UNCHECKED + "line " + statement.line() + " fails in the dry run (SQLSTATE " + e.getSQLState() + ": "
                            + Text.firstLine(e.getMessage()) + "), perhaps because " + String.join("; ", leftOut.stream()
                            .map(l -> l.substring(0, l.indexOf(':'))).toList()) + " was left out, so the rest of the step is"
                            + " not checked" + UNCHECKED_REMEDY;
                }
                return notDryRun(e, lockMillis, statementMillis);
            }
        }
        return leftOut.isEmpty() ? null : NOT_DRY_RUN + "it runs outside a transaction; checked a statement at a time, leaving out "
                + String.join("; ", leftOut);
    }

    /** Runs one step's script; returns null when it ran, or the note that says why it was not checked. */
    private interface StepRun {
        String run(String sql, ScriptStatements statements) throws SQLException;
    }

    /**
     * What the dry run reads after each step: the base's objects and what can take their place (what it does), or the
     * whole catalog of the schemas, which finds the same and is kept as the reference the tests hold it to.
     */
    enum Reads { BASE_OBJECTS, WHOLE_CATALOG }

    /**
     * @param oneTransaction the steps run in one transaction (in place), where a step that wrote no catalog row and
     *                       changed no setting is not followed by a read (see {@link CatalogWrites}); on a scratch
     *                       database each step commits, and every step is followed by one
     */
    private static List<MigrationPlan.Step> check(Connection c, List<String> schemas, List<MigrationPlan.Step> steps,
                                                  List<Path> files, Reads reads, boolean oneTransaction, StepRun run)
            throws SQLException {
        SchemaSnapshot base = SchemaSnapshot.read(c, schemas);
        // After each step only what can stand for an object of the base is read again: a finding only ever names one.
        SchemaSnapshot.Scope scope = reads == Reads.WHOLE_CATALOG ? SchemaSnapshot.Scope.WHOLE : SchemaSnapshot.Scope.of(base, schemas);
        if (scope.isEmpty()) {
            return nothingToBreak(schemas, steps);
        }
        try (SchemaSnapshot.Reader reader = SchemaSnapshot.reader(c, schemas, scope);
             CatalogWrites writes = oneTransaction && reads == Reads.BASE_OBJECTS ? CatalogWrites.watch(c) : CatalogWrites.ALWAYS;
             CatalogDigest digest = reads == Reads.BASE_OBJECTS ? CatalogDigest.of(c, schemas, scope) : null) {
            return check(base, reader, writes, digest, steps, files, run);
        }
    }

    /**
     * @param digest of the rows a read is written from, so a step that wrote the catalog but none of those rows (it made
     *               objects of its own) is not followed by a read; null for the reference, which reads after every step
     */
    private static List<MigrationPlan.Step> check(SchemaSnapshot base, SchemaSnapshot.Reader reader, CatalogWrites writes,
                                                  CatalogDigest digest, List<MigrationPlan.Step> steps, List<Path> files,
                                                  StepRun run) throws SQLException {
        List<MigrationPlan.Step> linted = new ArrayList<>();
        SchemaSnapshot before = base;
        // The digest as of the last read.
        String read = digest == null ? null : digest.watch();
        int unread = -1; // the first step since the last read that wrote the catalog but left the digest as it was
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
            String note = run.run(sql, statements);
            // A step that failed midway on a scratch database may have left part of itself behind: what that part
            // changed is reported too. In place, the step was rolled back to its savepoint and nothing changed.
            SchemaSnapshot after = before;
            if (writes.changed()) {
                if (digest == null || !Objects.equals(digest.digest(), read)) {
                    after = reader.read();
                    read = digest == null ? null : digest.watch();
                    unread = -1;
                } else if (unread < 0 || step.kind() == MigrationPlan.Kind.Expand && linted.get(unread).kind() != MigrationPlan.Kind.Expand) {
                    unread = linted.size(); // an expand step, where one is unread, since block weighs only their findings
                }
            }
            List<String> declared = statements.statements().stream().map(ScriptStatements.Located::sql)
                    .filter(st -> TransactionBlocks.of(st).filter(TransactionBlocks.Form::buildsIndex).isPresent())
                    .toList();
            List<DestructiveChanges.Finding> all = DestructiveChanges.of(base, before, after, declared);
            java.util.function.Function<DestructiveChanges.Finding, String> located = f -> {
                int line = statements.lineOf(f.object());
                return step.script() + (line > 0 ? ":" + line : "") + ": " + f.change();
            };
            linted.add(withFound(step, List.of(), note, all, located));
            before = after;
        }
        if (unread >= 0) {
            missedByTheDigest(base, before, reader.read(), linted, unread);
        }
        return linted;
    }

    /**
     * The last read, when steps since the one before it wrote the catalog but the digest of what a read is written from
     * stayed the same. It finds nothing unless the digest missed a change; a change it missed is then reported on the
     * first of those steps that is an expand step (or the first of them, if none is), without a line, rather than lost.
     */
    private static void missedByTheDigest(SchemaSnapshot base, SchemaSnapshot before, SchemaSnapshot last,
                                          List<MigrationPlan.Step> linted, int unread) {
        List<DestructiveChanges.Finding> missed = DestructiveChanges.of(base, before, last, List.of());
        if (missed.isEmpty()) {
            return;
        }
        MigrationPlan.Step step = linted.get(unread);
        linted.set(unread, withFound(step, step.findings() == null ? List.of() : step.findings(), step.note(), missed,
                f -> step.script() + " or a step after it: " + f.change()));
    }

    /**
     * {@code step} linted with {@code findings} and {@code note}, and what the dry run {@code found} there: a destructive
     * change among the findings, a harmless one appended to the note, each written by {@code located}.
     */
    private static MigrationPlan.Step withFound(MigrationPlan.Step step, List<String> findings, String note,
                                                List<DestructiveChanges.Finding> found,
                                                java.util.function.Function<DestructiveChanges.Finding, String> located) {
        List<String> destructive = new ArrayList<>(findings);
        found.stream().filter(DestructiveChanges.Finding::destructive).map(located).forEach(destructive::add);
        List<String> harmless = found.stream().filter(f -> !f.destructive()).map(located).toList();
        if (!harmless.isEmpty()) {
            note = (note == null ? "" : note + "; ") + String.join("; ", harmless);
        }
        return step.withLint(destructive, note);
    }

    /**
     * A plan on schemas that held nothing (a new database, a new schema): every finding names an object that was there
     * before the plan, so none can be found, and running the steps would only cost the run their time. The first expand
     * step says so; nothing is refused for it.
     */
    private static List<MigrationPlan.Step> nothingToBreak(List<String> schemas, List<MigrationPlan.Step> steps) {
        List<MigrationPlan.Step> noted = new ArrayList<>(steps);
        for (int i = 0; i < noted.size(); i++) {
            if (noted.get(i).kind() == MigrationPlan.Kind.Expand) {
                noted.set(i, noted.get(i).withLint(List.of(), NOT_DRY_RUN + "schema(s) " + String.join(", ", schemas)
                        + " held nothing before this plan, so no step can break code written for them; none of its "
                        + steps.size() + " step(s) was dry-run"));
                break;
            }
        }
        return noted;
    }

    private static Optional<String> transactionControl(ScriptStatements statements) {
        return statements.statements().stream().map(ScriptStatements.Located::sql).filter(DryRun::isTransactionControl).findFirst();
    }

    /** BEGIN, COMMIT, ROLLBACK and the like: a statement that starts or ends a transaction. */
    static boolean isTransactionControl(String statement) {
        return TRANSACTION_CONTROL.contains(firstWord(statement));
    }

    /**
     * A step that fails on the scratch database may fail there only (a role, an extension, data it expects), and what
     * it would have done after the failure is unknown: unchecked, which Block refuses.
     */
    private static String failedOnScratch(SQLException e, Integer line) {
        return UNCHECKED + "it fails on the scratch database" + (line == null ? "" : " at line " + line) + " (SQLSTATE "
                + e.getSQLState() + ": " + Text.firstLine(e.getMessage()) + "), so what it does after that is not checked; fix"
                + " the script or the scratch database (roles, extensions), or let it through with spec.policy.destructive: Warn";
    }

    private static String notDryRun(SQLException e, long lockMillis, long statementMillis) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return switch (state) {
            case "55P03" -> LOCK_BUSY + lockMillis + " ms (a busy table), so its changes are not checked";
            case "57014" -> NOT_DRY_RUN + "a statement ran longer than " + statementMillis / 1000 + " s (a data step), so the"
                    + " rest of it is not checked";
            default -> NOT_DRY_RUN + "it fails inside the dry run (SQLSTATE " + state + ": " + Text.firstLine(e.getMessage())
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

}
