package dev.lockstep.runner;

/**
 * Process exit codes of the runner commands. The operator and scripts branch on them, so they are part of the
 * interface and documented in docs/runner.md; never renumber one.
 */
public enum ExitCode {
    /** The command did what was asked. */
    OK(0),
    /** A bug or an unexpected condition: the message says what. */
    INTERNAL(1),
    /** Bad or missing arguments, or an unusable migrations directory. Nothing touched the database. */
    ARGUMENTS(2),
    /** The database could not be reached or refused the login. Nothing was applied. */
    CONNECTION(3),
    /** Validation failed: a checksum differs, an applied migration is missing, or the history is ahead of the source. */
    VALIDATION(4),
    /** A migration script failed; the database is at the last revision that succeeded. */
    SQL(5),
    /** An expand step makes a destructive change and the policy blocks it. Nothing was applied. */
    DESTRUCTIVE(6),
    /** The plan needs an approval it does not have: its digest is printed. Nothing was applied. */
    APPROVAL(7),
    /** A table stayed locked through the dry run's retries, so it could not check the plan. Nothing was applied. */
    LOCKED(8);

    private final int code;

    ExitCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
