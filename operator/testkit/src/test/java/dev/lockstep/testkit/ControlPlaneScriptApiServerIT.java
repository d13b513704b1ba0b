package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** test-infra/control-plane.sh itself, once the extension has built the binaries it reports on. */
@ExtendWith(ControlPlaneExtension.class)
class ControlPlaneScriptApiServerIT {
    @Test
    void theVersionStepNeverDiesOfAClosedPipe(Cluster cluster) throws Exception {
        // `etcd --version | head -n 1` under pipefail failed about one run in eight: head closed the pipe first.
        for (int i = 0; i < 50; i++) {
            Process versions = new ProcessBuilder("bash", ControlPlaneExtension.REPO.resolve("test-infra/control-plane.sh").toString(),
                    "versions").redirectErrorStream(true).start();
            String output = new String(versions.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(versions.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(versions.exitValue()).as("run %d: %s", i, output).isZero();
            assertThat(output).contains("go version", "etcd Version: 3.", "Kubernetes v1.20");
        }
    }
}
