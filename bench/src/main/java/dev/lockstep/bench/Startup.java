package dev.lockstep.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A runner pod's fixed cost: a whole no-op {@code lockstep migrate} (the database already at its target, as most runner
 * Jobs find it after a rollout's first pod), and inside it the time from the JVM's start to its first database
 * connection and to its first SQL statement, seen by a {@link PgProxy} in front of PostgreSQL. Subjects: the build's
 * Java 17 with and without an AppCDS archive, and Java 25 (the image's runtime) without a cache, with the AOT cache the
 * image builds (trained on a run that cannot connect), and with one trained on a real run.
 */
@Command(name = "startup", mixinStandardHelpOptions = true,
        description = "The runner's fixed cost: a no-op lockstep migrate, plain JVM vs class-data archive vs AOT cache.")
public final class Startup implements Callable<Integer> {
    @Mixin
    Database database;

    @Option(names = "--repetitions", defaultValue = "7", description = "Runs of each subject. Default: ${DEFAULT-VALUE}.")
    int repetitions;

    @Option(names = "--jar", defaultValue = "operator/cli/target/lockstep.jar", description = "The lockstep jar. Default: ${DEFAULT-VALUE}.")
    Path jar;

    @Option(names = "--java25", defaultValue = "${env:LOCKSTEP_BENCH_JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64}",
            description = "A Java 25 home, for the image's runtime and its AOT cache; none: leave those subjects out."
                    + " Default: ${DEFAULT-VALUE}.")
    String java25;

    @Option(names = "--out", defaultValue = "bench/target/results", description = "Where results go. Default: ${DEFAULT-VALUE}.")
    Path out;

    static final double GOAL_SECONDS = 1.0;
    /** The image's JAVA_TOOL_OPTIONS, which the operator gives runner pods too; a cache is trained with the flags it runs with. */
    private static final List<String> IMAGE_FLAGS = List.of("-XX:MaxRAMPercentage=75", "-Djava.io.tmpdir=/tmp");

    record Sample(String subject, int repetition, double wallSeconds, double cpuSeconds, long rssKiB,
                  double connectSeconds, double firstSqlSeconds) {}

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        Path work = Files.createDirectories(out.resolve("startup"));
        String db = "lockstep_bench_startup_" + System.nanoTime();
        database.admin("CREATE DATABASE " + db);
        try (PgProxy proxy = PgProxy.start(database.host(), database.port())) {
            String url = "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + db + "?sslmode=disable";
            String java17 = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            // Bring the database to its target once: every measured run is then a no-op.
            runChecked(List.of(java17, "-jar", jar.toAbsolutePath().toString()), url, work, "bring the database to its target");

            Map<String, List<String>> subjects = new LinkedHashMap<>();
            subjects.put("Java 17", jvm(java17, List.of("-Xshare:auto")));
            Path jsa = work.resolve("runner.jsa");
            Files.deleteIfExists(jsa);
            runChecked(jvm(java17, List.of("-XX:ArchiveClassesAtExit=" + jsa)), url, work, "train the AppCDS archive");
            subjects.put("Java 17 + AppCDS archive", jvm(java17, List.of("-XX:SharedArchiveFile=" + jsa)));
            Path java25Bin = Path.of(java25, "bin", "java");
            if (!java25.equals("none") && Files.isExecutable(java25Bin)) {
                String j25 = java25Bin.toString();
                subjects.put("Java 25", jvm(j25, List.of()));
                Path imageCache = work.resolve("image.aot");
                Path realCache = work.resolve("trained.aot");
                Files.deleteIfExists(imageCache);
                Files.deleteIfExists(realCache);
                // As the Dockerfile trains it: a run whose database does not answer, so the cache holds the classes
                // loaded up to the failed connection.
                run(jvm(j25, List.of("-XX:AOTCacheOutput=" + imageCache)), "jdbc:postgresql://127.0.0.1:1/training", work);
                runChecked(jvm(j25, List.of("-XX:AOTCacheOutput=" + realCache)), url, work, "train the AOT cache on a no-op run");
                subjects.put("Java 25 + AOT cache as the image trains it", jvm(j25, List.of("-XX:AOTCache=" + imageCache)));
                subjects.put("Java 25 + AOT cache trained on a no-op run", jvm(j25, List.of("-XX:AOTCache=" + realCache)));
            } else {
                System.err.println("no Java 25 at " + java25 + ": its subjects are left out (--java25)");
            }

            List<Sample> samples = new ArrayList<>();
            List<String> order = new ArrayList<>(subjects.keySet());
            for (int rep = 1; rep <= repetitions; rep++) {
                java.util.Collections.rotate(order, 1);
                for (String subject : order) {
                    samples.add(measure(subject, rep, subjects.get(subject), url, work, proxy));
                }
            }
            Path csv = out.resolve("startup.csv");
            StringBuilder raw = new StringBuilder("subject,repetition,wall_seconds,cpu_seconds,rss_kib,connect_seconds,first_sql_seconds\n");
            samples.forEach(s -> raw.append(String.format(Locale.ROOT, "%s,%d,%.3f,%.3f,%d,%.3f,%.3f%n", s.subject(),
                    s.repetition(), s.wallSeconds(), s.cpuSeconds(), s.rssKiB(), s.connectSeconds(), s.firstSqlSeconds())));
            Files.writeString(csv, raw);
            System.out.println(table(samples, List.copyOf(subjects.keySet())));
            System.out.println("raw samples: " + csv);
            List<String> names = List.copyOf(subjects.keySet());
            Map<String, List<Double>> medians = new LinkedHashMap<>();
            medians.put("first connection", names.stream().map(n -> Stats.median(of(samples, n, Sample::connectSeconds))).toList());
            medians.put("first SQL", names.stream().map(n -> Stats.median(of(samples, n, Sample::firstSqlSeconds))).toList());
            medians.put("whole no-op run (wall)", names.stream().map(n -> Stats.median(of(samples, n, Sample::wallSeconds))).toList());
            medians.put("CPU", names.stream().map(n -> Stats.median(of(samples, n, Sample::cpuSeconds))).toList());
            Path png = Charts.bars(out.resolve("startup.png"), "A runner's fixed cost: no-op lockstep migrate of migrations/, median of "
                    + repetitions, "seconds", names.stream().map(Startup::shortName).toList(), medians);
            System.out.println("chart: " + png);
        } finally {
            database.admin("DROP DATABASE " + db + " WITH (FORCE)");
        }
        return 0;
    }

    /** A subject's name short enough for the chart's axis. */
    static String shortName(String subject) {
        return subject.replace("Java ", "").replace(" archive", "").replace("AOT cache as the image trains it", "AOT, as built")
                .replace("AOT cache trained on a no-op run", "AOT, real run").replace("17", "Java 17").replace("25", "Java 25");
    }

    private List<String> jvm(String java, List<String> flags) {
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(IMAGE_FLAGS);
        command.addAll(flags);
        command.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
        return command;
    }

    private List<String> migrate(List<String> jvm, String url) {
        List<String> command = new ArrayList<>(jvm);
        command.addAll(List.of("migrate", "--url", url, "--username", database.user, "--location",
                Path.of("migrations").toAbsolutePath().toString(), "--target", "latest"));
        return command;
    }

    private int run(List<String> jvm, String url, Path work) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(migrate(jvm, url)).redirectErrorStream(true)
                .redirectOutput(work.resolve(Timed.LOG).toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + String.join(" ", jvm));
        }
        return p.exitValue();
    }

    private void runChecked(List<String> jvm, String url, Path work, String what) throws IOException, InterruptedException {
        int exit = run(jvm, url, work);
        if (exit != 0) {
            throw new IllegalStateException("could not " + what + " (exit " + exit + "): see " + work.resolve(Timed.LOG));
        }
    }

    private Sample measure(String subject, int rep, List<String> jvm, String url, Path work, PgProxy proxy)
            throws IOException, InterruptedException {
        proxy.reset();
        long started = System.nanoTime();
        Timed t = Timed.run(migrate(jvm, url), work, java.time.Duration.ofMinutes(10), subject);
        String log = Files.readString(work.resolve(Timed.LOG));
        if (log.contains("AOT cache") && log.toLowerCase(Locale.ROOT).contains("error") || log.contains("Unable to use shared archive")) {
            throw new IllegalStateException(subject + ": the JVM could not use its cache: see " + work.resolve(Timed.LOG));
        }
        long connected = proxy.firstConnectionNanos().orElseThrow(() -> new IllegalStateException(subject + " never connected"
                + " through the proxy"));
        long firstSql = proxy.firstQueryNanos().orElseThrow(() -> new IllegalStateException(subject + " sent no SQL"));
        return new Sample(subject, rep, t.wallSeconds(), t.cpuSeconds(), t.rssKiB(), (connected - started) / 1e9,
                (firstSql - started) / 1e9);
    }

    static String table(List<Sample> samples, List<String> subjects) {
        StringBuilder md = new StringBuilder("A no-op `lockstep migrate` of migrations/ (database at its target), median (min–max)"
                + " of " + samples.stream().mapToInt(Sample::repetition).max().orElse(0) + ". Goal: a no-op run ≤ "
                + GOAL_SECONDS + " s with a cache.\n\n"
                + "| subject | JVM start → first connection s | → first SQL s | whole no-op run, wall s | CPU s | peak RSS MiB | goal ≤ 1.0 s |\n"
                + "|---|---|---|---|---|---|---|\n");
        for (String subject : subjects) {
            double wall = Stats.median(of(samples, subject, Sample::wallSeconds));
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %.0f | %s |%n", subject,
                    Stats.spread(of(samples, subject, Sample::connectSeconds)),
                    Stats.spread(of(samples, subject, Sample::firstSqlSeconds)),
                    Stats.spread(of(samples, subject, Sample::wallSeconds)),
                    Stats.spread(of(samples, subject, Sample::cpuSeconds)),
                    Stats.median(of(samples, subject, s -> s.rssKiB() / 1024.0)),
                    wall <= GOAL_SECONDS ? "met" : "not met"));
        }
        return md.toString();
    }

    private static List<Double> of(List<Sample> samples, String subject, java.util.function.Function<Sample, Double> measure) {
        return samples.stream().filter(s -> s.subject().equals(subject)).map(measure).toList();
    }
}
