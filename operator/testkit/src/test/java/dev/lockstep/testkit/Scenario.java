package dev.lockstep.testkit;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * One randomized rollout, a pure function of (seed, index): re-running a seed re-runs the same scenarios, and
 * {@code -Dlockstep.scenarios.only=<index>} re-runs one of them alone.
 *
 * <p>The application starts on revision {@code base}, Ready. The rollout adds {@code expandSteps} expand
 * migrations and, with {@code contract}, a contract step that drops a column the old code reads; the new code
 * requires the last expand revision. What can go wrong is chosen too: a migration that fails (fixed in the script,
 * or by the database owner then retried), a runner killed for memory (retried), a slow statement, a runner pod that
 * starts late, and the order in which the schema and the application move.
 */
record Scenario(long seed, int index, Strategy strategy, int replicas, int maxSurge, int base, int expandSteps,
                boolean contract, boolean requireApproval, Failure failure, int failingStep, int slowStep,
                Duration slowStatement, Duration runnerDelay, Order order, Duration gap) {

    enum Strategy { Rolling, BlueGreen }

    enum Failure {
        NONE,
        /** A script with an error; fixed by editing the script, which starts a new run by itself. */
        BAD_SQL_FIXED_IN_SCRIPT,
        /** A script that needs an object the database owner has not made yet; they make it and ask for a retry. */
        MISSING_OBJECT_THEN_RETRY,
        /** The runner pod is killed for memory before it reports; retried. */
        RUNNER_OOM_THEN_RETRY
    }

    enum Order { SCHEMA_FIRST, APPLICATION_FIRST, TOGETHER }

    static Scenario generate(long seed, int index) {
        Random random = new Random(seed ^ (0x9E3779B97F4A7C15L * (index + 1)));
        Strategy strategy = random.nextInt(100) < 60 ? Strategy.Rolling : Strategy.BlueGreen;
        int replicas = 1 + random.nextInt(3);
        int maxSurge = 1 + random.nextInt(replicas);
        int base = 1 + random.nextInt(2);
        int expandSteps = 1 + random.nextInt(2);
        boolean contract = random.nextInt(100) < 55;
        boolean requireApproval = contract && random.nextInt(100) < 25;
        int f = random.nextInt(100);
        Failure failure = f < 62 ? Failure.NONE : f < 80 ? Failure.BAD_SQL_FIXED_IN_SCRIPT : f < 92 ? Failure.MISSING_OBJECT_THEN_RETRY
                : Failure.RUNNER_OOM_THEN_RETRY;
        int failingStep = failure == Failure.NONE || failure == Failure.RUNNER_OOM_THEN_RETRY ? 0 : 1 + random.nextInt(expandSteps);
        int slowStep = random.nextInt(100) < 30 ? 1 + random.nextInt(expandSteps) : 0;
        Duration slowStatement = slowStep == 0 ? Duration.ZERO : Duration.ofMillis(500 + random.nextInt(2000));
        Duration runnerDelay = random.nextInt(100) < 20 ? Duration.ofMillis(500 + random.nextInt(2500)) : Duration.ZERO;
        Order order = Order.values()[random.nextInt(Order.values().length)];
        Duration gap = order == Order.TOGETHER ? Duration.ZERO : Duration.ofMillis(random.nextInt(2000));
        return new Scenario(seed, index, strategy, replicas, maxSurge, base, expandSteps, contract, requireApproval, failure,
                failingStep, slowStep, slowStatement, runnerDelay, order, gap);
    }

    /** The revision the new code requires: the last expand step. */
    int expanded() {
        return base + expandSteps;
    }

    /** The target the rollout moves the SchemaMigration to. */
    int target() {
        return contract ? expanded() + 1 : expanded();
    }

    /** The version whose script fails, or 0. */
    int failingVersion() {
        return failingStep == 0 ? 0 : base + failingStep;
    }

    /** The scripts of the base revision. */
    Map<String, String> baseScripts() {
        Map<String, String> scripts = new LinkedHashMap<>();
        scripts.put("V1__create_items.sql", "CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL, legacy_code text);\n");
        if (base >= 2) {
            scripts.put("V2__add_item_price.sql", "ALTER TABLE items ADD COLUMN price numeric(10,2) NOT NULL DEFAULT 0;\n");
        }
        return scripts;
    }

    /** The scripts after the rollout; {@code broken} puts the failing script in its failing form. */
    Map<String, String> rolloutScripts(boolean broken) {
        Map<String, String> scripts = baseScripts();
        for (int step = 1; step <= expandSteps; step++) {
            int version = base + step;
            StringBuilder sql = new StringBuilder();
            if (step == slowStep) {
                sql.append("SELECT pg_sleep(").append(slowStatement.toMillis() / 1000.0).append(");\n");
            }
            sql.append("ALTER TABLE items ADD COLUMN attribute_").append(version).append(" text;\n");
            if (step == failingStep && failure == Failure.BAD_SQL_FIXED_IN_SCRIPT && broken) {
                sql.append("UPDATE items SET attribute_").append(version).append(" = no_such_column;\n");
            }
            if (step == failingStep && failure == Failure.MISSING_OBJECT_THEN_RETRY) {
                sql.append("INSERT INTO rollout_audit (note) VALUES ('attribute_").append(version).append("');\n");
            }
            scripts.put("V" + version + "__add_item_attribute_" + version + ".sql", sql.toString());
        }
        if (contract) {
            scripts.put("V" + target() + "__contract_drop_legacy_code.sql", "ALTER TABLE items DROP COLUMN legacy_code;\n");
        }
        return scripts;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("#").append(index).append(' ').append(strategy)
                .append(" replicas=").append(replicas);
        if (strategy == Strategy.Rolling) {
            s.append(" maxSurge=").append(maxSurge);
        }
        s.append(" base=").append(base).append(" expand=").append(base + 1).append("..").append(expanded());
        if (contract) {
            s.append(" contract=").append(target()).append(requireApproval ? " (approval)" : "");
        }
        if (failure != Failure.NONE) {
            s.append(" failure=").append(failure).append(failingStep == 0 ? "" : "@" + failingVersion());
        }
        if (slowStep != 0) {
            s.append(" slow=").append(base + slowStep).append('(').append(slowStatement.toMillis()).append("ms)");
        }
        if (!runnerDelay.isZero()) {
            s.append(" runnerDelay=").append(runnerDelay.toMillis()).append("ms");
        }
        s.append(" order=").append(order);
        if (!gap.isZero()) {
            s.append(" gap=").append(gap.toMillis()).append("ms");
        }
        return s.append(" (seed ").append(seed).append(')').toString();
    }
}
