package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** A Secret in the SchemaMigration's namespace, and the keys in it that hold the user name and password. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SecretKeysReference {
    public static final String DEFAULT_USERNAME_KEY = "username";
    public static final String DEFAULT_PASSWORD_KEY = "password";

    @Required
    @JsonPropertyDescription("Name of the Secret.")
    private String name;

    @JsonPropertyDescription("Key of the user name in the Secret. Defaults to \"username\".")
    private String usernameKey;

    @JsonPropertyDescription("Key of the password in the Secret. Defaults to \"password\".")
    private String passwordKey;

    @io.fabric8.generator.annotation.Pattern("^(Env|Files)$")
    @JsonPropertyDescription("How runner pods get the login: Env (the default), as environment variables from the Secret; or"
            + " Files, the Secret mounted read-only and the password read again for each new connection, so a rotated Secret"
            + " (which the kubelet refreshes in the volume within a minute or so) reaches connections a run opens after it.")
    private String delivery;

    @io.fabric8.generator.annotation.Pattern("^/.*")
    @JsonPropertyDescription("A file in the runner pod the password is read from, at each new connection, instead of the"
            + " Secret's password key: one a CSI driver or a Vault agent writes, in a volume of spec.runner.podTemplate (or of"
            + " the operator's --runner-pod-template). The Secret then holds the user name only.")
    private String passwordFile;

    public String getPasswordFile() { return passwordFile; }
    public void setPasswordFile(String passwordFile) { this.passwordFile = passwordFile; }

    public String getDelivery() { return delivery; }
    public void setDelivery(String delivery) { this.delivery = delivery; }

    /** Whether the login is mounted as files rather than given as environment variables. */
    public boolean asFiles() { return "Files".equals(delivery); }

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getUsernameKey() { return usernameKey; }
    public void setUsernameKey(String usernameKey) { this.usernameKey = usernameKey; }
    public String getPasswordKey() { return passwordKey; }
    public void setPasswordKey(String passwordKey) { this.passwordKey = passwordKey; }

    public String usernameKeyOrDefault() { return usernameKey == null || usernameKey.isBlank() ? DEFAULT_USERNAME_KEY : usernameKey; }
    public String passwordKeyOrDefault() { return passwordKey == null || passwordKey.isBlank() ? DEFAULT_PASSWORD_KEY : passwordKey; }
}
