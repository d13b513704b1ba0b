package dev.lockstep.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The part of a kubelet's HTTPS API that the API server proxies {@code kubectl logs} to:
 * {@code GET /containerLogs/<namespace>/<pod>/<container>} with {@code follow}, {@code tailLines} and {@code limitBytes}.
 * The API server reaches it through the Node the local kubelet registers (its address and
 * {@code status.daemonEndpoints.kubeletEndpoint.port}); with no kubelet CA configured, it does not verify this
 * endpoint's self-signed certificate, as with a kubelet that serves one.
 */
final class KubeletEndpoint implements AutoCloseable {
    private static final String STORE_PASSWORD = "local-kubelet";

    /** Where a pod's log is, and whether it may still grow (the container runs). */
    interface Logs {
        Path file(String namespace, String pod);

        boolean running(String namespace, String pod);
    }

    /** A namespace's or a pod's name: nothing else may reach the file system. */
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");

    private final HttpsServer server;
    private final java.util.concurrent.ExecutorService executor;

    private KubeletEndpoint(HttpsServer server, java.util.concurrent.ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    static KubeletEndpoint start(Path dir, Logs logs) throws IOException {
        Path store = dir.resolve("kubelet-tls.p12");
        if (!Files.exists(store)) {
            selfSigned(store);
        }
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                keys.load(in, STORE_PASSWORD.toCharArray());
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, STORE_PASSWORD.toCharArray());
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(kmf.getKeyManagers(), null, null);
            HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            server.setHttpsConfigurator(new HttpsConfigurator(tls));
            java.util.concurrent.ExecutorService executor = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "local-kubelet-logs");
                t.setDaemon(true);
                return t;
            });
            server.setExecutor(executor);
            server.createContext("/containerLogs/", exchange -> serve(exchange, logs));
            server.start();
            return new KubeletEndpoint(server, executor);
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot set up the local kubelet's TLS from " + store, e);
        }
    }

    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow(); // ends followers too
    }

    private static void selfSigned(Path store) throws IOException {
        Files.createDirectories(store.getParent());
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "kubelet", "-keyalg", "EC", "-groupname",
                "secp256r1", "-dname", "CN=local-kubelet", "-ext", "san=ip:127.0.0.1", "-validity", "3650",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", STORE_PASSWORD)
                .redirectErrorStream(true).start();
        try {
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("keytool could not make the local kubelet's certificate: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted making the local kubelet's certificate", e);
        }
    }

    private static void serve(HttpExchange exchange, Logs logs) throws IOException {
        try (exchange) {
            List<String> parts = List.of(exchange.getRequestURI().getPath().split("/"));
            // ["", "containerLogs", namespace, pod, container]
            if (!"GET".equals(exchange.getRequestMethod()) || parts.size() != 5 || !NAME.matcher(parts.get(2)).matches()
                    || !NAME.matcher(parts.get(3)).matches() || parts.get(3).contains("..")) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            String namespace = parts.get(2);
            String pod = parts.get(3);
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            Path file = logs.file(namespace, pod);
            byte[] all = Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
            byte[] shown = tail(all, query.get("tailLines"));
            long limit = query.containsKey("limitBytes") ? Long.parseLong(query.get("limitBytes")) : Long.MAX_VALUE;
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            long sent = Math.min(limit, shown.length);
            out.write(shown, 0, (int) sent);
            out.flush();
            if (!"true".equals(query.get("follow"))) {
                return;
            }
            follow(out, file, all.length, limit - sent, () -> logs.running(namespace, pod));
        } catch (NumberFormatException e) {
            // a malformed parameter: the response is already under way or nothing was sent
        }
    }

    /** Sends what the file gains from {@code from} on, while the container runs (and once more after it ends). */
    private static void follow(OutputStream out, Path file, long from, long budget, java.util.function.BooleanSupplier running)
            throws IOException {
        long position = from;
        boolean last = false;
        while (budget > 0 && !last) {
            last = !running.getAsBoolean();
            if (Files.exists(file)) {
                try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
                    if (raf.length() > position) {
                        byte[] more = new byte[(int) Math.min(raf.length() - position, budget)];
                        raf.seek(position);
                        raf.readFully(more);
                        out.write(more);
                        out.flush();
                        position += more.length;
                        budget -= more.length;
                    }
                }
            }
            if (!last) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** The last {@code tailLines} lines, as the kubelet serves them. */
    private static byte[] tail(byte[] all, String tailLines) {
        if (tailLines == null) {
            return all;
        }
        int lines = Integer.parseInt(tailLines);
        if (lines <= 0) {
            return new byte[0];
        }
        int start = all.length > 0 && all[all.length - 1] == '\n' ? all.length - 1 : all.length;
        int seen = 0;
        while (start > 0 && !(all[start - 1] == '\n' && ++seen == lines)) {
            start--;
        }
        return java.util.Arrays.copyOfRange(all, start, all.length);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> params = new HashMap<>();
        if (raw == null) {
            return params;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            params.put(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return params;
    }

}
