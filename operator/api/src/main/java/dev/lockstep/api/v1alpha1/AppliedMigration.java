package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One migration a runner applied. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AppliedMigration {
    @JsonPropertyDescription("Flyway version.")
    private String version;

    @JsonPropertyDescription("Flyway description (from the file name).")
    private String description;

    @JsonPropertyDescription("Milliseconds the script took.")
    private Long durationMillis;

    public AppliedMigration() {}

    public AppliedMigration(String version, String description, Long durationMillis) {
        this.version = version;
        this.description = description;
        this.durationMillis = durationMillis;
    }

    public String getVersion() { return version; }
    public void setVersion(String version) { this.version = version; }
    public String getDescription() { return description; }
    public void setDescription(String description) { this.description = description; }
    public Long getDurationMillis() { return durationMillis; }
    public void setDurationMillis(Long durationMillis) { this.durationMillis = durationMillis; }
}
