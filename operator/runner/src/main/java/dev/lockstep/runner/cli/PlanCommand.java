package dev.lockstep.runner.cli;

import dev.lockstep.runner.MigrationSettings;
import dev.lockstep.runner.RunResult;
import picocli.CommandLine.Command;

@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Show what migrate would do, without doing it: the pending (or undo) steps with kind, checksum and"
                + " whether each is destructive, and the plan's digest to approve (spec.policy.approvedPlanDigest).",
                "Each step is dry-run in one transaction that is rolled back, under a short lock_timeout, and the catalog"
                + " is compared before and after it. With --destructive block it exits 6 when an expand step is destructive."})
public class PlanCommand extends RunnerCommand {
    @Override
    RunResult run(MigrationSettings settings) {
        return runner.plan(settings);
    }
}
