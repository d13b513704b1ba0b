package dev.lockstep.operator.telemetry;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.RuntimeInfo;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What {@code /healthz} and {@code /readyz} answer. Live while the operator is starting or running, not once it has
 * stopped. Ready once the framework has started, which is after every informer's cache has synced, and while every
 * event source is healthy (a watch that cannot be re-established is not). A replica that does not hold the Lease is
 * live and ready (it takes over at once when the leader goes) and says it is on standby.
 */
public final class OperatorHealth {
    /** An answer: whether it is OK, and the line the endpoint prints. */
    public record Status(boolean ok, String message) {}

    private final AtomicBoolean leading = new AtomicBoolean(true);
    private volatile boolean electing;
    private volatile Operator operator;
    private volatile boolean stopped;

    /** The configuration with callbacks that track this replica's leadership (and then call the caller's own). */
    public LeaderElectionConfiguration tracking(LeaderElectionConfiguration configuration) {
        if (configuration == null) {
            return null;
        }
        electing = true;
        leading.set(false);
        LeaderCallbacks theirs = configuration.getLeaderCallbacks().orElse(null);
        LeaderCallbacks callbacks = new LeaderCallbacks(() -> {
            leading.set(true);
            if (theirs != null) {
                theirs.onStartLeading();
            }
        }, () -> {
            leading.set(false);
            if (theirs != null) {
                theirs.onStopLeading();
            }
        }, leader -> {
            if (theirs != null) {
                theirs.onNewLeader(leader);
            }
        });
        return new LeaderElectionConfiguration(configuration.getLeaseName(), configuration.getLeaseNamespace().orElse(null),
                configuration.getLeaseDuration(), configuration.getRenewDeadline(), configuration.getRetryPeriod(),
                configuration.getIdentity().orElse(null), callbacks, configuration.isExitOnStopLeading());
    }

    /** The operator these answers are about, once {@link Operator#start} has returned. */
    public void started(Operator operator) {
        this.operator = operator;
    }

    /** The operator has stopped (its shutdown began): no longer live. */
    public void stopped() {
        stopped = true;
    }

    /** Whether this replica does the work: it holds the Lease, or there is no leader election. */
    public boolean leading() {
        return leading.get();
    }

    public Status live() {
        Operator o = operator;
        if (stopped || (o != null && !o.getRuntimeInfo().isStarted())) {
            return new Status(false, "stopped");
        }
        return new Status(true, o == null ? "starting" : role());
    }

    public Status ready() {
        Operator o = operator;
        if (stopped || (o != null && !o.getRuntimeInfo().isStarted())) {
            return new Status(false, "stopped");
        }
        if (o == null) {
            return new Status(false, "starting: the informers' caches are not synced yet");
        }
        RuntimeInfo info = o.getRuntimeInfo();
        if (!info.allEventSourcesAreHealthy()) {
            return new Status(false, "unhealthy event sources: " + info.unhealthyEventSources().entrySet().stream()
                    .filter(e -> !e.getValue().isEmpty())
                    .map(e -> e.getKey() + " " + e.getValue().keySet()).toList());
        }
        return new Status(true, role());
    }

    private String role() {
        return !electing ? "ok" : leading.get() ? "ok (leader)" : "ok (standby: another replica holds the Lease)";
    }
}
