package dev.lockstep.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Lockstep's benchmarks: bench/run <part> [options]; each part prints a Markdown table and writes its raw samples. */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = {RunnerVsFlyway.class, Startup.class, ControlPlaneBench.class, ScaleBench.class},
        description = "Lockstep's benchmarks. Each part measures beside its reference in the same run.")
public final class Bench implements Runnable {
    public static void main(String[] args) {
        System.exit(new CommandLine(new Bench()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
