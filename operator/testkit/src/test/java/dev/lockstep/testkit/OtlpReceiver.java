package dev.lockstep.testkit;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/** An OTLP/HTTP trace receiver on a free loopback port: what the operator and the runner pods send, decoded. */
final class OtlpReceiver implements AutoCloseable {
    /** One span as received: its service, ids, name and attributes (values as strings). */
    record ReceivedSpan(String service, String traceId, String spanId, String parentSpanId, String name, Map<String, String> attributes,
                        String raw) {}

    private final HttpServer server;
    private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();

    OtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/v1/traces", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(in.readAllBytes());
                for (ResourceSpans rs : request.getResourceSpansList()) {
                    String service = rs.getResource().getAttributesList().stream().filter(a -> a.getKey().equals("service.name"))
                            .map(a -> a.getValue().getStringValue()).findFirst().orElse("?");
                    for (ScopeSpans ss : rs.getScopeSpansList()) {
                        ss.getSpansList().forEach(s -> spans.add(new ReceivedSpan(service, hex(s.getTraceId().toByteArray()),
                                hex(s.getSpanId().toByteArray()), hex(s.getParentSpanId().toByteArray()), s.getName(),
                                s.getAttributesList().stream().collect(Collectors.toMap(KeyValue::getKey, a -> value(a), (a, b) -> a)),
                                s.toString())));
                    }
                }
            }
            byte[] body = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
            exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    private static String value(KeyValue a) {
        var v = a.getValue();
        return v.hasStringValue() ? v.getStringValue() : v.hasIntValue() ? String.valueOf(v.getIntValue())
                : v.hasBoolValue() ? String.valueOf(v.getBoolValue()) : v.hasDoubleValue() ? String.valueOf(v.getDoubleValue()) : v.toString();
    }

    private static String hex(byte[] bytes) {
        return bytes.length == 0 ? "" : HexFormat.of().formatHex(bytes);
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<ReceivedSpan> spans() {
        return List.copyOf(spans);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
