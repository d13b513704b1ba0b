package dev.lockstep.runner.cli;

import dev.lockstep.common.DurationConverter;
import dev.lockstep.runner.MigrationSettings;
import dev.lockstep.runner.TlsSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Options shared by migrate, info and validate. Credentials come from the environment or mounted files, as a
 * Kubernetes Secret provides them; a password is never accepted as an argument, where `ps` would show it.
 */
public class DatabaseOptions {
    @Option(names = "--url", defaultValue = "${env:LOCKSTEP_DB_URL}",
            description = "JDBC URL without credentials, e.g. jdbc:postgresql://db:5432/orders. Env: LOCKSTEP_DB_URL.")
    String url;

    @Option(names = "--username", defaultValue = "${env:LOCKSTEP_DB_USERNAME}",
            description = "Database user. Env: LOCKSTEP_DB_USERNAME.")
    String username;

    @Option(names = "--username-file", description = "File holding the database user (e.g. a mounted Secret key).")
    Path usernameFile;

    @Option(names = "--password-file", defaultValue = "${env:LOCKSTEP_DB_PASSWORD_FILE}",
            description = "File holding the password (a mounted Secret key, a file a Vault agent writes), read again for"
                    + " each new connection, so a rotated password takes effect from the next one. Otherwise the password"
                    + " is read from the environment variable LOCKSTEP_DB_PASSWORD. Env: LOCKSTEP_DB_PASSWORD_FILE.")
    Path passwordFile;

    @Option(names = "--ssl-mode", defaultValue = "${env:LOCKSTEP_DB_SSL_MODE}", paramLabel = "MODE",
            description = "TLS to the database: verify-full (the server's certificate is checked against --ssl-root-cert"
                    + " and must name the URL's host), verify-ca (the CA only), require (encrypted, not verified) or disable."
                    + " Default with --ssl-root-cert: verify-full; without: what the URL says. Env: LOCKSTEP_DB_SSL_MODE.")
    String sslMode;

    @Option(names = "--ssl-root-cert", defaultValue = "${env:LOCKSTEP_DB_SSL_ROOT_CERT}", paramLabel = "FILE",
            description = "The CA certificate(s), PEM, that issued the server's certificate. Env: LOCKSTEP_DB_SSL_ROOT_CERT.")
    Path sslRootCert;

    @Option(names = "--ssl-cert", defaultValue = "${env:LOCKSTEP_DB_SSL_CERT}", paramLabel = "FILE",
            description = "A client certificate, PEM, for servers that authenticate by certificate. Env: LOCKSTEP_DB_SSL_CERT.")
    Path sslCert;

    @Option(names = "--ssl-key", defaultValue = "${env:LOCKSTEP_DB_SSL_KEY}", paramLabel = "FILE",
            description = "Its private key, unencrypted: PEM (PKCS #8, PKCS #1 RSA or SEC1 EC, converted to the PKCS #8 the"
                    + " driver reads) or PKCS #8 DER. Env: LOCKSTEP_DB_SSL_KEY.")
    Path sslKey;

    @Option(names = "--schemas", split = ",", defaultValue = "public",
            description = "Comma-separated schemas to manage; the first holds the history table. Default: ${DEFAULT-VALUE}.")
    List<String> schemas;

    @Option(names = {"--location", "-l"}, defaultValue = "migrations",
            description = "Directory of the V<version>__<description>.sql scripts. Default: ${DEFAULT-VALUE}.")
    Path location;

    @Option(names = "--target", defaultValue = "latest",
            description = "Revision to reach: a version such as 7 or 2.1, or 'latest'. Default: ${DEFAULT-VALUE}.")
    String target;

    @Option(names = "--baseline-version",
            description = "Adopt a database that has tables but no history: record versions up to this one as applied without running them.")
    String baselineVersion;

    @Option(names = "--lock-timeout", defaultValue = "10s", converter = DurationConverter.class,
            description = "PostgreSQL lock_timeout for the migration session (e.g. 10s, 500ms, 0 for none). Default: ${DEFAULT-VALUE}.")
    Duration lockTimeout;

    @Option(names = "--statement-timeout", defaultValue = "0", converter = DurationConverter.class,
            description = "PostgreSQL statement_timeout for the migration session (e.g. 15m, 0 for none). Default: ${DEFAULT-VALUE}.")
    Duration statementTimeout;

    @Option(names = "--hold-contract",
            description = "Apply expand scripts only: stop before the first pending V<version>__contract_*.sql and report what was held.")
    boolean holdContract;

    @Option(names = "--allow-down",
            description = "Let a target below the database run the undo scripts (U<version>__*.sql) of every version above it, newest first.")
    boolean allowDown;

    @Option(names = "--destructive", defaultValue = "off", converter = DestructiveConverter.class,
            description = "Dry-run the pending steps in a rolled-back transaction first and look for destructive changes in"
                    + " expand steps (dropped, renamed or retyped columns and tables, new NOT NULL without default, dropped"
                    + " indexes and constraints): block stops before anything runs, warn reports them and goes on, off skips"
                    + " the dry run (lockstep plan dry-runs whatever this says: it is how plan finds them). Default: ${DEFAULT-VALUE}.")
    MigrationSettings.Destructive destructive;

    @Option(names = "--require-approval",
            description = "Apply only a plan whose digest is --approved-plan-digest; otherwise print the plan's digest and stop.")
    boolean requireApproval;

    @Option(names = "--approved-plan-digest", description = "The digest (sha256:…) of the approved plan; implies --require-approval.")
    String approvedPlanDigest;

    @Option(names = "--dry-run-url", defaultValue = "${env:LOCKSTEP_DRY_RUN_URL}",
            description = "Dry-run on this scratch database instead of in a rolled-back transaction on the database being"
                    + " migrated: its managed schemas are dropped and rebuilt from the same scripts to the starting revision"
                    + " first, so it must be a database of its own. Env: LOCKSTEP_DRY_RUN_URL.")
    String dryRunUrl;

    @Option(names = "--dry-run-username", defaultValue = "${env:LOCKSTEP_DRY_RUN_USERNAME}",
            description = "User of the scratch database. Env: LOCKSTEP_DRY_RUN_USERNAME.")
    String dryRunUsername;

    @Option(names = "--dry-run-password-file", description = "File holding the scratch database's password. Otherwise"
            + " the password is read from the environment variable LOCKSTEP_DRY_RUN_PASSWORD.")
    Path dryRunPasswordFile;

    MigrationSettings toSettings() {
        MigrationSettings.ScratchDatabase scratch = dryRunUrl == null || dryRunUrl.isBlank() ? null
                : new MigrationSettings.ScratchDatabase(dryRunUrl.strip(), dryRunUsername,
                        fromFileOr(dryRunPasswordFile, System.getenv("LOCKSTEP_DRY_RUN_PASSWORD")));
        return MigrationSettings.connect(url, fromFileOr(usernameFile, username),
                        fromFileOr(passwordFile, System.getenv("LOCKSTEP_DB_PASSWORD")))
                .passwordFile(passwordFile).tls(tls())
                .schemas(schemas).location(location).target(target).baseline(baselineVersion).lockTimeout(lockTimeout)
                .statementTimeout(statementTimeout).holdContract(holdContract).allowDown(allowDown)
                .planPolicy(new MigrationSettings.PlanPolicy(destructive, requireApproval, approvedPlanDigest, scratch))
                .build();
    }

    /** The TLS settings the flags give; null when none is set (the URL's sslmode then applies). */
    TlsSettings tls() {
        boolean files = sslRootCert != null || sslCert != null || sslKey != null;
        if ((sslMode == null || sslMode.isBlank()) && !files) {
            return null;
        }
        TlsSettings.Mode mode = sslMode == null || sslMode.isBlank()
                ? (sslRootCert != null ? TlsSettings.Mode.VERIFY_FULL : TlsSettings.Mode.REQUIRE)
                : TlsSettings.Mode.of(sslMode);
        return new TlsSettings(mode, sslRootCert, sslCert, sslKey);
    }

    /** block, warn or off, in any case; anything else is a usage error (exit 2) that names the choices. */
    static final class DestructiveConverter implements picocli.CommandLine.ITypeConverter<MigrationSettings.Destructive> {
        @Override
        public MigrationSettings.Destructive convert(String value) {
            try {
                return MigrationSettings.Destructive.valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException("must be block, warn or off, not '" + value + "'");
            }
        }
    }

    private static String fromFileOr(Path file, String fallback) {
        if (file == null) {
            return fallback;
        }
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
