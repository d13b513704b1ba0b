package dev.lockstep.operator.telemetry;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.decide.FinishedRun;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Counts runs when the operator records their results in status ({@link FinishedRun}), and ends each run's span.
 * A result seen again by this process (a status write that lost a conflict and is decided again, a cache that lags
 * the write) is not counted again; a restarted operator finds the results in status and counts none of them.
 *
 * <p>Attributes are bounded: the namespace, the SchemaMigration's name, the step, the result and the failure's
 * category. Never a Job or pod name, SQL text, a URL or a credential.
 */
public final class RunMetrics {
    public static final AttributeKey<String> NAMESPACE = AttributeKey.stringKey("k8s.namespace.name");
    public static final AttributeKey<String> SCHEMA_MIGRATION = AttributeKey.stringKey("lockstep.schemamigration");
    public static final AttributeKey<String> STEP = AttributeKey.stringKey("step");
    public static final AttributeKey<String> RESULT = AttributeKey.stringKey("result");
    public static final AttributeKey<String> CATEGORY = AttributeKey.stringKey("failure.category");
    public static final AttributeKey<String> DIRECTION = AttributeKey.stringKey("direction");
    /** 0.1 s to 1 h: a tiny migration's pod start to a long index build. */
    static final List<Double> DURATION_BUCKETS = List.of(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
            600.0, 1800.0, 3600.0);
    private static final int REMEMBERED = 10_000;

    private final LongCounter runs;
    private final DoubleHistogram duration;
    private final LongCounter applied;
    private final Tracer tracer;
    private final Set<String> counted = Collections.synchronizedSet(Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    }));

    /** @param tracer where run spans go; null when the operator does not trace */
    RunMetrics(Meter meter, Tracer tracer) {
        this.runs = meter.counterBuilder("lockstep.migration.runs").setUnit("{run}")
                .setDescription("Runner Jobs whose result the operator recorded in status, by step, result and failure category.").build();
        this.duration = meter.histogramBuilder("lockstep.migration.duration").setUnit("s")
                .setDescription("From a runner Job's creation to its recorded result.")
                .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS).build();
        this.applied = meter.counterBuilder("lockstep.migrations.applied").setUnit("{script}")
                .setDescription("Migration scripts applied (direction up) or taken back by their undo scripts (down) by recorded runs.").build();
        this.tracer = tracer;
    }

    /** Counts each run once, and ends its span. */
    public void recorded(SchemaMigration sm, List<FinishedRun> finished) {
        for (FinishedRun run : finished) {
            if (!counted.add(sm.getMetadata().getUid() + "/" + run.job())) {
                continue;
            }
            Attributes attributes = attributes(sm, run);
            runs.add(1, attributes);
            run.duration().ifPresent(d -> duration.record(d.toNanos() / 1e9, attributes));
            Attributes where = Attributes.of(NAMESPACE, sm.getMetadata().getNamespace(), SCHEMA_MIGRATION, sm.getMetadata().getName());
            if (run.applied() > 0) {
                applied.add(run.applied(), where.toBuilder().put(DIRECTION, "up").build());
            }
            if (run.undone() > 0) {
                applied.add(run.undone(), where.toBuilder().put(DIRECTION, "down").build());
            }
            if (tracer != null) {
                endSpan(sm, run, attributes);
            }
        }
    }

    static Attributes attributes(SchemaMigration sm, FinishedRun run) {
        AttributesBuilder b = Attributes.builder()
                .put(NAMESPACE, sm.getMetadata().getNamespace())
                .put(SCHEMA_MIGRATION, sm.getMetadata().getName())
                .put(STEP, run.step())
                .put(RESULT, run.succeeded() ? "success" : "failure");
        if (!run.succeeded()) {
            b.put(CATEGORY, run.category());
        }
        return b.build();
    }

    private void endSpan(SchemaMigration sm, FinishedRun run, Attributes attributes) {
        Instant start = run.startedAt() == null ? run.finishedAt() : run.startedAt();
        Span span = RunSpans.withIds(RunSpans.context(sm.getMetadata().getUid(), run.job()), () -> tracer
                .spanBuilder("lockstep " + run.step())
                .setNoParent()
                .setSpanKind(SpanKind.INTERNAL)
                .setStartTimestamp(start.toEpochMilli(), TimeUnit.MILLISECONDS)
                .setAllAttributes(attributes)
                .setAttribute("k8s.job.name", run.job()) // a span may name its Job; a metric may not (unbounded)
                .setAttribute("lockstep.scripts.applied", (long) run.applied())
                .setAttribute("lockstep.scripts.undone", (long) run.undone())
                .startSpan());
        if (!run.succeeded()) {
            span.setStatus(StatusCode.ERROR, run.category());
        }
        span.end(run.finishedAt().toEpochMilli(), TimeUnit.MILLISECONDS);
    }
}
