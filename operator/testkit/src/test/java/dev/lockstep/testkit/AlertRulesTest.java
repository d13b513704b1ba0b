package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The example alert rules, checked and unit-tested by Prometheus's own promtool (installed when missing): each alert
 * fires on the series the operator exports, and stays quiet where it should (examples/observability/lockstep-alerts.test.yaml).
 */
class AlertRulesTest {
    private static final Path DIR = ControlPlaneExtension.REPO.resolve("examples/observability");

    @BeforeAll
    static void promtool() {
        PrometheusServer.install();
    }

    private static String promtool(String... args) throws Exception {
        Process p = new ProcessBuilder(List.of(args)).directory(DIR.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void theRulesAreValid() throws Exception {
        assertThat(promtool("promtool", "check", "rules", "lockstep-alerts.yaml")).contains("SUCCESS: 5 rules found");
    }

    @Test
    void eachAlertFiresWhereItShouldAndNowhereElse() throws Exception {
        assertThat(promtool("promtool", "test", "rules", "lockstep-alerts.test.yaml")).contains("SUCCESS");
    }
}
