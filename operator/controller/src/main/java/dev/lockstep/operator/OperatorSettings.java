package dev.lockstep.operator;

import dev.lockstep.operator.decide.DatabaseRetry;
import dev.lockstep.operator.jobs.RunnerPodDefaults;
import java.util.Map;
import java.util.Objects;

/**
 * How this operator instance runs.
 *
 * @param runnerImage image of runner pods; the operator's own image, which also carries `lockstep migrate`
 * @param runnerImagePullPolicy pull policy of runner and copy containers
 * @param databaseRetry when a run that found the database unavailable is started again
 * @param runnerPodAnnotations annotations every runner pod gets (e.g. to keep a service mesh's sidecar out); keys under
 *                             {@code lockstep.dev/} are the operator's own and refused
 * @param runnerPod the ServiceAccount and pod security settings runner pods get unless their SchemaMigration says
 */
public record OperatorSettings(String runnerImage, String runnerImagePullPolicy, DatabaseRetry databaseRetry,
                               Map<String, String> runnerPodAnnotations, RunnerPodDefaults runnerPod) {
    public OperatorSettings {
        Objects.requireNonNull(runnerImage, "runnerImage");
        runnerImagePullPolicy = runnerImagePullPolicy == null ? "IfNotPresent" : runnerImagePullPolicy;
        databaseRetry = databaseRetry == null ? DatabaseRetry.DEFAULT : databaseRetry;
        runnerPodAnnotations = runnerPodAnnotations == null ? Map.of() : Map.copyOf(runnerPodAnnotations);
        runnerPod = runnerPod == null ? RunnerPodDefaults.DEFAULT : runnerPod;
        for (String key : runnerPodAnnotations.keySet()) {
            if (key.startsWith("lockstep.dev/") || key.isBlank()) {
                throw new IllegalArgumentException("--runner-pod-annotation " + key + ": keys under lockstep.dev/ are the"
                        + " operator's own; use another prefix");
            }
        }
    }

    public OperatorSettings(String runnerImage, String runnerImagePullPolicy, DatabaseRetry databaseRetry,
                            Map<String, String> runnerPodAnnotations) {
        this(runnerImage, runnerImagePullPolicy, databaseRetry, runnerPodAnnotations, RunnerPodDefaults.DEFAULT);
    }

    public OperatorSettings(String runnerImage, String runnerImagePullPolicy, DatabaseRetry databaseRetry) {
        this(runnerImage, runnerImagePullPolicy, databaseRetry, Map.of());
    }

    public OperatorSettings(String runnerImage, String runnerImagePullPolicy) {
        this(runnerImage, runnerImagePullPolicy, null);
    }
}
