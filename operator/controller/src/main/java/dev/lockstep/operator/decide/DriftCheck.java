package dev.lockstep.operator.decide;

import dev.lockstep.api.v1alpha1.DriftCheckStatus;
import dev.lockstep.api.v1alpha1.DriftResult;
import dev.lockstep.api.v1alpha1.ErrorCategory;
import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.Reason;
import dev.lockstep.api.v1alpha1.RunStep;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.common.Durations;
import dev.lockstep.common.Timestamps;
import dev.lockstep.operator.observe.Observation;
import dev.lockstep.operator.observe.RunnerObserver;
import dev.lockstep.operator.observe.RunnerReport;
import dev.lockstep.operator.observe.RunnerState;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic drift check of a Ready database (spec.driftCheckInterval): a `lockstep validate` Job every interval,
 * which changes nothing, and what it found in status.driftCheck and the conditions.
 */
final class DriftCheck {
    private static final Logger LOG = LoggerFactory.getLogger(DriftCheck.class);

    private DriftCheck() {}

    /** A run that succeeded compared history and source before it migrated: that is the latest drift check too. */
    static void checkedByRun(SchemaMigration sm, String jobName, Instant now) {
        if (Durations.parse(sm.getSpec().getDriftCheckInterval()).isEmpty()) {
            return;
        }
        DriftCheckStatus check = Optional.ofNullable(sm.getStatus().getDriftCheck()).orElseGet(DriftCheckStatus::new);
        check.setLastCheckedAt(PhaseMachine.timestamp(now));
        check.setResult(DriftResult.Clean);
        check.setRunning(null);
        check.setMessage("the history matched the source when runner Job " + jobName + " migrated");
        sm.getStatus().setDriftCheck(check);
    }

    /**
     * With spec.driftCheckInterval, a Ready database's history is compared with the source by a `lockstep validate`
     * Job every interval; it changes nothing. Drift found (a migration applied by hand, a history row edited, a failed
     * row) makes the resource Stalled (DriftDetected) until a check or a run finds the two in agreement again.
     */
    static void check(SchemaMigration sm, Observation o, StatusReport report, PhaseMachine.Acts acts, String hash) {
        Optional<Duration> interval = Durations.parse(sm.getSpec().getDriftCheckInterval());
        if (interval.isEmpty() || sm.getStatus().getPhase() != Phase.Ready) {
            return;
        }
        DriftCheckStatus check = Optional.ofNullable(sm.getStatus().getDriftCheck()).orElseGet(DriftCheckStatus::new);
        sm.getStatus().setDriftCheck(check);
        if (Boolean.TRUE.equals(check.getRunning()) && check.getJob() != null) {
            Optional<Job> job = o.job(check.getJob());
            if (job.isEmpty()) {
                report.recheckAfter = Duration.ofSeconds(5); // just made, not in the cache yet; or deleted by someone
                return;
            }
            RunnerState state = RunnerObserver.observe(job.get(), o.runnerPods(), o.mountFailures());
            Instant created = Timestamps.parse(job.get().getMetadata().getCreationTimestamp()).orElse(null);
            if (state instanceof RunnerState.Succeeded) {
                check.setResult(DriftResult.Clean);
                check.setMessage("the history matches the source");
                acts.finished.add(FinishedRun.check(check.getJob(), true, null, created, o.now()));
            } else if (state instanceof RunnerState.Failed f) {
                Optional<RunnerReport.Failure> error = f.report().map(RunnerReport::error);
                ErrorCategory category = error.map(RunnerReport.Failure::category).orElse(ErrorCategory.POD);
                acts.finished.add(FinishedRun.check(check.getJob(), false, category, created, o.now()));
                boolean drift = Set.of(ErrorCategory.DRIFT, ErrorCategory.VALIDATION, ErrorCategory.SQL).contains(category);
                check.setResult(drift ? DriftResult.Drifted : DriftResult.Failed);
                check.setMessage(error.map(RunnerReport.Failure::message)
                        .orElse("the check's pod ended without a result: " + f.podReason()));
                if (!drift) {
                    acts.announce(true, Reason.DriftCheckFailed, "drift check " + check.getJob() + " could not run: " + check.getMessage(),
                            "drift checks", check.getJob()); // one Event, counting the checks that could not run
                }
            } else {
                reportDrift(sm, report, check); // still as the last check found it: its Job's events bring us back
                return;
            }
            check.setRunning(null);
            check.setLastCheckedAt(PhaseMachine.timestamp(o.now()));
            PhaseMachine.prune(o, acts, check.getJob(), PhaseMachine::isCheck, 1); // one check runs every interval, for ever
        }
        reportDrift(sm, report, check);
        Instant last = check.getLastCheckedAt() == null ? Instant.EPOCH : Instant.parse(check.getLastCheckedAt());
        Instant due = last.plus(interval.get());
        Instant now = o.now();
        if (now.isBefore(due)) {
            LOG.debug("next drift check of {}/{} at {}", sm.getMetadata().getNamespace(), sm.getMetadata().getName(), due);
            report.recheckAfter = Duration.between(now, due).plusSeconds(1);
            return;
        }
        if (o.jobs().stream().anyMatch(RunnerObserver::isActive)) {
            report.recheckAfter = Duration.ofSeconds(5);
            return;
        }
        if (o.missingRunnerAccount().isPresent()) {
            // A check Job would get no pod. The schema was fine at the last look: stay Ready, and check once the
            // runner's ServiceAccount is back (its arrival wakes the resource; this is the fallback).
            report.recheckAfter = Duration.ofMinutes(1);
            return;
        }
        int n = Objects.requireNonNullElse(check.getChecks(), 0) + 1;
        String name = PhaseMachine.jobName(sm, hash, RunStep.Check, n);
        acts.add(new Decision.CreateJob(name, hash, RunStep.Check));
        check.setJob(name);
        check.setChecks(n);
        check.setRunning(true);
    }

    /** Drift found stays reported until a later check (or a run) finds history and source in agreement. */
    private static void reportDrift(SchemaMigration sm, StatusReport report, DriftCheckStatus check) {
        if (check.getResult() == DriftResult.Drifted) {
            report.stalled(Phase.Failed, Reason.DriftDetected, "drift check " + check.getJob() + " (" + check.getLastCheckedAt()
                    + "): " + check.getMessage() + ". The database was not changed; a check runs every "
                    + sm.getSpec().getDriftCheckInterval() + " and clears this once they agree, and a change of the spec runs the"
                    + " migration again");
        }
    }
}
