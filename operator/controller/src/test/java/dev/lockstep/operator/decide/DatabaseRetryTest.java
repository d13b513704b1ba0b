package dev.lockstep.operator.decide;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Unit: the back-off between attempts after the database was unavailable. */
class DatabaseRetryTest {
    @Test
    void theWaitDoublesFromTheFirstDelayUpToTheLongest() {
        DatabaseRetry retry = DatabaseRetry.DEFAULT;

        assertThat(IntStream.rangeClosed(1, 8).mapToObj(retry::delayAfter).map(Duration::toSeconds).toList())
                .containsExactly(10L, 20L, 40L, 80L, 160L, 300L, 300L, 300L);
        assertThat(retry.delayAfter(10_000)).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void theLimitIsTheNumberOfUnavailableRunsInARow() {
        DatabaseRetry retry = new DatabaseRetry(Duration.ofSeconds(1), Duration.ofSeconds(4), 3);

        assertThat(retry.mayRetryAfter(1)).isTrue();
        assertThat(retry.mayRetryAfter(2)).isTrue();
        assertThat(retry.mayRetryAfter(3)).isFalse();
        // The default gives a failover or a restart more than an hour.
        Duration total = IntStream.range(1, DatabaseRetry.DEFAULT.limit()).mapToObj(DatabaseRetry.DEFAULT::delayAfter)
                .reduce(Duration.ZERO, Duration::plus);
        assertThat(total).isBetween(Duration.ofHours(1), Duration.ofHours(2));
    }

    @Test
    void nonsenseSettingsAreRefusedNamingTheFlag() {
        assertThatThrownBy(() -> new DatabaseRetry(Duration.ZERO, Duration.ofMinutes(5), 20))
                .hasMessageContaining("--database-retry-delay");
        assertThatThrownBy(() -> new DatabaseRetry(Duration.ofMinutes(1), Duration.ofSeconds(5), 20))
                .hasMessageContaining("--database-retry-max-delay must be at least --database-retry-delay (60s)");
        assertThatThrownBy(() -> new DatabaseRetry(Duration.ofSeconds(10), Duration.ofMinutes(5), 0))
                .hasMessageContaining("--database-retries must be 1 or more");
    }
}
