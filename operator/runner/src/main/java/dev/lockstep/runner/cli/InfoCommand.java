package dev.lockstep.runner.cli;

import dev.lockstep.runner.MigrationSettings;
import dev.lockstep.runner.RunResult;
import picocli.CommandLine.Command;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show the database's current revision and the pending versions. Changes nothing.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the revision and pending versions are printed",
            "1:internal error",
            "2:bad arguments",
            "3:database unreachable or login refused",
            "4:validation failed (checksum, missing or unknown applied migration, drift)",
            "5:a script failed outside a transaction and its failed row stops every run: repair it"})
public class InfoCommand extends RunnerCommand {
    @Override
    RunResult run(MigrationSettings settings) {
        return runner.info(settings);
    }
}
