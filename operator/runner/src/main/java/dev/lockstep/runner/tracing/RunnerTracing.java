package dev.lockstep.runner.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The runner's spans: {@code lockstep <command>} as a child of the run span the operator names in
 * {@code TRACEPARENT}, and under it each connection opened, the wait for Flyway's lock, the dry run and each script.
 * Off (the API's no-op, which loads no SDK) unless {@code OTEL_TRACES_EXPORTER} names an exporter or an OTLP
 * endpoint is set, as the operator does for its runner pods when it traces; then the SDK is configured from the
 * {@code OTEL_*} variables and flushed before the process exits.
 */
public final class RunnerTracing {
    public static final String SCOPE = "dev.lockstep.runner";
    private static volatile OpenTelemetry openTelemetry = OpenTelemetry.noop();
    private static volatile Runnable flush = () -> {};
    private static volatile Context parent = Context.root();

    private RunnerTracing() {}

    /** Sets the runner up from its environment: once, at start, before any span. */
    public static void configure(Map<String, String> env) {
        if (!enabled(env)) {
            return;
        }
        SdkTracing sdk = SdkTracing.start();
        openTelemetry = sdk.openTelemetry();
        flush = sdk::close;
        String traceparent = env.get("TRACEPARENT");
        if (traceparent != null) {
            parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), Map.of("traceparent", traceparent), GETTER);
        }
    }

    /** Whether the environment asks for spans: an exporter other than none, or an OTLP endpoint. */
    static boolean enabled(Map<String, String> env) {
        String exporter = env.get("OTEL_TRACES_EXPORTER");
        if (exporter != null) {
            return !exporter.isBlank() && !"none".equals(exporter.strip().toLowerCase(Locale.ROOT));
        }
        return !"true".equalsIgnoreCase(env.get("OTEL_SDK_DISABLED"))
                && (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") != null || env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != null);
    }

    public static Tracer tracer() {
        return openTelemetry.getTracer(SCOPE);
    }

    /** The context a command's span starts in: the operator's run span, or none. */
    public static Context parent() {
        return parent;
    }

    /** Whether spans are recorded (the callbacks that make them are only installed then). */
    public static boolean on() {
        return openTelemetry != OpenTelemetry.noop();
    }

    /** Runs {@code work} in a span named {@code name}, a child of the current one. */
    public static <T> T inSpan(String name, Supplier<T> work) {
        if (!on()) {
            return work.get();
        }
        Span span = tracer().spanBuilder(name).startSpan();
        try (var scope = span.makeCurrent()) {
            return work.get();
        } catch (RuntimeException e) {
            span.recordException(e);
            span.setStatus(io.opentelemetry.api.trace.StatusCode.ERROR);
            throw e;
        } finally {
            span.end();
        }
    }

    /** Sends the spans still buffered; before the process exits. */
    public static void flush() {
        flush.run();
    }

    private static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    /** For tests: back to the no-op. */
    static void reset() {
        openTelemetry = OpenTelemetry.noop();
        flush = () -> {};
        parent = Context.root();
    }
}
