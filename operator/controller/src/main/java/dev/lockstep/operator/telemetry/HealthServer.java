package dev.lockstep.operator.telemetry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's one small HTTP server: {@code /metrics} (the Prometheus text format of every metric the operator's
 * SDK holds), {@code /healthz} (liveness) and {@code /readyz} (readiness), each 200 or 503 with a line that says why.
 */
public final class HealthServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HealthServer.class);

    private final HttpServer server;
    private final ExecutorService executor;

    private HealthServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** @param port 0 for any free port (see {@link #port()}) */
    public static HealthServer start(String address, int port, Telemetry telemetry, OperatorHealth health) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(address, port), 16);
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "lockstep-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", new MetricsHandler(telemetry.prometheus()));
        server.createContext("/healthz", exchange -> answer(exchange, health::live));
        server.createContext("/readyz", exchange -> answer(exchange, health::ready));
        server.createContext("/", exchange -> {
            exchange.getRequestBody().close();
            byte[] body = "not found: this server serves /metrics, /healthz and /readyz\n".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(404, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        HealthServer started = new HealthServer(server, executor);
        LOG.info("serving /metrics, /healthz and /readyz on {}:{}", address, started.port());
        return started;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void answer(HttpExchange exchange, Supplier<OperatorHealth.Status> check) throws IOException {
        exchange.getRequestBody().close();
        OperatorHealth.Status status;
        try {
            status = check.get();
        } catch (RuntimeException e) {
            status = new OperatorHealth.Status(false, "the check failed: " + e);
        }
        byte[] body = (status.message() + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status.ok() ? 200 : 503, "HEAD".equals(exchange.getRequestMethod()) ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!"HEAD".equals(exchange.getRequestMethod())) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
