package dev.lockstep.runner;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * TLS to the database: the mode, the CA that signed the server's certificate, and an optional client certificate and
 * key. They reach the driver as its {@code sslmode}, {@code sslrootcert}, {@code sslcert} and {@code sslkey}; a PEM key
 * is converted to the PKCS #8 form the driver reads (see {@link PrivateKeys}).
 *
 * @param rootCert   the CA's certificate(s), PEM; needed by verify-ca and verify-full
 * @param clientCert the client certificate, PEM; with {@code clientKey}
 * @param clientKey  its private key: PEM (PKCS #8, PKCS #1 RSA or SEC1 EC, unencrypted) or PKCS #8 DER
 */
public record TlsSettings(Mode mode, Path rootCert, Path clientCert, Path clientKey) {

    /** The driver's sslmode values Lockstep offers: allow and prefer fall back to plain text, so they are not here. */
    public enum Mode {
        DISABLE, REQUIRE, VERIFY_CA, VERIFY_FULL;

        /** As the driver and libpq write it: verify-full. */
        public String driverValue() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public boolean verifies() {
            return this == VERIFY_CA || this == VERIFY_FULL;
        }

        /** From {@code verify-full}, {@code VERIFY_FULL} and the like. */
        public static Mode of(String value) {
            String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            try {
                return valueOf(v);
            } catch (IllegalArgumentException e) {
                throw new MigrationSettings.InvalidSettingsException("--ssl-mode: '" + value + "' is not one of "
                        + Arrays.stream(values()).map(Mode::driverValue).collect(Collectors.joining(", "))
                        + " (allow and prefer may fall back to plain text and are not offered)");
            }
        }
    }

    /** Checks the files are there and fit the mode; the message names the option. */
    void validate() {
        if (mode == Mode.DISABLE && (rootCert != null || clientCert != null || clientKey != null)) {
            throw new MigrationSettings.InvalidSettingsException("--ssl-mode disable with certificate files: remove the files,"
                    + " or choose verify-full (verify-ca, require)");
        }
        if (mode.verifies() && rootCert == null) {
            throw new MigrationSettings.InvalidSettingsException("--ssl-mode " + mode.driverValue() + " needs --ssl-root-cert:"
                    + " the CA certificate (PEM) that signed the server's certificate");
        }
        if ((clientCert == null) != (clientKey == null)) {
            throw new MigrationSettings.InvalidSettingsException(clientCert == null
                    ? "--ssl-key needs --ssl-cert: the client certificate of that key"
                    : "--ssl-cert needs --ssl-key: the private key of that certificate");
        }
        readable("--ssl-root-cert", rootCert);
        readable("--ssl-cert", clientCert);
        readable("--ssl-key", clientKey);
    }

    private static void readable(String option, Path file) {
        if (file != null && !Files.isReadable(file)) {
            throw new MigrationSettings.InvalidSettingsException(option + ": " + file + (Files.exists(file)
                    ? " cannot be read by this user" : " does not exist") + " (a runner pod mounts it from spec.database.tls)");
        }
    }
}
