package dev.lockstep.operator.telemetry;

import dev.lockstep.api.v1alpha1.ConditionType;
import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.api.v1alpha1.SchemaMigrationStatus;
import dev.lockstep.common.Timestamps;
import io.fabric8.kubernetes.api.model.Condition;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.BatchCallback;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableDoubleMeasurement;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Gauges read from the operator's cache of SchemaMigrations when metrics are collected: how many are in each
 * phase, the pods gated on each (held or released), and how long each has not been Ready, so "stuck" can be alerted
 * on. Only the leading replica reports them: a standby's cache holds the same resources, and two replicas reporting
 * would double every sum.
 */
public final class ResourceGauges implements AutoCloseable {
    public static final AttributeKey<String> PHASE = AttributeKey.stringKey("phase");
    public static final AttributeKey<String> STATE = AttributeKey.stringKey("state");
    /** The phase of a SchemaMigration the operator has not written a status for yet. */
    static final String UNKNOWN = "Unknown";

    private final BatchCallback callback;

    /** One callback for the three: the cache is listed once per collection, and leadership asked once. */
    public ResourceGauges(Meter meter, Supplier<Collection<SchemaMigration>> resources, BooleanSupplier leading, Clock clock) {
        ObservableLongMeasurement phases = meter.gaugeBuilder("lockstep.schemamigrations").ofLongs().setUnit("{schemamigration}")
                .setDescription("SchemaMigrations by namespace and phase (Unknown before the operator wrote a status).")
                .buildObserver();
        ObservableLongMeasurement gated = meter.gaugeBuilder("lockstep.pods.gated").ofLongs().setUnit("{pod}")
                .setDescription("Pods gated on a SchemaMigration: held (waiting for a revision the database has not reached) or released.")
                .buildObserver();
        ObservableDoubleMeasurement notReady = meter.gaugeBuilder("lockstep.schemamigration.not_ready").setUnit("s")
                .setDescription("Seconds since a SchemaMigration's Ready condition turned False (0 while Ready), with its phase.")
                .buildObserver();
        this.callback = meter.batchCallback(() -> {
            if (leading.getAsBoolean()) {
                Collection<SchemaMigration> all = resources.get();
                phases(all, phases);
                gated(all, gated);
                notReady(all, notReady, clock.instant());
            }
        }, phases, gated, notReady);
    }

    /** Every phase of every namespace that has a SchemaMigration is a series, so "none Failed" is a 0, not a gap. */
    static void phases(Collection<SchemaMigration> resources, ObservableLongMeasurement m) {
        Map<String, Map<String, Long>> counts = new TreeMap<>();
        for (SchemaMigration sm : resources) {
            counts.computeIfAbsent(sm.getMetadata().getNamespace(), ns -> zeroes()).merge(phase(sm), 1L, Long::sum);
        }
        counts.forEach((namespace, phases) -> phases.forEach((phase, count) ->
                m.record(count, Attributes.of(RunMetrics.NAMESPACE, namespace, PHASE, phase))));
    }

    private static Map<String, Long> zeroes() {
        Map<String, Long> zeroes = new TreeMap<>();
        for (Phase phase : Phase.values()) {
            zeroes.put(phase.name(), 0L);
        }
        return zeroes;
    }

    static void gated(Collection<SchemaMigration> resources, ObservableLongMeasurement m) {
        for (SchemaMigration sm : resources) {
            var workloads = sm.getStatus() == null ? null : sm.getStatus().getWorkloads();
            int gated = workloads == null || workloads.getGatedPods() == null ? 0 : workloads.getGatedPods();
            int held = workloads == null || workloads.getHeldPods() == null ? 0 : workloads.getHeldPods();
            Attributes where = Attributes.of(RunMetrics.NAMESPACE, sm.getMetadata().getNamespace(),
                    RunMetrics.SCHEMA_MIGRATION, sm.getMetadata().getName());
            m.record(held, where.toBuilder().put(STATE, "held").build());
            m.record(Math.max(0, gated - held), where.toBuilder().put(STATE, "released").build());
        }
    }

    static void notReady(Collection<SchemaMigration> resources, ObservableDoubleMeasurement m, Instant now) {
        for (SchemaMigration sm : resources) {
            Optional<Condition> ready = Optional.ofNullable(sm.getStatus()).map(SchemaMigrationStatus::getConditions).orElse(List.of())
                    .stream().filter(c -> ConditionType.Ready.name().equals(c.getType())).findFirst();
            Instant since = ready.filter(c -> !"True".equals(c.getStatus())).map(Condition::getLastTransitionTime).flatMap(Timestamps::parse)
                    .orElse(ready.isEmpty() ? Timestamps.parse(sm.getMetadata().getCreationTimestamp()).orElse(null) : null);
            double seconds = since == null ? 0 : Math.max(0, Duration.between(since, now).toMillis() / 1000.0);
            // The phase, so an alert can leave out those that wait for a person by design (Suspended, AwaitingApproval).
            m.record(seconds, Attributes.of(RunMetrics.NAMESPACE, sm.getMetadata().getNamespace(),
                    RunMetrics.SCHEMA_MIGRATION, sm.getMetadata().getName(), PHASE, phase(sm)));
        }
    }

    private static String phase(SchemaMigration sm) {
        return Optional.ofNullable(sm.getStatus()).map(SchemaMigrationStatus::getPhase).map(Phase::name).orElse(UNKNOWN);
    }

    @Override
    public void close() {
        callback.close();
    }
}
