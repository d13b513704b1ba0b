package dev.lockstep.runner;

import dev.lockstep.common.Text;
import dev.lockstep.runner.RunResult.Failure;
import dev.lockstep.runner.tracing.RunnerTracing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;

/**
 * A migrate's plan (see {@link MigrationPlan}): what it will run, from the history and the source; the dry run that
 * finds destructive changes in it; and the policy check that lets it through, or not, before anything is applied.
 */
final class Planner {
    private Planner() {}

    /** What this migrate will do, from the history and the source; no dry run yet. */
    static MigrationPlan plan(MigrationSettings settings, MigrationSource source, MigrationInfoService info) {
        String from = MigrationRunner.revision(info);
        List<MigrationPlan.Step> steps = new ArrayList<>();
        if (MigrationRunner.isDown(settings, info)) {
            MigrationVersion limit = MigrationVersion.fromVersion(settings.targetRevision());
            Arrays.stream(info.applied())
                    .filter(m -> m.getVersion() != null && m.getVersion().compareTo(limit) > 0 && !m.getState().isFailed())
                    .sorted(Comparator.comparing(MigrationInfo::getVersion).reversed())
                    .forEach(m -> {
                        MigrationSource.UndoScript undo = source.undoScripts().get(m.getVersion());
                        List<String> untransactional = undo == null ? List.of()
                                : Undo.outsideATransaction(undo).stream().map(Undo.Untransactional::problem).toList();
                        steps.add(new MigrationPlan.Step(m.getVersion().getVersion(), m.getDescription(),
                                undo == null ? null : undo.script(), MigrationPlan.Kind.Undo, undo == null ? null : crc32(undo.file()),
                                true, null, undo == null ? "no undo script"
                                : untransactional.isEmpty() ? null : "cannot run as an undo: " + String.join("; ", untransactional)));
                    });
            return MigrationPlan.of(from, steps);
        }
        MigrationVersion limit = MigrationSettings.LATEST.equals(settings.targetRevision()) ? MigrationVersion.LATEST
                : MigrationVersion.fromVersion(settings.targetRevision());
        // Adopting a database by baseline records the versions up to it without running them: they are not steps.
        MigrationVersion adopted = settings.baselineVersion() != null && info.applied().length == 0
                ? MigrationVersion.fromVersion(settings.baselineVersion()) : MigrationVersion.EMPTY;
        Arrays.stream(info.all())
                .filter(m -> m.getVersion() != null && m.getState() == MigrationState.PENDING && m.getVersion().compareTo(limit) <= 0
                        && m.getVersion().compareTo(adopted) > 0)
                .sorted(Comparator.comparing(MigrationInfo::getVersion))
                .forEach(m -> steps.add(new MigrationPlan.Step(m.getVersion().getVersion(), m.getDescription(), m.getScript(),
                        ContractSteps.isContract(m) ? MigrationPlan.Kind.Contract : MigrationPlan.Kind.Expand,
                        m.getResolvedChecksum(), ContractSteps.isContract(m), null, null)));
        // Repeatable scripts run after the versioned ones whenever they are new or changed: part of what is approved.
        Arrays.stream(info.all())
                .filter(m -> m.getVersion() == null && (m.getState() == MigrationState.PENDING || m.getState() == MigrationState.OUTDATED))
                .sorted(Comparator.comparing(MigrationInfo::getDescription))
                .forEach(m -> steps.add(new MigrationPlan.Step(null, m.getDescription(), m.getScript(), MigrationPlan.Kind.Expand,
                        m.getResolvedChecksum(), false, null, null)));
        return MigrationPlan.of(from, steps);
    }

    /**
     * The plan with what a dry run of its steps found (see {@link DryRun}), on the database itself or on the scratch
     * database the policy names (see {@link ScratchDryRun}); the digest does not change.
     */
    static MigrationPlan dryRun(MigrationSettings settings, MigrationPlan plan, MigrationInfoService info) {
        MigrationPlan linted = dryRunOnce(settings, plan, info);
        // A busy table is a moment, not a verdict: another session's locks (an earlier runner's, an application's
        // long transaction) usually pass. Try again with back-off before calling the step unchecked.
        long started = System.nanoTime();
        int tries = 1;
        for (java.time.Duration pause : LOCK_RETRIES) {
            if (!lockBusy(linted)) {
                return linted;
            }
            boolean interrupted = RunnerTracing.inSpan("lock wait", () -> { // another session holds a table the step locks
                try {
                    Thread.sleep(pause.toMillis());
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return true;
                }
            });
            if (interrupted) {
                break;
            }
            linted = dryRunOnce(settings, plan, info);
            tries++;
        }
        if (!lockBusy(linted)) {
            return linted;
        }
        String after = " (tried " + tries + " times over " + java.time.Duration.ofNanos(System.nanoTime() - started).toSeconds() + " s)";
        return new MigrationPlan(linted.digest(), linted.from(), linted.steps().stream()
                .map(s -> s.note() != null && s.note().startsWith(DryRun.LOCK_BUSY) ? s.withLint(
                        s.findings() == null ? List.of() : s.findings(), s.note() + after) : s).toList());
    }

    /** How long the dry run waits before each new try when a table stays locked: about 15 s in all, with the lock waits. */
    static final List<java.time.Duration> LOCK_RETRIES = List.of(java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(2),
            java.time.Duration.ofSeconds(4));

    private static boolean lockBusy(MigrationPlan plan) {
        return plan.steps().stream().anyMatch(s -> s.note() != null && s.note().startsWith(DryRun.LOCK_BUSY));
    }

    private static MigrationPlan dryRunOnce(MigrationSettings settings, MigrationPlan plan, MigrationInfoService info) {
        if (plan.isEmpty()) {
            return plan;
        }
        List<Path> files = plan.steps().stream().map(s -> s.script() == null ? null : findScript(settings.location(), s.script())).toList();
        if (settings.planPolicy().scratch() != null) {
            // Adopted, or adopted by this run: the schema below the baseline is not in the scripts.
            String adoptedAt = Arrays.stream(info.applied()).filter(m -> m.getType() != null && m.getType().isBaseline())
                    .map(MigrationRunner::version).findFirst()
                    .orElse(info.applied().length == 0 ? settings.baselineVersion() : null);
            return linted(settings, plan, ScratchDryRun.lint(settings, plan, files, adoptedAt));
        }
        try (Connection c = MigrationRunner.dataSource(settings).getConnection()) {
            return linted(settings, plan, DryRun.lint(c, settings.schemas(), plan.steps(), files, settings.lockTimeout()));
        } catch (SQLException e) {
            if (MigrationRunner.isConnectionState(e.getSQLState()) && MigrationRunner.isTransient(e)) {
                // The server went away during the dry run, which rolls back anyway: that is an outage, not a step that
                // cannot be dry-run (which Block would refuse as possibly destructive).
                throw new org.flywaydb.core.internal.exception.FlywaySqlException("the connection to the database was lost"
                        + " during the dry run, before anything was applied", e);
            }
            // Reading the catalog waits on a table an application holds (pg_get_expr locks it): that is a busy table,
            // which Block refuses, not a step that cannot be dry-run.
            String note = ("55P03".equals(e.getSQLState()) ? DryRun.LOCK_BUSY + DryRun.LOCK_TIMEOUT.toMillis()
                    + " ms (a busy table) to read the catalog, so the steps are not checked; a scratch database"
                    + " (spec.policy.dryRunDatabase) has no such wait: "
                    : DryRun.NOT_DRY_RUN) + Text.oneLine(e.getMessage());
            return linted(settings, plan, plan.steps().stream().map(s -> s.withLint(List.of(), note)).toList());
        }
    }

    /** The plan with the dry run's steps, whose notes (database messages) lose any password on the way out. */
    private static MigrationPlan linted(MigrationSettings settings, MigrationPlan plan, List<MigrationPlan.Step> steps) {
        return new MigrationPlan(plan.digest(), plan.from(), steps.stream()
                .map(s -> s.note() == null ? s : s.withLint(s.findings() == null ? List.of() : s.findings(), settings.redact(s.note())))
                .toList());
    }

    private static Path findScript(Path location, String script) {
        Path direct = location.resolve(script);
        if (Files.isRegularFile(direct)) {
            return direct;
        }
        try (var walk = Files.walk(location)) {
            return walk.filter(p -> p.getFileName().toString().equals(Path.of(script).getFileName().toString())).findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    /** Refuses a plan the policy does not let through: a destructive expand step (Block), or an unapproved digest. */
    static Failure check(MigrationSettings settings, MigrationPlan plan) {
        MigrationSettings.PlanPolicy policy = settings.planPolicy();
        List<MigrationPlan.Step> destructive = plan.destructiveExpandSteps();
        List<MigrationPlan.Step> unchecked = plan.steps().stream().filter(s -> s.kind() == MigrationPlan.Kind.Expand
                && s.note() != null && s.note().startsWith(DryRun.UNCHECKED)).toList();
        if (policy.destructive() == MigrationSettings.Destructive.BLOCK && destructive.isEmpty() && !unchecked.isEmpty()
                && unchecked.stream().allMatch(s -> s.note().startsWith(DryRun.LOCK_BUSY))) {
            // Nothing suggests a destructive change: a table was busy. Say that, not "blocked".
            return new Failure(FailureCategory.LOCK, null, unchecked.get(0).script(), null, "the dry run of expand step(s) "
                    + String.join(", ", unchecked.stream().map(MigrationPlan.Step::label).toList()) + " could not get a lock: "
                    + String.join("; ", unchecked.stream().map(s -> s.script() + ": " + s.note().substring(DryRun.UNCHECKED.length()))
                    .toList()) + ". Another session holds the table (a long transaction, an earlier runner's session)."
                    + " Nothing was run. Retry once it is quieter (annotate lockstep.dev/retry), dry-run on a scratch database"
                    + " (spec.policy.dryRunDatabase), or let it through unchecked with spec.policy.destructive: Warn");
        }
        if (policy.destructive() == MigrationSettings.Destructive.BLOCK && destructive.isEmpty() && !unchecked.isEmpty()) {
            return new Failure(FailureCategory.DESTRUCTIVE, null, unchecked.get(0).script(), null, "expand step(s) "
                    + String.join(", ", unchecked.stream().map(MigrationPlan.Step::label).toList()) + " could not be checked"
                    + " for destructive changes: " + String.join("; ", unchecked.stream().map(s -> s.script() + ": "
                    + s.note().substring(DryRun.UNCHECKED.length())).toList()) + ". Nothing was run. Retry (annotate"
                    + " lockstep.dev/retry), or let it through unchecked with spec.policy.destructive: Warn");
        }
        if (policy.destructive() == MigrationSettings.Destructive.BLOCK && !destructive.isEmpty()) {
            List<String> findings = destructive.stream().flatMap(s -> s.findings().stream()).toList();
            return new Failure(FailureCategory.DESTRUCTIVE, null, destructive.get(0).script(), null, "expand step(s) "
                    + String.join(", ", destructive.stream().map(MigrationPlan.Step::label).toList())
                    + " would break code still running on the schema before them: " + String.join("; ", findings)
                    + ". Nothing was run. Make it a contract step (V<version>__contract_<description>.sql, run once no pod"
                    + " needs the old schema), rewrite it as an expand (add, backfill, then drop in a later contract step),"
                    + " or let it through with spec.policy.destructive: Warn (--destructive warn)");
        }
        if (policy.approvalRequired() && !plan.isEmpty() && !plan.digest().equals(policy.approvedPlanDigest())) {
            // The digest first: a long plan is shortened from the end of the message, never the digest.
            return new Failure(FailureCategory.APPROVAL, null, null, null, "approve with spec.policy.approvedPlanDigest: \""
                    + plan.digest() + "\" (--approved-plan-digest) after reviewing the plan: " + describe(plan)
                    + (policy.approvedPlanDigest() == null ? "" : "; the approved digest " + policy.approvedPlanDigest()
                    + " is of another plan") + ". Nothing was run");
        }
        return null;
    }

    private static String describe(MigrationPlan plan) {
        return plan.steps().stream().map(s -> s.kind().name().toLowerCase(java.util.Locale.ROOT) + " " + s.label()
                + (s.destructive() ? " (destructive)" : "")).collect(java.util.stream.Collectors.joining(", "))
                + " from " + (plan.from() == null ? "an empty history" : plan.from());
    }

    private static Integer crc32(Path file) {
        try {
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(Files.readAllBytes(file));
            return (int) crc.getValue();
        } catch (IOException e) {
            return null;
        }
    }
}
