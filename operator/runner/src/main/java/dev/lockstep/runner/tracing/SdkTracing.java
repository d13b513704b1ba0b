package dev.lockstep.runner.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The SDK, in a class of its own so a runner that does not trace never loads it. */
final class SdkTracing implements AutoCloseable {
    private final OpenTelemetrySdk sdk;

    private SdkTracing(OpenTelemetrySdk sdk) {
        this.sdk = sdk;
    }

    static SdkTracing start() {
        return new SdkTracing(AutoConfiguredOpenTelemetrySdk.builder()
                .disableShutdownHook()
                // Spans only: a runner is too short-lived for metrics (the operator counts runs) and logs go to stdout.
                .addPropertiesSupplier(() -> Map.of("otel.service.name", "lockstep-runner", "otel.metrics.exporter", "none",
                        "otel.logs.exporter", "none", "otel.exporter.otlp.protocol", "http/protobuf"))
                .build().getOpenTelemetrySdk());
    }

    OpenTelemetry openTelemetry() {
        return sdk;
    }

    @Override
    public void close() {
        sdk.getSdkTracerProvider().forceFlush().join(5, TimeUnit.SECONDS);
        sdk.shutdown().join(5, TimeUnit.SECONDS);
    }
}
