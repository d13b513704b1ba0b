package dev.lockstep.runner.cli;

import dev.lockstep.runner.MigrationRunner;
import dev.lockstep.runner.MigrationSettings;
import dev.lockstep.runner.RunResult;
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
        MigrationSettings settings = database.toSettings();
        RunResult result = run(settings);
        return ResultReporter.report(result, settings, resultFile, spec.commandLine().getOut(), spec.commandLine().getErr());
    }
}
