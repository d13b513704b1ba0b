package dev.lockstep.cli;

import dev.lockstep.operator.OperatorCommand;
import dev.lockstep.operator.gate.AwaitCommand;
import dev.lockstep.runner.cli.InfoCommand;
import dev.lockstep.runner.cli.MigrateCommand;
import dev.lockstep.runner.cli.PlanCommand;
import dev.lockstep.runner.cli.RepairCommand;
import dev.lockstep.runner.cli.ValidateCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The one entry point of the image: the operator and the runner are subcommands of the same program. */
@Command(name = "lockstep", mixinStandardHelpOptions = true, versionProvider = Lockstep.Version.class,
        description = "Database schema revisions as Kubernetes resources.",
        subcommands = {OperatorCommand.class, MigrateCommand.class, InfoCommand.class, ValidateCommand.class, PlanCommand.class, RepairCommand.class, AwaitCommand.class, DemoCommand.class, VerifyCommand.class})
public final class Lockstep {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Lockstep());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Lockstep.class.getPackage().getImplementationVersion();
            return new String[] {"lockstep " + (version == null ? "development build" : version)};
        }
    }
}
