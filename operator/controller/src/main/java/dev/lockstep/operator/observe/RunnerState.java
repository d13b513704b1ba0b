package dev.lockstep.operator.observe;

import dev.lockstep.api.v1alpha1.Reason;
import java.util.Optional;

/** What a runner Job and its pod amount to, as far as the operator can see from the API. */
public sealed interface RunnerState {
    /**
     * Created, pod not yet running (scheduling, pulling, starting).
     *
     * @param onNode whether the pod is bound to a node: only then can a kubelet fail to mount its volumes, which it
     *               says in an Event alone (see {@link RunnerObserver#waitingToStart})
     */
    record Starting(String detail, boolean onNode) implements RunnerState {}

    /**
     * The pod cannot start until someone fixes something outside the spec: a missing Secret, an unpullable image.
     *
     * @param volume the field of the volume that cannot be mounted (e.g. spec.database.tls.ca), whose message says
     *               all; null when the container's own status tells (its env, its image)
     */
    record Blocked(Reason reason, String message, String volume) implements RunnerState {
        public Blocked(Reason reason, String message) {
            this(reason, message, null);
        }
    }

    /** The runner container is running. */
    record Running() implements RunnerState {}

    /** The Job completed and the runner reported its result. */
    record Succeeded(RunnerReport report) implements RunnerState {}

    /**
     * The Job failed. {@code report} is the runner's own account when it got far enough to write one;
     * {@code podReason} is Kubernetes' (OOMKilled, DeadlineExceeded, ...) otherwise.
     */
    record Failed(Optional<RunnerReport> report, String podReason, String podMessage, boolean containerEverStarted)
            implements RunnerState {}
}
