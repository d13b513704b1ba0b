package dev.lockstep.operator;

import java.util.Objects;

/**
 * How this operator instance runs.
 *
 * @param runnerImage image of runner pods; the operator's own image, which also carries `lockstep migrate`
 * @param runnerImagePullPolicy pull policy of runner and copy containers
 */
public record OperatorSettings(String runnerImage, String runnerImagePullPolicy) {
    public OperatorSettings {
        Objects.requireNonNull(runnerImage, "runnerImage");
        runnerImagePullPolicy = runnerImagePullPolicy == null ? "IfNotPresent" : runnerImagePullPolicy;
    }
}
