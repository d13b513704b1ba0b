package dev.lockstep.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimestampsTest {
    @Test
    void readsRfc3339AndNothingElse() {
        assertThat(Timestamps.parse("2026-12-01T12:00:00Z")).hasValue(Instant.parse("2026-12-01T12:00:00Z"));
        assertThat(Timestamps.parse(null)).isEmpty();
        assertThat(Timestamps.parse("yesterday")).isEmpty();
        assertThat(Timestamps.parse("")).isEmpty();
    }
}
