package dev.lockstep.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lockstep migrate} against a bare Flyway program on the same scripts, as processes, a fresh database each
 * repetition, in the same JVM with the same flags, the order alternating. Three subjects: bare Flyway, {@code migrate
 * --destructive off} (no dry run) and {@code migrate --destructive block} (the dry run the operator's expand Jobs
 * make), so the dry run's share shows on its own. Wall and CPU time and peak RSS come from GNU time.
 */
@Command(name = "runner", mixinStandardHelpOptions = true,
        description = "lockstep migrate vs a bare Flyway program, side by side, a fresh database each repetition.")
public final class RunnerVsFlyway implements Callable<Integer> {
    @Option(names = "--set", defaultValue = "generated",
            description = "generated (--count small migrations), migrations (the repository's), or a directory of scripts."
                    + " Default: ${DEFAULT-VALUE}.")
    String set;

    @Option(names = "--count", defaultValue = "500", description = "Migrations of the generated set. Default: ${DEFAULT-VALUE}.")
    int count;

    @Option(names = "--applied", defaultValue = "0",
            description = "Versions applied (untimed) before each run, so the run starts on a database with a history and"
                    + " the dry run has a catalog to compare: 250 of the 500 generated leaves about 80 tables and 250 pending"
                    + " steps. Default: ${DEFAULT-VALUE}.")
    int applied;

    @Option(names = "--repetitions", defaultValue = "5", description = "Runs of each subject. Default: ${DEFAULT-VALUE}.")
    int repetitions;

    @Option(names = "--jar", defaultValue = "operator/cli/target/lockstep.jar", description = "The lockstep jar. Default: ${DEFAULT-VALUE}.")
    Path jar;

    @Mixin
    Database database;

    @Option(names = "--out", defaultValue = "bench/target/results", description = "Where the CSV goes. Default: ${DEFAULT-VALUE}.")
    Path out;

    /** One process run. */
    record Sample(String subject, int repetition, double wallSeconds, double cpuSeconds, long rssKiB) {}

    private static final List<String> JVM = List.of("-XX:MaxRAMPercentage=75", "-XX:+UseSerialGC", "-Xshare:auto");

    @Override
    public Integer call() throws Exception {
        Path scripts = scripts();
        Path classes = Path.of(RunnerVsFlyway.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Map<String, List<String>> subjects = new LinkedHashMap<>();
        subjects.put("bare Flyway", java(List.of("-cp", classes + ":" + jar.toAbsolutePath(), BareFlyway.class.getName())));
        subjects.put("lockstep migrate --destructive off", java(List.of("-jar", jar.toAbsolutePath().toString(), "migrate",
                "--destructive", "off")));
        subjects.put("lockstep migrate --destructive block", java(List.of("-jar", jar.toAbsolutePath().toString(), "migrate",
                "--destructive", "block")));
        List<Sample> samples = new ArrayList<>();
        List<String> order = new ArrayList<>(subjects.keySet());
        for (int rep = 1; rep <= repetitions; rep++) {
            java.util.Collections.rotate(order, 1); // each subject first, second and last in turn
            for (String subject : order) {
                String db = "lockstep_bench_" + System.nanoTime();
                database.admin("CREATE DATABASE " + db);
                try {
                    if (applied > 0) {
                        BareFlyway.migrate(database.url(db), database.user, scripts.toString(), String.valueOf(applied));
                    }
                    samples.add(run(subject, rep, subjects.get(subject), db, scripts));
                } finally {
                    database.admin("DROP DATABASE " + db + " WITH (FORCE)");
                }
            }
        }
        Files.createDirectories(out);
        // One name per set, so a run of another set does not overwrite its samples and chart.
        String name = "runner-vs-flyway-" + scripts.getFileName() + (applied > 0 ? "-applied-" + applied : "");
        Path csv = out.resolve(name + ".csv");
        StringBuilder raw = new StringBuilder("subject,repetition,wall_seconds,cpu_seconds,rss_kib\n");
        samples.forEach(s -> raw.append(String.format(Locale.ROOT, "%s,%d,%.3f,%.3f,%d%n", s.subject(), s.repetition(),
                s.wallSeconds(), s.cpuSeconds(), s.rssKiB())));
        Files.writeString(csv, raw);
        System.out.println(table(samples, scripts, applied));
        System.out.println("raw samples: " + csv);
        List<String> names = new ArrayList<>(subjects.keySet());
        Map<String, List<Double>> medians = new LinkedHashMap<>();
        medians.put("wall", names.stream().map(n -> Stats.median(of(samples, n, Sample::wallSeconds))).toList());
        medians.put("CPU", names.stream().map(n -> Stats.median(of(samples, n, Sample::cpuSeconds))).toList());
        Path png = Charts.bars(out.resolve(name + ".png"), "lockstep migrate beside bare Flyway: " + scripts.getFileName()
                + (applied > 0 ? " from version " + applied : "") + ", median of " + repetitions, "seconds", names, medians);
        System.out.println("chart: " + png);
        return 0;
    }

    private List<String> java(List<String> rest) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(JVM);
        command.addAll(rest);
        return command;
    }

    private Sample run(String subject, int rep, List<String> base, String db, Path scripts) throws IOException, InterruptedException {
        String url = database.url(db);
        List<String> command = new ArrayList<>(base);
        if (subject.startsWith("bare")) {
            command.addAll(List.of(url, database.user, scripts.toString()));
        } else {
            command.addAll(List.of("--url", url, "--username", database.user, "--location", scripts.toString(), "--target", "latest"));
        }
        Timed t = Timed.run(command, out, java.time.Duration.ofMinutes(30), subject);
        return new Sample(subject, rep, t.wallSeconds(), t.cpuSeconds(), t.rssKiB());
    }

    private Path scripts() throws IOException {
        if (set.equals("migrations")) {
            return Path.of("migrations").toAbsolutePath();
        }
        if (!set.equals("generated")) {
            return Path.of(set).toAbsolutePath();
        }
        Path dir = out.resolve("generated-" + count);
        if (Files.isDirectory(dir)) {
            return dir.toAbsolutePath();
        }
        Files.createDirectories(dir);
        for (int i = 1; i <= count; i++) {
            String sql = i % 3 == 1 ? "CREATE TABLE t_" + i + " (id bigint PRIMARY KEY, v text);"
                    : i % 3 == 2 ? "ALTER TABLE t_" + (i - 1) + " ADD COLUMN created timestamptz;"
                    : "INSERT INTO t_" + (i - 2) + " (id, v) SELECT g, 'x' FROM generate_series(1, 10) g;";
            Files.writeString(dir.resolve("V" + i + "__step_" + i + ".sql"), sql + "\n");
        }
        return dir.toAbsolutePath();
    }

    /** Each subject's median (min–max) and its ratio to bare Flyway: the median of the per-repetition ratios. */
    static String table(List<Sample> samples, Path scripts, int applied) throws IOException {
        long files;
        try (var list = Files.list(scripts)) {
            files = list.filter(f -> f.getFileName().toString().matches("V.*\\.sql")).count();
        }
        StringBuilder md = new StringBuilder("Scripts: " + scripts + " (" + files + " versioned"
                + (applied > 0 ? ", the first " + applied + " applied before each run" : "") + ")\n\n"
                + "| subject | wall s, median (min–max) | CPU s, median (min–max) | peak RSS MiB, median | wall ratio | CPU ratio |\n"
                + "|---|---|---|---|---|---|\n");
        Map<String, List<Sample>> by = new LinkedHashMap<>();
        samples.stream().sorted(Comparator.comparing(Sample::subject)).forEach(s -> by.computeIfAbsent(s.subject(), k -> new ArrayList<>()).add(s));
        List<Sample> bare = by.get("bare Flyway");
        for (var e : by.entrySet()) {
            List<Double> wallRatio = new ArrayList<>();
            List<Double> cpuRatio = new ArrayList<>();
            for (Sample s : e.getValue()) {
                Sample ref = bare.stream().filter(b -> b.repetition() == s.repetition()).findFirst().orElseThrow();
                wallRatio.add(s.wallSeconds() / ref.wallSeconds());
                cpuRatio.add(s.cpuSeconds() / ref.cpuSeconds());
            }
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %.0f | %.2f× | %.2f× |%n", e.getKey(),
                    Stats.spread(e.getValue().stream().map(Sample::wallSeconds).toList()),
                    Stats.spread(e.getValue().stream().map(Sample::cpuSeconds).toList()),
                    Stats.median(e.getValue().stream().map(s -> s.rssKiB() / 1024.0).toList()), Stats.median(wallRatio), Stats.median(cpuRatio)));
        }
        return md.toString();
    }

    private static List<Double> of(List<Sample> samples, String subject, java.util.function.Function<Sample, Double> measure) {
        return samples.stream().filter(s -> s.subject().equals(subject)).map(measure).toList();
    }
}
