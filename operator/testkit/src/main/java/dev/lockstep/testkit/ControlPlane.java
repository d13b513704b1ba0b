package dev.lockstep.testkit;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * etcd + kube-apiserver + kube-controller-manager on loopback, driven through test-infra/control-plane.sh: built once
 * into a cache, started on random ports into a state directory of its own, stopped by {@link #close()}.
 */
public final class ControlPlane implements AutoCloseable {
    private final Path repo;
    private final Path stateDir;
    private final Path kubeconfig;
    private final Duration startTime;

    private ControlPlane(Path repo, Path stateDir, Path kubeconfig, Duration startTime) {
        this.repo = repo;
        this.stateDir = stateDir;
        this.kubeconfig = kubeconfig;
        this.startTime = startTime;
    }

    /** Builds the binaries when the cache has none (minutes, once), then starts a control plane in {@code stateDir}. */
    public static ControlPlane start(Path repo, Path stateDir) {
        Result build = script(repo, stateDir, Duration.ofMinutes(30), "build");
        if (build.exit() != 0) {
            throw new IllegalStateException("could not build the control plane binaries (test-infra/control-plane.sh build "
                    + "needs root or sudo, apt-get and Debian's archive):\n" + build.output());
        }
        long started = System.nanoTime();
        Result up = script(repo, stateDir, Duration.ofMinutes(3), "up");
        if (up.exit() != 0) {
            throw new IllegalStateException("the control plane did not start:\n" + up.output());
        }
        List<String> lines = up.stdout().lines().filter(l -> !l.isBlank()).toList();
        Path kubeconfig = Path.of(lines.get(lines.size() - 1).strip());
        return new ControlPlane(repo, stateDir, kubeconfig, Duration.ofNanos(System.nanoTime() - started));
    }

    public Path kubeconfig() { return kubeconfig; }
    public Duration startTime() { return startTime; }
    public Path stateDir() { return stateDir; }

    public KubernetesClient client() {
        try {
            Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
            return new KubernetesClientBuilder().withConfig(config).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A client that acts as ServiceAccount {@code namespace/name} (the admin impersonates it, with the groups the API
     * server gives a ServiceAccount's token), so what it may do is that ServiceAccount's RBAC and nothing more.
     */
    public KubernetesClient clientAs(String namespace, String name) {
        return clientAs(kubeconfig, namespace, name);
    }

    /** {@link #clientAs(String, String)} for the admin of {@code kubeconfig}. */
    public static KubernetesClient clientAs(Path kubeconfig, String namespace, String name) {
        try {
            Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
            config.setImpersonateUsername("system:serviceaccount:" + namespace + ":" + name);
            config.setImpersonateGroups("system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated");
            return new KubernetesClientBuilder().withConfig(config).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The kubectl built with the control plane (same version), against it. */
    public Result kubectl(String... args) {
        Path kubectl = binDir().resolve("kubectl");
        List<String> command = new ArrayList<>(List.of(kubectl.toString(), "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        return run(command, Map.of(), Duration.ofMinutes(2));
    }

    /** {@link #kubectl} run from {@code dir}, for the relative paths of a page's commands. */
    public Result kubectlIn(Path dir, String... args) {
        List<String> command = new ArrayList<>(List.of(binDir().resolve("kubectl").toString(), "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        return run(command, Map.of(), Duration.ofMinutes(11), dir);
    }

    /** Resident memory of each process, in MiB, read from /proc. */
    public Map<String, Long> residentMemoryMiB() {
        Map<String, Long> rss = new LinkedHashMap<>();
        for (String name : List.of("etcd", "apiserver", "controller-manager")) {
            try {
                String pid = Files.readString(stateDir.resolve(name + ".pid")).strip();
                String line = Files.readAllLines(Path.of("/proc", pid, "status")).stream()
                        .filter(l -> l.startsWith("VmRSS:")).findFirst().orElse("VmRSS: 0 kB");
                rss.put(name, Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024);
            } catch (IOException e) {
                rss.put(name, -1L);
            }
        }
        return rss;
    }

    /** Applies every CRD under crds/ and waits until the API server serves them. */
    public void installCrds(KubernetesClient client) {
        installCrds(client, repo);
    }

    public static void installCrds(KubernetesClient client, Path repo) {
        List<Path> files;
        try (Stream<Path> list = Files.list(repo.resolve("crds"))) {
            files = list.filter(f -> f.toString().endsWith(".yml") || f.toString().endsWith(".yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Path file : files) {
            try (InputStream in = Files.newInputStream(file)) {
                for (HasMetadata resource : client.load(in).items()) {
                    CustomResourceDefinition crd = (CustomResourceDefinition) resource;
                    client.apiextensions().v1().customResourceDefinitions().resource(crd).serverSideApply();
                    client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
                            .waitUntilCondition(c -> c.getStatus() != null && c.getStatus().getConditions() != null
                                    && c.getStatus().getConditions().stream().anyMatch(
                                            cond -> "Established".equals(cond.getType()) && "True".equals(cond.getStatus())),
                                    30, TimeUnit.SECONDS);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Override
    public void close() {
        script(repo, stateDir, Duration.ofMinutes(1), "down");
    }

    private Path binDir() {
        String cache = System.getenv("LOCKSTEP_K8S_CACHE");
        Path base = cache != null && !cache.isBlank() ? Path.of(cache)
                : Path.of(System.getProperty("user.home"), ".cache", "lockstep", "k8s-1.20");
        return base.resolve("bin");
    }

    private static Result script(Path repo, Path stateDir, Duration timeout, String command) {
        return run(List.of("bash", repo.resolve("test-infra/control-plane.sh").toString(), command),
                Map.of("LOCKSTEP_K8S_DIR", stateDir.toString()), timeout);
    }

    /** What a command printed and how it ended. */
    public record Result(int exit, String stdout, String stderr) {
        public String output() {
            return stdout + stderr;
        }
    }

    static Result run(List<String> command, Map<String, String> env, Duration timeout) {
        return run(command, env, timeout, null);
    }

    static Result run(List<String> command, Map<String, String> env, Duration timeout, Path dir) {
        try {
            Path out = Files.createTempFile("lockstep-cmd", ".out");
            Path err = Files.createTempFile("lockstep-cmd", ".err");
            try {
                ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
                if (dir != null) {
                    pb.directory(dir.toFile());
                }
                pb.environment().putAll(env);
                Process process = pb.start();
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    throw new IllegalStateException("timed out after " + timeout + ": " + String.join(" ", command));
                }
                return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
