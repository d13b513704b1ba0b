package dev.lockstep.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Unit: spec durations as Kubernetes tools write them. */
class DurationsTest {
    @Test
    void readsHoursMinutesAndSecondsAndRefusesAnythingElse() {
        assertThat(Durations.parse("1h30m")).contains(Duration.ofMinutes(90));
        assertThat(Durations.parse("90s")).contains(Duration.ofSeconds(90));
        assertThat(Durations.parse("6h")).contains(Duration.ofHours(6));
        assertThat(Durations.parse("1m30s")).contains(Duration.ofSeconds(90));
        assertThat(Durations.parse("")).isEmpty();
        assertThat(Durations.parse("1d")).isEmpty();
        assertThat(Durations.parse("30")).isEmpty();
        assertThat(Durations.parse("30m1h")).isEmpty();
        assertThat(Durations.parse(null)).isEmpty();
    }
}
