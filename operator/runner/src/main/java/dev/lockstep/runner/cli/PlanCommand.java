package dev.lockstep.runner.cli;

import dev.lockstep.runner.MigrationSettings;
import dev.lockstep.runner.RunResult;
import picocli.CommandLine.Command;

@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Show what migrate would do, without doing it: the pending (or undo) steps with kind, checksum and"
                + " whether each is destructive, and the plan's digest to approve (spec.policy.approvedPlanDigest).",
                "Each step is dry-run in one transaction that is rolled back, under a short lock_timeout, and the catalog"
                + " is compared before and after it. With --destructive block it exits 6 when an expand step is destructive."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the plan is printed",
            "1:internal error",
            "2:bad arguments, or the scratch database (--dry-run-url) must not be used; nothing was touched",
            "3:database unreachable or login refused",
            "4:validation failed or the source drifted from the history",
            "5:an earlier script failed outside a transaction (a failed row): repair first",
            "6:an expand step is destructive, or could not be checked (with --destructive block)",
            "8:a table stayed locked through the dry run's retries (with --destructive block)"})
public class PlanCommand extends RunnerCommand {
    @Override
    RunResult run(MigrationSettings settings) {
        return runner.plan(settings);
    }
}
