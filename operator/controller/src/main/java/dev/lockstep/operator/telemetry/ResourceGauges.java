package dev.lockstep.operator.telemetry;

import dev.lockstep.api.v1alpha1.ConditionType;
import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.api.v1alpha1.SchemaMigrationStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableDoubleMeasurement;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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

    private final List<AutoCloseable> instruments = new ArrayList<>();

    public ResourceGauges(Meter meter, Supplier<Collection<SchemaMigration>> resources, BooleanSupplier leading, Clock clock) {
        instruments.add(meter.gaugeBuilder("lockstep.schemamigrations").ofLongs().setUnit("{schemamigration}")
                .setDescription("SchemaMigrations by namespace and phase (Unknown before the operator wrote a status).")
                .buildWithCallback(m -> {
                    if (leading.getAsBoolean()) {
                        phases(resources.get(), m);
                    }
                }));
        instruments.add(meter.gaugeBuilder("lockstep.pods.gated").ofLongs().setUnit("{pod}")
                .setDescription("Pods gated on a SchemaMigration: held (waiting for a revision the database has not reached) or released.")
                .buildWithCallback(m -> {
                    if (leading.getAsBoolean()) {
                        gated(resources.get(), m);
                    }
                }));
        instruments.add(meter.gaugeBuilder("lockstep.schemamigration.not_ready").setUnit("s")
                .setDescription("Seconds since a SchemaMigration's Ready condition turned False (0 while Ready), with its phase.")
                .buildWithCallback(m -> {
                    if (leading.getAsBoolean()) {
                        notReady(resources.get(), m, clock.instant());
                    }
                }));
    }

    /** Every phase of every namespace that has a SchemaMigration is a series, so "none Failed" is a 0, not a gap. */
    static void phases(Collection<SchemaMigration> resources, ObservableLongMeasurement m) {
        Map<String, Map<String, Long>> counts = new TreeMap<>();
        for (SchemaMigration sm : resources) {
            String phase = Optional.ofNullable(sm.getStatus()).map(SchemaMigrationStatus::getPhase).map(Phase::name).orElse(UNKNOWN);
            counts.computeIfAbsent(sm.getMetadata().getNamespace(), ns -> zeroes()).merge(phase, 1L, Long::sum);
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
            Instant since = ready.filter(c -> !"True".equals(c.getStatus())).map(Condition::getLastTransitionTime).map(ResourceGauges::instant)
                    .orElse(ready.isEmpty() ? instant(sm.getMetadata().getCreationTimestamp()) : null);
            double seconds = since == null ? 0 : Math.max(0, Duration.between(since, now).toMillis() / 1000.0);
            String phase = Optional.ofNullable(sm.getStatus()).map(SchemaMigrationStatus::getPhase).map(Phase::name).orElse(UNKNOWN);
            // The phase, so an alert can leave out those that wait for a person by design (Suspended, AwaitingApproval).
            m.record(seconds, Attributes.of(RunMetrics.NAMESPACE, sm.getMetadata().getNamespace(),
                    RunMetrics.SCHEMA_MIGRATION, sm.getMetadata().getName(), PHASE, phase));
        }
    }

    private static Instant instant(String timestamp) {
        try {
            return timestamp == null ? null : Instant.parse(timestamp);
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public void close() {
        for (AutoCloseable instrument : instruments) {
            try {
                instrument.close();
            } catch (Exception e) {
                // an observable instrument's close does not fail
            }
        }
    }
}
