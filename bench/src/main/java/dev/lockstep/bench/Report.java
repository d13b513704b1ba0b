package dev.lockstep.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;

/** The control-plane run's figures beside their goals, its raw samples as CSV, and its charts. */
record Report(int count, int namespaces, int gatedPods, int idleSeconds, boolean noOp, String operatorHeap, double runnersReleasedSeconds,
              double allReadySeconds,
              Map<String, ControlPlaneBench.Times> times, long revisionReported, Map<String, Long> released,
              Map<String, Long> podReady, ControlPlaneBench.Stats0 before, ControlPlaneBench.Stats0 busy,
              ControlPlaneBench.Stats0 idle, int reconcilesBusy, long reconcilesIdle, List<long[]> convergence) {

    private static final long MIB = 1024 * 1024;

    List<Double> seconds(ToLongFunction<ControlPlaneBench.Times> from, ToLongFunction<ControlPlaneBench.Times> to) {
        return times.values().stream().filter(t -> from.applyAsLong(t) != 0 && to.applyAsLong(t) != 0)
                .map(t -> (to.applyAsLong(t) - from.applyAsLong(t)) / 1e9).toList();
    }

    /** The figures one line of a cost-vs-size table holds. */
    record Summary(int count, int gatedPods, double allReadySeconds, double toJobP50, double toJobP99, double jobToReadyP99,
                   double releaseP99, double heapMiB, double cpuSeconds, double requestsPerMigration,
                   double statusWritesPerMigration, double podPatchesPerGatedPod, long idleWrites, long idleReconciles,
                   double idleCpuSeconds) {}

    Summary summary() {
        Map<String, Long> busyRequests = busy.since(before);
        long total = count(busyRequests, k -> true);
        long statusWrites = count(busyRequests, k -> k.startsWith("PATCH|schemamigrations/status|"));
        long podPatches = count(busyRequests, k -> k.startsWith("PATCH|pods/status|"));
        long idleWrites = writes(idle.since(busy));
        List<Double> release = released.values().stream().map(v -> (v - revisionReported) / 1e9).toList();
        return new Summary(count, gatedPods, allReadySeconds, p(seconds(t -> t.applied, t -> t.jobSeen), 50),
                p(seconds(t -> t.applied, t -> t.jobSeen), 99), p(seconds(t -> t.jobComplete, t -> t.ready), 99), p(release, 99),
                busy.heapUsed() / (double) MIB, (busy.cpuNanos() - before.cpuNanos()) / 1e9, total / (double) count,
                statusWrites / (double) count, gatedPods == 0 ? 0 : podPatches / (double) gatedPods, idleWrites, reconcilesIdle,
                (idle.cpuNanos() - busy.cpuNanos()) / 1e9);
    }

    void write(Path out) throws IOException {
        List<Double> toJob = seconds(t -> t.applied, t -> t.jobSeen);
        List<Double> jobToReady = seconds(t -> t.jobComplete, t -> t.ready);
        List<Double> toReady = seconds(t -> t.applied, t -> t.ready);
        List<Double> release = released.values().stream().map(v -> (v - revisionReported) / 1e9).toList();
        List<Double> readyAfter = podReady.values().stream().map(v -> (v - revisionReported) / 1e9).toList();
        Map<String, Long> busyRequests = busy.since(before);
        Map<String, Long> idleRequests = idle.since(busy);
        long idleWrites = writes(idleRequests);
        long conflicts = count(busyRequests, k -> k.endsWith("|409"));

        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "%d SchemaMigrations in %d namespaces applied at once, each on its own database (%s);"
                + " %d pods gated on one of them; the operator with %s; %s.%n%n", count, namespaces,
                noOp ? "already at its target: every runner a no-op" : "3 scripts to apply", gatedPods, operatorHeap,
                runnersReleasedSeconds > 0 ? String.format(Locale.ROOT, "runner pods held until every Job existed (%.1f s after"
                        + " the first apply), so apply → Job is the operator's and the API server's alone", runnersReleasedSeconds)
                        : "runner pods started as their Jobs appeared, their JVMs on the same 2 cores as the operator and the API server"));
        md.append("| figure | p50 | p99 | max | goal | met |\n|---|---|---|---|---|---|\n");
        row(md, "apply → runner Job created, s", toJob, "p50 ≤ 0.1, p99 ≤ 0.3", p(toJob, 50) <= 0.1 && p(toJob, 99) <= 0.3);
        row(md, "runner Job complete → Ready (the operator's share), s", jobToReady, "p99 ≤ 0.5", p(jobToReady, 99) <= 0.5);
        row(md, "apply → Ready, s", toReady, "", null);
        if (gatedPods > 0) {
            row(md, "revision reported → gate open, each of " + gatedPods + " pods, s", release, "p99 ≤ 1", p(release, 99) <= 1.0);
            row(md, "revision reported → pod Ready (adds the local kubelet), s", readyAfter, "", null);
        }
        md.append('\n');
        md.append("| figure | value | goal | met |\n|---|---|---|---|\n");
        boolean scaleGoal = count >= 1000 && noOp;
        long stalled = times.values().stream().filter(t -> t.ready == 0 && t.stalled != 0).count();
        md.append(String.format(Locale.ROOT, "| all %d Ready after, s | %.1f | %s | %s |%n", count - stalled, allReadySeconds,
                scaleGoal ? "≤ 60 (1 000, no-op)" : "stated", scaleGoal ? yes(stalled == 0 && allReadySeconds <= 60) : "—"));
        md.append(String.format(Locale.ROOT, "| stopped Stalled instead (a failed run waiting for a person) | %d | 0 | %s |%n",
                stalled, yes(stalled == 0)));
        md.append(String.format(Locale.ROOT, "| operator live heap when all Ready, MiB | %.0f | ≤ 256 | %s |%n", busy.heapUsed() / (double) MIB,
                yes(busy.heapUsed() <= 256 * MIB)));
        md.append(String.format(Locale.ROOT, "| operator live heap after %d s idle, MiB | %.0f | ≤ 256 | %s |%n", idleSeconds,
                idle.heapUsed() / (double) MIB, yes(idle.heapUsed() <= 256 * MIB)));
        md.append(String.format(Locale.ROOT, "| operator CPU until all Ready, s | %.1f | | |%n", (busy.cpuNanos() - before.cpuNanos()) / 1e9));
        md.append(String.format(Locale.ROOT, "| reconciles until all Ready | %d (%.1f per SchemaMigration) | | |%n", reconcilesBusy,
                reconcilesBusy / (double) count));
        md.append(String.format(Locale.ROOT, "| status and other writes answered 409 until all Ready | %d | 0 | %s |%n", conflicts, yes(conflicts == 0)));
        md.append(String.format(Locale.ROOT, "| API writes in %d s idle | %d | 0 | %s |%n", idleSeconds, idleWrites, yes(idleWrites == 0)));
        md.append(String.format(Locale.ROOT, "| reconciles in %d s idle | %d | resyncs only | |%n", idleSeconds, reconcilesIdle));
        md.append(String.format(Locale.ROOT, "| operator CPU in %d s idle, s | %.2f (%.2f %% of a core) | | |%n", idleSeconds,
                (idle.cpuNanos() - busy.cpuNanos()) / 1e9, (idle.cpuNanos() - busy.cpuNanos()) / 1e9 / idleSeconds * 100));
        md.append("\nAPI requests the operator sent (verb, resource, answer), counted at its client:\n\n"
                + "| request | until all Ready | per SchemaMigration | in " + idleSeconds + " s idle |\n|---|---|---|---|\n");
        java.util.TreeSet<String> keys = new java.util.TreeSet<>(busyRequests.keySet());
        keys.addAll(idleRequests.keySet());
        for (String k : keys) {
            long b = busyRequests.getOrDefault(k, 0L);
            md.append(String.format(Locale.ROOT, "| %s | %d | %.2f | %d |%n", k.replace('|', ' '), b, b / (double) count,
                    idleRequests.getOrDefault(k, 0L)));
        }
        String table = md.toString();
        String tag = "control-plane-" + count + (noOp ? "-noop" : "") + (runnersReleasedSeconds > 0 ? "-held" : "");
        Files.writeString(out.resolve(tag + ".md"), table);
        System.out.println(table);

        StringBuilder csv = new StringBuilder("schema_migration,apply_to_job_s,job_complete_to_ready_s,apply_to_ready_s\n");
        times.forEach((k, t) -> csv.append(String.format(Locale.ROOT, "%s,%s,%s,%s%n", k, d(t.applied, t.jobSeen),
                d(t.jobComplete, t.ready), d(t.applied, t.ready))));
        Files.writeString(out.resolve(tag + ".csv"), csv);
        StringBuilder gate = new StringBuilder("pod,gate_open_s,ready_s\n");
        released.forEach((k, v) -> gate.append(String.format(Locale.ROOT, "%s,%.4f,%s%n", k, (v - revisionReported) / 1e9,
                podReady.containsKey(k) ? String.format(Locale.ROOT, "%.4f", (podReady.get(k) - revisionReported) / 1e9) : "")));
        Files.writeString(out.resolve(tag + "-gate.csv"), gate);
        StringBuilder conv = new StringBuilder("seconds,ready\n");
        convergence.forEach(c -> conv.append(String.format(Locale.ROOT, "%.2f,%d%n", c[0] / 1e9, c[1])));
        Files.writeString(out.resolve(tag + "-convergence.csv"), conv);

        Map<String, List<Double>> latencies = new LinkedHashMap<>();
        latencies.put("apply → runner Job", toJob);
        latencies.put("runner Job complete → Ready", jobToReady);
        if (gatedPods > 0) {
            latencies.put("revision reported → gate open (" + gatedPods + " pods)", release);
        }
        Charts.distributions(out.resolve(tag + "-latency.png"), "Latency distributions, " + count + " SchemaMigrations", latencies);
        Charts.line(out.resolve(tag + "-convergence.png"), count + " SchemaMigrations applied at once: how many are Ready",
                "seconds after the applies", "Ready", convergence.stream().map(c -> c[0] / 1e9).toList(),
                convergence.stream().map(c -> (double) c[1]).toList());
        System.out.println("raw samples and charts: " + out.resolve(tag) + "*");
    }

    /** The requests whose "VERB|resource|code" key {@code which} accepts. */
    private static long count(Map<String, Long> requests, java.util.function.Predicate<String> which) {
        return requests.entrySet().stream().filter(e -> which.test(e.getKey())).mapToLong(Map.Entry::getValue).sum();
    }

    /** The requests that are not reads or watches. */
    private static long writes(Map<String, Long> requests) {
        return count(requests, k -> !k.startsWith("GET|") && !k.startsWith("LIST|") && !k.startsWith("WATCH|"));
    }

    private static String d(long from, long to) {
        return from == 0 || to == 0 ? "" : String.format(Locale.ROOT, "%.4f", (to - from) / 1e9);
    }

    private static double p(List<Double> values, double percent) {
        return Stats.percentile(values, percent);
    }

    private static String yes(boolean met) {
        return met ? "met" : "not met";
    }

    private static void row(StringBuilder md, String figure, List<Double> values, String goal, Boolean met) {
        md.append(String.format(Locale.ROOT, "| %s (n=%d) | %.3f | %.3f | %.3f | %s | %s |%n", figure, values.size(),
                p(values, 50), p(values, 99), Stats.max(values), goal, met == null ? "—" : yes(met)));
    }

    static List<Double> sorted(List<Double> values) {
        List<Double> copy = new ArrayList<>(values);
        copy.sort(Double::compare);
        return copy;
    }
}
