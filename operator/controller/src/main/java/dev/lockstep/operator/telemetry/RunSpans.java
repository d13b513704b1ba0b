package dev.lockstep.operator.telemetry;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.trace.IdGenerator;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The trace of one run: the operator's span from the runner Job's creation to the recorded result, and the runner's
 * spans under it. Its ids are derived from the SchemaMigration's uid and the Job's name, so the trace context the
 * Job is made with ({@code TRACEPARENT}) and the span the operator ends later agree without the operator keeping
 * anything in memory: a run that outlives an operator restart, or is recorded by another replica, is still one trace.
 */
public final class RunSpans {
    /** Asked for the ids of a new span: the run's while {@link #withIds} runs, random otherwise. */
    static final IdGenerator ID_GENERATOR = new IdGenerator() {
        private final IdGenerator random = IdGenerator.random();

        @Override
        public String generateSpanId() {
            SpanContext run = NEXT.get();
            return run == null ? random.generateSpanId() : run.getSpanId();
        }

        @Override
        public String generateTraceId() {
            SpanContext run = NEXT.get();
            return run == null ? random.generateTraceId() : run.getTraceId();
        }
    };
    private static final ThreadLocal<SpanContext> NEXT = new ThreadLocal<>();

    private RunSpans() {}

    /** The run span's context: sampled, as the runner's spans must be recorded under it. */
    public static SpanContext context(String uid, String job) {
        byte[] digest = sha256("lockstep run " + uid + " " + job);
        HexFormat hex = HexFormat.of();
        String traceId = hex.formatHex(digest, 0, 16);
        String spanId = hex.formatHex(digest, 16, 24);
        return SpanContext.create(traceId, spanId, TraceFlags.getSampled(), TraceState.getDefault());
    }

    /** The W3C {@code traceparent} of the run span, as the runner reads it from {@code TRACEPARENT}. */
    public static String traceparent(String uid, String job) {
        SpanContext context = context(uid, job);
        return "00-" + context.getTraceId() + "-" + context.getSpanId() + "-" + context.getTraceFlags().asHex();
    }

    /** Runs {@code start} (which starts one root span) so that span gets {@code ids}. */
    static <T> T withIds(SpanContext ids, java.util.function.Supplier<T> start) {
        NEXT.set(ids);
        try {
            return start.get();
        } finally {
            NEXT.remove();
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
