package dev.lockstep.runner.cli;

import dev.lockstep.runner.MigrationSettings;
import dev.lockstep.runner.RunResult;
import picocli.CommandLine.Command;

@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Apply pending migrations up to the target revision.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the database is at the target",
            "1:internal error",
            "2:bad arguments; nothing was touched",
            "3:database unreachable or login refused; nothing was applied",
            "4:validation failed (checksum, missing or unknown applied migration)",
            "5:a migration script failed; the database is at the last good revision"})
public class MigrateCommand extends RunnerCommand {
    @Override
    RunResult run(MigrationSettings settings) {
        return runner.migrate(settings);
    }
}
