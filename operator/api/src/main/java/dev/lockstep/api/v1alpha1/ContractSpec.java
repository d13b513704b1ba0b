package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/**
 * How contract steps ({@code V<version>__contract_*.sql}) are let through. They always wait until no gated pod
 * requires an older revision; with {@code requireApproval} they also wait for an approval recorded in the spec,
 * so the destructive step is a reviewed commit in Git.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ContractSpec {
    @JsonPropertyDescription("When true, contract steps also wait until approvedRevision covers them. Defaults to false.")
    private Boolean requireApproval;

    @Pattern("^[0-9]+(\\.[0-9]+)*$")
    @JsonPropertyDescription("Contract steps up to and including this revision may run (with requireApproval).")
    private String approvedRevision;

    public Boolean getRequireApproval() { return requireApproval; }
    public void setRequireApproval(Boolean requireApproval) { this.requireApproval = requireApproval; }
    public String getApprovedRevision() { return approvedRevision; }
    public void setApprovedRevision(String approvedRevision) { this.approvedRevision = approvedRevision; }

    public boolean approvalRequired() { return Boolean.TRUE.equals(requireApproval); }
}
