package dev.lockstep.operator.decide;

import java.time.Duration;

/**
 * How the operator answers a run that found the database unavailable and changed nothing (the runner's
 * {@code retryable}): another attempt after {@code firstDelay}, doubling up to {@code maxDelay}, at most {@code limit}
 * attempts in a row; then it waits for a person. A failover or a restart is over long before the limit; an outage that
 * outlasts it is worth a page.
 *
 * @param firstDelay the wait after the first unavailable run
 * @param maxDelay   the longest wait between two attempts
 * @param limit      unavailable runs in a row before the SchemaMigration is Stalled
 */
public record DatabaseRetry(Duration firstDelay, Duration maxDelay, int limit) {
    /** 10 s, 20 s, 40 s … 5 min: about 80 minutes over 20 attempts. */
    public static final DatabaseRetry DEFAULT = new DatabaseRetry(Duration.ofSeconds(10), Duration.ofMinutes(5), 20);

    public DatabaseRetry {
        if (firstDelay == null || firstDelay.isNegative() || firstDelay.isZero()) {
            throw new IllegalArgumentException("--database-retry-delay must be a positive duration, such as 10s");
        }
        if (maxDelay == null || maxDelay.compareTo(firstDelay) < 0) {
            throw new IllegalArgumentException("--database-retry-max-delay must be at least --database-retry-delay ("
                    + firstDelay.toSeconds() + "s)");
        }
        if (limit < 1) {
            throw new IllegalArgumentException("--database-retries must be 1 or more, not " + limit);
        }
    }

    /** The wait after the {@code unavailable}-th unavailable run in a row (1 for the first). */
    public Duration delayAfter(int unavailable) {
        Duration delay = firstDelay;
        for (int i = 1; i < unavailable && delay.compareTo(maxDelay) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(maxDelay) > 0 ? maxDelay : delay;
    }

    /** Whether another attempt follows the {@code unavailable}-th unavailable run in a row. */
    public boolean mayRetryAfter(int unavailable) {
        return unavailable < limit;
    }
}
