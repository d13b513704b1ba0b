package dev.lockstep.runner.cli;

import dev.lockstep.runner.MigrationSettings;
import dev.lockstep.runner.RunResult;
import picocli.CommandLine.Command;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check applied migrations against the source (checksums, names, missing versions). Changes nothing.")
public class ValidateCommand extends RunnerCommand {
    @Override
    RunResult run(MigrationSettings settings) {
        return runner.validate(settings);
    }
}
