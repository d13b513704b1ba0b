package dev.lockstep.operator.observe;

import dev.lockstep.api.v1alpha1.Reason;
import dev.lockstep.operator.jobs.RunnerJobFactory;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Reads a runner Job and its pods into a {@link RunnerState}. Pure: no API calls. */
public final class RunnerObserver {
    private static final Set<String> IMAGE_PROBLEMS = Set.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull");

    private RunnerObserver() {}

    public static RunnerState observe(Job job, Collection<Pod> allPods) {
        return observe(job, allPods, Map.of());
    }

    /** @param mountFailures the FailedMount message of each pod waiting to start, by name (see {@link Observation}) */
    public static RunnerState observe(Job job, Collection<Pod> allPods, Map<String, String> mountFailures) {
        List<Pod> pods = podsOf(job, allPods);
        Optional<Pod> newest = pods.stream().max(Comparator.comparing(p -> p.getMetadata().getCreationTimestamp() == null
                ? "" : p.getMetadata().getCreationTimestamp()));

        if (hasCondition(job, "Complete")) {
            Optional<RunnerReport> report = pods.stream().map(RunnerObserver::terminationMessage)
                    .flatMap(Optional::stream).map(RunnerReport::parse).flatMap(Optional::stream)
                    .filter(RunnerReport::succeeded).findFirst();
            if (report.isPresent()) {
                return new RunnerState.Succeeded(report.get());
            }
            if (pods.stream().anyMatch(RunnerObserver::notYetEnded)) {
                // The Job and pod caches are fed by separate watches: the Job controller saw the pod end before our
                // pod cache did. Its result arrives with the pod's next event; reading "no result" now would fail a
                // migration that succeeded.
                return new RunnerState.Running();
            }
            return new RunnerState.Failed(Optional.empty(), "NoResult",
                    "the runner Job completed but its pod reported no result; was the runner image replaced?", true);
        }
        if (hasCondition(job, "Failed")) {
            JobCondition failed = condition(job, "Failed").orElseThrow();
            if (!"DeadlineExceeded".equals(failed.getReason()) && newest.filter(RunnerObserver::notYetEnded)
                    .filter(p -> statuses(p, false).anyMatch(st -> st.getState() != null && st.getState().getRunning() != null)).isPresent()) {
                // As above: the pod's own account (SQLSTATE, script, line) is on its way; a deadline is not.
                return new RunnerState.Running();
            }
            Optional<RunnerReport> report = newest.flatMap(RunnerObserver::terminationMessage).flatMap(RunnerReport::parse);
            Optional<ContainerStateTerminated> terminated = newest.flatMap(RunnerObserver::runnerTerminated);
            String reason = terminated.map(ContainerStateTerminated::getReason).filter(r -> r != null && !r.equals("Error"))
                    .orElse(failed.getReason());
            String message = terminated.map(ContainerStateTerminated::getMessage).filter(m -> report.isEmpty() && m != null)
                    .orElse(failed.getMessage());
            return new RunnerState.Failed(report, reason, message, terminated.isPresent());
        }
        if (newest.isEmpty()) {
            return new RunnerState.Starting("waiting for the Job controller to create the runner pod", false);
        }
        Pod pod = newest.get();
        Optional<RunnerState> blocked = blocked(pod).or(() -> unmountable(job, pod, mountFailures));
        if (blocked.isPresent()) {
            return blocked.get();
        }
        boolean running = statuses(pod, false).anyMatch(s -> s.getState() != null && s.getState().getRunning() != null);
        if (running) {
            return new RunnerState.Running();
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        // The same words before and after the pod is scheduled: a status write per run for a moment's state is not
        // worth it (the pod's own conditions say why it waits for a node).
        return new RunnerState.Starting("runner pod " + pod.getMetadata().getName() + " is " + (phase == null ? "Pending" : phase),
                onNode(pod));
    }

    /**
     * A volume the kubelet cannot mount: its FailedMount Event, in the kubelet's words ("MountVolume.SetUp failed for
     * volume "tls-ca" : configmap "orders-db-ca" not found"), told as the field that names the object.
     */
    static Optional<RunnerState> unmountable(Job job, Pod pod, Map<String, String> mountFailures) {
        String event = mountFailures.get(pod.getMetadata().getName());
        if (event == null || !waitingToStart(pod)) {
            return Optional.empty();
        }
        Matcher m = MOUNT_FAILURE.matcher(event);
        if (!m.find()) {
            return Optional.of(new RunnerState.Starting("runner pod " + pod.getMetadata().getName() + " waits for a volume: " + event, true));
        }
        String volume = m.group(1);
        String cause = m.group(2);
        String field = VOLUME_FIELDS.getOrDefault(volume, "volume " + volume);
        String namespace = pod.getMetadata().getNamespace();
        Matcher missing = MISSING_OBJECT.matcher(cause);
        if (missing.matches()) {
            boolean secret = missing.group(1).equals("secret");
            return Optional.of(new RunnerState.Blocked(secret ? Reason.SecretNotFound : Reason.ConfigMapNotFound,
                    (secret ? "Secret " : "ConfigMap ") + missing.group(2) + " (" + field + ") does not exist in namespace "
                            + namespace + ": create it; the run starts by itself once it exists (the kubelet: " + event + ")", field));
        }
        Matcher key = MISSING_KEY.matcher(cause);
        if (key.find()) {
            boolean secret = key.group(1).equals("secret");
            return Optional.of(new RunnerState.Blocked(secret ? Reason.SecretKeyNotFound : Reason.ConfigMapKeyNotFound,
                    "the " + (secret ? "Secret" : "ConfigMap") + " of " + field + " has no key " + key.group(2) + ": add it, or"
                            + " name the key it has in " + field + "; the run starts by itself once it is there (the kubelet: "
                            + event + ")", field));
        }
        return Optional.of(new RunnerState.Blocked(Reason.RunnerFailed, "the kubelet cannot mount " + field + ": " + event, field));
    }

    /** The spec field behind each of the runner pod's volumes. */
    private static final Map<String, String> VOLUME_FIELDS = Map.of(
            RunnerJobFactory.TLS_CA_VOLUME, "spec.database.tls.ca",
            RunnerJobFactory.TLS_CLIENT_VOLUME, "spec.database.tls.clientCertificate",
            RunnerJobFactory.MIGRATIONS_VOLUME, "spec.source.configMapRef",
            RunnerJobFactory.CREDENTIALS_VOLUME, "spec.database.credentialsSecretRef");
    private static final Pattern MOUNT_FAILURE = Pattern.compile("MountVolume\\.SetUp failed for volume \"([^\"]+)\" : (.*)$");
    private static final Pattern MISSING_OBJECT = Pattern.compile("(secret|configmap) \"([^\"]+)\" not found");
    private static final Pattern MISSING_KEY = Pattern.compile("non-existent (secret|config) key: (\\S+)");

    /**
     * Pending on a node, its runner container neither running nor ended: what a pod whose volumes cannot be mounted looks
     * like. A pod no node has taken yet mounts nothing, so it has no mount failure to look for.
     */
    public static boolean waitingToStart(Pod pod) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return onNode(pod) && (phase == null || "Pending".equals(phase)) && statuses(pod, false)
                .noneMatch(s -> s.getState() != null && (s.getState().getRunning() != null || s.getState().getTerminated() != null));
    }

    private static boolean onNode(Pod pod) {
        return pod.getSpec() != null && pod.getSpec().getNodeName() != null && !pod.getSpec().getNodeName().isEmpty();
    }

    private static Optional<RunnerState> blocked(Pod pod) {
        return statuses(pod, true)
                .filter(s -> s.getState() != null && s.getState().getWaiting() != null)
                .map(s -> {
                    ContainerStateWaiting waiting = s.getState().getWaiting();
                    String reason = waiting.getReason() == null ? "" : waiting.getReason();
                    String message = waiting.getMessage() == null ? reason : waiting.getMessage();
                    if (reason.equals("CreateContainerConfigError") && message.startsWith("couldn't find key ")) {
                        return (RunnerState) new RunnerState.Blocked(Reason.SecretKeyNotFound, message); // the kubelet's words
                    }
                    if (reason.equals("CreateContainerConfigError") && message.toLowerCase(java.util.Locale.ROOT).contains("secret")) {
                        return (RunnerState) new RunnerState.Blocked(Reason.SecretNotFound, message);
                    }
                    if (reason.equals("CreateContainerConfigError")) {
                        return (RunnerState) new RunnerState.Blocked(Reason.RunnerFailed, message);
                    }
                    if (IMAGE_PROBLEMS.contains(reason)) {
                        return (RunnerState) new RunnerState.Blocked(Reason.ImagePullFailed,
                                "container " + s.getName() + " cannot pull " + s.getImage() + ": " + message);
                    }
                    return null;
                })
                .filter(java.util.Objects::nonNull)
                .findFirst();
    }

    static List<Pod> podsOf(Job job, Collection<Pod> pods) {
        String uid = job.getMetadata().getUid();
        String name = job.getMetadata().getName();
        return pods.stream().filter(p -> {
            var labels = p.getMetadata().getLabels();
            boolean byLabel = labels != null && (name.equals(labels.get("job-name")) || (uid != null && uid.equals(labels.get("controller-uid"))));
            boolean byOwner = p.getMetadata().getOwnerReferences() != null && p.getMetadata().getOwnerReferences().stream()
                    .anyMatch(o -> "Job".equals(o.getKind()) && (uid != null ? uid.equals(o.getUid()) : name.equals(o.getName())));
            return byLabel || byOwner;
        }).toList();
    }

    /** The pod, as this cache shows it, has not ended and its runner container has not terminated. */
    private static boolean notYetEnded(Pod pod) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return !"Succeeded".equals(phase) && !"Failed".equals(phase) && runnerTerminated(pod).isEmpty();
    }

    private static Optional<String> terminationMessage(Pod pod) {
        return runnerTerminated(pod).map(ContainerStateTerminated::getMessage).filter(m -> !m.isBlank());
    }

    private static Optional<ContainerStateTerminated> runnerTerminated(Pod pod) {
        return statuses(pod, false)
                .filter(s -> RunnerJobFactory.RUNNER_CONTAINER.equals(s.getName()))
                .map(s -> s.getState() != null && s.getState().getTerminated() != null ? s.getState().getTerminated()
                        : s.getLastState() != null ? s.getLastState().getTerminated() : null)
                .filter(java.util.Objects::nonNull)
                .findFirst();
    }

    private static Stream<ContainerStatus> statuses(Pod pod, boolean withInit) {
        if (pod.getStatus() == null) {
            return Stream.empty();
        }
        Stream<ContainerStatus> main = pod.getStatus().getContainerStatuses() == null ? Stream.empty() : pod.getStatus().getContainerStatuses().stream();
        if (!withInit || pod.getStatus().getInitContainerStatuses() == null) {
            return main;
        }
        return Stream.concat(pod.getStatus().getInitContainerStatuses().stream(), main);
    }

    /** Neither complete nor failed: its pod may be running against the database right now. */
    public static boolean isActive(Job job) {
        return !hasCondition(job, "Complete") && !hasCondition(job, "Failed");
    }

    private static boolean hasCondition(Job job, String type) {
        return condition(job, type).isPresent();
    }

    private static Optional<JobCondition> condition(Job job, String type) {
        if (job.getStatus() == null || job.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return job.getStatus().getConditions().stream()
                .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
                .findFirst();
    }
}
