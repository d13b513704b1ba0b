package dev.lockstep.operator.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdkBuilder;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * The operator's one OpenTelemetry SDK, configured the standard way ({@code OTEL_*} variables or {@code otel.*}
 * system properties, see the SDK's autoconfigure module) with Lockstep's defaults: the service is
 * {@code lockstep-operator}; metrics and traces go out by OTLP only when an OTLP endpoint is set or
 * {@code OTEL_METRICS_EXPORTER} / {@code OTEL_TRACES_EXPORTER} asks for an exporter; logs are not exported. Metrics
 * are always readable at the Prometheus scrape endpoint ({@link HealthServer}), from a reader registered here.
 */
public final class Telemetry implements AutoCloseable {
    public static final String SCOPE = "dev.lockstep.operator";

    /** Null when disabled: then the API's no-op stands in. */
    private final OpenTelemetrySdk sdk;
    private final PrometheusRegistry prometheus;
    /** Empty when the operator does not trace. */
    private final Map<String, String> runnerEnvironment;
    private final RunMetrics runs;

    private Telemetry(OpenTelemetrySdk sdk, PrometheusRegistry prometheus, Map<String, String> runnerEnvironment) {
        this.sdk = sdk;
        this.prometheus = prometheus;
        this.runnerEnvironment = Map.copyOf(runnerEnvironment);
        this.runs = new RunMetrics(meter(), tracing() ? tracer() : null);
    }

    /** No SDK: nothing is measured or exported; the scrape endpoint answers with no metrics. */
    public static Telemetry disabled() {
        return new Telemetry(null, new PrometheusRegistry(), Map.of());
    }

    /** From the environment and system properties, as the operator runs. */
    public static Telemetry autoConfigured() {
        return autoConfigured(UnaryOperator.identity());
    }

    /**
     * From the environment and system properties, with the caller's additions (a test's in-memory metric reader or
     * span exporter, its own properties).
     */
    public static Telemetry autoConfigured(UnaryOperator<AutoConfiguredOpenTelemetrySdkBuilder> customize) {
        PrometheusMetricReader reader = PrometheusMetricReader.builder().setOtelScopeLabelsEnabled(false).build();
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(reader);
        AtomicReference<ConfigProperties> configured = new AtomicReference<>();
        AutoConfiguredOpenTelemetrySdkBuilder builder = AutoConfiguredOpenTelemetrySdk.builder()
                .disableShutdownHook() // closed with the operator, after its last reconcile
                // OTLP over HTTP with the JDK's client: the image carries no gRPC transport
                .addPropertiesSupplier(() -> Map.of("otel.service.name", "lockstep-operator", "otel.logs.exporter", "none",
                        "otel.exporter.otlp.protocol", "http/protobuf"))
                .addPropertiesCustomizer(Telemetry::defaults)
                .addMeterProviderCustomizer((meters, config) -> meters.registerMetricReader(reader))
                .addTracerProviderCustomizer((tracers, config) -> {
                    configured.set(config); // as the SDK resolved it, with the defaults above
                    return tracers.setIdGenerator(RunSpans.ID_GENERATOR);
                });
        OpenTelemetrySdk sdk = customize.apply(builder).build().getOpenTelemetrySdk();
        ConfigProperties config = configured.get();
        boolean tracing = config != null && !"none".equals(config.getString("otel.traces.exporter", "none"));
        return new Telemetry(sdk, registry, tracing ? runnerEnvironment(config) : Map.of());
    }

    /**
     * Where an exporter was not chosen: OTLP when an OTLP endpoint is set, else none (the SDK's own default is OTLP
     * to localhost, which fails every few seconds in a cluster without a collector).
     */
    static Map<String, String> defaults(ConfigProperties config) {
        Map<String, String> defaults = new HashMap<>();
        for (String signal : List.of("metrics", "traces")) {
            if (config.getString("otel." + signal + ".exporter") == null) {
                boolean endpoint = config.getString("otel.exporter.otlp.endpoint") != null
                        || config.getString("otel.exporter.otlp." + signal + ".endpoint") != null;
                defaults.put("otel." + signal + ".exporter", endpoint ? "otlp" : "none");
            }
        }
        return defaults;
    }

    /**
     * The OTLP settings a runner pod needs to send its spans where the operator sends its own: the endpoint, protocol,
     * compression and timeout, never headers (they carry collectors' credentials, and a pod spec is no place for them;
     * a collector that needs headers gets them from an agent beside it, as docs/observability.md says).
     */
    static Map<String, String> runnerEnvironment(ConfigProperties config) {
        Map<String, String> env = new HashMap<>();
        for (String key : List.of("otel.exporter.otlp.endpoint", "otel.exporter.otlp.traces.endpoint",
                "otel.exporter.otlp.protocol", "otel.exporter.otlp.traces.protocol", "otel.exporter.otlp.compression",
                "otel.exporter.otlp.traces.compression", "otel.exporter.otlp.timeout", "otel.exporter.otlp.traces.timeout",
                "otel.resource.attributes")) {
            String value = config.getString(key);
            if (value != null) {
                env.put(key.toUpperCase(Locale.ROOT).replace('.', '_'), value);
            }
        }
        env.put("OTEL_TRACES_EXPORTER", config.getString("otel.traces.exporter", "none"));
        env.put("OTEL_METRICS_EXPORTER", "none");
        env.put("OTEL_LOGS_EXPORTER", "none");
        env.put("OTEL_SERVICE_NAME", "lockstep-runner");
        return env;
    }

    private OpenTelemetry openTelemetry() {
        return sdk == null ? OpenTelemetry.noop() : sdk;
    }

    public Meter meter() {
        return openTelemetry().getMeter(SCOPE);
    }

    public Tracer tracer() {
        return openTelemetry().getTracer(SCOPE);
    }

    /** Whether the operator exports spans: then runner pods get the trace context and the OTLP settings. */
    public boolean tracing() {
        return !runnerEnvironment.isEmpty();
    }

    /** The {@code OTEL_*} variables of a runner pod (empty when the operator does not trace). */
    public Map<String, String> runnerEnvironment() {
        return runnerEnvironment;
    }

    public RunMetrics runs() {
        return runs;
    }

    /** The registry the scrape endpoint serves. */
    public PrometheusRegistry prometheus() {
        return prometheus;
    }

    /** Sends what is buffered (spans, OTLP metrics); for tests and shutdown. */
    public void flush() {
        if (sdk != null) {
            sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
            sdk.getSdkMeterProvider().forceFlush().join(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        if (sdk != null) {
            sdk.shutdown().join(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
