package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** One step of a plan. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PlannedStep {
    @JsonPropertyDescription("Flyway version.")
    private String version;

    @JsonPropertyDescription("Flyway description (from the file name).")
    private String description;

    @JsonPropertyDescription("Expand (runs before workloads move), Contract (runs once no pod needs the old schema) or Undo (going down).")
    private String kind;

    @JsonPropertyDescription("Checksum of the script (Flyway's for V scripts, CRC32 of the file for undo scripts).")
    private Integer checksum;

    @JsonPropertyDescription("True when the step breaks code written for the schema before it: contract and undo steps"
            + " always, expand steps when the dry run found a destructive change.")
    private Boolean destructive;

    @JsonPropertyDescription("Destructive changes the dry run found, as script:line: change.")
    private List<String> findings;

    @JsonPropertyDescription("Why the step was not dry-run, when it was not (it runs outside a transaction, a table was busy).")
    private String note;

    public String getVersion() { return version; }
    public void setVersion(String version) { this.version = version; }
    public String getDescription() { return description; }
    public void setDescription(String description) { this.description = description; }
    public String getKind() { return kind; }
    public void setKind(String kind) { this.kind = kind; }
    public Integer getChecksum() { return checksum; }
    public void setChecksum(Integer checksum) { this.checksum = checksum; }
    public Boolean getDestructive() { return destructive; }
    public void setDestructive(Boolean destructive) { this.destructive = destructive; }
    public List<String> getFindings() { return findings; }
    public void setFindings(List<String> findings) { this.findings = findings; }
    public String getNote() { return note; }
    public void setNote(String note) { this.note = note; }
}
