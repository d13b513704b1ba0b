package dev.lockstep.operator.decide;

import dev.lockstep.api.v1alpha1.AppliedMigration;
import dev.lockstep.api.v1alpha1.ConditionType;
import dev.lockstep.api.v1alpha1.ErrorCategory;
import dev.lockstep.api.v1alpha1.LastRun;
import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.PlanStatus;
import dev.lockstep.api.v1alpha1.PlannedStep;
import dev.lockstep.api.v1alpha1.Reason;
import dev.lockstep.api.v1alpha1.RunError;
import dev.lockstep.api.v1alpha1.RunResult;
import dev.lockstep.api.v1alpha1.RunStep;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.api.v1alpha1.SchemaMigrationSpec;
import dev.lockstep.api.v1alpha1.SchemaMigrationStatus;
import dev.lockstep.api.v1alpha1.WorkloadsStatus;
import dev.lockstep.common.Timestamps;
import dev.lockstep.operator.Revisions;
import dev.lockstep.operator.bluegreen.BlueGreenRollout;
import dev.lockstep.operator.gate.PodGate;
import dev.lockstep.operator.jobs.RunnerJobs;
import dev.lockstep.operator.observe.Observation;
import dev.lockstep.operator.observe.RunnerObserver;
import dev.lockstep.operator.observe.RunnerReport;
import dev.lockstep.operator.observe.RunnerState;
import dev.lockstep.operator.observe.SpecProblem;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The phase machine of a SchemaMigration: from one {@link Observation}, the status it is in now, the actions that take
 * it on and the Events that say so. Pure: it reads nothing but the observation, writes only its own copy of the
 * resource, and leaves doing to {@link dev.lockstep.operator.act.Actions}, so each transition is a row of a table test (PhaseMachineTest).
 *
 * <p>docs/status.md is the reader's version of this class: every reason there is reached here.
 */
public final class PhaseMachine {
    /** How often a resource whose database another one claims looks again: the owner's deletion does not wake it. */
    static final Duration CLAIM_RECHECK = Duration.ofSeconds(10);
    /** Held pods named in status and messages, at most. */
    static final int NAMED_PODS = 10;
    /** Finished runner Jobs kept per resource (besides the current one), so recent logs stay readable. */
    static final int KEPT_JOBS = 3;
    private static final KubernetesSerialization COPIES = new KubernetesSerialization();

    private final DatabaseRetry databaseRetry;

    public PhaseMachine(DatabaseRetry databaseRetry) {
        this.databaseRetry = databaseRetry;
    }

    /**
     * One pass of the state diagram. Precedence between what it finds, the one rule: the run's verdict comes first
     * (the spec, the database claims, the source, the runner Job; for a Ready run, the drift check); held workloads
     * then turn Ready into Releasing; a blue/green Service that cannot work overrides everything, as a spec error.
     */
    public Decision decide(Observation o) {
        SchemaMigration sm = COPIES.clone(o.resource());
        if (sm.getStatus() == null) {
            sm.setStatus(new SchemaMigrationStatus());
        }
        SchemaMigrationStatus status = sm.getStatus();
        String before = signature(status);
        Acts acts = new Acts();
        StatusReport report = new StatusReport(sm, new ConditionSet(status.getConditions(), sm.getMetadata().getGeneration(),
                Clock.fixed(o.now(), ZoneOffset.UTC)));
        status.setObservedGeneration(sm.getMetadata().getGeneration());
        status.setTargetRevision(sm.getSpec() == null ? null : sm.getSpec().getTargetRevision());

        step(sm, o, report, acts);
        reportWorkloads(sm, o.gatedPods(), report);
        if (o.problem().isEmpty() && sm.getSpec().getRollout() != null && sm.getSpec().getRollout().blueGreen()) {
            BlueGreenRollout.Step rollout = BlueGreenRollout.decide(sm, PodGate.consumers(o.gatedPods(), sm),
                    status.getPhase() == Phase.Failed, o.service(), o.now());
            rollout.problem().ifPresent(problem -> report.stalled(Phase.Failed, Reason.InvalidSpec, problem));
            rollout.flip().ifPresent(flip -> acts.add(new Decision.SwitchService(flip)));
        }
        announceTransition(sm, before, report, acts);
        return new Decision(status, acts.actions, acts.announcements, report.recheckAfter, acts.finished);
    }

    /**
     * A reconcile that threw: almost always the API server refusing what the operator asked (a Job it will not
     * admit, a quota, missing RBAC) or not answering. Said in status, so it is never only a stack trace in the
     * operator's log: a refusal (4xx) waits for a person, anything else is retried with the framework's back-off.
     * Empty for a conflict (409): the resource changed since it was read, the retry reconciles what is there now, and
     * reporting it would be a false alarm.
     */
    public static Optional<Decision> decideError(SchemaMigration resource, Exception e, Instant now) {
        KubernetesClientException api = null;
        for (Throwable t = e; t != null && api == null; t = t.getCause() == t ? null : t.getCause()) {
            api = t instanceof KubernetesClientException k ? k : null;
        }
        int code = api == null ? 0 : api.getCode();
        if (code == 409) {
            return Optional.empty();
        }
        SchemaMigration sm = COPIES.clone(resource);
        if (sm.getStatus() == null) {
            sm.setStatus(new SchemaMigrationStatus());
        }
        String before = signature(sm.getStatus());
        StatusReport report = new StatusReport(sm, new ConditionSet(sm.getStatus().getConditions(), sm.getMetadata().getGeneration(),
                Clock.fixed(now, ZoneOffset.UTC)));
        String said = truncate((api == null ? e.getClass().getSimpleName() + ": " + e.getMessage()
                : "HTTP " + code + ": " + (api.getStatus() != null && api.getStatus().getMessage() != null
                        ? api.getStatus().getMessage() : api.getMessage())).replaceAll("\\s*\\n\\s*", " ").strip(), 600);
        if (code >= 400 && code < 500 && code != 429) {
            report.stalled(Phase.Failed, Reason.ApiRequestRefused, "the API server refused the operator's request (" + said
                    + "): a spec, a quota or the operator's RBAC must change; the next change to this SchemaMigration tries again");
        } else {
            Reason reason = api == null ? Reason.ReconcileFailed : Reason.ApiRequestFailed;
            String what = api == null ? "the operator failed to reconcile (" + said + ")" : "a request to the API server failed (" + said + ")";
            report.progressing(sm.getStatus().getPhase() == null ? Phase.Pending : sm.getStatus().getPhase(), reason,
                    what + "; retrying with back-off", reason, what);
        }
        Acts acts = new Acts();
        announceTransition(sm, before, report, acts);
        return Optional.of(new Decision(sm.getStatus(), List.of(), acts.announcements, null, List.of()));
    }

    /** The one Event of a transition: one per reason and run, the state reached being the fact (see {@link dev.lockstep.operator.act.EventRecorder}). */
    private static void announceTransition(SchemaMigration sm, String before, StatusReport report, Acts acts) {
        String after = signature(sm.getStatus());
        if (!after.equals(before) && report.event != null) {
            // Seeing the same transition again (after a status write that lost a conflict, or from a cache that lagged
            // it) is the same fact, and counts nothing.
            acts.announcements.add(new Decision.Announcement(report.warning, report.eventReason, report.event, runSeries(sm), after));
        }
    }

    /** What one pass decided to do, in order. */
    static final class Acts {
        final List<Decision.Action> actions = new ArrayList<>();
        final List<Decision.Announcement> announcements = new ArrayList<>();
        final List<FinishedRun> finished = new ArrayList<>();

        void add(Decision.Action action) {
            actions.add(action);
        }

        void announce(boolean warning, Reason reason, String message, String series, String fact) {
            announcements.add(new Decision.Announcement(warning, reason, message, series, fact));
        }
    }

    /**
     * The run's verdict: the first of the checks below that holds reports, and the rest are not looked at (each branch
     * returns after its report). The drift check may still override a Ready run's report, as {@link #decide} says.
     */
    private void step(SchemaMigration sm, Observation o, StatusReport report, Acts acts) {
        Optional<SpecProblem> problem = o.problem();
        if (problem.isPresent()) {
            report.stalled(Phase.Failed, Reason.InvalidSpec, problem.get().message());
            return;
        }
        if (o.claim().isPresent()) {
            report.stalled(Phase.Pending, o.claim().get().reason(), o.claim().get().message());
            report.recheckAfter = CLAIM_RECHECK;
            return;
        }
        SchemaMigrationSpec spec = sm.getSpec();
        SchemaMigrationStatus status = sm.getStatus();

        String contentHash = null;
        Map<String, String> scripts = null;
        if (spec.getSource().getConfigMapRef() != null) {
            String name = spec.getSource().getConfigMapRef().getName();
            Optional<ConfigMap> configMap = o.configMap();
            if (configMap.isEmpty()) {
                report.stalled(Phase.Pending, Reason.ConfigMapNotFound, "ConfigMap " + name + " (spec.source.configMapRef) "
                        + "does not exist in namespace " + sm.getMetadata().getNamespace()
                        + ": create it with one key per script, e.g. V1__init.sql; the migration starts by itself once it exists"
                        + " (a ConfigMap holds at most 1 MiB: a larger set of scripts goes in an image, spec.source.image)");
                return;
            }
            Map<String, String> data = Objects.requireNonNullElse(configMap.get().getData(), Map.of());
            scripts = data;
            List<String> versions = data.keySet().stream().map(Revisions::ofScript).filter(Objects::nonNull)
                    .sorted(Revisions.ORDER).toList();
            if (versions.isEmpty()) {
                report.stalled(Phase.Failed, Reason.InvalidSpec, "spec.source.configMapRef: ConfigMap " + name
                        + " holds no migration scripts: its keys must be named V<version>__<description>.sql");
                return;
            }
            if (Revisions.isVersion(spec.getTargetRevision())
                    && versions.stream().noneMatch(v -> Revisions.compare(v, spec.getTargetRevision()) == 0)) {
                report.stalled(Phase.Failed, Reason.InvalidSpec, "spec.targetRevision: " + spec.getTargetRevision()
                        + " is not a version in ConfigMap " + name + " " + versions + ": add its script or pick one of those");
                return;
            }
            status.setPendingVersions(pendingBetween(versions, status.getCurrentRevision(), spec.getTargetRevision()));
            contentHash = RunnerJobs.contentHash(data, spec.getTargetRevision());
        }

        String hash = RunnerJobs.specHash(sm, contentHash);
        LastRun last = status.getLastRun();
        boolean sameSpec = last != null && hash.equals(last.getSpecHash());
        if (!sameSpec) {
            status.setHeldForContract(null);
        }
        RunStep step = sameSpec && last.getStep() == RunStep.Contract ? RunStep.Contract : RunStep.Expand;
        int attempt = sameSpec && last.getAttempt() != null ? last.getAttempt() : 1;
        String jobName = jobName(sm, hash, step, attempt);
        boolean retrying = false;

        if (sameSpec && last.getResult() == RunResult.Succeeded) {
            if (step == RunStep.Expand && heldForContract(status)) {
                contractGate(sm, o, report, acts, hash, 1);
            } else {
                reportSucceeded(sm, report);
                DriftCheck.check(sm, o, report, acts, hash);
            }
            return;
        }
        if (sameSpec && last.getResult() == RunResult.Failed) {
            Optional<Instant> next = nextAttempt(last);
            if (next.isEmpty() || next.get().isAfter(o.now())) {
                reportFailed(sm, report, o.now());
                return;
            }
            // The database was unavailable and nothing of the run stayed: the next attempt is due. It starts as any
            // run of this step does (after the same checks), under the next attempt's Job name.
            attempt++;
            if (step == RunStep.Contract && heldForContract(status)) {
                contractGate(sm, o, report, acts, hash, attempt); // old pods may be back, the approval lowered
                return;
            }
            jobName = jobName(sm, hash, step, attempt);
            retrying = true;
        }

        String named = jobName;
        Optional<Job> job = o.job(named);
        if (job.isEmpty()) {
            if (spec.suspended()) {
                report.suspended();
                return;
            }
            Optional<Job> active = o.jobs().stream().filter(RunnerObserver::isActive).findFirst();
            if (active.isPresent()) {
                // Two runners on one database would queue on Flyway's lock at best; let the running one finish.
                report.progressing(Phase.Migrating, Reason.MigrationPending, "waiting for runner Job "
                        + active.get().getMetadata().getName() + " (an earlier spec) to finish before starting one for revision "
                        + spec.getTargetRevision(), Reason.MigrationPending, "waiting for runner Job "
                        + active.get().getMetadata().getName() + " to finish");
                return;
            }
            if (runnerAccountMissing(sm, o, report)) {
                return;
            }
            if (step == RunStep.Expand && !DownGate.mayStart(sm, o.gatedPods(), report, scripts)) {
                return;
            }
            Integer unavailable = retrying ? status.getLastRun().getUnavailableAttempts() : null;
            createJob(sm, acts, o.now(), jobName, hash, step, attempt);
            if (retrying) {
                prune(o, acts, jobName, j -> !isCheck(j), KEPT_JOBS); // an outage must not leave a Job per attempt
            }
            String again = unavailable == null ? "" : " (attempt " + attempt + ", after " + unavailable
                    + " run(s) that found the database unavailable)";
            report.progressing(step == RunStep.Contract ? Phase.Contracting : Phase.Migrating,
                    step == RunStep.Contract ? Reason.ContractRunning : Reason.MigrationPending,
                    "created runner Job " + jobName + " to reach revision " + spec.getTargetRevision()
                            + (step == RunStep.Contract ? " (contract steps " + String.join(", ", status.getHeldForContract()) + ")" : "")
                            + again,
                    Reason.MigrationPending, "created runner Job " + jobName + again);
            return;
        }

        if (status.getLastRun() == null || !jobName.equals(status.getLastRun().getJob())) {
            // The Job exists but status does not know it: made before a restart whose status write was lost, or
            // read from a cache that lags our own write. The Job itself says all that is needed.
            status.setLastRun(lastRunOf(job.get(), hash, step, attempt, status.getLastRun()));
        }
        RunnerState state = RunnerObserver.observe(job.get(), o.runnerPods(), o.mountFailures());
        if (state instanceof RunnerState.Starting s) {
            // Result stays as it was: a pod gone missing between "cannot start" and the Job failing is still NotStarted.
            report.progressing(Phase.Migrating, Reason.MigrationPending, s.detail(), null, null);
            if (s.onNode()) {
                // A volume the kubelet cannot mount says so in an Event, which wakes nothing. A pod still waiting for a
                // node is not looked at again: being scheduled changes the pod, which wakes the reconcile.
                report.recheckAfter = STARTING_RECHECK;
            }
        } else if (state instanceof RunnerState.Running) {
            status.getLastRun().setResult(RunResult.Running);
            report.progressing(Phase.Migrating, Reason.MigrationRunning, "runner Job " + jobName + " is migrating towards revision "
                    + spec.getTargetRevision(), Reason.MigrationRunning, "runner Job " + jobName + " started");
        } else if (state instanceof RunnerState.Blocked b) {
            status.getLastRun().setResult(RunResult.NotStarted);
            report.stalled(Phase.Pending, b.reason(), blockedMessage(sm, jobName, b));
        } else if (state instanceof RunnerState.Succeeded s) {
            recordReport(status.getLastRun(), s.report(), o.now());
            recordPlan(sm, step, s.report());
            warnIfDestructive(sm, acts, jobName, step, s.report());
            status.getLastRun().setResult(RunResult.Succeeded);
            finished(o, status.getLastRun(), acts); // before a contract Job takes status.lastRun's place
            status.setCurrentRevision(s.report().toRevision());
            status.setPendingVersions(pendingAfter(s.report(), spec.getTargetRevision()));
            status.setHeldForContract(step == RunStep.Expand && !s.report().heldOrEmpty().isEmpty() ? s.report().heldOrEmpty() : null);
            prune(o, acts, jobName, j -> !isCheck(j), KEPT_JOBS); // check Jobs are pruned on their own
            if (heldForContract(status)) {
                contractGate(sm, o, report, acts, hash, 1);
            } else {
                reportSucceeded(sm, report);
                DriftCheck.checkedByRun(sm, jobName, o.now());
                DriftCheck.check(sm, o, report, acts, hash);
            }
        } else if (state instanceof RunnerState.Failed f) {
            if (f.report().isEmpty() && !f.containerEverStarted() && status.getLastRun().getResult() == RunResult.NotStarted) {
                // The pod waited for a Secret (or an image) until the Job's deadline and never touched the
                // database: replacing it is safe, and is how a Secret created late still takes effect.
                if (runnerAccountMissing(sm, o, report)) {
                    return; // e.g. deleted after the Job was made: a replacement would not start either
                }
                String next = jobName(sm, hash, step, attempt + 1);
                createJob(sm, acts, o.now(), next, hash, step, attempt + 1);
                report.progressing(Phase.Pending, Reason.MigrationPending, "runner Job " + jobName + " expired before its pod "
                        + "could start (" + f.podReason() + "); replaced it with " + next, Reason.MigrationPending,
                        "replaced runner Job " + jobName + " that never started with " + next);
                return;
            }
            recordFailure(status, f, o.now());
            finished(o, status.getLastRun(), acts);
            f.report().ifPresent(r -> recordPlan(sm, step, r));
            scheduleRetry(status.getLastRun(), o.now());
            reportFailed(sm, report, o.now());
        }
    }

    /**
     * Counts the pods gated on this schema and holds Ready back while any of them waits for a revision the
     * database has not reached: the schema is only of use when the workloads that need it can run.
     */
    private void reportWorkloads(SchemaMigration sm, Set<Pod> pods, StatusReport report) {
        SchemaMigrationStatus status = sm.getStatus();
        List<Pod> gated = PodGate.consumers(pods, sm);
        List<Pod> held = gated.stream().filter(p -> PodGate.held(p, sm)).toList();
        WorkloadsStatus workloads = new WorkloadsStatus();
        workloads.setGatedPods(gated.size());
        workloads.setHeldPods(held.size());
        workloads.setHighestRequiredRevision(gated.stream().map(PodGate::requiredRevision).flatMap(Optional::stream)
                .filter(Revisions::isVersion).max(Revisions.ORDER).orElse(null));
        workloads.setHeld(named(held));
        status.setWorkloads(workloads);
        if (held.isEmpty()) {
            report.workloadsReleased(gated.isEmpty() ? Reason.NoWorkloads : Reason.WorkloadsReleased,
                    gated.isEmpty() ? "no pod names this SchemaMigration" : gated.size() + " gated pod(s) released");
        } else {
            report.workloadsHeld(held.size() + " of " + gated.size() + " gated pod(s) wait for a revision the database has not reached: "
                    + list(held));
        }
    }

    /** Up to {@value #NAMED_PODS} pods as name=requiredRevision. */
    private static List<String> named(List<Pod> pods) {
        return pods.stream().limit(NAMED_PODS)
                .map(p -> p.getMetadata().getName() + "=" + PodGate.requiredRevision(p).orElse("?")).toList();
    }

    static String list(List<Pod> pods) {
        return String.join(", ", named(pods)) + (pods.size() > NAMED_PODS ? ", ..." : "");
    }

    private void reportSucceeded(SchemaMigration sm, StatusReport report) {
        SchemaMigrationStatus status = sm.getStatus();
        String target = sm.getSpec().getTargetRevision();
        String current = status.getCurrentRevision();
        boolean atTarget = Revisions.LATEST.equals(target) || (current != null && Revisions.compare(current, target) == 0);
        if (atTarget) {
            report.ready("database at revision " + (current == null ? "none (no migrations)" : current)
                    + (Revisions.LATEST.equals(target) ? " (latest)" : ""), appliedSummary(status.getLastRun()));
        } else {
            report.stalled(Phase.Failed, Reason.MigrationFailed, "runner Job " + status.getLastRun().getJob()
                    + " succeeded but the database is at revision " + current + ", not " + target);
        }
    }

    /**
     * After a run that found the database unavailable and changed nothing: counts it and, within the limit, sets when
     * the next attempt starts. Computed from the status the run was recorded in, so a reconcile that sees the same
     * failed Job again (its status write lost to a conflict) counts it once.
     */
    /** The run just recorded, unless the observed status held its result already (see {@link FinishedRun}). */
    private static void finished(Observation o, LastRun recorded, Acts acts) {
        LastRun observed = o.resource().getStatus() == null ? null : o.resource().getStatus().getLastRun();
        FinishedRun.between(observed, recorded, o.now()).ifPresent(acts.finished::add);
    }

    private void scheduleRetry(LastRun run, Instant now) {
        if (!foundDatabaseUnavailable(run)) {
            run.setNextAttemptAt(null);
            return;
        }
        int unavailable = (run.getUnavailableAttempts() == null ? 0 : run.getUnavailableAttempts()) + 1;
        run.setUnavailableAttempts(unavailable);
        run.setNextAttemptAt(databaseRetry.mayRetryAfter(unavailable)
                ? now.plus(databaseRetry.delayAfter(unavailable)).truncatedTo(ChronoUnit.SECONDS).toString() : null);
    }

    /**
     * Runs in a row that found the database unavailable, for the run after {@code previous}: counted on only when
     * {@code previous} is one of them (the same spec, failed retryable), so a step that follows a success starts afresh.
     */
    private static Integer unavailableSoFar(LastRun previous, String hash) {
        boolean unavailable = previous != null && hash.equals(previous.getSpecHash()) && previous.getResult() == RunResult.Failed
                && foundDatabaseUnavailable(previous);
        return unavailable ? previous.getUnavailableAttempts() : null;
    }

    /** The run failed only because the database was unavailable, and nothing of it stayed (the runner's {@code retryable}). */
    private static boolean foundDatabaseUnavailable(LastRun run) {
        return run.getError() != null && Boolean.TRUE.equals(run.getError().getRetryable());
    }

    /** How a person asks for a new run of the same spec. */
    private static String retryCommand(SchemaMigration sm) {
        return "kubectl annotate schemamigration/" + sm.getMetadata().getName() + " " + RunnerJobs.RETRY_ANNOTATION
                + "=\"$(date +%s)\" --overwrite";
    }

    /** When the next attempt of a failed run starts by itself; empty when it waits for a person. */
    private static Optional<Instant> nextAttempt(LastRun run) {
        if (!foundDatabaseUnavailable(run) || run.getNextAttemptAt() == null) {
            return Optional.empty();
        }
        // written by hand and unreadable: try now rather than never
        return Optional.of(Timestamps.parse(run.getNextAttemptAt()).orElse(Instant.EPOCH));
    }

    private void reportUnavailable(SchemaMigration sm, StatusReport report, Instant now) {
        LastRun last = sm.getStatus().getLastRun();
        RunError error = last.getError();
        int unavailable = last.getUnavailableAttempts() == null ? 1 : last.getUnavailableAttempts();
        String current = sm.getStatus().getCurrentRevision() == null ? "none" : sm.getStatus().getCurrentRevision();
        String sqlState = error.getSqlState() == null ? "" : " (SQLSTATE " + error.getSqlState() + ")";
        String why = "the database was unavailable to runner Job " + last.getJob() + sqlState + ": " + error.getMessage()
                + ". Nothing of the run stayed; the database is at revision " + current;
        String retry = retryCommand(sm);
        Optional<Instant> next = nextAttempt(last);
        if (next.isEmpty()) {
            report.stalled(Phase.Failed, Reason.DatabaseUnavailable, why + ". " + unavailable + " run(s) in a row found it"
                    + " unavailable, the operator's limit (--database-retries): no attempt follows by itself. Once the"
                    + " database answers, retry: " + retry);
            return;
        }
        Duration wait = Duration.between(now, next.get());
        wait = wait.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : wait;
        Phase phase = last.getStep() == RunStep.Contract ? Phase.Contracting : Phase.Migrating;
        report.retrying(phase, Reason.DatabaseUnavailable, why + ". Attempt " + (last.getAttempt() == null ? 2 : last.getAttempt() + 1)
                        + " starts at " + last.getNextAttemptAt() + " (in " + wait.toSeconds() + " s; " + unavailable + " of at most "
                        + databaseRetry.limit() + " runs in a row found it unavailable); to try at once: " + retry,
                "runner Job " + last.getJob() + " found the database unavailable" + sqlState
                        + "; nothing stayed; next attempt at " + last.getNextAttemptAt());
        report.recheckAfter = wait;
    }

    static final Duration STARTING_RECHECK = Duration.ofSeconds(5);
    private static final java.util.Set<Reason> TLS_REASONS = java.util.EnumSet.of(Reason.DatabaseCertificateUntrusted,
            Reason.DatabaseHostnameMismatch, Reason.DatabaseClientCertificateRejected, Reason.DatabaseTlsRequired,
            Reason.DatabaseTlsFailed);

    private void reportFailed(SchemaMigration sm, StatusReport report, Instant now) {
        LastRun last = sm.getStatus().getLastRun();
        RunError error = last.getError();
        if (foundDatabaseUnavailable(last)) {
            reportUnavailable(sm, report, now);
            return;
        }
        StringBuilder message = new StringBuilder();
        ErrorCategory category = error == null || error.getCategory() == null ? ErrorCategory.UNKNOWN : error.getCategory();
        if (category == ErrorCategory.APPROVAL) {
            // Not a failure: the plan is written down and waits for a reviewed commit that approves its digest.
            report.progressing(Phase.AwaitingApproval, Reason.PlanAwaitingApproval, error.getMessage(),
                    Reason.PlanAwaitingApproval, error.getMessage());
            return;
        }
        Reason reason = switch (category) {
            case POD -> Reason.RunnerFailed;
            case DRIFT -> Reason.DriftDetected;
            case DESTRUCTIVE -> Reason.DestructiveChangeBlocked;
            case DRY_RUN_DATABASE -> Reason.DryRunDatabaseInUse;
            case LOCK -> Reason.DryRunLockContention;
            case TLS_UNTRUSTED -> Reason.DatabaseCertificateUntrusted;
            case TLS_HOSTNAME -> Reason.DatabaseHostnameMismatch;
            case TLS_CLIENT_CERTIFICATE -> Reason.DatabaseClientCertificateRejected;
            case TLS_REQUIRED -> Reason.DatabaseTlsRequired;
            case TLS -> Reason.DatabaseTlsFailed;
            default -> Reason.MigrationFailed;
        };
        if (reason == Reason.DriftDetected) {
            message.append("runner found drift");
        } else if (reason == Reason.DestructiveChangeBlocked) {
            message.append("destructive change blocked (spec.policy.destructive: Block)");
        } else if (reason == Reason.DryRunLockContention) {
            message.append("the dry run could not get a lock on a busy table, so nothing ran (not a destructive change)");
        } else if (reason == Reason.DryRunDatabaseInUse) {
            message.append("the runner refused the scratch database (spec.policy.dryRunDatabase)");
        } else if (TLS_REASONS.contains(reason)) {
            message.append("TLS between the runner and the database failed, so nothing ran");
        } else if (category == ErrorCategory.CONNECTION) {
            message.append("the runner could not use the database (a login, a database name or a permission to fix)");
        } else if (error != null && error.getScript() != null) {
            message.append(error.getScript()).append(" failed");
        } else {
            message.append("migration failed");
        }
        if (error != null && error.getSqlState() != null) {
            message.append(" with SQLSTATE ").append(error.getSqlState());
        }
        if (error != null && error.getMessage() != null) {
            message.append(": ").append(error.getMessage());
        }
        message.append("; database at revision ").append(sm.getStatus().getCurrentRevision() == null ? "none" : sm.getStatus().getCurrentRevision())
                .append(". Job ").append(last.getJob()).append(" is kept for its logs. Fix the cause and change the spec, or retry: ")
                .append(retryCommand(sm));
        report.stalled(Phase.Failed, reason, message.toString());
    }

    private String blockedMessage(SchemaMigration sm, String jobName, RunnerState.Blocked blocked) {
        if (blocked.volume() != null) {
            return "runner pod of Job " + jobName + " cannot start: " + blocked.message();
        }
        if (blocked.reason() == Reason.SecretKeyNotFound) {
            var ref = sm.getSpec().getDatabase().getCredentialsSecretRef();
            return "runner pod of Job " + jobName + " cannot start: " + blocked.message() + ". Add the key to the Secret, or name"
                    + " the key it has in spec.database.credentialsSecretRef (usernameKey: " + ref.usernameKeyOrDefault()
                    + ", passwordKey: " + ref.passwordKeyOrDefault() + " now; for the scratch database,"
                    + " spec.policy.dryRunDatabase.credentialsSecretRef); the migration starts by itself once it is there";
        }
        if (blocked.reason() == Reason.SecretNotFound) {
            var ref = sm.getSpec().getDatabase().getCredentialsSecretRef();
            var scratch = sm.getSpec().policyOrDefault().getDryRunDatabase();
            if (scratch != null && scratch.getCredentialsSecretRef() != null && blocked.message() != null
                    && !scratch.getCredentialsSecretRef().getName().equals(ref.getName())
                    && (blocked.message().contains("\"" + scratch.getCredentialsSecretRef().getName() + "\"")
                        || blocked.message().contains("/" + scratch.getCredentialsSecretRef().getName()))) {
                ref = scratch.getCredentialsSecretRef(); // the kubelet names the Secret it misses
            }
            return "runner pod of Job " + jobName + " cannot start: " + blocked.message() + ". Create Secret " + ref.getName()
                    + " in namespace " + sm.getMetadata().getNamespace() + " with keys " + ref.usernameKeyOrDefault() + " and "
                    + ref.passwordKeyOrDefault() + "; the migration starts by itself once it exists";
        }
        return "runner pod of Job " + jobName + " cannot start: " + blocked.message();
    }

    /**
     * A Job whose ServiceAccount does not exist gets no pod (its controller records a FailedCreate Event and retries), so
     * none is created: the resource waits, Stalled, and the ServiceAccount's arrival wakes it.
     */
    static boolean runnerAccountMissing(SchemaMigration sm, Observation o, StatusReport report) {
        Optional<Observation.RunnerAccount> missing = o.missingRunnerAccount();
        if (missing.isEmpty()) {
            return false;
        }
        String name = missing.get().name();
        String namespace = sm.getMetadata().getNamespace();
        String create = "kubectl create serviceaccount " + name + " -n " + namespace;
        report.stalled(Phase.Pending, Reason.ServiceAccountNotFound, missing.get().fromSpec()
                ? "ServiceAccount " + name + " (spec.runner.serviceAccountName) does not exist in namespace " + namespace
                        + ": create it (" + create + ") or leave the field out for the operator's default;"
                        + " the run starts by itself once it exists"
                : "ServiceAccount " + name + ", which runner pods run as (the operator's --runner-service-account), does not"
                        + " exist in namespace " + namespace + ": add the namespace to the chart's runner.serviceAccount.namespaces"
                        + " (or watch.namespaces), create it (" + create + "), or name another in"
                        + " spec.runner.serviceAccountName; the run starts by itself once it exists");
        return true;
    }

    private static void createJob(SchemaMigration sm, Acts acts, Instant now, String jobName, String hash, RunStep step, int attempt) {
        acts.add(new Decision.CreateJob(jobName, hash, step));
        LastRun previous = sm.getStatus().getLastRun();
        LastRun run = new LastRun();
        run.setStartedAt(previous != null && jobName.equals(previous.getJob()) ? previous.getStartedAt() : timestamp(now));
        run.setUnavailableAttempts(unavailableSoFar(previous, hash));
        run.setJob(jobName);
        run.setSpecHash(hash);
        run.setStep(step);
        run.setAttempt(attempt);
        run.setTargetRevision(sm.getSpec().getTargetRevision());
        run.setResult(RunResult.Running);
        sm.getStatus().setLastRun(run);
    }

    private static LastRun lastRunOf(Job job, String hash, RunStep step, int attempt, LastRun previous) {
        LastRun run = new LastRun();
        run.setUnavailableAttempts(unavailableSoFar(previous, hash));
        run.setJob(job.getMetadata().getName());
        run.setSpecHash(hash);
        run.setStep(step);
        run.setAttempt(attempt);
        run.setTargetRevision(job.getMetadata().getAnnotations() == null ? null
                : job.getMetadata().getAnnotations().get(RunnerJobs.TARGET_ANNOTATION));
        run.setStartedAt(job.getMetadata().getCreationTimestamp());
        run.setResult(RunResult.Running);
        return run;
    }

    static boolean isCheck(Job job) {
        return RunStep.Check.name().equals(job.getMetadata().getAnnotations() == null ? null
                : job.getMetadata().getAnnotations().get(RunnerJobs.STEP_ANNOTATION));
    }

    /** Deletes the finished Jobs {@code which} selects, but {@code current} and the newest {@code keep} others. */
    static void prune(Observation o, Acts acts, String current, java.util.function.Predicate<Job> which, int keep) {
        List<Job> finished = o.jobs().stream()
                .filter(which)
                .filter(j -> !current.equals(j.getMetadata().getName()))
                .filter(j -> j.getStatus() != null && j.getStatus().getConditions() != null && j.getStatus().getConditions().stream()
                        .anyMatch(c -> ("Complete".equals(c.getType()) || "Failed".equals(c.getType())) && "True".equals(c.getStatus())))
                .sorted(Comparator.comparing((Job j) -> j.getMetadata().getCreationTimestamp()).reversed())
                .toList();
        List<String> old = finished.stream().skip(keep).map(j -> j.getMetadata().getName()).toList();
        if (!old.isEmpty()) {
            acts.add(new Decision.DeleteJobs(old));
        }
    }

    private static void recordReport(LastRun run, RunnerReport report, Instant now) {
        run.setFromRevision(report.fromRevision());
        run.setToRevision(report.toRevision());
        run.setApplied(report.appliedOrEmpty().stream()
                .map(a -> new AppliedMigration(a.version(), a.description(), a.durationMillis())).toList());
        run.setUndone(report.undoneOrEmpty().isEmpty() ? null : report.undoneOrEmpty().stream()
                .map(a -> new AppliedMigration(a.version(), a.description(), a.durationMillis())).toList());
        run.setFinishedAt(timestamp(now));
        if (report.error() != null) {
            RunError error = new RunError();
            error.setCategory(report.error().category());
            error.setSqlState(report.error().sqlState());
            error.setScript(report.error().script() == null ? null
                    : report.error().script() + (report.error().line() == null ? "" : ":" + report.error().line()));
            error.setMessage(report.error().message());
            error.setRetryable(report.error().safeToRetry() ? Boolean.TRUE : null);
            run.setError(error);
        } else {
            run.setError(null);
        }
    }

    /**
     * Keeps the plan of an expand run in status; a contract run's plan is only the tail of it.
     */
    private static void recordPlan(SchemaMigration sm, RunStep step, RunnerReport report) {
        if (step != RunStep.Expand) {
            return;
        }
        if (report.plan() == null) {
            sm.getStatus().setPlan(null); // stopped before planning (drift, a failed row): an older plan would mislead
            return;
        }
        RunnerReport.Plan plan = report.plan();
        PlanStatus status = new PlanStatus();
        status.setDigest(plan.digest());
        status.setFrom(plan.from());
        status.setPending(plan.steps() == null ? List.of() : plan.steps().stream().map(s -> {
            PlannedStep planned = new PlannedStep();
            planned.setVersion(s.version());
            planned.setDescription(s.description());
            planned.setKind(s.kind());
            planned.setChecksum(s.checksum());
            planned.setDestructive(s.destructive());
            planned.setFindings(s.findings());
            planned.setNote(s.note());
            return planned;
        }).toList());
        sm.getStatus().setPlan(status);
    }

    /**
     * Destructive expand steps let through by policy Warn are worth a Warning Event, once per run: every reconcile
     * while the Job is kept observes the same success, some of them from a cache that lags the status write, and an
     * operator restarted (or another replica) sees it again; the Event's name is the run's.
     */
    private static void warnIfDestructive(SchemaMigration sm, Acts acts, String jobName, RunStep step, RunnerReport report) {
        if (step != RunStep.Expand || report.plan() == null || report.error() != null) {
            return;
        }
        List<RunnerReport.Plan.Step> destructive = report.plan().destructiveExpandSteps();
        if (!destructive.isEmpty()) {
            acts.announce(true, Reason.DestructiveChangeWarned, "expand step(s) " + String.join(", ", destructive.stream()
                    .map(RunnerReport.Plan.Step::version).toList()) + " applied with destructive changes (spec.policy.destructive:"
                    + " Warn): " + truncate(String.join("; ", destructive.stream().flatMap(s -> s.findings().stream()).toList()), 600),
                    runSeries(sm), jobName);
        }
    }

    private static void recordFailure(SchemaMigrationStatus status, RunnerState.Failed failed, Instant now) {
        LastRun run = status.getLastRun();
        run.setResult(RunResult.Failed);
        if (failed.report().isPresent()) {
            RunnerReport report = failed.report().get();
            recordReport(run, report, now);
            if (report.toRevision() != null || report.fromRevision() != null) {
                status.setCurrentRevision(report.toRevision());
            }
            status.setPendingVersions(pendingAfter(report, status.getTargetRevision()));
        } else {
            run.setFinishedAt(timestamp(now));
            RunError error = new RunError();
            error.setCategory(ErrorCategory.POD);
            error.setMessage("the runner pod ended without a result: " + failed.podReason()
                    + (failed.podMessage() == null ? "" : " (" + truncate(failed.podMessage(), 600) + ")"));
            run.setError(error);
        }
    }

    private static List<String> pendingBetween(List<String> versions, String current, String target) {
        return versions.stream()
                .filter(v -> current == null || Revisions.compare(v, current) > 0)
                .filter(v -> Revisions.LATEST.equals(target) || Revisions.compare(v, target) <= 0)
                .toList();
    }

    private static List<String> pendingAfter(RunnerReport report, String target) {
        return pendingBetween(report.pendingOrEmpty(), report.toRevision(), target == null ? Revisions.LATEST : target);
    }

    private static String appliedSummary(LastRun run) {
        if (run == null || run.getApplied() == null || run.getApplied().isEmpty()) {
            return "nothing to apply";
        }
        return "applied " + run.getApplied().stream().map(AppliedMigration::getVersion).collect(Collectors.joining(", "));
    }

    static String jobName(SchemaMigration sm, String hash, RunStep step, int attempt) {
        // The expand Job keeps the plain name, so Jobs made before contract steps existed still match.
        String stepSuffix = switch (step) {
            case Contract -> "c";
            case Check -> "v";
            default -> "";
        };
        String suffix = stepSuffix + (attempt <= 1 ? "" : "-" + attempt);
        return RunnerJobs.jobName(sm.getMetadata().getName(), sm.getSpec().getTargetRevision(), hash + suffix);
    }

    private static boolean heldForContract(SchemaMigrationStatus status) {
        return status.getHeldForContract() != null && !status.getHeldForContract().isEmpty();
    }

    /**
     * Contract steps remove what older code uses, so they wait until no gated pod still requires a revision below
     * the one the expand steps reached: old ReplicaSets scaled to zero, StatefulSets fully rolled, old Job and CronJob
     * pods finished. Then the contract Job runs.
     */
    private static void contractGate(SchemaMigration sm, Observation o, StatusReport report, Acts acts, String hash, int attempt) {
        SchemaMigrationStatus status = sm.getStatus();
        String expanded = status.getCurrentRevision();
        List<String> held = status.getHeldForContract();
        List<Pod> consumers = PodGate.mayStillRun(o.gatedPods(), sm);
        List<Pod> blockers = consumers.stream()
                .filter(p -> PodGate.requiredRevision(p).filter(Revisions::isVersion)
                        .map(r -> expanded == null || Revisions.compare(r, expanded) < 0).orElse(true))
                .toList();
        if (!blockers.isEmpty()) {
            long terminating = blockers.stream().filter(PodGate::terminating).count();
            String names = list(blockers) + (terminating == 0 ? ""
                    : " (" + terminating + " terminating: their code runs until their grace period ends)");
            // New pods that require the contract revision itself can never start: they wait for the contract step,
            // which waits for the old pods, which a rolling update keeps until the new ones are Ready. Say so.
            List<String> deadlocked = consumers.stream()
                    .map(PodGate::requiredRevision).flatMap(Optional::stream).filter(Revisions::isVersion)
                    .filter(r -> Revisions.compare(r, held.get(0)) >= 0).distinct().sorted(Revisions.ORDER).toList();
            String hint = deadlocked.isEmpty() ? "" : ". Pods that require " + String.join(", ", deadlocked)
                    + " wait for the contract step and will not become Ready before the old pods are gone: let the new code"
                    + " require " + expanded + " (the last expand step) instead";
            report.progressing(Phase.Contracting, Reason.ContractWaitingForPods, "expand steps applied (database at "
                    + expanded + "); contract step " + held.get(0) + " waits for " + blockers.size()
                    + " pod(s) that still require an older revision: " + names + hint, Reason.ContractWaitingForPods,
                    "contract step " + held.get(0) + " waits for " + blockers.size() + " pod(s) on an older revision");
            return;
        }
        String highestHeld = held.stream().max(Revisions.ORDER).orElseThrow();
        var contract = sm.getSpec().getContract();
        if (contract != null && contract.approvalRequired() && (contract.getApprovedRevision() == null
                || Revisions.compare(contract.getApprovedRevision(), highestHeld) < 0)) {
            // An approval is a reviewed commit in Git, not a button: the spec says how far contract steps may go.
            report.progressing(Phase.AwaitingApproval, Reason.ContractAwaitingApproval, "expand steps applied (database at "
                    + expanded + "); contract steps " + String.join(", ", held) + " wait for approval: set"
                    + " spec.contract.approvedRevision: \"" + highestHeld + "\"", Reason.ContractAwaitingApproval,
                    "contract steps " + String.join(", ", held) + " wait for spec.contract.approvedRevision");
            return;
        }
        if (runnerAccountMissing(sm, o, report)) {
            return;
        }
        String contractJob = jobName(sm, hash, RunStep.Contract, attempt);
        createJob(sm, acts, o.now(), contractJob, hash, RunStep.Contract, attempt);
        if (attempt > 1) {
            prune(o, acts, contractJob, j -> !isCheck(j), KEPT_JOBS);
        }
        report.progressing(Phase.Contracting, Reason.ContractRunning, "no pod requires a revision below " + expanded
                + ": runner Job " + contractJob + " applies contract steps " + String.join(", ", held),
                Reason.ContractRunning, "runner Job " + contractJob + " applies contract steps " + String.join(", ", held));
    }

    /**
     * Which Event object counts a SchemaMigration's Events of one reason: its run (the spec it ran and the step, every
     * attempt of it), or before any run its generation.
     */
    static String runSeries(SchemaMigration sm) {
        LastRun run = sm.getStatus() == null ? null : sm.getStatus().getLastRun();
        return run == null || run.getSpecHash() == null ? "generation " + sm.getMetadata().getGeneration()
                : "run " + run.getSpecHash() + " " + run.getStep();
    }

    /**
     * Phase, the deciding reason and the Job: a change in any of them is worth an Event. Not WorkloadsReleased's
     * reason: pods that first name a Ready schema (NoWorkloads to WorkloadsReleased) are no new result of the run,
     * and an Event per run result is what the run metrics are checked against; held pods change the phase instead.
     */
    private static String signature(SchemaMigrationStatus status) {
        String reasons = status.getConditions().stream()
                .filter(c -> "True".equals(c.getStatus()))
                .map(c -> ConditionType.WorkloadsReleased.name().equals(c.getType()) ? c.getType() : c.getType() + "=" + c.getReason())
                .sorted().collect(Collectors.joining(","));
        return status.getPhase() + "|" + reasons + "|" + (status.getLastRun() == null ? "" : status.getLastRun().getJob());
    }

    /** A time as status writes it: RFC 3339, to the second. */
    static String timestamp(Instant now) {
        return now.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "…";
    }
}
