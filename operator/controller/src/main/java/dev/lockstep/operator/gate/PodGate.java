package dev.lockstep.operator.gate;

import dev.lockstep.api.v1alpha1.Reason;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.Revisions;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The rolling gate's rule, pure: a pod that names a SchemaMigration and a required revision may become Ready only
 * when that SchemaMigration reports the database at that revision or above.
 */
public final class PodGate {
    /** Label naming the SchemaMigration (in the pod's namespace) whose database the pod uses. */
    public static final String SCHEMA_LABEL = "lockstep.dev/schema";
    /** Label (or annotation) with the revision the pod's code needs, e.g. "7". */
    public static final String REQUIRES_REVISION = "lockstep.dev/requires-revision";
    /** The readiness gate's condition type, set on the pod by the operator. */
    public static final String CONDITION = "lockstep.dev/schema-ready";

    private PodGate() {}

    /** What the pod's {@value #CONDITION} condition should say. */
    public record Decision(boolean open, Reason reason, String message) {}

    public static Optional<String> schemaName(Pod pod) {
        return Optional.ofNullable(pod.getMetadata().getLabels()).map(l -> l.get(SCHEMA_LABEL)).filter(s -> !s.isBlank());
    }

    /** The required revision from the label, else the annotation. */
    public static Optional<String> requiredRevision(Pod pod) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        String value = labels != null && labels.containsKey(REQUIRES_REVISION) ? labels.get(REQUIRES_REVISION)
                : annotations != null ? annotations.get(REQUIRES_REVISION) : null;
        return Optional.ofNullable(value).map(String::strip);
    }

    public static boolean hasGate(Pod pod) {
        return pod.getSpec() != null && pod.getSpec().getReadinessGates() != null
                && pod.getSpec().getReadinessGates().stream().anyMatch(g -> CONDITION.equals(g.getConditionType()));
    }

    public static Decision decide(Pod pod, Optional<SchemaMigration> migration) {
        String namespace = pod.getMetadata().getNamespace();
        String schema = schemaName(pod).orElse("");
        Optional<String> required = requiredRevision(pod);
        if (required.isEmpty() || !Revisions.isVersion(required.get())) {
            return new Decision(false, Reason.InvalidRequiredRevision, "pod label " + REQUIRES_REVISION + " must be a version"
                    + " such as \"7\"" + required.map(r -> ", got \"" + r + "\"").orElse(", and it is missing")
                    + ": set it in the pod template");
        }
        if (migration.isEmpty()) {
            return new Decision(false, Reason.SchemaMigrationNotFound, "SchemaMigration " + schema + " (pod label "
                    + SCHEMA_LABEL + ") does not exist in namespace " + namespace + ": fix the label or create it");
        }
        SchemaMigration sm = migration.get();
        String current = sm.getStatus() == null ? null : sm.getStatus().getCurrentRevision();
        if (current != null && Revisions.isVersion(current) && Revisions.compare(current, required.get()) >= 0) {
            return new Decision(true, Reason.SchemaReady, "database at revision " + current + ", this pod requires " + required.get());
        }
        // When the migration needs a person, the pod says why and in which phase, so `kubectl describe pod` leads to the
        // cause. While a run goes as it should, the phase is left out: each phase of a run (Pending, Migrating, ...) would
        // otherwise cost every held pod one more status patch, and 500 held pods 500 requests, for words the
        // SchemaMigration's own status already says.
        Optional<String> stalled = sm.getStatus() == null ? Optional.empty() : sm.getStatus().getConditions().stream()
                .filter(c -> "Stalled".equals(c.getType()) && "True".equals(c.getStatus())).findFirst()
                .map(c -> c.getMessage() == null ? "" : c.getMessage().length() > 300 ? c.getMessage().substring(0, 300) + "..." : c.getMessage());
        String phase = stalled.isPresent() && sm.getStatus().getPhase() != null ? ", " + sm.getStatus().getPhase() : "";
        return new Decision(false, Reason.SchemaBehind, "this pod requires revision " + required.get() + "; SchemaMigration "
                + sm.getMetadata().getName() + " reports the database at " + (current == null ? "an unknown revision" : current)
                + " (target " + sm.getSpec().getTargetRevision() + phase + ")" + stalled.map(m -> ": " + m).orElse(""));
    }

    /** Whether the pod is held: it needs a revision the SchemaMigration has not reported. */
    public static boolean held(Pod pod, SchemaMigration sm) {
        return !decide(pod, Optional.of(sm)).open();
    }

    /** The pods among {@code pods} that consume {@code sm}'s schema and still run or may run, by name. */
    public static List<Pod> consumers(Collection<Pod> pods, SchemaMigration sm) {
        return of(pods, sm).filter(p -> !terminal(p)).toList();
    }

    /**
     * The pods of {@code sm} whose code may still be running: those {@link #consumers} and those terminating. A
     * terminating pod keeps serving in-flight requests and running its workers through its grace period, so a step
     * that breaks its code (a contract step) waits until it is gone from the API, not until it starts to go.
     */
    public static List<Pod> mayStillRun(Collection<Pod> pods, SchemaMigration sm) {
        return of(pods, sm).filter(p -> !ended(p)).toList();
    }

    private static java.util.stream.Stream<Pod> of(Collection<Pod> pods, SchemaMigration sm) {
        return pods.stream()
                .filter(p -> schemaName(p).map(sm.getMetadata().getName()::equals).orElse(false))
                .filter(p -> Objects.equals(p.getMetadata().getNamespace(), sm.getMetadata().getNamespace()))
                .sorted(Comparator.comparing(p -> p.getMetadata().getName()));
    }

    /** Ended (its containers exited) or on its way out: no longer counted as a workload or gated. */
    public static boolean terminal(Pod pod) {
        return ended(pod) || terminating(pod);
    }

    public static boolean terminating(Pod pod) {
        return pod.getMetadata().getDeletionTimestamp() != null;
    }

    private static boolean ended(Pod pod) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }
}
