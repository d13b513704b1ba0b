package dev.lockstep.runner.cli;

import dev.lockstep.runner.MigrationRunner;
import dev.lockstep.runner.MigrationSettings;
import dev.lockstep.runner.RunResult;
import picocli.CommandLine.Command;

@Command(name = "repair", mixinStandardHelpOptions = true,
        description = {"Repair the migration history after you repaired the database by hand: remove the rows of scripts"
                + " that failed outside a transaction; with --accept-drift also align recorded checksums with the source"
                + " (accepting scripts edited after they ran) and mark applied versions gone from the source as deleted.",
                "Changes flyway_schema_history only, never the schema. The operator never runs it: each of these is a"
                + " decision (docs/runbook.md)."})
public class RepairCommand extends RunnerCommand {
    @picocli.CommandLine.Option(names = "--accept-drift",
            description = "Also accept drift: record the checksums of scripts edited after they ran, and mark applied versions"
                    + " gone from the source as deleted. Without it, repair only removes failed rows and refuses when it finds drift.")
    boolean acceptDrift;

    private MigrationRunner.Repair repair;

    @Override
    RunResult run(MigrationSettings settings) {
        repair = runner.repair(settings, acceptDrift);
        return repair.result();
    }

    @Override
    public Integer call() {
        MigrationSettings settings = database.toSettings();
        RunResult result = run(settings);
        var out = spec.commandLine().getOut();
        int exit = ResultReporter.report(result, settings, resultFile, out, spec.commandLine().getErr());
        repair.changes().forEach(change -> out.println("  repaired: " + change));
        if (result.error() == null && repair.changes().isEmpty()) {
            out.println("  nothing to repair: the history matches the source");
        }
        out.flush();
        return exit;
    }
}
