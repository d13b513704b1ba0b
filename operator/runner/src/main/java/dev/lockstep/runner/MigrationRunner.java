package dev.lockstep.runner;

import dev.lockstep.common.Text;
import dev.lockstep.runner.RunResult.Applied;
import dev.lockstep.runner.RunResult.Failure;
import dev.lockstep.runner.RunResult.Outcome;
import dev.lockstep.runner.tracing.FlywaySpans;
import dev.lockstep.runner.tracing.RunnerTracing;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.CoreErrorCode;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.exception.FlywayValidateException;
import org.flywaydb.core.api.output.MigrateOutput;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.core.api.output.ValidateResult;
import org.flywaydb.core.internal.exception.FlywayMigrateException;
import org.flywaydb.core.internal.exception.FlywaySqlException;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Runs Flyway against one PostgreSQL database: migrate, info and validate, each ending in a {@link RunResult}
 * rather than an exception, so every failure is reported the same way and maps to one exit code.
 */
public final class MigrationRunner {

    public RunResult migrate(MigrationSettings settings) {
        return run("migrate", settings, (flyway, staged, source) -> {
            Planned planned = planned("migrate", staged, source, settings,
                    settings.planPolicy().destructive() != MigrationSettings.Destructive.OFF);
            if (planned.refused() != null) {
                return planned.refused();
            }
            Failure refused = Planner.check(settings, planned.plan());
            if (refused != null) {
                return RunResult.unchanged("migrate", Outcome.FAILED, settings.targetRevision(),
                        planned.from(), pendingVersions(planned.before()), refused).withPlan(planned.plan());
            }
            return apply(flyway, staged, source, settings, planned.before(), planned.from()).withPlan(planned.plan());
        });
    }

    /**
     * What {@code migrate} would do, with a dry run of every step in a rolled-back transaction, and nothing applied:
     * for a person or a CI job to review, and to take the digest to approve. With {@code --destructive block} it fails
     * (exit 6) where migrate would refuse.
     */
    public RunResult plan(MigrationSettings settings) {
        return run("plan", settings, (flyway, staged, source) -> {
            Planned planned = planned("plan", staged, source, settings, true);
            if (planned.refused() != null) {
                return planned.refused();
            }
            Failure refused = settings.planPolicy().destructive() == MigrationSettings.Destructive.BLOCK
                    ? Planner.check(settings.withPlanPolicy(
                            new MigrationSettings.PlanPolicy(MigrationSettings.Destructive.BLOCK, false, null)), planned.plan())
                    : null;
            return RunResult.unchanged("plan", refused == null ? Outcome.SUCCEEDED : Outcome.FAILED,
                    settings.targetRevision(),
                    planned.from(), pendingVersions(planned.before()), refused).withPlan(planned.plan());
        });
    }

    /**
     * What {@code migrate} and {@code plan} both do first, so the plan one reviews is the plan the other applies: read
     * the history, refuse what must not run (drift, a failed row), plan, and dry-run the steps unless the run goes down.
     *
     * @param refused the result to end with instead, when something must not run; then {@code plan} is null
     */
    private record Planned(MigrationInfoService before, String from, MigrationPlan plan, RunResult refused) {}

    private static Planned planned(String command, MigrationSettings staged, MigrationSource source,
            MigrationSettings settings,
                                   boolean dryRun) {
        // Read the history without a target: Flyway refuses to even describe a target it cannot find.
        Flyway untargeted = configure(staged, MigrationSettings.LATEST);
        MigrationInfoService before = untargeted.info();
        String from = revision(before);
        RunResult refused = preflight(command, untargeted, before, staged, settings);
        if (refused != null) {
            return new Planned(before, from, null, refused);
        }
        MigrationPlan plan = Planner.plan(staged, source, before);
        if (dryRun && !isDown(staged, before)) {
            MigrationPlan planned = plan;
            plan = RunnerTracing.inSpan("dry run", () -> Planner.dryRun(staged, planned, before));
        }
        return new Planned(before, from, plan, null);
    }

    private static RunResult apply(Flyway flyway, MigrationSettings staged, MigrationSource source, MigrationSettings settings,
                                   MigrationInfoService before, String from) {
        if (isDown(staged, before)) {
            return Undo.run(staged, source, before, MigrationVersion.fromVersion(staged.targetRevision()), staged.targetRevision());
        }
        ContractSteps.Hold hold = settings.holdContract() ? ContractSteps.of(before, settings.targetRevision())
                : new ContractSteps.Hold(null, List.of());
        Flyway migrating = flyway;
        if (hold.holds()) {
            if (hold.stopAt() == null || (from != null && MigrationVersion.fromVersion(hold.stopAt())
                    .compareTo(MigrationVersion.fromVersion(from)) <= 0)) {
                // The next pending step is a contract step: nothing to apply until it may run.
                return RunResult.migrated(settings.targetRevision(), from, from, List.of(), pendingVersions(before), hold.held());
            }
            migrating = configure(staged, hold.stopAt());
        }
        try {
            MigrateResult result = migrating.migrate();
            List<Applied> applied = applied(result);
            MigrationInfoService after = migrating.info();
            return RunResult.migrated(settings.targetRevision(), from == null ? baseline(after) : from, revision(after), applied,
                    pendingVersions(after), hold.holds() ? hold.held() : null);
        } catch (FlywayMigrateException e) {
            List<Applied> applied = e.getErrorResult() == null ? List.of() : applied(e.getErrorResult());
            return stoppedAt(staged, settings, before, from, applied, migrationFailure(e, settings));
        } catch (FlywaySqlException e) {
            if (!isConnectionState(e.getSqlState())) {
                throw e;
            }
            // The server went away where Flyway does not say which script ran (writing the history row, say). Retrying is
            // safe only if every script this run could have been in ran in a transaction, which the server rolled back.
            List<String> outside = outsideATransaction(before);
            String what = outside.isEmpty() ? "every script of this run runs in a transaction, which the server rolled back"
                    : "which script ran is not known, and " + String.join(", ", outside) + " run(s) outside a transaction, so"
                    + " what it did may stay: " + NonTransactionalRepair.invalidIndexes(staged)
                    + "; check the history with `lockstep info` before a retry";
            return stoppedAt(staged, settings, before, from, List.of(), new Failure(FailureCategory.CONNECTION, e.getSqlState(),
                    null, null, Redaction.text("the connection to the database was lost during the run ("
                    + Text.oneLine(rootMessage(e)) + "): " + what, settings.password()), outside.isEmpty() && isTransient(e)));
        }
    }

    /** A failed migrate's result: where the run stopped is what the history table says now, never what the list of successes suggests. */
    private static RunResult stoppedAt(MigrationSettings staged, MigrationSettings settings, MigrationInfoService before, String from,
                                       List<Applied> applied, Failure failure) {
        MigrationInfoService after;
        try {
            after = configure(staged, MigrationSettings.LATEST).info();
        } catch (FlywayException unreadable) {
            after = null; // the database went away with the run: the highest version Flyway applied is the best guess
        }
        String to = after != null ? revision(after) : applied.isEmpty() ? from : applied.get(applied.size() - 1).version();
        List<String> pending = after != null ? notApplied(after) : pendingVersions(before).stream()
                .filter(v -> to == null || MigrationVersion.fromVersion(v).compareTo(MigrationVersion.fromVersion(to)) > 0).toList();
        return RunResult.migrateFailed(settings.targetRevision(), from, to, applied, pending, failure);
    }

    /** Pending scripts Flyway runs outside a transaction (by their statements or their {@code .conf}); unknown ones count. */
    private static List<String> outsideATransaction(MigrationInfoService before) {
        return Arrays.stream(before.pending())
                .filter(m -> !(m instanceof org.flywaydb.core.internal.info.MigrationInfoImpl impl)
                        || impl.getResolvedMigration() == null || impl.getResolvedMigration().getExecutor() == null
                        || !impl.getResolvedMigration().getExecutor().canExecuteInTransaction())
                .map(m -> m.getScript() == null ? String.valueOf(m.getVersion()) : m.getScript())
                .toList();
    }

    /**
     * Takes the database down to {@code target}, or to nothing when it is null, with the undo scripts, as
     * {@code lockstep verify} does on its scratch database. A migrate below the database needs {@code allowDown}.
     */
    public RunResult down(MigrationSettings settings, String target) {
        return run("migrate", settings, (flyway, staged, source) -> Undo.run(staged, source,
                configure(staged, MigrationSettings.LATEST).info(),
                target == null ? MigrationVersion.EMPTY : MigrationVersion.fromVersion(target), target == null ? "none" : target));
    }

    public RunResult info(MigrationSettings settings) {
        return run("info", settings, (flyway, staged, source) -> {
            MigrationInfoService info = flyway.info();
            String current = revision(info);
            // A failed row stops every later run: info says so, as migrate would, rather than "ok".
            Failure failed = NonTransactionalRepair.failedRow(info, staged);
            return RunResult.unchanged("info", failed == null ? Outcome.SUCCEEDED : Outcome.FAILED,
                    settings.targetRevision(),
                    current, pendingVersions(info), failed);
        });
    }

    public RunResult validate(MigrationSettings settings) {
        return run("validate", settings, (flyway, staged, source) -> {
            String current = revision(flyway.info());
            Failure failedBefore = NonTransactionalRepair.failedRow(flyway.info(), staged);
            if (failedBefore != null) {
                return RunResult.unchanged("validate", Outcome.FAILED, settings.targetRevision(),
                        current, List.of(), failedBefore);
            }
            Failure drift = drift(configure(staged, MigrationSettings.LATEST), settings);
            if (drift != null) {
                return RunResult.unchanged("validate", Outcome.FAILED, settings.targetRevision(), current, List.of(), drift);
            }
            ValidateResult result = flyway.validateWithResult();
            if (result.validationSuccessful) {
                return RunResult.unchanged("validate", Outcome.SUCCEEDED, settings.targetRevision(),
                        current, pendingVersions(flyway.info()), null);
            }
            String message = result.invalidMigrations == null || result.invalidMigrations.isEmpty()
                    ? result.getAllErrorMessages()
                    : result.invalidMigrations.stream()
                            .map(m -> (m.version == null || m.version.isEmpty() ? m.description : m.version) + ": " + m.errorDetails.errorMessage)
                            .reduce((a, b) -> a + "; " + b).orElse("");
            return RunResult.unchanged("validate", Outcome.FAILED, settings.targetRevision(),
                    current, List.of(), new Failure(FailureCategory.VALIDATION, null, null, null,
                            Redaction.text(message, settings.password())));
        });
    }

    /** What {@code repair} changed in the history, one line each, and its result. */
    public record Repair(RunResult result, List<String> changes) {}

    /**
     * Flyway's repair, run by a person after they repaired the database by hand: removes failed rows, and, only with
     * {@code acceptDrift}, aligns the recorded checksums, descriptions and types with the source (accepting scripts
     * changed after they ran) and marks applied versions gone from the source as deleted. Never run by the operator:
     * each of these is a decision.
     */
    public Repair repair(MigrationSettings settings, boolean acceptDrift) {
        List<String> changes = new ArrayList<>();
        RunResult result = run("repair", settings, (flyway, staged, source) -> {
            Failure drift = drift(configure(staged, MigrationSettings.LATEST), settings);
            if (drift != null && !acceptDrift) {
                String current = revision(flyway.info());
                return RunResult.unchanged("repair", Outcome.FAILED, settings.targetRevision(),
                        current, List.of(), new Failure(FailureCategory.DRIFT, null, drift.script(), null,
                                "repair would accept this drift into the" + " history: " + drift.message()
                                + " If every change listed is deliberate, run again with"
                                + " --accept-drift; nothing was changed"));
            }
            org.flywaydb.core.api.output.RepairResult repaired = configure(staged, MigrationSettings.LATEST).repair();
            repaired.migrationsRemoved.forEach(m -> changes.add("removed the failed row of " + m.version + " (" + m.description + ")"));
            repaired.migrationsAligned.forEach(m -> changes.add("aligned the checksum, description and type of " + m.version
                    + " (" + m.description + ") with the source"));
            repaired.migrationsDeleted.forEach(m -> changes.add("marked " + m.version + " as deleted: it is gone from the source"));
            MigrationInfoService after = configure(staged, MigrationSettings.LATEST).info();
            String current = revision(after);
            return RunResult.unchanged("repair", Outcome.SUCCEEDED, settings.targetRevision(),
                    current, pendingVersions(after), null);
        });
        return new Repair(result, List.copyOf(changes));
    }

    private interface FlywayAction {
        RunResult apply(Flyway flyway, MigrationSettings staged, MigrationSource source);
    }

    private RunResult run(String command, MigrationSettings settings, FlywayAction action) {
        MigrationSource source;
        try {
            settings.validated();
            source = MigrationSource.open(settings.location());
        } catch (MigrationSettings.InvalidSettingsException e) {
            return RunResult.failed(command, settings.targetRevision(),
                    new Failure(FailureCategory.ARGUMENTS, null, null, null, e.getMessage()));
        }
        try (source) {
            MigrationSettings staged = settings.withLocation(source.flywayLocation());
            return action.apply(configure(staged), staged, source);
        } catch (FlywayException e) {
            return RunResult.failed(command, settings.targetRevision(), classify(e, settings));
        } catch (ScratchDryRun.Refused e) {
            return RunResult.failed(command, settings.targetRevision(), new Failure(FailureCategory.DRY_RUN_DATABASE, null, null,
                    null, settings.redact(e.getMessage())));
        } catch (RuntimeException e) {
            return RunResult.failed(command, settings.targetRevision(), TlsFailures.classify(e, settings)
                    .orElseGet(() -> new Failure(FailureCategory.INTERNAL, null, null, null, settings.redact(e.toString()))));
        }
    }

    static Flyway configure(MigrationSettings settings) {
        return configure(settings, settings.targetRevision());
    }

    static Flyway configure(MigrationSettings settings, String target) {
        var config = Flyway.configure()
                .dataSource(dataSource(settings))
                .locations("filesystem:" + settings.location().toAbsolutePath())
                .schemas(settings.schemas().toArray(String[]::new))
                .target(target)
                .cleanDisabled(true)
                .validateMigrationNaming(true)
                .failOnMissingLocations(true)
                // Not yet applied is not invalid: validate checks what the history holds. ("*:future" is Flyway's default.)
                .ignoreMigrationPatterns("*:future", "*:pending");
        // Flyway's PostgreSQL advisory lock is transactional by default, which makes a non-transactional script
        // such as CREATE INDEX CONCURRENTLY wait forever on the lock's own transaction. A session lock does not.
        config.getConfigurationExtension(PostgreSQLConfigurationExtension.class).setTransactionalLock(false);
        if (RunnerTracing.on()) {
            config.callbacks(new FlywaySpans());
        }
        if (settings.baselineVersion() != null) {
            config.baselineOnMigrate(true)
                    .baselineVersion(settings.baselineVersion())
                    .baselineDescription("adopted by lockstep");
        }
        return config.load();
    }

    /** Timeouts go in the startup packet, so every connection Flyway opens, including its lock's, has them. */
    static DataSource dataSource(MigrationSettings settings) {
        PGSimpleDataSource ds = Connections.dataSource(settings);
        return RunnerTracing.on() ? FlywaySpans.connectSpans(ds) : ds;
    }

    /** A target version must exist in the source and must not be below the database; Flyway alone would only warn. */
    private static Failure checkTarget(MigrationSettings settings, MigrationInfoService info) {
        if (MigrationSettings.LATEST.equals(settings.targetRevision())) {
            return null;
        }
        MigrationVersion target = MigrationVersion.fromVersion(settings.targetRevision());
        String current = revision(info);
        if (current != null && MigrationVersion.fromVersion(current).compareTo(target) > 0 && !settings.allowDown()) {
            return new Failure(FailureCategory.ARGUMENTS, null, null, null, "the database is at revision "
                    + current + ", above the target " + target + "; going down runs the undo scripts"
                    + " (U<version>__<description>.sql) of every version above the target and needs --allow-down"
                    + " (spec.policy.allowDown: true); otherwise set the target to " + current + " or higher");
        }
        boolean known = Arrays.stream(info.all())
                .anyMatch(m -> m.getVersion() != null && m.getVersion().compareTo(target) == 0);
        if (!known) {
            List<String> versions = Arrays.stream(info.all()).filter(m -> m.getVersion() != null)
                    .map(m -> m.getVersion().getVersion()).toList();
            return new Failure(FailureCategory.ARGUMENTS, null, null, null, "target revision " + target
                    + " is not a version in the migrations source " + versions + ": add its script or pick one of those");
        }
        return null;
    }

    /**
     * What stops a migrate or a plan before it looks at what to run: a failed row left by a script that failed outside a
     * transaction (with any drift besides, which `lockstep repair` would accept too), drift, or a target that cannot be
     * reached. Null when none does.
     */
    private static RunResult preflight(String command, Flyway untargeted, MigrationInfoService before, MigrationSettings staged,
                                       MigrationSettings settings) {
        String from = revision(before);
        Failure failedBefore = NonTransactionalRepair.failedRow(before, staged);
        if (failedBefore != null) {
            Failure drift = drift(untargeted, settings);
            if (drift != null) {
                failedBefore = new Failure(failedBefore.category(), null, failedBefore.script(), null,
                        failedBefore.message() + ". Besides, " + drift.message());
            }
            return RunResult.unchanged(command, Outcome.FAILED, settings.targetRevision(),
                    from, pendingVersions(before), failedBefore);
        }
        Failure blocked = drift(untargeted, settings);
        blocked = blocked != null ? blocked : checkTarget(staged, before);
        return blocked == null ? null : RunResult.unchanged(command, Outcome.FAILED, settings.targetRevision(),
                from, pendingVersions(before), blocked);
    }

    /** The drift between source and history as a failure, or null when they agree. */
    private static Failure drift(Flyway untargeted, MigrationSettings settings) {
        List<Drift> drift = Drift.of(untargeted);
        if (drift.isEmpty()) {
            return null;
        }
        String script = drift.stream().map(Drift::script).filter(java.util.Objects::nonNull).findFirst().orElse(null);
        return new Failure(FailureCategory.DRIFT, null, script, null,
                Redaction.text(Drift.describe(drift, Drift.sourceVersions(untargeted)), settings.password()));
    }

    static boolean isDown(MigrationSettings settings, MigrationInfoService info) {
        String current = revision(info);
        return !MigrationSettings.LATEST.equals(settings.targetRevision()) && current != null
                && MigrationVersion.fromVersion(current).compareTo(MigrationVersion.fromVersion(settings.targetRevision())) > 0;
    }

    private static Failure migrationFailure(FlywayMigrateException e, MigrationSettings settings) {
        String script = e.getMigration() == null ? null : e.getMigration().getScript();
        String sqlState = e.getSqlState();
        SQLException sql = sqlCause(e);
        // PostgreSQL's own words (with its Detail line), not Flyway's framed report around them.
        String message = sql != null ? sql.getMessage().replaceAll("\\s*\\n\\s*", " ").strip() : Text.oneLine(e.getMessage());
        Integer line = e.getLineNumber() > 0 ? e.getLineNumber() : null;
        if (isConnectionState(sqlState)) {
            // The server went away (a restart, a failover, a terminated session): not the script's fault.
            String what = e.isExecutableInTransaction()
                    ? "the server rolled back its transaction, so nothing of " + (script == null ? "it" : script) + " stayed"
                    : NonTransactionalRepair.afterFailure(settings, e.getMigration() == null ? null : e.getMigration().getVersion());
            return new Failure(FailureCategory.CONNECTION, sqlState, script, line, Redaction.text("the connection to the database"
                    + " was lost while the script ran (" + message + "): " + what + "; retry once the database is back",
                    settings.password()), e.isExecutableInTransaction() && isTransient(e));
        }
        if (!e.isExecutableInTransaction()) {
            message = message + " (" + NonTransactionalRepair.afterFailure(settings, e.getMigration() == null ? null
                    : e.getMigration().getVersion()) + ")";
        }
        return new Failure(FailureCategory.SQL, sqlState, script, line, Redaction.text(message, settings.password()));
    }

    private static SQLException sqlCause(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getMessage() != null) {
                return sql;
            }
        }
        return null;
    }

    static Failure classify(FlywayException e, MigrationSettings settings) {
        Optional<Failure> tls = TlsFailures.classify(e, settings);
        if (tls.isPresent()) {
            return tls.get();
        }
        String message = Redaction.text(Text.oneLine(e.getMessage()), settings.password());
        if (e instanceof FlywayValidateException) {
            return new Failure(FailureCategory.VALIDATION, null, null, null, message);
        }
        if (e instanceof FlywaySqlException sql && isConnectionState(sql.getSqlState())) {
            // Before any script ran (connecting, reading the history): nothing changed, so a transient cause is retryable.
            return new Failure(FailureCategory.CONNECTION, sql.getSqlState(), null, null,
                    Redaction.text(connectionProblem(sql, settings), settings.password()), isTransient(sql));
        }
        if (e.getErrorCode() == CoreErrorCode.DB_CONNECTION) {
            return new Failure(FailureCategory.CONNECTION, null, null, null, message, isTransient(e));
        }
        if (e.getErrorCode() == CoreErrorCode.NON_EMPTY_SCHEMA_WITHOUT_SCHEMA_HISTORY_TABLE) {
            return new Failure(FailureCategory.VALIDATION, null, null, null, "schema " + settings.schemas().get(0)
                    + " already has objects but no migration history: to adopt it, set the baseline version to the "
                    + "revision it matches (spec.baseline.version, or --baseline-version)");
        }
        if (e.getErrorCode() instanceof CoreErrorCode code && code.name().contains("MISMATCH")
                || e.getErrorCode() == CoreErrorCode.VALIDATE_ERROR
                || e.getErrorCode() == CoreErrorCode.APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED) {
            return new Failure(FailureCategory.VALIDATION, null, null, null, message);
        }
        if (e.getErrorCode() == CoreErrorCode.CONFIGURATION) {
            return new Failure(FailureCategory.ARGUMENTS, null, null, null, message);
        }
        if (e instanceof FlywaySqlException sql) {
            return new Failure(FailureCategory.SQL, sql.getSqlState(), null, null, message);
        }
        return new Failure(FailureCategory.INTERNAL, null, null, null, message);
    }

    /**
     * SQLSTATE classes 08 (connection), 28 (authorization), 3D000 (no such database), and the server going away or not
     * yet there: 57P01 (shut down, or the session terminated by an administrator), 57P02 (crash shutdown), 57P03
     * (starting up).
     */
    static boolean isConnectionState(String sqlState) {
        return sqlState != null && (sqlState.startsWith("08") || sqlState.startsWith("28")
                || sqlState.equals("3D000") || sqlState.equals("57P01") || sqlState.equals("57P02") || sqlState.equals("57P03"));
    }

    /**
     * Whether a connection failure is one that goes away by itself: the server down, restarting, failing over or not
     * reachable for now (SQLSTATE class 08, 57P01, 57P02, 57P03, or a network error with no SQLSTATE). A refused login
     * (class 28, or 08004: the server or the driver rejected the connection, e.g. an authentication method refused), a
     * database that does not exist (3D000) and a TLS failure (a handshake, a certificate, a host name) wait for a person.
     */
    static boolean isTransient(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException || t instanceof java.security.cert.CertificateException) {
                return false;
            }
        }
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            String state = t instanceof SQLException sql ? sql.getSQLState()
                    : t instanceof FlywaySqlException fsql ? fsql.getSqlState()
                    : t instanceof FlywayMigrateException migrate ? migrate.getSqlState() : null;
            if (state != null && (state.startsWith("28") || state.equals("3D000") || state.equals("08004"))) {
                return false;
            }
            if (state != null && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03"))) {
                return true;
            }
            if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException
                    || t instanceof java.net.SocketTimeoutException || t instanceof java.net.NoRouteToHostException
                    || t instanceof java.io.EOFException) {
                return true;
            }
        }
        return false;
    }

    /** Why a connection could not be made, in words that point at the fix; PostgreSQL's own when it answered. */
    private static String connectionProblem(Throwable e, MigrationSettings settings) {
        String where = settings.url() == null ? "" : Redaction.url(settings.url()).replaceFirst("^jdbc:postgresql://", "")
                .replaceFirst("[/?].*$", "");
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof java.net.UnknownHostException) {
                return "the host " + t.getMessage() + " could not be resolved (DNS): check the host in the URL, or wait until"
                        + " its DNS name exists";
            }
            if (t instanceof java.net.ConnectException) {
                return "nothing accepted a connection at " + where + " (" + t.getMessage() + "): is the server up, and the"
                        + " host and port right?";
            }
            if (t instanceof java.net.SocketTimeoutException || t instanceof java.net.NoRouteToHostException) {
                return "no answer from " + where + " (" + t.getMessage() + "): a firewall, a NetworkPolicy or the wrong host";
            }
        }
        return Text.oneLine(rootMessage(e));
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    private static List<Applied> applied(MigrateResult result) {
        List<MigrateOutput> succeeded = result.getSuccessfulMigrations() != null
                ? result.getSuccessfulMigrations() : result.migrations;
        if (succeeded == null) {
            return List.of();
        }
        // Flyway builds this list from a hash map's values: in no particular order once there are more than a few.
        return succeeded.stream()
                .filter(m -> m.version != null && !m.version.isEmpty())
                .filter(m -> !"BASELINE".equalsIgnoreCase(m.type))
                .sorted(Comparator.comparing(m -> MigrationVersion.fromVersion(m.version)))
                .map(MigrationRunner::applied)
                .toList();
    }

    private static Applied applied(MigrateOutput m) {
        String script = m.filepath == null ? null : m.filepath.substring(m.filepath.lastIndexOf('/') + 1);
        return new Applied(m.version, m.description, script, m.executionTime);
    }

    static List<String> pendingVersions(MigrationInfoService info) {
        return Arrays.stream(info.all())
                .filter(m -> m.getState() == MigrationState.PENDING || m.getState() == MigrationState.ABOVE_TARGET)
                .filter(m -> m.getVersion() != null)
                .map(m -> m.getVersion().getVersion())
                .toList();
    }

    /** After a failed run: every version of the source not applied successfully, the one that failed included. */
    private static List<String> notApplied(MigrationInfoService info) {
        return Arrays.stream(info.all())
                .filter(m -> m.getVersion() != null && (m.getState() == MigrationState.PENDING
                        || m.getState() == MigrationState.ABOVE_TARGET || m.getState() == MigrationState.FAILED))
                .sorted(Comparator.comparing(MigrationInfo::getVersion))
                .map(m -> m.getVersion().getVersion())
                .distinct()
                .toList();
    }

    /**
     * The database's revision: the highest version its history records as applied successfully. Not Flyway's
     * {@code current()}, which is a failed row when the newest script failed outside a transaction.
     */
    static String revision(MigrationInfoService info) {
        return Arrays.stream(info.applied())
                .filter(m -> m.getVersion() != null && m.getState().isApplied() && !m.getState().isFailed())
                .map(MigrationInfo::getVersion).max(Comparator.naturalOrder()).map(MigrationVersion::getVersion).orElse(null);
    }

    /** The version an adopted database was baselined at, or null: what it was at before this run's scripts. */
    private static String baseline(MigrationInfoService info) {
        return Arrays.stream(info.applied()).filter(m -> m.getType() != null && m.getType().isBaseline())
                .map(MigrationRunner::version).findFirst().orElse(null);
    }

    static String version(MigrationInfo info) {
        return info == null || info.getVersion() == null ? null : info.getVersion().getVersion();
    }
}
