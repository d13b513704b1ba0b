package dev.lockstep.runner.cli;

import dev.lockstep.runner.MigrationRunner;
import dev.lockstep.runner.MigrationSettings;
import dev.lockstep.runner.RunResult;
import dev.lockstep.runner.tracing.RunnerTracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The common shape of migrate, info and validate: settings in, one {@link RunResult} out, reported twice. */
abstract class RunnerCommand implements Callable<Integer> {
    @Mixin
    DatabaseOptions database;

    @Option(names = "--result-file", defaultValue = "${env:LOCKSTEP_RESULT_FILE}",
            description = "Where to write the JSON result (at most 4096 bytes); in a runner pod /dev/termination-log. "
                    + "Env: LOCKSTEP_RESULT_FILE. Default: none.")
    Path resultFile;

    @Spec
    CommandSpec spec;

    final MigrationRunner runner = new MigrationRunner();

    abstract RunResult run(MigrationSettings settings);

    @Override
    public Integer call() {
        MigrationSettings settings;
        try {
            settings = database.toSettings();
        } catch (MigrationSettings.InvalidSettingsException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        RunnerTracing.configure(System.getenv());
        Span span = RunnerTracing.tracer().spanBuilder("lockstep " + spec.name()).setParent(RunnerTracing.parent())
                .setAttribute("db.system.name", "postgresql")
                .setAttribute("lockstep.target_revision", String.valueOf(settings.targetRevision())).startSpan();
        RunResult result;
        try (var scope = span.makeCurrent()) {
            result = run(settings);
            span.setAttribute("lockstep.outcome", result.outcome().name());
            if (result.toRevision() != null) {
                span.setAttribute("lockstep.to_revision", result.toRevision());
            }
            if (result.error() != null) {
                span.setAttribute("failure.category", result.error().category().name().toLowerCase(java.util.Locale.ROOT));
                span.setStatus(StatusCode.ERROR, result.error().category().name());
            }
        } finally {
            span.end();
            RunnerTracing.flush();
        }
        return ResultReporter.report(result, settings, resultFile, spec.commandLine().getOut(), spec.commandLine().getErr());
    }
}
