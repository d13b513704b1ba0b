package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** The pods that consume this schema (label {@code lockstep.dev/schema: <name>}) and whether they are released. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class WorkloadsStatus {
    @JsonPropertyDescription("Running or pending pods that name this SchemaMigration.")
    private Integer gatedPods;

    @JsonPropertyDescription("Of those, pods held un-Ready because the database is below the revision they require.")
    private Integer heldPods;

    @JsonPropertyDescription("The highest revision any of those pods requires.")
    private String highestRequiredRevision;

    @JsonPropertyDescription("Up to ten held pods, as name=requiredRevision.")
    private List<String> held;

    public Integer getGatedPods() { return gatedPods; }
    public void setGatedPods(Integer gatedPods) { this.gatedPods = gatedPods; }
    public Integer getHeldPods() { return heldPods; }
    public void setHeldPods(Integer heldPods) { this.heldPods = heldPods; }
    public String getHighestRequiredRevision() { return highestRequiredRevision; }
    public void setHighestRequiredRevision(String highestRequiredRevision) { this.highestRequiredRevision = highestRequiredRevision; }
    public List<String> getHeld() { return held; }
    public void setHeld(List<String> held) { this.held = held; }
}
