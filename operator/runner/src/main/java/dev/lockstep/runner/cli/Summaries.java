package dev.lockstep.runner.cli;

import dev.lockstep.runner.MigrationSettings;
import dev.lockstep.runner.RunResult;

/** The human summary of a result, for callers outside this package. */
public final class Summaries {
    private Summaries() {}

    public static String of(RunResult result, MigrationSettings settings) {
        return ResultReporter.summary(result, settings);
    }
}
