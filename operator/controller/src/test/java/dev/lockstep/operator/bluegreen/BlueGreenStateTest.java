package dev.lockstep.operator.bluegreen;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.api.v1alpha1.BlueGreenPhase;
import dev.lockstep.operator.bluegreen.BlueGreenState.Action;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Unit: every transition of the blue/green state machine, as a table of
 * (state, observation) → (next state, action). Blue serves revision 6 unless a row says otherwise.
 */
class BlueGreenStateTest {

    @ParameterizedTest(name = "{0} + {1}: preview {2} {3}/{4} ready requires {5}, active requires {6}, stalled={7} -> {8} {9}")
    @CsvSource(nullValues = "-", value = {
            // state,      active, preview, pods, ready, previewReq, activeReq, stalled, next,         action
            "Idle,          blue,   -,       0,    0,     -,          6,         false,   Idle,         NONE",
            "Idle,          blue,   green,   2,    2,     6,          6,         false,   Idle,         NONE",
            "Idle,          blue,   green,   2,    0,     7,          6,         false,   PreviewGated, NONE",
            "Idle,          blue,   green,   2,    2,     7,          6,         false,   Flipped,      FLIP",
            "PreviewGated,  blue,   green,   2,    1,     7,          6,         false,   PreviewGated, NONE",
            "PreviewGated,  blue,   green,   2,    0,     7,          6,         true,    PreviewGated, NONE",
            "PreviewGated,  blue,   green,   2,    2,     7,          6,         false,   Flipped,      FLIP",
            "PreviewGated,  blue,   -,       0,    0,     -,          6,         false,   Idle,         NONE",
            "PreviewReady,  blue,   green,   2,    2,     7,          6,         false,   Flipped,      FLIP",
            "PreviewReady,  blue,   green,   2,    1,     7,          6,         false,   PreviewGated, NONE",
            "PreviewReady,  blue,   green,   2,    2,     7,          6,         true,    PreviewGated, NONE",
            // a restart between the switch and the status write: the Service already selects green, never back
            "PreviewReady,  green,  blue,    2,    2,     6,          7,         false,   Draining,     NONE",
            "Flipped,       green,  blue,    2,    2,     6,          7,         false,   Draining,     NONE",
            "Flipped,       green,  -,       0,    0,     -,          7,         false,   Idle,         NONE",
            "Draining,      green,  blue,    1,    1,     6,          7,         false,   Draining,     NONE",
            "Draining,      green,  blue,    0,    0,     -,          7,         false,   Idle,         NONE",
            // the next rollout starts on blue before it was drained
            "Draining,      green,  blue,    2,    0,     8,          7,         false,   PreviewGated, NONE",
            "Idle,          green,  blue,    2,    2,     8,          7,         false,   Flipped,      FLIP",
            // an active side with no required revision yet: any required revision on the preview side is newer
            "Idle,          blue,   green,   1,    1,     7,          -,         false,   Flipped,      FLIP"})
    void transitions(BlueGreenState state, String active, String preview, int pods, int ready, String previewRequires,
                     String activeRequires, boolean stalled, BlueGreenState next, Action action) {
        BlueGreenObservation observation = new BlueGreenObservation(active, preview, pods, ready, previewRequires,
                activeRequires, stalled);

        BlueGreenState.Transition transition = state.step(observation);

        assertThat(transition.next()).isEqualTo(next);
        assertThat(transition.action()).isEqualTo(action);
        assertThat(transition.message()).isNotBlank();
    }

    @ParameterizedTest
    @CsvSource({"PreviewGated", "PreviewReady"})
    void failureBeforeTheSwitchKeepsTheActiveSideAndSaysHowToRollBack(BlueGreenState state) {
        BlueGreenState.Transition transition = state.step(new BlueGreenObservation("blue", "green", 2, 0, "7", "6", true));

        assertThat(transition.action()).isEqualTo(Action.NONE);
        assertThat(transition.message()).contains("blue keeps serving", "roll back", "spec.targetRevision");
    }

    @ParameterizedTest
    @CsvSource({"Idle", "PreviewGated", "PreviewReady", "Flipped", "Draining"})
    void everyStateIsShownInStatusAsItsOwnNameAndReadBack(BlueGreenState state) {
        assertThat(state.phase().name()).isEqualTo(state.name());
        assertThat(BlueGreenState.of(state.phase())).isEqualTo(state);
    }

    @Test
    void aStateThisVersionDoesNotKnowStartsFromIdleWhichNeverSwitchesBack() {
        assertThat(BlueGreenState.of(BlueGreenPhase.Unknown)).isEqualTo(BlueGreenState.Idle);
        assertThat(BlueGreenState.of(null)).isEqualTo(BlueGreenState.Idle);
        // blue serves newer code than green: from Idle nothing switches
        BlueGreenState.Transition transition = BlueGreenState.of(BlueGreenPhase.Unknown)
                .step(new BlueGreenObservation("blue", "green", 2, 2, "6", "7", false));
        assertThat(transition.action()).isEqualTo(Action.NONE);
    }
}
