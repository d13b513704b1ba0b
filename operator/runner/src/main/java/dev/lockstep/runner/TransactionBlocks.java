package dev.lockstep.runner;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The statements PostgreSQL refuses inside a transaction block (SQLSTATE 25001: {@code PreventInTransactionBlock} in
 * its source), read from their leading keywords, and what the runner does with each where a transaction is all it
 * has: the in-place dry run (one transaction, rolled back) and an undo script (one transaction with the removal of
 * its history row). Reading the keywords is reliable here because each form is fixed by PostgreSQL's grammar; a
 * statement that is not listed runs in a transaction, and one that is listed without a way to check it is
 * unchecked, never assumed harmless.
 */
final class TransactionBlocks {
    private TransactionBlocks() {}

    /** What the in-place dry run does with a statement that cannot run in its transaction. */
    enum DryRunAs {
        /** Runs an equivalent that changes the catalog the same way inside the transaction. */
        STAND_IN,
        /** Leaves it out: by its form it changes nothing old code relies on. */
        HARMLESS,
        /** Cannot check it and cannot rule out a destructive change: Block refuses the step. */
        UNCHECKED
    }

    /**
     * One such statement.
     *
     * @param form    the statement's form, for people ("DROP INDEX CONCURRENTLY")
     * @param dryRun  what the dry run does with it
     * @param standIn the statement to dry-run instead (with {@link DryRunAs#STAND_IN}), else null
     * @param why     why it is harmless, or what it may do (for the note)
     * @param inUndo  how to write it in an undo script, which always runs in a transaction
     */
    record Form(String form, DryRunAs dryRun, String standIn, String why, String inUndo) {
        /** A {@code CREATE INDEX CONCURRENTLY}: the dry run leaves it out, though the index it declares may replace one. */
        boolean buildsIndex() {
            return CREATE_INDEX_CONCURRENTLY.equals(form);
        }
    }

    private static final String CREATE_INDEX_CONCURRENTLY = "CREATE INDEX CONCURRENTLY";

    private record Rule(Pattern head, String form, DryRunAs dryRun, String why, String inUndo) {}

    private static final Pattern CONCURRENTLY = Pattern.compile("(?i)\\s+CONCURRENTLY\\b");
    private static final List<Rule> RULES = List.of(
            new Rule(Pattern.compile("^CREATE (UNIQUE )?INDEX CONCURRENTLY\\b"), CREATE_INDEX_CONCURRENTLY, DryRunAs.HARMLESS,
                    "it adds an index, which no old code relies on",
                    "write CREATE INDEX without CONCURRENTLY (it blocks writes to the table while it builds)"),
            new Rule(Pattern.compile("^DROP INDEX CONCURRENTLY\\b"), "DROP INDEX CONCURRENTLY", DryRunAs.STAND_IN,
                    "dry-run as DROP INDEX, which changes the catalog the same way",
                    "write DROP INDEX without CONCURRENTLY (a short ACCESS EXCLUSIVE lock on the table)"),
            new Rule(Pattern.compile("^ALTER TABLE .*\\bDETACH PARTITION .*\\bCONCURRENTLY\\b"), "DETACH PARTITION CONCURRENTLY",
                    DryRunAs.STAND_IN, "dry-run as DETACH PARTITION, which changes the catalog the same way",
                    "write DETACH PARTITION without CONCURRENTLY"),
            new Rule(Pattern.compile("^REINDEX\\b.*\\bCONCURRENTLY\\b|^REINDEX (\\([^)]*\\) )?(DATABASE|SYSTEM)\\b"), "REINDEX",
                    DryRunAs.HARMLESS, "it rebuilds indexes as they are defined",
                    "write REINDEX without CONCURRENTLY, or leave it out: an undo need not rebuild"),
            new Rule(Pattern.compile("^VACUUM\\b"), "VACUUM", DryRunAs.HARMLESS, "it changes no definition",
                    "leave it out of the undo script, or run it by hand afterwards"),
            new Rule(Pattern.compile("^DISCARD ALL\\b"), "DISCARD ALL", DryRunAs.HARMLESS, "it resets the session only",
                    "leave it out of the undo script"),
            new Rule(Pattern.compile("^(CREATE|DROP) (DATABASE|TABLESPACE)\\b|^ALTER DATABASE .*\\bSET TABLESPACE\\b"
                    + "|^ALTER SYSTEM\\b|^(CREATE|DROP) SUBSCRIPTION\\b|^CLUSTER( VERBOSE)?$"), null, DryRunAs.UNCHECKED,
                    "it acts outside the schemas, where the dry run cannot see",
                    "do it outside the migration scripts: it is not part of a schema revision"));

    /** The form of {@code sql} when PostgreSQL refuses it in a transaction block, else empty. */
    static Optional<Form> of(String sql) {
        String head = normalized(sql);
        for (Rule rule : RULES) {
            if (rule.head().matcher(head).find()) {
                String form = rule.form() != null ? rule.form() : firstWords(head, 2);
                String standIn = rule.dryRun() == DryRunAs.STAND_IN ? CONCURRENTLY.matcher(sql).replaceFirst("") : null;
                return Optional.of(new Form(form, rule.dryRun(), standIn, rule.why(), rule.inUndo()));
            }
        }
        return Optional.empty();
    }

    /** The statement without comments, on one line, in capitals, as its keywords are matched. */
    static String normalized(String sql) {
        String noComments = sql.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("--[^\\n]*", " ");
        return noComments.replaceAll("\\s+", " ").strip().toUpperCase(Locale.ROOT).replaceAll(";$", "");
    }

    private static String firstWords(String head, int n) {
        String[] words = head.split(" ");
        return String.join(" ", java.util.Arrays.copyOf(words, Math.min(n, words.length)));
    }
}
