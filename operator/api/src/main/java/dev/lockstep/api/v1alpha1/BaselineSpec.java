package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/**
 * Taking over a database whose schema was made by other means. On the first run against a database with
 * tables but no Flyway history, versions up to {@code version} are recorded as applied, not run.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BaselineSpec {
    @Required
    @Pattern("^[0-9]+(\\.[0-9]+)*$")
    @JsonPropertyDescription("The version the existing schema already matches, e.g. \"3\".")
    private String version;

    public String getVersion() { return version; }
    public void setVersion(String version) { this.version = version; }
}
