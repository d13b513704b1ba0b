package dev.lockstep.operator;

import dev.lockstep.operator.decide.DatabaseRetry;
import java.util.Objects;

/**
 * How this operator instance runs.
 *
 * @param runnerImage image of runner pods; the operator's own image, which also carries `lockstep migrate`
 * @param runnerImagePullPolicy pull policy of runner and copy containers
 * @param databaseRetry when a run that found the database unavailable is started again
 */
public record OperatorSettings(String runnerImage, String runnerImagePullPolicy, DatabaseRetry databaseRetry) {
    public OperatorSettings {
        Objects.requireNonNull(runnerImage, "runnerImage");
        runnerImagePullPolicy = runnerImagePullPolicy == null ? "IfNotPresent" : runnerImagePullPolicy;
        databaseRetry = databaseRetry == null ? DatabaseRetry.DEFAULT : databaseRetry;
    }

    public OperatorSettings(String runnerImage, String runnerImagePullPolicy) {
        this(runnerImage, runnerImagePullPolicy, null);
    }
}
