package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** What the latest expand run planned before it did anything: the steps, what the dry run found, and the digest. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PlanStatus {
    @JsonPropertyDescription("sha256 over the starting revision and each step's version, kind and checksum. Approve this"
            + " plan by writing it to spec.policy.approvedPlanDigest.")
    private String digest;

    @JsonPropertyDescription("The revision the plan starts at.")
    private String from;

    @JsonPropertyDescription("The steps in the order they run.")
    private List<PlannedStep> pending;

    public String getDigest() { return digest; }
    public void setDigest(String digest) { this.digest = digest; }
    public String getFrom() { return from; }
    public void setFrom(String from) { this.from = from; }
    public List<PlannedStep> getPending() { return pending; }
    public void setPending(List<PlannedStep> pending) { this.pending = pending; }
}
