package dev.lockstep.runner.cli;

import dev.lockstep.runner.MigrationSettings;
import dev.lockstep.runner.RunResult;
import picocli.CommandLine.Command;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show the database's current revision and the pending versions. Changes nothing.")
public class InfoCommand extends RunnerCommand {
    @Override
    RunResult run(MigrationSettings settings) {
        return runner.info(settings);
    }
}
