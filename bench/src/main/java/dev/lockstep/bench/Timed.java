package dev.lockstep.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What GNU time measured of one process: wall and CPU (user + system) seconds, and peak RSS. */
record Timed(double wallSeconds, double cpuSeconds, long rssKiB) {
    /** Where {@link #run} writes the process's output. */
    static final String LOG = "last-run.log";

    /**
     * Runs {@code command} under {@code /usr/bin/time}, its output in {@value #LOG} in {@code dir}.
     *
     * @param what the run, as an error names it
     * @throws IllegalStateException when it fails or outlives {@code timeout}
     */
    static Timed run(List<String> command, Path dir, Duration timeout, String what) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path time = dir.resolve("time.txt");
        Path log = dir.resolve(LOG);
        List<String> timed = new ArrayList<>(List.of("/usr/bin/time", "-f", "%e %U %S %M", "-o", time.toString()));
        timed.addAll(command);
        Process p = new ProcessBuilder(timed).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(what + " did not end in " + timeout.toMinutes() + " minutes: see " + log);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(what + " failed (exit " + p.exitValue() + "): see " + log);
        }
        String[] t = Files.readString(time).strip().lines().reduce((a, b) -> b).orElseThrow().split(" ");
        return new Timed(Double.parseDouble(t[0]), Double.parseDouble(t[1]) + Double.parseDouble(t[2]), Long.parseLong(t[3]));
    }
}
