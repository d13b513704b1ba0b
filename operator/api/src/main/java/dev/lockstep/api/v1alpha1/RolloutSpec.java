package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** How the workloads that use this schema move to a new revision. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RolloutSpec {
    /** Rollout strategies. */
    public enum Strategy { Rolling, BlueGreen }

    @JsonPropertyDescription("Rolling (default): gated pods are released as the schema arrives. BlueGreen: additionally, the Service in blueGreen.service is switched to the other color once all its pods are Ready on the new schema.")
    private Strategy strategy;

    @JsonPropertyDescription("The Service to switch, for strategy BlueGreen.")
    private BlueGreenSpec blueGreen;

    public Strategy getStrategy() { return strategy; }
    public void setStrategy(Strategy strategy) { this.strategy = strategy; }
    public BlueGreenSpec getBlueGreen() { return blueGreen; }
    public void setBlueGreen(BlueGreenSpec blueGreen) { this.blueGreen = blueGreen; }

    public boolean blueGreen() { return strategy == Strategy.BlueGreen; }
}
