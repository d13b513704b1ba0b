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
            "5:a migration script failed, or an earlier one failed outside a transaction (a failed row); the database is"
                + " at the last good revision",
            "6:an expand step is destructive, or could not be checked (with --destructive block); nothing was applied",
            "7:the plan needs approval (--require-approval) and its digest is not --approved-plan-digest; nothing was applied",
            "8:a table stayed locked through the dry run's retries (with --destructive block); nothing was applied"})
public class MigrateCommand extends RunnerCommand {
    @Override
    RunResult run(MigrationSettings settings) {
        return runner.migrate(settings);
    }
}
