package dev.lockstep.runner;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What a runner command did, written as compact JSON to the termination log for the operator to read.
 *
 * @param command       migrate, info or validate
 * @param outcome       how it ended
 * @param targetRevision the revision asked for ("latest" or a version)
 * @param fromRevision  the database's revision before the command ({@code null} for an empty history)
 * @param toRevision    the database's revision after it
 * @param applied       migrations applied by this run, in order
 * @param pending       versions in the source that are still not applied after the run
 * @param error         why it failed, when it did
 * @param truncated     true when lists were shortened to keep the result within the size limit
 * @param held          versions within the target left for a later run because a contract script comes first
 *                      (with {@code --hold-contract}); the first of them is a contract script
 * @param undone        versions this run took back with their undo scripts (a target below the database), newest first
 * @param plan          what the run was to do, checked before it did anything ({@link MigrationPlan})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunResult(
        String command,
        Outcome outcome,
        String targetRevision,
        String fromRevision,
        String toRevision,
        List<Applied> applied,
        List<String> pending,
        Failure error,
        Boolean truncated,
        List<String> held,
        List<Applied> undone,
        MigrationPlan plan) {

    public enum Outcome { SUCCEEDED, FAILED }

    public RunResult(String command, Outcome outcome, String targetRevision, String fromRevision, String toRevision,
                     List<Applied> applied, List<String> pending, Failure error, Boolean truncated) {
        this(command, outcome, targetRevision, fromRevision, toRevision, applied, pending, error, truncated, null, null, null);
    }

    /**
     * A command that changed nothing: the database at {@code revision} before and after it, nothing applied, ended as
     * {@code outcome} (with {@code error} when it failed).
     */
    public static RunResult unchanged(String command, Outcome outcome, String targetRevision, String revision,
            List<String> pending,
                                      Failure error) {
        return new RunResult(command, outcome, targetRevision, revision, revision, List.of(), pending, error, null);
    }

    /**
     * A migrate that ended well: from {@code from} to {@code to} with {@code applied} (none when nothing was pending, or
     * when a contract step is next), {@code held} the versions left for a later run (null when none are held back).
     */
    public static RunResult migrated(String targetRevision, String from, String to, List<Applied> applied, List<String> pending,
                                     List<String> held) {
        return new RunResult("migrate", Outcome.SUCCEEDED, targetRevision, from, to, applied, pending, null, null, held, null, null);
    }

    /** A migrate that failed after applying {@code applied}, which stay applied: the database is at {@code to}. */
    public static RunResult migrateFailed(String targetRevision, String from, String to, List<Applied> applied, List<String> pending,
                                          Failure error) {
        return new RunResult("migrate", Outcome.FAILED, targetRevision, from, to, applied, pending, error, null);
    }

    /**
     * A migrate below the database's revision, which took versions back with their undo scripts: {@code undone} newest
     * first; failed, and at {@code to}, when {@code error} is set.
     */
    public static RunResult wentDown(String targetRevision, String from, String to, List<String> pending, Failure error,
                                     List<Applied> undone) {
        return new RunResult("migrate", error == null ? Outcome.SUCCEEDED : Outcome.FAILED, targetRevision, from, to, List.of(),
                pending, error, null, null, undone, null);
    }

    public RunResult withPlan(MigrationPlan newPlan) {
        return new RunResult(command, outcome, targetRevision, fromRevision, toRevision, applied, pending, error, truncated,
                held, undone, newPlan);
    }

    /**
     * One migration this run applied, or undid.
     *
     * @param notices what PostgreSQL said while an undo script ran (NOTICE and WARNING lines such as {@code table "x"
     *                does not exist, skipping}, which often point at a typo), null when it said nothing
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Applied(String version, String description, String script, long durationMillis, List<String> notices) {
        public Applied(String version, String description, String script, long durationMillis) {
            this(version, description, script, durationMillis, null);
        }
    }

    /**
     * Why the run failed.
     *
     * @param line the line in {@code script} of the failing statement, when known
     * @param retryable the database was unreachable or went away, and nothing of the run stayed (it failed before it
     *                  changed anything, or the server rolled back the script's transaction): running it again later is
     *                  safe and needs no person. Written only when true.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Failure(FailureCategory category, String sqlState, String script, Integer line, String message,
                          @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean retryable) {
        public Failure(FailureCategory category, String sqlState, String script, Integer line, String message) {
            this(category, sqlState, script, line, message, false);
        }
    }

    public ExitCode exitCode() {
        return error == null ? ExitCode.OK : error.category().exitCode();
    }

    public static RunResult failed(String command, String targetRevision, Failure failure) {
        return new RunResult(command, Outcome.FAILED, targetRevision, null, null, List.of(), List.of(), failure, null);
    }
}
