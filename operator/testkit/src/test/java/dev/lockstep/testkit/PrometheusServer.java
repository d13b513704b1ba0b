package dev.lockstep.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus (Debian's 2.42, installed by test-infra/prometheus.sh) on a free loopback port, scraping the
 * targets it is given every second and evaluating rule files; queried through its HTTP API.
 */
final class PrometheusServer implements AutoCloseable {
    static final Path REPO = ControlPlaneExtension.REPO;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One series of a range query: its labels and its (time, value) points. */
    record Series(Map<String, String> labels, List<Instant> times, List<Double> values) {
        double last() {
            return values.get(values.size() - 1);
        }

        double max() {
            return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        }
    }

    private final Process process;
    private final Path dir;
    private final int port;
    private final HttpClient http = HttpClient.newHttpClient();

    private PrometheusServer(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /** Installs Prometheus when missing (a test that needs it fails when it cannot be installed). */
    static void install() {
        try {
            Process p = new ProcessBuilder(REPO.resolve("test-infra/prometheus.sh").toString(), "install").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException("test-infra/prometheus.sh install failed:\n" + out);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Scrapes {@code targets} (host:port, path /metrics) every second and evaluates {@code ruleFiles} as often. */
    static PrometheusServer start(List<String> targets, List<Path> ruleFiles) throws IOException, InterruptedException {
        install();
        Path dir = Files.createTempDirectory("lockstep-prometheus");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        StringBuilder config = new StringBuilder("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n");
        ruleFiles.forEach(f -> config.append("  - ").append(f.toAbsolutePath()).append('\n'));
        config.append("scrape_configs:\n  - job_name: lockstep\n    static_configs:\n      - targets: [")
                .append(String.join(", ", targets.stream().map(t -> "'" + t + "'").toList())).append("]\n");
        Files.writeString(dir.resolve("prometheus.yml"), config);
        Process process = new ProcessBuilder("prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                "--web.enable-lifecycle")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        PrometheusServer server = new PrometheusServer(process, dir, port);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!server.ready()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String log = Files.exists(dir.resolve("prometheus.log")) ? Files.readString(dir.resolve("prometheus.log")) : "";
                server.close();
                throw new IllegalStateException("Prometheus did not become ready:\n" + log);
            }
            Thread.sleep(200);
        }
        return server;
    }

    private boolean ready() {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(base() + "/-/ready")).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private String base() {
        return "http://127.0.0.1:" + port;
    }

    private JsonNode get(String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + path)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = JSON.readTree(r.body());
            if (r.statusCode() != 200 || !"success".equals(json.path("status").asText())) {
                throw new AssertionError("Prometheus answered " + r.statusCode() + " to " + path + ": " + r.body());
            }
            return json.get("data");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** An instant query now: each series' labels and value. */
    Map<Map<String, String>, Double> query(String expr) {
        Map<Map<String, String>, Double> result = new LinkedHashMap<>();
        for (JsonNode r : get("/api/v1/query?query=" + encode(expr)).get("result")) {
            result.put(labels(r.get("metric")), Double.parseDouble(r.get("value").get(1).asText()));
        }
        return result;
    }

    List<Series> queryRange(String expr, Instant start, Instant end, Duration step) {
        List<Series> series = new ArrayList<>();
        JsonNode data = get("/api/v1/query_range?query=" + encode(expr) + "&start=" + start.getEpochSecond() + "&end="
                + (end.getEpochSecond() + 1) + "&step=" + step.toSeconds() + "s");
        for (JsonNode r : data.get("result")) {
            List<Instant> times = new ArrayList<>();
            List<Double> values = new ArrayList<>();
            for (JsonNode point : r.get("values")) {
                times.add(Instant.ofEpochMilli((long) (point.get(0).asDouble() * 1000)));
                values.add(Double.parseDouble(point.get(1).asText()));
            }
            series.add(new Series(labels(r.get("metric")), times, values));
        }
        return series;
    }

    /** The alerts now, by state: each one's labels. */
    List<Map<String, String>> alerts(String state) {
        List<Map<String, String>> alerts = new ArrayList<>();
        for (JsonNode a : get("/api/v1/alerts").get("alerts")) {
            if (state.equals(a.get("state").asText())) {
                alerts.add(labels(a.get("labels")));
            }
        }
        return alerts;
    }

    /** Whether every target's last scrape succeeded. */
    boolean targetsUp() {
        JsonNode targets = get("/api/v1/targets").get("activeTargets");
        if (targets.isEmpty()) {
            return false;
        }
        for (JsonNode t : targets) {
            if (!"up".equals(t.get("health").asText())) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, String> labels(JsonNode metric) {
        Map<String, String> labels = new LinkedHashMap<>();
        metric.fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        return labels;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp directory
        }
    }
}
