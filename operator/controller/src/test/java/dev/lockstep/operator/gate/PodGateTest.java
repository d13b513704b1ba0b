package dev.lockstep.operator.gate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.api.v1alpha1.Reason;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.api.v1alpha1.SchemaMigrationSpec;
import dev.lockstep.api.v1alpha1.SchemaMigrationStatus;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Unit: the rolling gate's rule, as a table of (required, current) → decision. */
class PodGateTest {
    private static Pod pod(String required) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName("orders-api-1").withNamespace("shop")
                .addToLabels(PodGate.SCHEMA_LABEL, "orders").endMetadata()
                .withNewSpec().addNewReadinessGate().withConditionType(PodGate.CONDITION).endReadinessGate().endSpec();
        if (required != null) {
            b.editMetadata().addToLabels(PodGate.REQUIRES_REVISION, required).endMetadata();
        }
        return b.build();
    }

    private static SchemaMigration migration(String current, String target) {
        SchemaMigration sm = new SchemaMigration();
        sm.setMetadata(new ObjectMetaBuilder().withName("orders").withNamespace("shop").build());
        SchemaMigrationSpec spec = new SchemaMigrationSpec();
        spec.setTargetRevision(target);
        sm.setSpec(spec);
        SchemaMigrationStatus status = new SchemaMigrationStatus();
        status.setCurrentRevision(current);
        sm.setStatus(status);
        return sm;
    }

    @ParameterizedTest(name = "requires {0}, database at {1} -> open={2}")
    @CsvSource(nullValues = "none", value = {
            "7, 7, true, SchemaReady",
            "7, 8, true, SchemaReady",
            "7, 6, false, SchemaBehind",
            "1.10, 1.9, false, SchemaBehind",
            "1.9, 1.10, true, SchemaReady",
            "7, none, false, SchemaBehind",
            "seven, 7, false, InvalidRequiredRevision",
            "none, 7, false, InvalidRequiredRevision"})
    void opensOnlyAtOrAboveTheRequiredRevision(String required, String current, boolean open, Reason reason) {
        PodGate.Decision decision = PodGate.decide(pod(required), Optional.of(migration(current, "8")));

        assertThat(decision.open()).isEqualTo(open);
        assertThat(decision.reason()).isEqualTo(reason);
    }

    @Test
    void missingSchemaMigrationIsNamedNotSilentlyHeld() {
        PodGate.Decision decision = PodGate.decide(pod("7"), Optional.empty());

        assertThat(decision.open()).isFalse();
        assertThat(decision.reason()).isEqualTo(Reason.SchemaMigrationNotFound);
        assertThat(decision.message()).contains("SchemaMigration orders", "namespace shop", "fix the label or create it");
    }

    @Test
    void heldPodSaysWhyTheMigrationStalled() {
        SchemaMigration sm = migration("6", "7");
        sm.getStatus().setConditions(new java.util.ArrayList<>(List.of(new ConditionBuilder().withType("Stalled").withStatus("True")
                .withMessage("V7__add_email.sql failed with SQLSTATE 42P01").build())));

        PodGate.Decision decision = PodGate.decide(pod("7"), Optional.of(sm));

        assertThat(decision.message()).contains("requires revision 7", "database at 6", "V7__add_email.sql failed with SQLSTATE 42P01");
    }

    @Test
    void aHeldPodsWordsStayTheSameThroughThePhasesOfARunAndNameThePhaseOnlyWhenItStalled() {
        List<String> messages = new java.util.ArrayList<>();
        for (var phase : List.of(dev.lockstep.api.v1alpha1.Phase.Pending, dev.lockstep.api.v1alpha1.Phase.Migrating)) {
            SchemaMigration sm = migration("6", "7");
            sm.getStatus().setPhase(phase);
            messages.add(PodGate.decide(pod("7"), Optional.of(sm)).message());
        }
        assertThat(messages).containsOnly("this pod requires revision 7; SchemaMigration orders reports the database at 6 (target 7)");

        SchemaMigration stalled = migration("6", "7");
        stalled.getStatus().setPhase(dev.lockstep.api.v1alpha1.Phase.Failed);
        stalled.getStatus().setConditions(new java.util.ArrayList<>(List.of(new ConditionBuilder().withType("Stalled")
                .withStatus("True").withMessage("V7__add_email.sql failed").build())));
        assertThat(PodGate.decide(pod("7"), Optional.of(stalled)).message()).endsWith("(target 7, Failed): V7__add_email.sql failed");
    }

    @Test
    void requiredRevisionMayComeFromAnAnnotation() {
        Pod annotated = pod(null);
        annotated.getMetadata().setAnnotations(java.util.Map.of(PodGate.REQUIRES_REVISION, "5"));
        assertThat(PodGate.decide(annotated, Optional.of(migration("5", "5"))).open()).isTrue();
    }

    @Test
    void terminatingPodsStopCountingAsWorkloadsButMayStillRunUntilGone() {
        Pod serving = pod("7");
        Pod terminating = pod("6");
        terminating.getMetadata().setName("orders-api-0");
        terminating.getMetadata().setDeletionTimestamp("2026-11-25T10:00:00Z");
        Pod ended = pod("5");
        ended.getMetadata().setName("orders-migrate-once");
        ended.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Succeeded").build());
        Pod other = pod("7");
        other.getMetadata().getLabels().put(PodGate.SCHEMA_LABEL, "billing");
        List<Pod> pods = List.of(serving, terminating, ended, other);

        assertThat(PodGate.consumers(pods, migration("7", "7"))).containsExactly(serving);
        assertThat(PodGate.mayStillRun(pods, migration("7", "7"))).containsExactly(terminating, serving);
    }
}
