package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/**
 * TLS between runner pods and the database. The files are mounted read-only into runner pods from the ConfigMap or
 * Secret named here and reach the driver as sslmode, sslrootcert, sslcert and sslkey; the operator reads none of them.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TlsSpec {
    public static final String VERIFY_FULL = "verify-full";
    public static final String DISABLE = "disable";

    @Pattern("^(disable|require|verify-ca|verify-full)$")
    @JsonPropertyDescription("verify-full (the default): the server's certificate must be issued by ca and name the URL's host."
            + " verify-ca: issued by ca, any name. require: encrypted, the certificate not checked. disable: no TLS, only when"
            + " said (then ca and clientCertificate must be absent).")
    private String mode;

    @JsonPropertyDescription("The CA certificate(s), PEM, that issued the server's certificate: a key of a ConfigMap or of a"
            + " Secret in this namespace. Needed by verify-ca and verify-full.")
    private KeyReference ca;

    @JsonPropertyDescription("A client certificate and its key, for servers that authenticate by certificate (pg_hba.conf's cert"
            + " method: the certificate's CN is the user).")
    private ClientCertificateSpec clientCertificate;

    public String getMode() { return mode; }
    public void setMode(String mode) { this.mode = mode; }
    public KeyReference getCa() { return ca; }
    public void setCa(KeyReference ca) { this.ca = ca; }
    public ClientCertificateSpec getClientCertificate() { return clientCertificate; }
    public void setClientCertificate(ClientCertificateSpec clientCertificate) { this.clientCertificate = clientCertificate; }

    public String modeOrDefault() { return mode == null || mode.isBlank() ? VERIFY_FULL : mode; }

    /** One key of a ConfigMap or of a Secret: exactly one of the two is set. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class KeyReference {
        @JsonPropertyDescription("A ConfigMap's key, e.g. {name: db-ca, key: ca.crt} (a CA is no secret).")
        private NamedKey configMapKeyRef;
        @JsonPropertyDescription("A Secret's key, e.g. {name: db-tls, key: ca.crt} (cert-manager puts the CA in the Secret).")
        private NamedKey secretKeyRef;

        public NamedKey getConfigMapKeyRef() { return configMapKeyRef; }
        public void setConfigMapKeyRef(NamedKey configMapKeyRef) { this.configMapKeyRef = configMapKeyRef; }
        public NamedKey getSecretKeyRef() { return secretKeyRef; }
        public void setSecretKeyRef(NamedKey secretKeyRef) { this.secretKeyRef = secretKeyRef; }
    }

    /** The name of a ConfigMap or Secret and a key in it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class NamedKey {
        @JsonPropertyDescription("Name of the ConfigMap or Secret.")
        private String name;
        @JsonPropertyDescription("The key.")
        private String key;

        public NamedKey() {}

        public NamedKey(String name, String key) {
            this.name = name;
            this.key = key;
        }

        public String getName() { return name; }
        public void setName(String name) { this.name = name; }
        public String getKey() { return key; }
        public void setKey(String key) { this.key = key; }
    }

    /** A Secret holding a client certificate and its key; a kubernetes.io/tls Secret by default. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ClientCertificateSpec {
        public static final String DEFAULT_CERTIFICATE_KEY = "tls.crt";
        public static final String DEFAULT_KEY_KEY = "tls.key";

        @JsonPropertyDescription("Name of the Secret, e.g. the one cert-manager writes for a Certificate.")
        private String secretName;
        @JsonPropertyDescription("Key of the certificate (PEM). Defaults to tls.crt.")
        private String certificateKey;
        @JsonPropertyDescription("Key of the private key: PEM (PKCS #8, PKCS #1 RSA or SEC1 EC, unencrypted), converted by the"
                + " runner to the PKCS #8 the driver reads. Defaults to tls.key.")
        private String keyKey;

        public String getSecretName() { return secretName; }
        public void setSecretName(String secretName) { this.secretName = secretName; }
        public String getCertificateKey() { return certificateKey; }
        public void setCertificateKey(String certificateKey) { this.certificateKey = certificateKey; }
        public String getKeyKey() { return keyKey; }
        public void setKeyKey(String keyKey) { this.keyKey = keyKey; }

        public String certificateKeyOrDefault() {
            return certificateKey == null || certificateKey.isBlank() ? DEFAULT_CERTIFICATE_KEY : certificateKey;
        }

        public String keyKeyOrDefault() { return keyKey == null || keyKey.isBlank() ? DEFAULT_KEY_KEY : keyKey; }
    }
}
