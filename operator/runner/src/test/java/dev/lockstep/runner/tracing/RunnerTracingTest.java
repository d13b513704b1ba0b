package dev.lockstep.runner.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RunnerTracingTest {
    @AfterEach
    void reset() {
        RunnerTracing.reset();
    }

    @Test
    void spansOnlyWhenTheEnvironmentAsksForThem() {
        assertThat(RunnerTracing.enabled(Map.of())).isFalse();
        assertThat(RunnerTracing.enabled(Map.of("TRACEPARENT", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))).isFalse();
        assertThat(RunnerTracing.enabled(Map.of("OTEL_TRACES_EXPORTER", "none", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"))).isFalse();
        assertThat(RunnerTracing.enabled(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"))).isTrue();
        assertThat(RunnerTracing.enabled(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", "OTEL_SDK_DISABLED", "true"))).isFalse();
        assertThat(RunnerTracing.enabled(Map.of("OTEL_TRACES_EXPORTER", "otlp"))).isTrue();
    }

    @Test
    void offItIsTheApisNoOpAndWorkRunsAsIs() {
        RunnerTracing.configure(Map.of());
        assertThat(RunnerTracing.on()).isFalse();
        assertThat(RunnerTracing.inSpan("dry run", () -> 42)).isEqualTo(42);
        assertThat(RunnerTracing.tracer().spanBuilder("x").startSpan().getSpanContext().isValid()).isFalse();
    }

    @Test
    void onTheParentIsTheOperatorsRunSpan() {
        RunnerTracing.configure(Map.of("OTEL_TRACES_EXPORTER", "console",
                "TRACEPARENT", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
        assertThat(RunnerTracing.on()).isTrue();
        var span = RunnerTracing.tracer().spanBuilder("lockstep migrate").setParent(RunnerTracing.parent()).startSpan();
        assertThat(span.getSpanContext().getTraceId()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
        span.end();
        RunnerTracing.flush();
    }
}
