package dev.lockstep.operator.telemetry;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.api.reconciler.Constants;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.processing.Controller;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongUpDownCounter;
import io.opentelemetry.api.metrics.Meter;
import java.util.List;
import java.util.Map;

/**
 * The reconcile loop's metrics, from the framework's {@link Metrics} hooks, on the operator's OpenTelemetry meter:
 * reconciles by outcome and their duration, failures by exception type, retries, events received, and the
 * reconciles submitted but not started yet (the queue) and running. Attributes: the controller
 * ({@code schemamigration}, {@code podgate}), the operation and outcome, an exception's class name; never a
 * resource name (the run metrics carry those where they are bounded).
 *
 * <p>Written against the framework's own interface rather than through its Micrometer module and a Micrometer to
 * OpenTelemetry bridge: that module is only published for a newer framework than the one this operator is built on
 * (mixing the two cores on one class path is not supported), and the bridge is an alpha that would bring a second
 * metrics library into the image for a dozen instruments.
 */
public final class ReconcileMetrics implements Metrics {
    static final AttributeKey<String> CONTROLLER = AttributeKey.stringKey("controller");
    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("operation");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("outcome");
    static final AttributeKey<String> EXCEPTION = AttributeKey.stringKey("exception.type");
    static final AttributeKey<String> EVENT = AttributeKey.stringKey("event");
    static final List<Double> DURATION_BUCKETS = List.of(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0);

    private final DoubleHistogram duration;
    private final LongCounter failures;
    private final LongCounter retries;
    private final LongCounter events;
    private final LongUpDownCounter queued;
    private final LongUpDownCounter running;

    public ReconcileMetrics(Meter meter) {
        this.duration = meter.histogramBuilder("lockstep.reconcile.duration").setUnit("s")
                .setDescription("Time in the reconciler, by controller, operation and outcome (success, or the exception's outcome: failure).")
                .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS).build();
        this.failures = meter.counterBuilder("lockstep.reconcile.failures").setUnit("{reconcile}")
                .setDescription("Reconciles that threw, by exception type and outcome (conflict: a 409, retried at once; error:"
                        + " anything else, retried with back-off).").build();
        this.retries = meter.counterBuilder("lockstep.reconcile.retries").setUnit("{reconcile}")
                .setDescription("Reconciles started as a retry of a failed one.").build();
        this.events = meter.counterBuilder("lockstep.reconcile.events").setUnit("{event}")
                .setDescription("Watch and timer events received, by controller and kind of event.").build();
        this.queued = meter.upDownCounterBuilder("lockstep.reconcile.queued").setUnit("{reconcile}")
                .setDescription("Reconciles submitted and waiting for a worker thread.").build();
        this.running = meter.upDownCounterBuilder("lockstep.reconcile.running").setUnit("{reconcile}")
                .setDescription("Reconciles running now.").build();
    }

    /** The failure and retry counters start at 0 per controller, so a first failure is an increase, not a new series. */
    @Override
    public void controllerRegistered(Controller<? extends HasMetadata> controller) {
        Attributes attributes = Attributes.of(CONTROLLER, controller.getConfiguration().getName());
        failures.add(0, attributes.toBuilder().put(OUTCOME, "error").build());
        retries.add(0, attributes);
    }

    @Override
    public void receivedEvent(Event event, Map<String, Object> metadata) {
        events.add(1, Attributes.of(CONTROLLER, controller(metadata), EVENT, event.getClass().getSimpleName()));
    }

    @Override
    public void reconcileCustomResource(HasMetadata resource, RetryInfo retryInfo, Map<String, Object> metadata) {
        Attributes controller = Attributes.of(CONTROLLER, controller(metadata));
        queued.add(1, controller);
        if (retryInfo != null && retryInfo.getAttemptCount() > 0) {
            retries.add(1, controller);
        }
    }

    @Override
    public void reconciliationExecutionStarted(HasMetadata resource, Map<String, Object> metadata) {
        Attributes controller = Attributes.of(CONTROLLER, controller(metadata));
        queued.add(-1, controller);
        running.add(1, controller);
    }

    @Override
    public void reconciliationExecutionFinished(HasMetadata resource, Map<String, Object> metadata) {
        running.add(-1, Attributes.of(CONTROLLER, controller(metadata)));
    }

    /**
     * A conflict (409: the resource changed since it was read) is the optimistic lock doing its work and is retried at
     * once; it is counted with outcome conflict, apart from the errors an alert should see.
     */
    @Override
    public void failedReconciliation(HasMetadata resource, Exception exception, Map<String, Object> metadata) {
        failures.add(1, Attributes.of(CONTROLLER, controller(metadata), EXCEPTION, exception.getClass().getName(),
                OUTCOME, conflict(exception) ? "conflict" : "error"));
    }

    static boolean conflict(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof KubernetesClientException k) {
                return k.getCode() == 409;
            }
        }
        return false;
    }

    @Override
    public <T> T timeControllerExecution(ControllerExecution<T> execution) throws Exception {
        long start = System.nanoTime();
        String outcome = "failure";
        try {
            T result = execution.execute();
            outcome = "success";
            return result;
        } finally {
            duration.record((System.nanoTime() - start) / 1e9, Attributes.of(CONTROLLER, execution.controllerName(),
                    OPERATION, execution.name(), OUTCOME, outcome));
        }
    }

    private static String controller(Map<String, Object> metadata) {
        Object name = metadata == null ? null : metadata.get(Constants.CONTROLLER_NAME);
        return name == null ? "unknown" : name.toString();
    }
}
