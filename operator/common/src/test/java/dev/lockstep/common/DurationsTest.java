package dev.lockstep.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Unit: the one duration grammar of the spec and of every flag. */
class DurationsTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({"500ms, 500", "30s, 30000", "15m, 900000", "1h, 3600000", "1h30m, 5400000", "1m30s, 90000",
            "2h0m5s, 7205000", "1s250ms, 1250", "90, 90000", "0, 0", "' 10s ', 10000"})
    void readsWhatKubernetesUsersWrite(String text, long millis) {
        assertThat(Durations.parse(text)).contains(Duration.ofMillis(millis));
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"", " ", "1 hour", "10x", "-5s", "1.5s", "s", "ms", "30m1h", "5s10m", "1d", "10S", "99999999999999999999h"})
    void refusesWhatIsNotADuration(String text) {
        assertThat(Durations.parse(text)).isEmpty();
    }

    @Test
    void aRefusalNamesTheFieldAndShowsTheGrammar() {
        assertThatThrownBy(() -> Durations.require("spec.driftCheckInterval", "1 hour"))
                .hasMessage("spec.driftCheckInterval: '1 hour' is not a duration such as 500ms, 30s, 15m or 1h30m");
        assertThat(Durations.parse(null)).isEmpty();
    }

    @Test
    void theFlagConverterSpeaksTheSameGrammar() {
        assertThat(new DurationConverter().convert("1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThatThrownBy(() -> new DurationConverter().convert("10x")).hasMessageContaining("500ms, 30s, 15m or 1h30m");
    }

    @Test
    void sha256IsLowerCaseHex() {
        assertThat(Sha256.hex("")).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
