package dev.lockstep.operator.decide;

import dev.lockstep.api.v1alpha1.ErrorCategory;
import dev.lockstep.api.v1alpha1.LastRun;
import dev.lockstep.api.v1alpha1.RunResult;
import dev.lockstep.api.v1alpha1.RunStep;
import dev.lockstep.common.Timestamps;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A runner Job whose result this pass records in status for the first time: what the run metrics count and the run's
 * span ends with. A pass that sees the same result again (the status already holds it) finds none, so a result is
 * counted once, not on every reconcile that sees the finished Job and not again after an operator restart.
 *
 * @param job the runner Job; identifies the run (never a metric attribute: it is unbounded)
 * @param step expand, contract, undo (an expand run that went down), or check (a drift check)
 * @param category the failure's category, lower case; null when the run succeeded
 * @param startedAt when the Job was made; null when not known
 * @param finishedAt when the operator recorded the result
 * @param applied scripts the run applied
 * @param undone scripts the run took back
 */
public record FinishedRun(String job, String step, boolean succeeded, String category, Instant startedAt, Instant finishedAt,
                          int applied, int undone) {
    public static final String EXPAND = "expand";
    public static final String CONTRACT = "contract";
    public static final String UNDO = "undo";
    public static final String CHECK = "check";

    public FinishedRun {
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(step, "step");
        Objects.requireNonNull(finishedAt, "finishedAt");
    }

    /** From Job creation to the recorded result; empty when the start is not known. */
    public Optional<Duration> duration() {
        return startedAt == null || startedAt.isAfter(finishedAt) ? Optional.empty()
                : Optional.of(Duration.between(startedAt, finishedAt));
    }

    /** The run status.lastRun records now and did not before; empty when there is none. */
    static Optional<FinishedRun> between(LastRun before, LastRun after, Instant now) {
        if (after == null || !finished(after.getResult())) {
            return Optional.empty();
        }
        if (before != null && Objects.equals(before.getJob(), after.getJob()) && finished(before.getResult())) {
            return Optional.empty();
        }
        boolean succeeded = after.getResult() == RunResult.Succeeded;
        int undone = after.getUndone() == null ? 0 : after.getUndone().size();
        String step = after.getStep() == RunStep.Contract ? CONTRACT : undone > 0 ? UNDO : EXPAND;
        return Optional.of(new FinishedRun(after.getJob(), step, succeeded,
                succeeded ? null : category(after.getError() == null ? null : after.getError().getCategory()),
                Timestamps.parse(after.getStartedAt()).orElse(null), now, after.getApplied() == null ? 0 : after.getApplied().size(), undone));
    }

    /** A drift check's Job, done. */
    static FinishedRun check(String job, boolean succeeded, ErrorCategory category, Instant startedAt, Instant now) {
        return new FinishedRun(job, CHECK, succeeded, succeeded ? null : category(category), startedAt, now, 0, 0);
    }

    static String category(ErrorCategory category) {
        return (category == null ? ErrorCategory.UNKNOWN : category).name().toLowerCase(Locale.ROOT);
    }

    private static boolean finished(RunResult result) {
        return result == RunResult.Succeeded || result == RunResult.Failed;
    }
}
