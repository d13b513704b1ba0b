package dev.lockstep.runner.cli;

import dev.lockstep.runner.MigrationSettings;
import dev.lockstep.runner.RunResult;
import picocli.CommandLine.Command;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check applied migrations against the source (checksums, names, missing versions). Changes nothing.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the history matches the source",
            "1:internal error",
            "2:bad arguments",
            "3:database unreachable or login refused",
            "4:validation failed (checksum, missing or unknown applied migration, drift)",
            "5:a script failed outside a transaction and its failed row stops every run: repair it"})
public class ValidateCommand extends RunnerCommand {
    @Override
    RunResult run(MigrationSettings settings) {
        return runner.validate(settings);
    }
}
