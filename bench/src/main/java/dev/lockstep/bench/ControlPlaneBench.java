package dev.lockstep.bench;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.gate.PodGate;
import dev.lockstep.operator.jobs.RunnerJobs;
import dev.lockstep.testkit.ControlPlane;
import dev.lockstep.testkit.LocalKubelet;
import dev.lockstep.testkit.SchemaMigrations;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The operator on the real API server: {@code --count} SchemaMigrations in {@code --namespaces} namespaces, each on a
 * database of its own, applied at once, the local kubelet running the real runner for each; then {@code --idle}
 * seconds of steady state. Measured from a watch in this process: apply → runner Job, runner Job complete → Ready,
 * apply → Ready; the revision reported → {@code --gated-pods} gated pods released; and, from the operator's own
 * process ({@link CountingOperator}), every API request it sent by verb and resource, its live heap and its CPU time.
 */
@Command(name = "control-plane", mixinStandardHelpOptions = true,
        description = "The operator on the real API server: latencies, API requests, heap, steady state.")
public final class ControlPlaneBench implements Callable<Integer> {
    @Mixin
    Database database;

    @Option(names = "--count", defaultValue = "200", description = "SchemaMigrations applied at once. Default: ${DEFAULT-VALUE}.")
    int count;

    @Option(names = "--namespaces", defaultValue = "10", description = "Namespaces they are spread over. Default: ${DEFAULT-VALUE}.")
    int namespaces;

    @Option(names = "--gated-pods", defaultValue = "50", description = "Pods gated on the first SchemaMigration. Default: ${DEFAULT-VALUE}.")
    int gatedPods;

    @Option(names = "--idle", defaultValue = "120", description = "Seconds of steady state after all are Ready. Default: ${DEFAULT-VALUE}.")
    int idleSeconds;

    @Option(names = "--no-op", description = "Bring every database to its target before applying, so each runner finds nothing to do.")
    boolean noOp;

    @Option(names = "--apply-threads", defaultValue = "8", description = "Creates in flight at once. Default: ${DEFAULT-VALUE}.")
    int applyThreads;

    @Option(names = "--warm-up", defaultValue = "5", description = "SchemaMigrations taken to Ready first, in a namespace of"
            + " their own and not counted, so the figures are a running operator's, not a JVM's first minutes. Default: ${DEFAULT-VALUE}.")
    int warmUp;

    @Option(names = "--hold-runners", description = "Start no runner pod until every SchemaMigration has its Job, so apply →"
            + " Job is measured without the runners' JVMs beside the operator on this machine's cores.")
    boolean holdRunners;

    @Option(names = "--runner-slots", defaultValue = "8", description = "Runner pods the local kubelet runs at once, as a"
            + " node's capacity would bound them: each is a JVM on this machine, and hundreds at once exhaust its memory."
            + " Default: ${DEFAULT-VALUE}.")
    int runnerSlots;

    @Option(names = "--operator-heap", defaultValue = "-Xmx256m",
            description = "The operator JVM's heap flag, as the chart sets it. Default: ${DEFAULT-VALUE}.")
    String operatorHeap;

    @Option(names = "--timeout", defaultValue = "1800", description = "Seconds to wait for all Ready. Default: ${DEFAULT-VALUE}.")
    int timeoutSeconds;

    @Option(names = "--out", defaultValue = "bench/target/results", description = "Where results go. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--keep-databases", description = "Leave the databases it made on the server when it ends, to look"
            + " into them; by default it drops them, as it does any left by an earlier run that stopped short.")
    boolean keepDatabases;

    static final String SCRIPTS_CONFIG_MAP = "bench-migrations";
    static final String SECRET = "bench-db";
    static final Map<String, String> SCRIPTS = new TreeMap<>(Map.of(
            "V1__create_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);",
            "V2__add_price.sql", "ALTER TABLE items ADD COLUMN price numeric(10,2);",
            "V3__index_name.sql", "CREATE INDEX items_name ON items (name);"));
    static final String TARGET = "3";

    /** When each SchemaMigration reached each point, in System.nanoTime(). */
    static final class Times {
        volatile long applied;
        volatile long jobSeen;
        volatile long jobComplete;
        volatile long ready;
        /** When it was seen Stalled (a failed run waiting for a person), if it was. */
        volatile long stalled;
    }

    @Override
    public Integer call() throws Exception {
        run().write(out);
        return 0;
    }

    /** One run, its figures not yet written. */
    Report run() throws Exception {
        Report report;
        Path repo = Path.of("").toAbsolutePath();
        Files.createDirectories(out);
        Path work = Files.createDirectories(out.resolve("control-plane")).toAbsolutePath();
        List<String> dbs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            dbs.add("lockstep_bench_cp_" + i);
        }
        List<String> warmUpDbs = new ArrayList<>();
        for (int i = 0; i < warmUp; i++) {
            warmUpDbs.add("lockstep_bench_cp_warmup_" + i);
        }
        System.err.println("creating " + count + " databases" + (noOp ? " at their target" : ""));
        for (String db : concat(dbs, warmUpDbs)) {
            database.admin("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
            database.admin("CREATE DATABASE " + db);
        }
        if (noOp) {
            Path scripts = Files.createDirectories(work.resolve("scripts"));
            for (var e : SCRIPTS.entrySet()) {
                Files.writeString(scripts.resolve(e.getKey()), e.getValue());
            }
            for (String db : dbs) {
                org.flywaydb.core.Flyway.configure().dataSource(database.url(db), database.user, System.getenv("LOCKSTEP_DB_PASSWORD"))
                        .locations("filesystem:" + scripts).load().migrate();
            }
        }
        Process operator = null;
        try (ControlPlane plane = ControlPlane.start(repo, work.resolve("state"));
             KubernetesClient admin = plane.client()) {
            System.err.println("control plane up in " + plane.startTime().toMillis() + " ms");
            ControlPlane.installCrds(admin, repo);
            for (int n = -1; n < namespaces; n++) {
                String ns = n < 0 ? WARM_UP_NAMESPACE : namespace(n);
                admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
                admin.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName(SECRET).endMetadata()
                        .addToStringData("username", database.user)
                        .addToStringData("password", System.getenv().getOrDefault("LOCKSTEP_DB_PASSWORD", "unused-with-trust-auth"))
                        .build()).create();
                admin.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName(SCRIPTS_CONFIG_MAP)
                        .endMetadata().withData(SCRIPTS).build()).create();
            }
            for (int n = -1; n < namespaces; n++) {
                String ns = n < 0 ? WARM_UP_NAMESPACE : namespace(n);
                admin.serviceAccounts().inNamespace(ns).withName("default").waitUntilCondition(sa -> sa != null, 60, TimeUnit.SECONDS);
            }
            Path stats = work.resolve("operator.stats");
            Files.deleteIfExists(stats);
            operator = startOperator(plane.kubeconfig(), stats, work);
            Stats0.await(stats, operator);
            Map<String, Times> times = new ConcurrentHashMap<>();
            Map<String, Long> released = new ConcurrentHashMap<>();
            Map<String, Long> podReady = new ConcurrentHashMap<>();
            long[] revisionReported = new long[1];
            java.util.concurrent.atomic.AtomicBoolean holding = new java.util.concurrent.atomic.AtomicBoolean(holdRunners);
            RunnerSlots slots = new RunnerSlots(runnerSlots);
            try (var runnerPods = admin.pods().inAnyNamespace().withLabelSelector(RunnerJobs.RUNNER_SELECTOR).inform(slots);
                 LocalKubelet kubelet = new LocalKubelet(admin, LocalKubelet.sameJvmCommand(), work.resolve("pods"))
                         .ignoring(pod -> slots.hold(pod, holding.get() && !WARM_UP_NAMESPACE.equals(pod.getMetadata().getNamespace())))
                         .start();
                 var jobs = admin.batch().v1().jobs().inAnyNamespace().withLabelSelector(RunnerJobs.RUNNER_SELECTOR)
                         .inform(jobHandler(times));
                 var sms = admin.resources(SchemaMigration.class).inAnyNamespace().inform(smHandler(times, revisionReported));
                 var pods = admin.pods().inAnyNamespace().withLabel(PodGate.SCHEMA_LABEL).inform(podHandler(released, podReady))) {
                if (warmUp > 0) {
                    warmUp(admin, warmUpDbs);
                }
                for (int p = 0; p < gatedPods; p++) {
                    admin.pods().inNamespace(namespace(0)).resource(gatedPod(p)).create();
                }
                Stats0 before = Stats0.read(stats);
                int reconcilesAtStart = reconciles(before.metricsPort());
                long start = System.nanoTime();
                // As a GitOps controller syncs a directory: several creates in flight at once, each timed from its own start.
                var appliers = java.util.concurrent.Executors.newFixedThreadPool(applyThreads);
                List<java.util.concurrent.Future<?>> applies = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    int n = i;
                    String ns = namespace(i % namespaces);
                    Times t = times.computeIfAbsent(ns + "/" + name(i), k -> new Times());
                    applies.add(appliers.submit(() -> {
                        t.applied = System.nanoTime();
                        admin.resource(migration(name(n), database.url(dbs.get(n)))).inNamespace(ns).create();
                    }));
                }
                for (var apply : applies) {
                    apply.get();
                }
                appliers.shutdown();
                System.err.println("applied " + count + " in " + ms(System.nanoTime() - start) + " ms");
                double runnersReleased = 0;
                if (holdRunners) {
                    long until = start + TimeUnit.SECONDS.toNanos(timeoutSeconds);
                    while (times.values().stream().anyMatch(t -> t.jobSeen == 0)) {
                        if (System.nanoTime() > until) {
                            throw new IllegalStateException("not every SchemaMigration had its Job after " + timeoutSeconds + " s");
                        }
                        Thread.sleep(50);
                    }
                    runnersReleased = (System.nanoTime() - start) / 1e9;
                    holding.set(false);
                    System.err.println("every Job made; runners released after " + String.format(Locale.ROOT, "%.1f", runnersReleased) + " s");
                }
                List<long[]> convergence = new ArrayList<>();
                long deadline = start + TimeUnit.SECONDS.toNanos(timeoutSeconds);
                while (true) {
                    long ready = times.values().stream().filter(t -> t.ready != 0).count();
                    long stalled = times.values().stream().filter(t -> t.ready == 0 && t.stalled != 0).count();
                    convergence.add(new long[] {System.nanoTime() - start, ready});
                    if (ready + stalled == count && released.size() >= gatedPods) {
                        if (stalled > 0) {
                            System.err.println(stalled + " of " + count + " stopped Stalled (see their status); the rest Ready");
                        }
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(ready + " of " + count + " Ready after " + timeoutSeconds + " s (--timeout)");
                    }
                    Thread.sleep(250);
                }
                double allReady = (times.values().stream().mapToLong(t -> t.ready).max().orElse(start) - start) / 1e9;
                System.err.println("all Ready after " + String.format(Locale.ROOT, "%.1f", allReady) + " s");
                Stats0 busy = Stats0.collected(stats, operator);
                System.err.println("steady state for " + idleSeconds + " s");
                Thread.sleep(TimeUnit.SECONDS.toMillis(idleSeconds));
                Stats0 idle = Stats0.collected(stats, operator);
                int reconcilesBusy = reconciles(busy.metricsPort) - reconcilesAtStart;
                long reconcilesIdle = reconciles(idle.metricsPort) - reconcilesBusy - reconcilesAtStart;
                report = new Report(count, namespaces, gatedPods, idleSeconds, noOp, operatorHeap, runnersReleased, allReady, times,
                        revisionReported[0], released, podReady, before, busy, idle, reconcilesBusy, reconcilesIdle, convergence);
            }
        } finally {
            if (operator != null) {
                operator.destroy();
                operator.waitFor(30, TimeUnit.SECONDS);
            }
            if (!keepDatabases) {
                dropDatabases(concat(dbs, warmUpDbs));
            }
        }
        return report;
    }

    /** Drops what the run made (a thousand databases at the largest size), each on its own, so one failure stops none. */
    private void dropDatabases(List<String> dbs) {
        int failed = 0;
        for (String db : dbs) {
            try {
                database.admin("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
            } catch (java.sql.SQLException e) {
                if (failed++ == 0) {
                    System.err.println("could not drop database " + db + ": " + e.getMessage());
                }
            }
        }
        System.err.println(failed == 0 ? "dropped the " + dbs.size() + " databases it made"
                : failed + " of the " + dbs.size() + " databases it made were not dropped (the first reason above)");
    }

    static final String WARM_UP_NAMESPACE = "bench-warm-up";

    /** Takes {@code --warm-up} SchemaMigrations to Ready (their runners run even with --hold-runners). */
    private void warmUp(KubernetesClient admin, List<String> dbs) throws InterruptedException {
        for (int i = 0; i < dbs.size(); i++) {
            admin.resource(migration("warm-up-" + i, database.url(dbs.get(i)))).inNamespace(WARM_UP_NAMESPACE).create();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (admin.resources(SchemaMigration.class).inNamespace(WARM_UP_NAMESPACE).list().getItems().stream()
                .anyMatch(sm -> sm.getStatus() == null || !TARGET.equals(sm.getStatus().getCurrentRevision()))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the warm-up SchemaMigrations were not Ready after " + timeoutSeconds + " s");
            }
            Thread.sleep(250);
        }
        System.err.println("warmed up on " + dbs.size() + " SchemaMigrations");
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private Process startOperator(Path kubeconfig, Path stats, Path work) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, operatorHeap, "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), CountingOperator.class.getName(),
                kubeconfig.toString(), stats.toString(), "lockstep:0.1.0"));
        ProcessBuilder pb = new ProcessBuilder(command).directory(Path.of("").toAbsolutePath().toFile()).redirectErrorStream(true).redirectOutput(work.resolve("operator.log").toFile());
        pb.environment().put("OTEL_TRACES_EXPORTER", "none");
        pb.environment().put("OTEL_METRICS_EXPORTER", "none");
        pb.environment().put("OTEL_LOGS_EXPORTER", "none");
        return pb.start();
    }

    /** The reconciles the operator has run, from its /metrics. */
    private static int reconciles(int port) throws IOException, InterruptedException {
        String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0;
        for (String line : text.lines().toList()) {
            if (line.startsWith("lockstep_reconcile_duration_seconds_count")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return (int) sum;
    }

    static String namespace(int n) {
        return "bench-" + n;
    }

    static String name(int i) {
        return "sm-" + i;
    }

    static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private SchemaMigration migration(String name, String url) {
        SchemaMigration sm = SchemaMigrations.fromConfigMap(name, TARGET, url, SECRET, SCRIPTS_CONFIG_MAP);
        // A Job's deadline counts the time its pod waits for a runner slot too: at 1 000 that wait passes the default.
        dev.lockstep.api.v1alpha1.RunnerSpec runner = new dev.lockstep.api.v1alpha1.RunnerSpec();
        runner.setActiveDeadlineSeconds((long) timeoutSeconds);
        sm.getSpec().setRunner(runner);
        return sm;
    }

    private static Pod gatedPod(int p) {
        return new PodBuilder().withNewMetadata().withName("app-" + p).addToLabels(PodGate.SCHEMA_LABEL, name(0))
                .addToLabels(PodGate.REQUIRES_REVISION, TARGET).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("app:" + TARGET).endContainer()
                .addNewReadinessGate().withConditionType(PodGate.CONDITION).endReadinessGate().endSpec().build();
    }

    private static ResourceEventHandler<Job> jobHandler(Map<String, Times> times) {
        return onAddOrUpdate((Job job) -> {
            long now = System.nanoTime();
            String owner = job.getMetadata().getAnnotations() == null ? null
                    : job.getMetadata().getAnnotations().get(RunnerJobs.ANNOTATION_SCHEMA_MIGRATION);
            if (owner == null) {
                return;
            }
            Times t = times.get(job.getMetadata().getNamespace() + "/" + owner);
            if (t == null) {
                return;
            }
            if (t.jobSeen == 0) {
                t.jobSeen = now;
            }
            if (t.jobComplete == 0 && job.getStatus() != null && job.getStatus().getSucceeded() != null
                    && job.getStatus().getSucceeded() > 0) {
                t.jobComplete = now;
            }
        });
    }

    private static ResourceEventHandler<SchemaMigration> smHandler(Map<String, Times> times, long[] revisionReported) {
        return onAddOrUpdate((SchemaMigration sm) -> {
            long now = System.nanoTime();
            Times t = times.get(sm.getMetadata().getNamespace() + "/" + sm.getMetadata().getName());
            if (t == null || t.ready != 0 || sm.getStatus() == null) {
                return;
            }
            boolean atTarget = TARGET.equals(sm.getStatus().getCurrentRevision());
            if (atTarget && sm.getMetadata().getName().equals(name(0)) && namespace(0).equals(sm.getMetadata().getNamespace())
                    && revisionReported[0] == 0) {
                revisionReported[0] = now;
            }
            boolean ready = sm.getStatus().getConditions() != null && sm.getStatus().getConditions().stream()
                    .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
            if (atTarget && ready) {
                t.ready = now;
            }
            boolean stalled = sm.getStatus().getConditions() != null && sm.getStatus().getConditions().stream()
                    .anyMatch(c -> "Stalled".equals(c.getType()) && "True".equals(c.getStatus()));
            t.stalled = stalled ? now : 0;
        });
    }

    private static ResourceEventHandler<Pod> podHandler(Map<String, Long> released, Map<String, Long> podReady) {
        return onAddOrUpdate((Pod pod) -> {
            long now = System.nanoTime();
            if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
                return;
            }
            for (var c : pod.getStatus().getConditions()) {
                if (PodGate.CONDITION.equals(c.getType()) && "True".equals(c.getStatus())) {
                    released.putIfAbsent(pod.getMetadata().getName(), now);
                }
                if ("Ready".equals(c.getType()) && "True".equals(c.getStatus())) {
                    podReady.putIfAbsent(pod.getMetadata().getName(), now);
                }
            }
        });
    }

    /** A handler that hands every added or changed object to {@code seen}, and ignores deletions. */
    private static <T> ResourceEventHandler<T> onAddOrUpdate(java.util.function.Consumer<T> seen) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T object) {
                seen.accept(object);
            }

            @Override
            public void onUpdate(T old, T object) {
                seen.accept(object);
            }

            @Override
            public void onDelete(T object, boolean unknown) {}
        };
    }

    /**
     * At most {@code slots} runner pods running at once on the local kubelet: a runner pod waits (Pending, as on a full
     * node) until one ends. Pods that are not runners are never held.
     */
    static final class RunnerSlots implements ResourceEventHandler<Pod> {
        private final int slots;
        private final java.util.Set<String> admitted = ConcurrentHashMap.newKeySet();
        private final java.util.Set<String> ended = ConcurrentHashMap.newKeySet();
        private final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();

        RunnerSlots(int slots) {
            this.slots = slots;
        }

        /** @param holding whether every runner pod not yet started is held anyway */
        boolean hold(Pod pod, boolean holding) {
            var labels = pod.getMetadata().getLabels();
            if (labels == null || !RunnerJobs.COMPONENT_RUNNER.equals(labels.get(RunnerJobs.LABEL_COMPONENT))) {
                return false;
            }
            String uid = pod.getMetadata().getUid();
            if (admitted.contains(uid)) {
                return false;
            }
            if (holding) {
                return true;
            }
            synchronized (this) {
                if (running.get() >= slots) {
                    return true;
                }
                admitted.add(uid);
                running.incrementAndGet();
                return false;
            }
        }

        @Override
        public void onAdd(Pod pod) {
            seen(pod);
        }

        @Override
        public void onUpdate(Pod old, Pod pod) {
            seen(pod);
        }

        @Override
        public void onDelete(Pod pod, boolean unknown) {
            end(pod.getMetadata().getUid());
        }

        private void seen(Pod pod) {
            String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
            if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
                end(pod.getMetadata().getUid());
            }
        }

        private void end(String uid) {
            if (admitted.contains(uid) && ended.add(uid)) {
                running.decrementAndGet();
            }
        }
    }

    /** What the operator's process reported once. */
    record Stats0(int metricsPort, long heapUsed, long heapMax, long cpuNanos, Map<String, Long> requests) {
        static Stats0 await(Path stats, Process operator) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.exists(stats)) {
                if (!operator.isAlive()) {
                    throw new IllegalStateException("the operator exited (" + operator.exitValue() + "): see its log beside " + stats);
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the operator did not start in 120 s: see its log beside " + stats);
                }
                Thread.sleep(100);
            }
            return read(stats);
        }

        /** After a garbage collection in the operator, so the heap is its live set. */
        static Stats0 collected(Path stats, Process operator) throws IOException, InterruptedException {
            Path request = stats.resolveSibling(stats.getFileName() + ".gc");
            String token = Long.toString(System.nanoTime());
            Files.writeString(request, token);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                Thread.sleep(200);
                Properties p = props(stats);
                if (token.equals(p.getProperty("heap.liveFor"))) {
                    Stats0 s = read(stats);
                    return new Stats0(s.metricsPort(), Long.parseLong(p.getProperty("heap.live")), s.heapMax(), s.cpuNanos(), s.requests());
                }
                if (!operator.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("the operator did not report its heap: see its log beside " + stats);
                }
            }
        }

        static Stats0 read(Path stats) throws IOException {
            Properties p = props(stats);
            Map<String, Long> requests = new TreeMap<>();
            for (String key : new TreeSet<>(p.stringPropertyNames())) {
                if (key.startsWith("request.")) {
                    requests.put(key.substring("request.".length()), Long.parseLong(p.getProperty(key)));
                }
            }
            return new Stats0(Integer.parseInt(p.getProperty("metrics.port")), Long.parseLong(p.getProperty("heap.used")),
                    Long.parseLong(p.getProperty("heap.max")), Long.parseLong(p.getProperty("cpu.nanos")), requests);
        }

        private static Properties props(Path stats) throws IOException {
            Properties p = new Properties();
            try (var in = Files.newBufferedReader(stats)) {
                p.load(in);
            }
            return p;
        }

        /** Requests since {@code earlier}, by key. */
        Map<String, Long> since(Stats0 earlier) {
            Map<String, Long> diff = new LinkedHashMap<>();
            requests.forEach((k, v) -> {
                long d = v - earlier.requests.getOrDefault(k, 0L);
                if (d != 0) {
                    diff.put(k, d);
                }
            });
            return diff;
        }
    }
}
