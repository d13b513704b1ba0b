package dev.lockstep.operator.decide;

import dev.lockstep.api.v1alpha1.Reason;
import dev.lockstep.api.v1alpha1.RunStep;
import dev.lockstep.api.v1alpha1.SchemaMigrationStatus;
import dev.lockstep.operator.bluegreen.BlueGreenRollout;
import dev.lockstep.operator.observe.Observation;
import java.time.Duration;
import java.util.List;

/**
 * What {@link PhaseMachine#decide} concluded from one {@link Observation}: the status to write, the actions that go
 * with it, in order, and the Events. Nothing here has happened yet; {@link dev.lockstep.operator.act.Actions} performs it.
 *
 * @param recheckAfter reconcile again after this long even if nothing changes (a wait no watch event ends); null when not
 * @param finished the runs whose results this status records for the first time (see {@link FinishedRun})
 */
public record Decision(SchemaMigrationStatus status, List<Action> actions, List<Announcement> announcements, Duration recheckAfter,
                       List<FinishedRun> finished) {
    public Decision {
        actions = List.copyOf(actions);
        announcements = List.copyOf(announcements);
        finished = List.copyOf(finished);
    }

    /** Something to do in the cluster. */
    public sealed interface Action {}

    /** Create a runner Job (adopting one of that name that already exists). */
    public record CreateJob(String name, String specHash, RunStep step) implements Action {}

    /** Delete finished runner Jobs, with their pods. */
    public record DeleteJobs(List<String> names) implements Action {
        public DeleteJobs {
            names = List.copyOf(names);
        }
    }

    /** Switch the blue/green Service's selector to the new color. */
    public record SwitchService(BlueGreenRollout.Flip flip) implements Action {}

    /** An Event about the SchemaMigration (see {@link dev.lockstep.operator.act.EventRecorder#record} for {@code series} and {@code fact}). */
    public record Announcement(boolean warning, Reason reason, String message, String series, String fact) {}
}
