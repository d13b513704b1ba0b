package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.util.List;

/** The PostgreSQL database a SchemaMigration manages. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DatabaseSpec {
    @Required
    @Pattern("^jdbc:postgresql://[^@]+$")
    @JsonPropertyDescription("JDBC URL of the database, e.g. jdbc:postgresql://orders-db:5432/orders (TLS is set by tls). It is written into the runner Job's spec, so nothing secret goes here: user, password, sslpassword and the arguments to plug-in factories (sslfactoryarg, socketFactoryArg…) are refused, the login comes from credentialsSecretRef. A parameter the PostgreSQL driver does not know (names are case-sensitive) is refused too.")
    private String url;

    @Required
    @JsonPropertyDescription("The Secret holding the database user name and password. It is mounted into runner pods only; the operator never reads it.")
    private SecretKeysReference credentialsSecretRef;

    @JsonPropertyDescription("Schemas managed by the migrations; the first also holds Flyway's history table. Defaults to [public].")
    private List<String> schemas;

    @JsonPropertyDescription("TLS to the database: the mode, the CA, an optional client certificate. When set, the URL may"
            + " carry no ssl* parameter; sslrootcert, sslcert and sslkey are refused in the URL in any case.")
    private TlsSpec tls;

    public String getUrl() { return url; }
    public void setUrl(String url) { this.url = url; }
    public SecretKeysReference getCredentialsSecretRef() { return credentialsSecretRef; }
    public void setCredentialsSecretRef(SecretKeysReference credentialsSecretRef) { this.credentialsSecretRef = credentialsSecretRef; }
    public List<String> getSchemas() { return schemas; }
    public void setSchemas(List<String> schemas) { this.schemas = schemas; }
    public TlsSpec getTls() { return tls; }
    public void setTls(TlsSpec tls) { this.tls = tls; }
}
