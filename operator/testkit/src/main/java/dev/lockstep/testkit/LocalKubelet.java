package dev.lockstep.testkit;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodReadinessGate;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A kubelet for a control plane without nodes. It watches pods and does what a kubelet would, as far as Lockstep
 * can tell:
 * <ul>
 *   <li>runner pods (a container named {@code runner} running {@code migrate}) run the real {@code lockstep migrate}
 *       in a child JVM, with the pod's args, its env resolved from Secrets and ConfigMaps, and its ConfigMap and
 *       emptyDir volumes as directories; init containers that copy from an image copy from a directory registered
 *       with {@link #provideImage}. The pod then ends Succeeded or Failed with the termination message the runner
 *       wrote, so the real Job controller completes or fails the Job;</li>
 *   <li>a missing Secret, key or ConfigMap keeps the pod waiting with the kubelet's own reasons
 *       (CreateContainerConfigError, ContainerCreating) and is retried every second until it appears;</li>
 *   <li>other pods become Running, and Ready only when their containers are ready and every readiness gate's
 *       condition is True, re-evaluated as conditions change.</li>
 * </ul>
 * Faults can be injected per pod: delays, a pod that never starts, an OOM kill, a lost node.
 *
 * <p>As a kubelet does, it registers a Node ({@value #NODE}), binds the pods it runs to it, and serves their logs on
 * an HTTPS port of its own, so {@code kubectl logs} works through the API server. A runner keeps running when the
 * process that started it dies: a new local kubelet on the same work directory finds it again (its pid and exit code
 * are kept in the pod's sandbox) instead of starting a second one.
 */
public final class LocalKubelet implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalKubelet.class);
    private static final int MAX_TERMINATION_MESSAGE = 4096;
    private static final int LOG_TAIL_BYTES = 2048;
    private static final String PID_FILE = "runner.pid";
    private static final String EXIT_FILE = "runner.exit";
    /** The Node this kubelet registers and binds its pods to. */
    public static final String NODE = "local-kubelet";

    /** Things that go wrong on real nodes. */
    public enum Fault {
        /** The pod is never started: it stays Pending with no status, as on a node that never picks it up. */
        NEVER_START,
        /** The runner container is killed for memory before it writes a result: exit 137, reason OOMKilled. */
        OOM_KILLED,
        /** The node stops reporting: the pod shows Running then Ready=False (NodeLost) and never ends. */
        NODE_LOST
    }

    private record Rule(Predicate<Pod> matches, Fault fault, Duration startDelay) {}

    private final KubernetesClient client;
    private final List<String> lockstepCommand;
    private final Optional<RunnerClassArchive> classArchive;
    private final Path workDir;
    private final Map<String, Path> images = new ConcurrentHashMap<>();
    private final java.util.Set<String> reportedMounts = ConcurrentHashMap.newKeySet();
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final Map<String, PodRun> runs = new ConcurrentHashMap<>();
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "local-kubelet");
        t.setDaemon(true);
        return t;
    });
    private SharedIndexInformer<Pod> informer;
    private KubeletEndpoint endpoint;
    private String nodeName = NODE;
    private Predicate<Pod> ignored = p -> false;
    /** Set by {@link #crash()}: from then on this kubelet writes nothing. */
    private volatile boolean crashed;

    /**
     * @param lockstepCommand how to start the `lockstep` program, e.g. {@code [java, -cp, <classpath>, dev.lockstep.cli.Lockstep]}
     * @param workDir where pod sandboxes (volumes, logs, termination messages) go
     */
    public LocalKubelet(KubernetesClient client, List<String> lockstepCommand, Path workDir) {
        this.client = client;
        this.lockstepCommand = List.copyOf(lockstepCommand);
        this.classArchive = classArchive(this.lockstepCommand);
        this.workDir = workDir;
    }

    /**
     * `lockstep` run by this JVM's java with this JVM's classpath (less this module's own class directories, which a
     * runner does not need and a class-data archive cannot hold: see {@link RunnerClassArchive}).
     */
    public static List<String> sameJvmCommand() {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> classpath = RunnerClassArchive.runnerClasspath(System.getProperty("java.class.path"));
        return List.of(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", String.join(File.pathSeparator, classpath),
                "dev.lockstep.cli.Lockstep");
    }

    /** A class-data archive for runners started by {@link #sameJvmCommand()}'s java; none for another command. */
    private static Optional<RunnerClassArchive> classArchive(List<String> lockstepCommand) {
        int cp = lockstepCommand.indexOf("-cp");
        if (cp < 1 || cp + 1 >= lockstepCommand.size() || !lockstepCommand.get(0).endsWith("java")) {
            return Optional.empty();
        }
        return RunnerClassArchive.forClasspath(List.of(lockstepCommand.get(cp + 1).split(File.pathSeparator)));
    }

    public LocalKubelet start() {
        try {
            endpoint = KubeletEndpoint.start(workDir, new KubeletEndpoint.Logs() {
                @Override
                public Path file(String namespace, String pod) {
                    return logFile(namespace, pod);
                }

                @Override
                public boolean running(String namespace, String pod) {
                    return runs.values().stream().anyMatch(r -> r.alive() && pod.equals(r.name) && namespace.equals(r.namespace));
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("the local kubelet cannot serve logs", e);
        }
        registerNode(endpoint.port());
        informer = client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                submit(pod);
            }

            @Override
            public void onUpdate(Pod oldPod, Pod newPod) {
                submit(newPod);
            }

            @Override
            public void onDelete(Pod pod, boolean unknown) {
                PodRun run = runs.remove(pod.getMetadata().getUid());
                if (run != null) {
                    run.kill();
                }
            }
        }, 1000); // resync every second: how blocked pods retry and readiness is re-checked
        return this;
    }

    /** The Node it registers and binds pods to ({@value #NODE} unless set); call before {@link #start()}. */
    public LocalKubelet withNodeName(String name) {
        this.nodeName = name;
        return this;
    }

    /** Pods another kubelet runs; call before {@link #start()}. */
    public LocalKubelet ignoring(Predicate<Pod> pods) {
        this.ignored = pods;
        return this;
    }

    /**
     * Dies as a kubelet process does when it is killed: it stops watching, serving and writing at once, and leaves its
     * containers running. A new kubelet on the same work directory and node name takes over.
     */
    public void crash() {
        crashed = true;
        if (informer != null) {
            informer.stop();
        }
        if (endpoint != null) {
            endpoint.close();
        }
        executor.shutdownNow(); // its threads stop waiting; the containers they watched run on
    }

    /** Makes {@code image} pullable: its filesystem is {@code root}. */
    public LocalKubelet provideImage(String image, Path root) {
        images.put(image, root);
        return this;
    }

    public LocalKubelet inject(Predicate<Pod> pods, Fault fault) {
        rules.add(new Rule(pods, fault, Duration.ZERO));
        return this;
    }

    public LocalKubelet delayStart(Predicate<Pod> pods, Duration delay) {
        rules.add(new Rule(pods, null, delay));
        return this;
    }

    public static Predicate<Pod> namePrefix(String prefix) {
        return p -> p.getMetadata().getName().startsWith(prefix);
    }

    public static Predicate<Pod> inNamespace(String namespace) {
        return p -> namespace.equals(p.getMetadata().getNamespace());
    }

    /**
     * The Node of this kubelet, with the address and port the API server proxies {@code pods/log} to. No heartbeat: the
     * control plane runs no node lifecycle controller, so nothing marks it NotReady or evicts its pods.
     */
    private void registerNode(int port) {
        client.nodes().resource(new io.fabric8.kubernetes.api.model.NodeBuilder()
                .withNewMetadata().withName(nodeName).addToLabels("kubernetes.io/hostname", nodeName).endMetadata()
                .build()).createOr(io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
        String now = now();
        // A merge patch, not an edit: the control plane's TTL controller annotates a new Node at once, and an edit that
        // read the Node before that loses the race with a 409.
        var status = new io.fabric8.kubernetes.api.model.NodeStatusBuilder()
                    .addNewAddress().withType("InternalIP").withAddress("127.0.0.1").endAddress()
                    .withNewDaemonEndpoints().withNewKubeletEndpoint().withPort(port).endKubeletEndpoint().endDaemonEndpoints()
                    .addNewCondition().withType("Ready").withStatus("True").withReason("KubeletReady")
                        .withMessage("the local kubelet is posting ready status").withLastHeartbeatTime(now)
                        .withLastTransitionTime(now).endCondition()
                    .withNewNodeInfo().withKubeletVersion("local").withOperatingSystem("linux").withArchitecture("amd64")
                        .withContainerRuntimeVersion("local://").withKernelVersion("").withOsImage("").withKubeProxyVersion("")
                        .withMachineID("").withSystemUUID("").withBootID("").endNodeInfo()
                    .build();
        client.nodes().withName(nodeName).subresource("status").patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                client.getKubernetesSerialization().asJson(java.util.Map.of("status", status)));
    }

    /**
     * As the scheduler would: the pod runs on this kubelet's Node, which is how the API server finds its logs. Runner pods
     * only: a pod bound to a node is deleted only once its kubelet says its containers stopped ({@link #terminate}),
     * which application pods, whose containers are not run, need not wait for.
     */
    private void bind(Pod pod) {
        if (crashed || pod.getSpec().getNodeName() != null) {
            return;
        }
        try {
            client.bindings().inNamespace(pod.getMetadata().getNamespace()).resource(new io.fabric8.kubernetes.api.model.BindingBuilder()
                    .withNewMetadata().withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid()).endMetadata()
                    .withNewTarget().withApiVersion("v1").withKind("Node").withName(nodeName).endTarget().build()).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e; // 409: bound already, by an earlier pass
            }
        }
    }

    /**
     * A pod of this node being deleted: its container is stopped, then the deletion is confirmed with a grace period of
     * 0, as a kubelet does; finalizers still hold the object until they are removed.
     */
    private void terminate(Pod pod) {
        PodRun run = runs.get(pod.getMetadata().getUid());
        if (run != null) {
            run.kill();
        }
        if (Long.valueOf(0).equals(pod.getMetadata().getDeletionGracePeriodSeconds())) {
            return; // confirmed already: what is left waits for its finalizers
        }
        try {
            client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .withGracePeriod(0).delete();
        } catch (KubernetesClientException e) {
            LOG.debug("pod {}/{}: {}", pod.getMetadata().getNamespace(), pod.getMetadata().getName(), e.getMessage());
        }
    }

    /** Where a pod's volumes, log, termination message, pid and exit code are kept. */
    private Path sandbox(String namespace, String pod) {
        return workDir.resolve(namespace).resolve(pod);
    }

    private Path logFile(String namespace, String pod) {
        return sandbox(namespace, pod).resolve("container.log");
    }

    /** What the pod's containers printed, as `kubectl logs` would show it (runner pods only). */
    public String logs(String namespace, String pod) {
        Path log = logFile(namespace, pod);
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (informer != null) {
            informer.stop();
        }
        runs.values().forEach(PodRun::kill);
        executor.shutdownNow();
        if (endpoint != null) {
            endpoint.close();
        }
    }

    private void submit(Pod pod) {
        if (crashed || ignored.test(pod)) {
            return;
        }
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            if (nodeName.equals(pod.getSpec().getNodeName())) {
                executor.execute(() -> terminate(pod));
            }
            return;
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
            return;
        }
        PodRun run = runs.computeIfAbsent(pod.getMetadata().getUid(), uid -> new PodRun(pod.getMetadata().getNamespace(),
                pod.getMetadata().getName()));
        if (!run.busy.compareAndSet(false, true)) {
            return; // one worker per pod at a time; the next resync brings it back
        }
        executor.execute(() -> {
            try {
                handle(pod, run);
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404 || e.getCode() == 409) {
                    LOG.debug("pod {}/{}: {}; retried at the next resync", pod.getMetadata().getNamespace(), pod.getMetadata().getName(), e.getMessage());
                } else {
                    LOG.warn("pod {}/{}: {}", pod.getMetadata().getNamespace(), pod.getMetadata().getName(), e.getMessage());
                }
            } catch (RuntimeException e) {
                LOG.warn("pod {}/{}", pod.getMetadata().getNamespace(), pod.getMetadata().getName(), e);
            } finally {
                run.busy.set(false);
            }
        });
    }

    private void handle(Pod pod, PodRun run) {
        if (run.started) {
            if (!run.runner) {
                syncReadiness(pod);
            }
            return;
        }
        Optional<Rule> fault = rules.stream().filter(r -> r.fault() != null && r.matches().test(pod)).findFirst();
        if (fault.isPresent() && fault.get().fault() == Fault.NEVER_START) {
            return;
        }
        Duration delay = rules.stream().filter(r -> r.fault() == null && r.matches().test(pod))
                .map(Rule::startDelay).max(Comparator.naturalOrder()).orElse(Duration.ZERO);
        if (!delay.isZero() && run.firstSeen.plus(delay).isAfter(Instant.now())) {
            return; // not yet: a resync brings it back
        }
        if (isRunner(pod)) {
            bind(pod);
        }
        if (isRunner(pod) && startedBefore(pod)) {
            adopt(pod, run);
        } else if (isRunner(pod)) {
            startRunner(pod, run, fault.map(Rule::fault).orElse(null));
        } else {
            startApp(pod, run, fault.map(Rule::fault).orElse(null));
        }
    }

    // ---- application pods ----

    private void startApp(Pod pod, PodRun run, Fault fault) {
        String now = now();
        editStatus(pod, status -> {
            status.setPhase("Running");
            status.setStartTime(now);
            status.setPodIP("10.244.0." + (1 + Math.abs(pod.getMetadata().getUid().hashCode() % 250)));
            status.setInitContainerStatuses(pod.getSpec().getInitContainers().stream().map(c -> terminatedStatus(c, 0, "Completed", null, now)).toList());
            status.setContainerStatuses(pod.getSpec().getContainers().stream().map(c -> runningStatus(c, fault != Fault.NODE_LOST, now)).toList());
            setCondition(status, "PodScheduled", true, null, now);
            setCondition(status, "Initialized", true, null, now);
            setCondition(status, "ContainersReady", fault != Fault.NODE_LOST, fault == Fault.NODE_LOST ? "NodeLost" : null, now);
            setCondition(status, "Ready", fault != Fault.NODE_LOST && gatesOpen(pod, status), readyReason(pod, status, fault), now);
        });
        // Only once the status is written: a write that failed (a conflict) is retried at the next resync.
        run.lost = fault == Fault.NODE_LOST;
        run.started = true;
    }

    private void syncReadiness(Pod pod) {
        if (runs.get(pod.getMetadata().getUid()) != null && runs.get(pod.getMetadata().getUid()).lost) {
            return;
        }
        PodStatus current = pod.getStatus();
        if (current == null) {
            return;
        }
        boolean containersReady = current.getContainerStatuses() != null && current.getContainerStatuses().stream().allMatch(ContainerStatus::getReady);
        boolean ready = containersReady && gatesOpen(pod, current);
        boolean shown = conditionTrue(current, "Ready");
        if (ready != shown) {
            String now = now();
            editStatus(pod, status -> setCondition(status, "Ready", ready, readyReason(pod, status, null), now));
        }
    }

    private static boolean gatesOpen(Pod pod, PodStatus status) {
        List<PodReadinessGate> gates = pod.getSpec().getReadinessGates() == null ? List.of() : pod.getSpec().getReadinessGates();
        return gates.stream().allMatch(g -> conditionTrue(status, g.getConditionType()));
    }

    private static String readyReason(Pod pod, PodStatus status, Fault fault) {
        if (fault == Fault.NODE_LOST) {
            return "NodeLost";
        }
        return gatesOpen(pod, status) ? null : "ReadinessGatesNotReady";
    }

    // ---- runner pods ----

    /** The lockstep commands the operator runs in runner pods: migrate Jobs, and validate for drift checks. */
    private static final java.util.Set<String> RUNNER_COMMANDS = java.util.Set.of("migrate", "validate", "plan", "info");

    private static boolean isRunner(Pod pod) {
        return pod.getSpec().getContainers().stream()
                .anyMatch(c -> "runner".equals(c.getName()) && c.getArgs() != null && !c.getArgs().isEmpty()
                        && RUNNER_COMMANDS.contains(c.getArgs().get(0)));
    }

    private void startRunner(Pod pod, PodRun run, Fault fault) {
        String ns = pod.getMetadata().getNamespace();
        Path sandbox = sandbox(ns, pod.getMetadata().getName());
        Container runner = pod.getSpec().getContainers().stream().filter(c -> "runner".equals(c.getName())).findFirst().orElseThrow();

        Map<String, Path> volumes = new LinkedHashMap<>();
        for (Volume volume : pod.getSpec().getVolumes()) {
            Path dir = sandbox.resolve("volumes").resolve(volume.getName());
            Optional<String> failure = Optional.empty();
            if (volume.getConfigMap() != null) {
                ConfigMap cm = client.configMaps().inNamespace(ns).withName(volume.getConfigMap().getName()).get();
                failure = cm == null ? Optional.of("configmap \"" + volume.getConfigMap().getName() + "\" not found")
                        : project(dir, cm.getData() == null ? Map.of() : cm.getData(), volume.getConfigMap().getItems(),
                                "configmap references non-existent config key: ");
            } else if (volume.getSecret() != null) {
                Secret secret = client.secrets().inNamespace(ns).withName(volume.getSecret().getSecretName()).get();
                failure = secret == null ? Optional.of("secret \"" + volume.getSecret().getSecretName() + "\" not found")
                        : project(dir, decoded(secret), volume.getSecret().getItems(), "references non-existent secret key: ");
            } else {
                createDirectories(dir);
            }
            if (failure.isPresent()) {
                // As a kubelet does: the container waits in ContainerCreating with no message, and the cause is an Event.
                waiting(pod, runner, "ContainerCreating", null);
                failedMount(pod, "MountVolume.SetUp failed for volume \"" + volume.getName() + "\" : " + failure.get());
                return;
            }
            volumes.put(volume.getName(), dir);
        }

        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar var : Objects.requireNonNullElse(runner.getEnv(), List.<EnvVar>of())) {
            Optional<String> problem = resolve(ns, var, env);
            if (problem.isPresent()) {
                waiting(pod, runner, "CreateContainerConfigError", problem.get());
                return;
            }
        }

        for (Container init : pod.getSpec().getInitContainers()) {
            Path image = images.get(init.getImage());
            if (image == null) {
                waitingInit(pod, init, "ErrImagePull", "image \"" + init.getImage() + "\" is not provided to the local kubelet");
                return;
            }
            copyInit(init, image, pod, volumes);
        }

        String startedAt = now();
        editStatus(pod, status -> {
            status.setPhase("Running");
            status.setStartTime(startedAt);
            status.setInitContainerStatuses(pod.getSpec().getInitContainers().stream().map(c -> terminatedStatus(c, 0, "Completed", null, startedAt)).toList());
            status.setContainerStatuses(List.of(runningStatus(runner, true, startedAt)));
            setCondition(status, "PodScheduled", true, null, startedAt);
            setCondition(status, "Initialized", true, null, startedAt);
            setCondition(status, "ContainersReady", true, null, startedAt);
            setCondition(status, "Ready", true, null, startedAt);
        });
        run.runner = true;
        run.started = true;

        if (fault == Fault.NODE_LOST) {
            run.lost = true;
            editStatus(pod, status -> setCondition(status, "Ready", false, "NodeLost", now()));
            return;
        }
        if (fault == Fault.OOM_KILLED) {
            finish(pod, runner, 137, "OOMKilled", "", startedAt);
            return;
        }
        executor.execute(() -> runRunner(pod, runner, run, sandbox, volumes, env, startedAt));
    }

    private void runRunner(Pod pod, Container runner, PodRun run, Path sandbox, Map<String, Path> volumes,
                           Map<String, String> env, String startedAt) {
        Path terminationLog = sandbox.resolve("termination-log");
        Path log = sandbox.resolve("container.log");
        // Through a shell that records its pid and then the exit code, each written whole (a rename): a kubelet started
        // later, this process killed meanwhile, finds the runner by the one and its end by the other.
        List<String> command = new ArrayList<>(List.of("sh", "-c", "echo $$ > \"$LOCAL_KUBELET_PID_FILE.tmp\""
                + " && mv \"$LOCAL_KUBELET_PID_FILE.tmp\" \"$LOCAL_KUBELET_PID_FILE\"; \"$@\"; code=$?;"
                + " echo $code > \"$LOCAL_KUBELET_EXIT_FILE.tmp\" && mv \"$LOCAL_KUBELET_EXIT_FILE.tmp\" \"$LOCAL_KUBELET_EXIT_FILE\";"
                + " exit $code", "sh"));
        RunnerClassArchive.Use archive = classArchive.map(RunnerClassArchive::next).orElse(new RunnerClassArchive.Use(List.of(), false));
        command.add(lockstepCommand.get(0));
        command.addAll(archive.flags());
        command.addAll(lockstepCommand.subList(1, lockstepCommand.size()));
        String terminationPath = runner.getTerminationMessagePath() == null ? "/dev/termination-log" : runner.getTerminationMessagePath();
        for (String arg : runner.getArgs()) {
            command.add(mapPath(arg, runner, volumes, terminationPath, terminationLog));
        }
        try {
            Files.writeString(terminationLog, "");
            Files.deleteIfExists(sandbox.resolve(EXIT_FILE));
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            Map<String, String> processEnv = pb.environment();
            processEnv.keySet().removeIf(k -> k.startsWith("LOCKSTEP_") || k.startsWith("OTEL_") || k.equals("TRACEPARENT")
                    || k.equals("JAVA_TOOL_OPTIONS")); // a pod has only its own env
            env.forEach((k, v) -> {
                if (!k.equals("JAVA_TOOL_OPTIONS")) {
                    processEnv.put(k, mapPath(v, runner, volumes, terminationPath, terminationLog));
                }
            });
            processEnv.put("LOCAL_KUBELET_EXIT_FILE", sandbox.resolve(EXIT_FILE).toString());
            processEnv.put("LOCAL_KUBELET_PID_FILE", sandbox.resolve(PID_FILE).toString());
            Files.deleteIfExists(sandbox.resolve(PID_FILE));
            if (crashed || run.killed) {
                return; // died before the container started: its successor starts it
            }
            Process process = pb.start();
            run.process = process;
            int exit = process.waitFor();
            if (run.killed) {
                return;
            }
            report(pod, runner, exit, sandbox, startedAt);
        } catch (IOException e) {
            LOG.warn("runner pod {}/{} could not run: {}", pod.getMetadata().getNamespace(), pod.getMetadata().getName(), e.getMessage());
            finish(pod, runner, 128, "StartError", e.getMessage(), startedAt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (archive.writes()) {
                classArchive.get().written(); // or, when this runner did not get to write it, let the next one
            }
        }
    }

    /** Ends the pod with the runner's exit code and the termination message it wrote. */
    private void report(Pod pod, Container runner, int exit, Path sandbox, String startedAt) throws IOException {
        String message = Files.readString(sandbox.resolve("termination-log"), StandardCharsets.UTF_8);
        if (message.length() > MAX_TERMINATION_MESSAGE) {
            message = message.substring(0, MAX_TERMINATION_MESSAGE);
        }
        if (message.isBlank() && exit != 0 && "FallbackToLogsOnError".equals(runner.getTerminationMessagePolicy())) {
            String all = Files.readString(sandbox.resolve("container.log"), StandardCharsets.UTF_8);
            message = all.length() > LOG_TAIL_BYTES ? all.substring(all.length() - LOG_TAIL_BYTES) : all;
        }
        finish(pod, runner, exit, exit == 0 ? "Completed" : "Error", message, startedAt);
    }

    /** A runner pod shown Running: started by a kubelet before this one, on the same work directory or not. */
    private static boolean startedBefore(Pod pod) {
        return pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase()) && pod.getStatus().getContainerStatuses() != null
                && pod.getStatus().getContainerStatuses().stream().anyMatch(c -> c.getState() != null && c.getState().getRunning() != null);
    }

    /**
     * A kubelet that restarts finds its containers again rather than running them twice: the runner's process is
     * waited for if it still runs, its recorded exit code read if it ended meanwhile, and a container that is gone
     * without one is reported as a kubelet reports it (ContainerStatusUnknown, exit 137).
     */
    private void adopt(Pod pod, PodRun run) {
        Container runner = pod.getSpec().getContainers().stream().filter(c -> "runner".equals(c.getName())).findFirst().orElseThrow();
        Path sandbox = sandbox(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
        String startedAt = pod.getStatus().getContainerStatuses().stream().filter(c -> c.getState().getRunning() != null)
                .map(c -> c.getState().getRunning().getStartedAt()).findFirst().orElse(now());
        run.runner = true;
        run.started = true;
        executor.execute(() -> {
            try {
                Optional<ProcessHandle> alive = recordedProcess(sandbox.resolve(PID_FILE));
                if (alive.isPresent()) {
                    LOG.info("runner pod {}/{}: found its runner (pid {}) still running; waiting for it", pod.getMetadata().getNamespace(),
                            pod.getMetadata().getName(), alive.get().pid());
                    run.adopted = alive.get();
                    alive.get().onExit().join();
                    if (run.killed) {
                        return;
                    }
                    awaitExitFile(sandbox.resolve(EXIT_FILE));
                }
                Path exitFile = sandbox.resolve(EXIT_FILE);
                if (Files.exists(exitFile)) {
                    report(pod, runner, Integer.parseInt(Files.readString(exitFile).strip()), sandbox, startedAt);
                } else {
                    containerGone(pod, runner, startedAt);
                }
            } catch (IOException | NumberFormatException e) {
                LOG.warn("runner pod {}/{}: could not read what its runner left: {}", pod.getMetadata().getNamespace(),
                        pod.getMetadata().getName(), e.getMessage());
                containerGone(pod, runner, startedAt);
            }
        });
    }

    /** A container gone without an exit code, reported in a kubelet's words. */
    private void containerGone(Pod pod, Container runner, String startedAt) {
        finish(pod, runner, 137, "ContainerStatusUnknown", "The container could not be located when the pod was terminated", startedAt);
    }

    /**
     * The process the pid file names, if it still runs and is still a shell running lockstep (a pid can be reused once
     * its process ended).
     */
    private static Optional<ProcessHandle> recordedProcess(Path pidFile) throws IOException {
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        return ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).filter(ProcessHandle::isAlive)
                .filter(p -> p.info().arguments().map(args -> String.join(" ", args).contains("dev.lockstep")).orElse(true));
    }

    /** The shell writes the exit code just before it exits: give it a moment to land. */
    private static void awaitExitFile(Path exitFile) {
        for (int i = 0; i < 50 && !Files.exists(exitFile); i++) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void finish(Pod pod, Container runner, int exit, String reason, String message, String startedAt) {
        String now = now();
        editStatus(pod, status -> {
            status.setPhase(exit == 0 ? "Succeeded" : "Failed");
            status.setContainerStatuses(List.of(terminatedStatus(runner, exit, reason, message, startedAt, now)));
            setCondition(status, "ContainersReady", false, "PodCompleted", now);
            setCondition(status, "Ready", false, "PodCompleted", now);
        });
    }

    /** Rewrites a container path (a mount, or the termination-message path) to its place in the sandbox. */
    private static String mapPath(String value, Container container, Map<String, Path> volumes, String terminationPath, Path terminationLog) {
        if (value.equals(terminationPath)) {
            return terminationLog.toString();
        }
        for (VolumeMount mount : Objects.requireNonNullElse(container.getVolumeMounts(), List.<VolumeMount>of())) {
            String mountPath = mount.getMountPath();
            if (value.equals(mountPath) || value.startsWith(mountPath + "/")) {
                return volumes.get(mount.getName()) + value.substring(mountPath.length());
            }
        }
        return value;
    }

    private void copyInit(Container init, Path imageRoot, Pod pod, Map<String, Path> volumes) {
        List<String> command = init.getCommand();
        if (command == null || command.size() != 4 || !command.get(0).equals("cp") || !command.get(1).equals("-R")) {
            throw new IllegalStateException("the local kubelet runs only `cp -R <from>/. <to>/` init containers, not " + command);
        }
        String from = command.get(2).endsWith("/.") ? command.get(2).substring(0, command.get(2).length() - 2) : command.get(2);
        Path source = imageRoot.resolve(from.startsWith("/") ? from.substring(1) : from);
        Path target = Path.of(mapPath(command.get(3).replaceAll("/$", ""), init, volumes, "", Path.of("")));
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : files.toList()) {
                Path dest = target.resolve(source.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(file, dest, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cp -R " + source + " " + target + " (pod " + pod.getMetadata().getName() + ")", e);
        }
    }

    /** Resolves one env var into {@code env}; on failure, the kubelet's own message. */
    private Optional<String> resolve(String ns, EnvVar var, Map<String, String> env) {
        if (var.getValueFrom() == null) {
            env.put(var.getName(), Objects.requireNonNullElse(var.getValue(), ""));
            return Optional.empty();
        }
        var secretRef = var.getValueFrom().getSecretKeyRef();
        if (secretRef != null) {
            Secret secret = client.secrets().inNamespace(ns).withName(secretRef.getName()).get();
            if (secret == null) {
                return Boolean.TRUE.equals(secretRef.getOptional()) ? Optional.empty()
                        : Optional.of("secret \"" + secretRef.getName() + "\" not found");
            }
            String value = decoded(secret).get(secretRef.getKey());
            if (value == null) {
                return Optional.of("couldn't find key " + secretRef.getKey() + " in Secret " + ns + "/" + secretRef.getName());
            }
            env.put(var.getName(), value);
            return Optional.empty();
        }
        var configMapRef = var.getValueFrom().getConfigMapKeyRef();
        if (configMapRef != null) {
            ConfigMap cm = client.configMaps().inNamespace(ns).withName(configMapRef.getName()).get();
            if (cm == null || cm.getData() == null || !cm.getData().containsKey(configMapRef.getKey())) {
                return Optional.of("configmap \"" + configMapRef.getName() + "\" not found or has no key " + configMapRef.getKey());
            }
            env.put(var.getName(), cm.getData().get(configMapRef.getKey()));
            return Optional.empty();
        }
        return Optional.empty();
    }

    private void waiting(Pod pod, Container container, String reason, String message) {
        String now = now();
        editStatus(pod, status -> {
            status.setPhase("Pending");
            status.setContainerStatuses(List.of(new ContainerStatusBuilder().withName(container.getName()).withImage(container.getImage())
                    .withImageID("").withReady(false).withRestartCount(0)
                    .withNewState().withNewWaiting().withReason(reason).withMessage(message).endWaiting().endState().build()));
            setCondition(status, "PodScheduled", true, null, now);
        });
    }

    private void waitingInit(Pod pod, Container init, String reason, String message) {
        String now = now();
        editStatus(pod, status -> {
            status.setPhase("Pending");
            status.setInitContainerStatuses(List.of(new ContainerStatusBuilder().withName(init.getName()).withImage(init.getImage())
                    .withImageID("").withReady(false).withRestartCount(0)
                    .withNewState().withNewWaiting().withReason(reason).withMessage(message).endWaiting().endState().build()));
            setCondition(status, "PodScheduled", true, null, now);
        });
    }

    private void editStatus(Pod pod, java.util.function.Consumer<PodStatus> change) {
        if (crashed) {
            return; // a dead kubelet reports nothing; its successor does
        }
        client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).editStatus(p -> {
            if (p.getStatus() == null) {
                p.setStatus(new PodStatus());
            }
            if (p.getStatus().getConditions() == null) {
                p.getStatus().setConditions(new ArrayList<>());
            }
            change.accept(p.getStatus());
            return p;
        });
    }

    private static ContainerStatus runningStatus(Container c, boolean ready, String startedAt) {
        return new ContainerStatusBuilder().withName(c.getName()).withImage(c.getImage()).withImageID("local://" + c.getImage())
                .withContainerID("local://" + c.getName()).withReady(ready).withStarted(true).withRestartCount(0)
                .withNewState().withNewRunning().withStartedAt(startedAt).endRunning().endState().build();
    }

    private static ContainerStatus terminatedStatus(Container c, int exit, String reason, String message, String startedAt) {
        return terminatedStatus(c, exit, reason, message, startedAt, startedAt);
    }

    private static ContainerStatus terminatedStatus(Container c, int exit, String reason, String message, String startedAt, String finishedAt) {
        return new ContainerStatusBuilder().withName(c.getName()).withImage(c.getImage()).withImageID("local://" + c.getImage())
                .withContainerID("local://" + c.getName()).withReady(false).withStarted(false).withRestartCount(0)
                .withNewState().withNewTerminated().withExitCode(exit).withReason(reason)
                .withMessage(message == null || message.isEmpty() ? null : message)
                .withStartedAt(startedAt).withFinishedAt(finishedAt).endTerminated().endState().build();
    }

    private static void setCondition(PodStatus status, String type, boolean value, String reason, String now) {
        List<PodCondition> conditions = status.getConditions();
        Optional<PodCondition> existing = conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
        String text = value ? "True" : "False";
        if (existing.isPresent() && text.equals(existing.get().getStatus()) && Objects.equals(reason, existing.get().getReason())) {
            return;
        }
        PodCondition updated = new PodConditionBuilder().withType(type).withStatus(text).withReason(reason)
                .withLastProbeTime(null).withLastTransitionTime(now).build();
        existing.ifPresentOrElse(c -> conditions.set(conditions.indexOf(c), updated), () -> conditions.add(updated));
    }

    private static boolean conditionTrue(PodStatus status, String type) {
        return status.getConditions() != null && status.getConditions().stream()
                .anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** The volume's files: every key, or the items named (each key to its path); a missing key is the kubelet's error. */
    private static Optional<String> project(Path dir, Map<String, String> data, List<io.fabric8.kubernetes.api.model.KeyToPath> items,
                                            String missingKey) {
        if (items == null || items.isEmpty()) {
            writeFiles(dir, data);
            return Optional.empty();
        }
        Map<String, String> files = new LinkedHashMap<>();
        for (var item : items) {
            if (!data.containsKey(item.getKey())) {
                return Optional.of(missingKey + item.getKey());
            }
            files.put(item.getPath(), data.get(item.getKey()));
        }
        writeFiles(dir, files);
        return Optional.empty();
    }

    /** A Secret's keys and values, decoded; data wins over stringData (which the API server folds into data anyway). */
    private static Map<String, String> decoded(Secret secret) {
        Map<String, String> data = new LinkedHashMap<>();
        if (secret.getStringData() != null) {
            data.putAll(secret.getStringData());
        }
        if (secret.getData() != null) {
            secret.getData().forEach((k, v) -> data.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        }
        return data;
    }

    /** A FailedMount Warning Event on the pod, once per pod and message, as the kubelet records one. */
    private void failedMount(Pod pod, String message) {
        String key = pod.getMetadata().getUid() + "\n" + message;
        if (!reportedMounts.add(key)) {
            return;
        }
        String now = now();
        try {
            client.v1().events().inNamespace(pod.getMetadata().getNamespace()).resource(new io.fabric8.kubernetes.api.model.EventBuilder()
                    .withNewMetadata().withName(pod.getMetadata().getName() + "." + Long.toHexString(System.nanoTime())).endMetadata()
                    .withType("Warning").withReason("FailedMount").withMessage(message)
                    .withNewInvolvedObject().withKind("Pod").withApiVersion("v1").withNamespace(pod.getMetadata().getNamespace())
                        .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid()).endInvolvedObject()
                    .withNewSource().withComponent("kubelet").withHost(nodeName).endSource()
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1).build()).create();
        } catch (KubernetesClientException e) {
            reportedMounts.remove(key);
            LOG.debug("FailedMount event for {}: {}", pod.getMetadata().getName(), e.getMessage());
        }
    }

    private static void writeFiles(Path dir, Map<String, String> data) {
        createDirectories(dir);
        data.forEach((name, content) -> {
            try {
                Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** What the kubelet knows of one pod. */
    private static final class PodRun {
        final java.util.concurrent.atomic.AtomicBoolean busy = new java.util.concurrent.atomic.AtomicBoolean();
        final Instant firstSeen = Instant.now();
        final String namespace;
        final String name;
        volatile boolean started;
        volatile boolean runner;
        volatile boolean lost;
        volatile boolean killed;
        volatile Process process;
        /** A runner started by an earlier kubelet, found again. */
        volatile ProcessHandle adopted;

        PodRun(String namespace, String name) {
            this.namespace = namespace;
            this.name = name;
        }

        boolean alive() {
            Process p = process;
            ProcessHandle a = adopted;
            return (p != null && p.isAlive()) || (a != null && a.isAlive());
        }

        void kill() {
            killed = true;
            for (ProcessHandle p : new ProcessHandle[] {process == null ? null : process.toHandle(), adopted}) {
                if (p != null) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            }
        }
    }
}
