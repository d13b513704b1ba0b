package dev.lockstep.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The status values that drive transitions are enums, read and written as the strings stored before they were: with
 * the client's own serialization, a stored status reads back as it was, and a value from a newer version of the
 * operator reads as Unknown instead of failing the read of the whole resource.
 */
class StatusValuesTest {
    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    private static String stored(String result, String step, String category, String drift, String blueGreen) {
        return """
                {"apiVersion": "lockstep.dev/v1alpha1", "kind": "SchemaMigration", "metadata": {"name": "accounts"},
                 "status": {
                   "lastRun": {"job": "accounts-6-abc", "result": "%s", "step": "%s",
                               "error": {"category": "%s", "message": "boom"}},
                   "driftCheck": {"result": "%s"},
                   "blueGreen": {"state": "%s"}}}
                """.formatted(result, step, category, drift, blueGreen);
    }

    @Test
    void storedValuesReadAsTheirEnumsAndAreWrittenBackAsTheSameStrings() {
        String json = stored("Failed", "Contract", "DRY_RUN_DATABASE", "Drifted", "PreviewGated");
        SchemaMigrationStatus status = JSON.unmarshal(json, SchemaMigration.class).getStatus();

        assertThat(status.getLastRun().getResult()).isEqualTo(RunResult.Failed);
        assertThat(status.getLastRun().getStep()).isEqualTo(RunStep.Contract);
        assertThat(status.getLastRun().getError().getCategory()).isEqualTo(ErrorCategory.DRY_RUN_DATABASE);
        assertThat(status.getDriftCheck().getResult()).isEqualTo(DriftResult.Drifted);
        assertThat(status.getBlueGreen().getState()).isEqualTo(BlueGreenPhase.PreviewGated);

        String written = JSON.asJson(status);
        assertThat(written).contains("\"result\":\"Failed\"", "\"step\":\"Contract\"", "\"category\":\"DRY_RUN_DATABASE\"",
                "\"result\":\"Drifted\"", "\"state\":\"PreviewGated\"");
    }

    @Test
    void valuesThisVersionDoesNotKnowReadAsUnknownAndTheRestOfTheStatusStillReads() {
        SchemaMigration sm = JSON.unmarshal(stored("Paused", "Rollback", "QUOTA", "Partial", "Canary"), SchemaMigration.class);
        SchemaMigrationStatus status = sm.getStatus();

        assertThat(status.getLastRun().getResult()).isEqualTo(RunResult.Unknown);
        assertThat(status.getLastRun().getStep()).isEqualTo(RunStep.Unknown);
        assertThat(status.getLastRun().getError().getCategory()).isEqualTo(ErrorCategory.UNKNOWN);
        assertThat(status.getDriftCheck().getResult()).isEqualTo(DriftResult.Unknown);
        assertThat(status.getBlueGreen().getState()).isEqualTo(BlueGreenPhase.Unknown);
        assertThat(status.getLastRun().getJob()).isEqualTo("accounts-6-abc");
        assertThat(status.getLastRun().getError().getMessage()).isEqualTo("boom");
    }

    @Test
    void absentValuesStayAbsent() {
        SchemaMigration sm = JSON.unmarshal("""
                {"apiVersion": "lockstep.dev/v1alpha1", "kind": "SchemaMigration", "metadata": {"name": "accounts"},
                 "status": {"lastRun": {"job": "accounts-6-abc"}}}
                """, SchemaMigration.class);
        assertThat(sm.getStatus().getLastRun().getResult()).isNull();
        assertThat(sm.getStatus().getLastRun().getStep()).isNull();
        assertThat(JSON.asJson(sm.getStatus().getLastRun())).doesNotContain("result", "step");
    }

    @Test
    void theCrdListsEveryValueSoTheApiServerRefusesATypo() throws IOException {
        String crd = Files.readString(Path.of("../../crds/schemamigrations.lockstep.dev-v1.yml"));
        for (List<? extends Enum<?>> values : List.<List<? extends Enum<?>>>of(List.of(RunResult.values()), List.of(RunStep.values()),
                List.of(ErrorCategory.values()), List.of(DriftResult.values()), List.of(BlueGreenPhase.values()))) {
            for (Enum<?> value : values) {
                assertThat(crd).as(value.getDeclaringClass().getSimpleName() + "." + value).contains("- \"" + value.name() + "\"\n");
            }
        }
    }
}
