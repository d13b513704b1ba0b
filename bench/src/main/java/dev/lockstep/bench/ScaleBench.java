package dev.lockstep.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * How the operator's cost grows: {@code control-plane} at each of {@code --sizes} SchemaMigrations (a fresh control
 * plane each), and then at each of {@code --gated} gated pods; a table of every figure by size, and charts of cost
 * against size.
 */
@Command(name = "scale", mixinStandardHelpOptions = true,
        description = "control-plane at several sizes: time, requests, heap and CPU against the number of SchemaMigrations and gated pods.")
public final class ScaleBench implements Callable<Integer> {
    @Mixin
    Database database;

    @Option(names = "--sizes", split = ",", defaultValue = "100,300,1000", description = "SchemaMigrations. Default: ${DEFAULT-VALUE}.")
    List<Integer> sizes;

    @Option(names = "--gated", split = ",", defaultValue = "10,100,500", description = "Gated pods, on 10 SchemaMigrations."
            + " Default: ${DEFAULT-VALUE}.")
    List<Integer> gated;

    @Option(names = "--idle", defaultValue = "60", description = "Seconds of steady state at each size. Default: ${DEFAULT-VALUE}.")
    int idleSeconds;

    @Option(names = "--runner-slots", defaultValue = "8", description = "As control-plane's. Default: ${DEFAULT-VALUE}.")
    int runnerSlots;

    @Option(names = "--out", defaultValue = "bench/target/results", description = "Where results go. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--keep-databases", description = "As control-plane's: leave the databases each size made on the server.")
    boolean keepDatabases;

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        List<Report.Summary> bySize = new ArrayList<>();
        for (int size : sizes) {
            Report report = part(size, 0, Math.min(50, Math.max(1, size / 20))).run();
            report.write(out);
            bySize.add(report.summary());
        }
        List<Report.Summary> byPods = new ArrayList<>();
        for (int pods : gated) {
            Report report = part(10, pods, 5).run();
            report.write(out);
            byPods.add(report.summary());
        }
        StringBuilder md = new StringBuilder("Every database already at its target (each runner a no-op), applied at once; "
                + runnerSlots + " runners at a time.\n\n"
                + "| SchemaMigrations | all Ready s | apply → Job p50 / p99 s | Job → Ready p99 s | live heap MiB | operator CPU s"
                + " | requests per SchemaMigration | status writes per SchemaMigration | idle " + idleSeconds + " s: writes, reconciles, CPU s |\n"
                + "|---|---|---|---|---|---|---|---|---|\n");
        for (Report.Summary s : bySize) {
            md.append(String.format(Locale.ROOT, "| %d | %.1f | %.3f / %.3f | %.3f | %.0f | %.1f | %.1f | %.1f | %d, %d, %.2f |%n", s.count(),
                    s.allReadySeconds(), s.toJobP50(), s.toJobP99(), s.jobToReadyP99(), s.heapMiB(), s.cpuSeconds(),
                    s.requestsPerMigration(), s.statusWritesPerMigration(), s.idleWrites(), s.idleReconciles(), s.idleCpuSeconds()));
        }
        md.append("\n| gated pods | revision reported → every gate open, p99 s | condition patches per pod |\n|---|---|---|\n");
        for (Report.Summary s : byPods) {
            md.append(String.format(Locale.ROOT, "| %d | %.3f | %.2f |%n", s.gatedPods(), s.releaseP99(), s.podPatchesPerGatedPod()));
        }
        Files.writeString(out.resolve("scale.md"), md);
        System.out.println(md);
        Map<String, List<Double>> cost = new LinkedHashMap<>();
        List<Double> x = bySize.stream().map(s -> (double) s.count()).toList();
        cost.put("all Ready, s", bySize.stream().map(Report.Summary::allReadySeconds).toList());
        cost.put("operator CPU, s", bySize.stream().map(Report.Summary::cpuSeconds).toList());
        cost.put("live heap, MiB", bySize.stream().map(Report.Summary::heapMiB).toList());
        Charts.lines(out.resolve("scale-migrations.png"), "Cost against the number of SchemaMigrations (no-op runs)", "SchemaMigrations", x, cost);
        Map<String, List<Double>> gate = new LinkedHashMap<>();
        gate.put("every gate open, p99 s", byPods.stream().map(Report.Summary::releaseP99).toList());
        Charts.lines(out.resolve("scale-gate.png"), "The gate's release time against the number of gated pods", "gated pods",
                byPods.stream().map(s -> (double) s.gatedPods()).toList(), gate);
        System.out.println("charts: " + out.resolve("scale-migrations.png") + ", " + out.resolve("scale-gate.png"));
        return 0;
    }

    private ControlPlaneBench part(int count, int pods, int namespacesWanted) {
        ControlPlaneBench part = new ControlPlaneBench();
        part.database = database;
        part.count = count;
        part.namespaces = namespacesWanted;
        part.gatedPods = pods;
        part.idleSeconds = pods > 0 ? 10 : idleSeconds;
        part.noOp = true;
        part.warmUp = 5;
        part.applyThreads = 8;
        part.holdRunners = false;
        part.runnerSlots = runnerSlots;
        part.operatorHeap = "-Xmx256m";
        part.timeoutSeconds = 3600;
        part.out = out;
        part.keepDatabases = keepDatabases;
        return part;
    }
}
