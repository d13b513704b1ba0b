package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/**
 * A scratch database of Lockstep's own for the destructive-change dry run, instead of a rolled-back transaction on the
 * database being migrated. Its managed schemas (spec.database.schemas) are dropped and rebuilt from the same scripts
 * before every dry run.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DryRunDatabaseSpec {
    @Required
    @Pattern("^jdbc:postgresql://[^@]+$")
    @JsonPropertyDescription("JDBC URL of the scratch database, e.g. jdbc:postgresql://orders-db:5432/orders_scratch. It must"
            + " be a database of its own: before each dry run the runner drops and rebuilds the managed schemas there, and it"
            + " refuses a database that is the one being migrated or whose schemas hold objects it did not leave there.")
    private String url;

    @Required
    @JsonPropertyDescription("The Secret holding the scratch database's user name and password; the user must be able to"
            + " drop and create the managed schemas there (the database's owner can). Mounted into runner pods only.")
    private SecretKeysReference credentialsSecretRef;

    public String getUrl() { return url; }
    public void setUrl(String url) { this.url = url; }
    public SecretKeysReference getCredentialsSecretRef() { return credentialsSecretRef; }
    public void setCredentialsSecretRef(SecretKeysReference credentialsSecretRef) { this.credentialsSecretRef = credentialsSecretRef; }
}
