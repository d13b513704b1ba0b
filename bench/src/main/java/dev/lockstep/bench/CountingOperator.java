package dev.lockstep.bench;

import dev.lockstep.operator.OperatorSettings;
import dev.lockstep.operator.RunningOperator;
import dev.lockstep.operator.telemetry.Telemetry;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The operator as {@code lockstep operator} runs it, in a process of its own, with one addition: its Kubernetes client
 * counts every request it sends, by verb, resource and answer, at the client. Once a second it writes those counts,
 * its heap and its CPU time to a file the benchmark reads; when the benchmark asks (a file beside it), it collects the
 * garbage first, so the heap it writes is the live set.
 *
 * <p>Arguments: kubeconfig, the stats file, the runner image.
 */
public final class CountingOperator {
    private CountingOperator() {}

    static final Map<String, LongAdder> REQUESTS = new ConcurrentHashMap<>();

    public static void main(String[] args) throws Exception {
        Path kubeconfig = Path.of(args[0]);
        Path stats = Path.of(args[1]);
        Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config)
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("bench-requests", new Counting()))
                .build();
        RunningOperator operator = RunningOperator.start(client, new OperatorSettings(args[2], "IfNotPresent"), List.of(), null,
                Telemetry.autoConfigured(), "127.0.0.1", 0);
        Path gcRequest = stats.resolveSibling(stats.getFileName() + ".gc");
        var memory = ManagementFactory.getMemoryMXBean();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        String collectedFor = "";
        long live = 0;
        while (true) {
            boolean collect = Files.exists(gcRequest);
            if (collect) {
                String token = Files.readString(gcRequest).strip();
                Files.delete(gcRequest);
                System.gc();
                System.gc();
                live = memory.getHeapMemoryUsage().getUsed();
                collectedFor = token;
            }
            StringBuilder out = new StringBuilder();
            out.append("metrics.port=").append(operator.port()).append('\n');
            out.append("heap.used=").append(memory.getHeapMemoryUsage().getUsed()).append('\n');
            out.append("heap.committed=").append(memory.getHeapMemoryUsage().getCommitted()).append('\n');
            out.append("heap.max=").append(memory.getHeapMemoryUsage().getMax()).append('\n');
            out.append("heap.live=").append(live).append('\n');
            out.append("heap.liveFor=").append(collectedFor).append('\n');
            out.append("cpu.nanos=").append(os.getProcessCpuTime()).append('\n');
            new TreeMap<>(REQUESTS).forEach((k, v) -> out.append("request.").append(k).append('=').append(v.sum()).append('\n'));
            Path tmp = stats.resolveSibling(stats.getFileName() + ".tmp");
            Files.writeString(tmp, out);
            Files.move(tmp, stats, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Thread.sleep(collect ? 100 : 1000);
        }
    }

    /** "VERB|resource[/subresource]|code": watches are WATCH, collection GETs LIST. */
    static String key(HttpRequest request, int code) {
        String path = request.uri().getPath();
        String query = request.uri().getQuery() == null ? "" : request.uri().getQuery();
        String[] parts = path.replaceFirst("^/(api|apis/[^/]+)/[^/]+/?", "").split("/");
        // namespaces/<ns>/<resource>[/<name>[/<sub>]] or <resource>[/<name>[/<sub>]]
        int i = parts.length > 2 && parts[0].equals("namespaces") ? 2 : 0;
        String resource = i < parts.length ? parts[i] : "";
        boolean named = i + 1 < parts.length;
        String sub = i + 2 < parts.length ? "/" + parts[i + 2] : "";
        if (parts.length == 2 && parts[0].equals("namespaces")) {
            resource = "namespaces";
            named = true;
        }
        String verb = request.method();
        if (verb.equals("GET")) {
            verb = query.contains("watch=true") ? "WATCH" : named ? "GET" : "LIST";
        }
        return verb + "|" + resource + sub + "|" + code;
    }

    private static final class Counting implements Interceptor {
        @Override
        public void after(HttpRequest request, HttpResponse<?> response, AsyncBody.Consumer<List<ByteBuffer>> consumer) {
            REQUESTS.computeIfAbsent(key(request, response.code()), k -> new LongAdder()).increment();
        }

        @Override
        public void afterConnectionFailure(HttpRequest request, Throwable failure) {
            REQUESTS.computeIfAbsent(key(request, 0), k -> new LongAdder()).increment();
        }
    }
}
