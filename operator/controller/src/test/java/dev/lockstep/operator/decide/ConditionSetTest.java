package dev.lockstep.operator.decide;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.api.v1alpha1.ConditionType;
import dev.lockstep.api.v1alpha1.Reason;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Unit: lastTransitionTime moves only when status flips; everything else is always current. */
class ConditionSetTest {
    @Test
    void transitionTimeChangesOnlyWhenStatusFlips() {
        List<Condition> conditions = new ArrayList<>();
        new ConditionSet(conditions, 1, at("2026-11-25T10:00:00Z")).set(ConditionType.Ready, false, Reason.MigrationPending, "created Job");
        new ConditionSet(conditions, 2, at("2026-11-25T10:05:00Z")).set(ConditionType.Ready, false, Reason.MigrationRunning, "running");

        Condition ready = conditions.get(0);
        assertThat(ready.getLastTransitionTime()).isEqualTo("2026-11-25T10:00:00Z");
        assertThat(ready.getReason()).isEqualTo("MigrationRunning");
        assertThat(ready.getMessage()).isEqualTo("running");
        assertThat(ready.getObservedGeneration()).isEqualTo(2L);

        new ConditionSet(conditions, 2, at("2026-11-25T10:09:00Z")).set(ConditionType.Ready, true, Reason.MigrationSucceeded, "at 7");
        assertThat(conditions.get(0).getLastTransitionTime()).isEqualTo("2026-11-25T10:09:00Z");
        assertThat(conditions.get(0).getStatus()).isEqualTo("True");
    }

    @Test
    void conditionsKeepAStableOrder() {
        List<Condition> conditions = new ArrayList<>();
        ConditionSet set = new ConditionSet(conditions, 1, at("2026-11-25T10:00:00Z"));
        set.set(ConditionType.Stalled, false, Reason.MigrationPending, "x");
        set.set(ConditionType.Ready, false, Reason.MigrationPending, "x");
        set.set(ConditionType.Reconciling, true, Reason.MigrationPending, "x");
        assertThat(conditions).extracting(Condition::getType).containsExactly("Ready", "Reconciling", "Stalled");
        assertThat(set.isTrue(ConditionType.Reconciling)).isTrue();
        assertThat(set.isTrue(ConditionType.Ready)).isFalse();
    }

    private static Clock at(String instant) {
        return Clock.fixed(Instant.parse(instant), ZoneOffset.UTC);
    }
}
