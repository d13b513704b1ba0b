package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.javaoperatorsdk.operator.Operator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Randomized rollouts on the real control plane with one operator for all of them, restarted at random moments,
 * and the {@link InvariantMonitor} watching every pod, Job and Service change.
 *
 * <p>Settings (system properties, passed through by Failsafe): {@code lockstep.scenarios} (how many, 200 in CI;
 * {@code -Pscenarios-long} runs 1000), {@code lockstep.scenarios.seed} (the seed; every scenario is a function of
 * it and its index), {@code lockstep.scenarios.only} (comma-separated indexes, to re-run a failed one),
 * {@code lockstep.scenarios.parallel} (how many run at once).
 */
@ExtendWith(ControlPlaneExtension.class)
class ScenarioApiServerIT {
    static final long DEFAULT_SEED = 20261125L;

    @Test
    void randomizedRolloutsNeverServeOnTheWrongSchemaNorContractUnderOldPods(Cluster cluster) throws Exception {
        long seed = Long.getLong("lockstep.scenarios.seed", DEFAULT_SEED);
        int count = Integer.getInteger("lockstep.scenarios", 200);
        int parallel = Integer.getInteger("lockstep.scenarios.parallel", 16);
        String only = System.getProperty("lockstep.scenarios.only", "").strip();
        List<Scenario> scenarios = (only.isEmpty() ? IntStream.range(0, count).boxed()
                : Arrays.stream(only.split(",")).map(String::strip).map(Integer::valueOf))
                .map(i -> Scenario.generate(seed, i)).toList();
        System.out.println("[scenarios] " + scenarios.size() + " scenarios, seed " + seed + ", " + parallel + " at a time");

        Instant started = Instant.now();
        List<ScenarioRun.Outcome> outcomes = new ArrayList<>();
        AtomicInteger restarts = new AtomicInteger();
        try (InvariantMonitor monitor = new InvariantMonitor(cluster.client()).start()) {
            Restarter restarter = new Restarter(cluster, new Random(seed), restarts);
            restarter.start();
            ExecutorService pool = Executors.newFixedThreadPool(parallel, r -> new Thread(r, "scenario"));
            try {
                List<Future<ScenarioRun.Outcome>> futures = scenarios.stream()
                        .map(s -> pool.submit(() -> {
                            ScenarioRun.Outcome outcome = new ScenarioRun(cluster, monitor, s).run();
                            System.out.printf("[scenarios] %s %s in %.1f s%s%n", outcome.passed() ? "PASS" : "FAIL", s,
                                    outcome.took().toMillis() / 1000.0, outcome.passed() ? "" : ": " + reason(outcome));
                            return outcome;
                        })).toList();
                for (Future<ScenarioRun.Outcome> future : futures) {
                    outcomes.add(future.get());
                }
            } finally {
                pool.shutdownNow();
                restarter.stop();
            }

            List<String> violations = monitor.violations();
            Duration took = Duration.between(started, Instant.now());
            String summary = summary(outcomes, seed, restarts.get(), monitor, violations, took);
            System.out.println(summary);
            Files.writeString(ControlPlaneExtension.REPO.resolve("operator/testkit/target/apiserver-it/figures.txt"), summary + "\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);

            List<ScenarioRun.Outcome> failed = outcomes.stream().filter(o -> !o.passed()).toList();
            assertThat(failed).as(() -> failed.stream().limit(3).map(o -> o.scenario() + " in " + o.namespace() + ": " + reason(o)
                    + "\n" + o.timeline()).collect(Collectors.joining("\n\n"))
                    + "\nre-run with -Dlockstep.scenarios.seed=" + seed + " -Dlockstep.scenarios.only="
                    + failed.stream().map(o -> Integer.toString(o.scenario().index())).collect(Collectors.joining(","))).isEmpty();
            assertThat(violations).as("invariant violations over the whole run").isEmpty();
            // The monitor must have had something to check, or zero violations means nothing.
            assertThat(monitor.readyChecks()).isGreaterThanOrEqualTo(outcomes.stream().mapToInt(o -> 2 * o.scenario().replicas()).sum());
            assertThat(monitor.contractJobs()).isEqualTo((int) outcomes.stream().filter(o -> o.scenario().contract()).count());
            assertThat(monitor.switches()).isEqualTo((int) outcomes.stream()
                    .filter(o -> o.scenario().strategy() == Scenario.Strategy.BlueGreen).count());
            if (scenarios.size() >= 50) {
                assertThat(restarts.get()).as("operator restarts during the run").isPositive();
            }
        }
    }

    private static String reason(ScenarioRun.Outcome outcome) {
        return outcome.failure() != null ? outcome.failure() : "invariant violations " + outcome.violations();
    }

    private static String summary(List<ScenarioRun.Outcome> outcomes, long seed, int restarts, InvariantMonitor monitor,
                                  List<String> violations, Duration took) {
        Function<Function<Scenario, Object>, Map<Object, Long>> by = key -> outcomes.stream()
                .collect(Collectors.groupingBy(o -> key.apply(o.scenario()), java.util.TreeMap::new, Collectors.counting()));
        long passed = outcomes.stream().filter(ScenarioRun.Outcome::passed).count();
        double slowest = outcomes.stream().mapToLong(o -> o.took().toMillis()).max().orElse(0) / 1000.0;
        return String.format("[scenarios] %d of %d passed, seed %d, %d s (slowest %.1f s); strategies %s; failures %s; contract %d"
                        + " (approval %d); slow statements %d; late runner pods %d; orders %s; operator restarts %d;"
                        + " checked %d pod Ready transitions, %d runner Jobs (%d contract), %d Service switches, %d pods;"
                        + " deletions seen only after a relist %d; invariant violations %d",
                passed, outcomes.size(), seed, took.toSeconds(), slowest, by.apply(Scenario::strategy), by.apply(Scenario::failure),
                outcomes.stream().filter(o -> o.scenario().contract()).count(),
                outcomes.stream().filter(o -> o.scenario().requireApproval()).count(),
                outcomes.stream().filter(o -> o.scenario().slowStep() != 0).count(),
                outcomes.stream().filter(o -> !o.scenario().runnerDelay().isZero()).count(),
                by.apply(Scenario::order), restarts, monitor.readyChecks(), monitor.jobs(), monitor.contractJobs(),
                monitor.switches(), monitor.podsSeen(), monitor.unknownDeletions(), violations.size());
    }

    /** Stops and starts the one operator at moments drawn from the seed, as a node drain or a crash would. */
    private static final class Restarter {
        private final Cluster cluster;
        private final Random random;
        private final AtomicInteger restarts;
        private final Thread thread;
        private volatile boolean running = true;
        private Operator operator;

        Restarter(Cluster cluster, Random random, AtomicInteger restarts) {
            this.cluster = cluster;
            this.random = random;
            this.restarts = restarts;
            this.thread = new Thread(this::loop, "operator-restarter");
        }

        void start() {
            operator = cluster.startOperatorForAllNamespaces();
            thread.start();
        }

        private void loop() {
            while (running) {
                try {
                    Thread.sleep(5000 + random.nextInt(10_000));
                } catch (InterruptedException e) {
                    return;
                }
                synchronized (this) {
                    if (!running) {
                        return;
                    }
                    cluster.stop(operator);
                    operator = cluster.startOperatorForAllNamespaces();
                    restarts.incrementAndGet();
                }
            }
        }

        void stop() throws InterruptedException {
            synchronized (this) {
                running = false;
            }
            thread.interrupt();
            thread.join();
            cluster.stop(operator);
        }
    }
}
