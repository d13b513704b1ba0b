package dev.lockstep.runner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.runner.testing.TlsPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Database layer, TLS: a real PostgreSQL that refuses plain connections (test-infra/tls-postgres.sh), verify-full with
 * the test's own CA, client certificates in each PEM form a Secret holds, passwords read from a file at each
 * connection, and each way it fails told apart, with nothing applied.
 */
class TlsDatabaseTest {
    private static final Path MIGRATIONS = Path.of(System.getProperty("lockstep.migrationsDir", "../../migrations"));
    private final MigrationRunner runner = new MigrationRunner();
    private TlsPostgres server;
    private TlsPostgres.Database db;
    @TempDir
    Path tmp;

    @BeforeEach
    void database() {
        server = TlsPostgres.get();
        db = server.createDatabase("first-secret");
    }

    private MigrationSettings.Builder as(String host, String user, String password) {
        return MigrationSettings.connect(server.url(host, db.name()), user, password).location(MIGRATIONS)
                .lockTimeout(Duration.ofSeconds(5));
    }

    private TlsSettings verifyFull() {
        return new TlsSettings(TlsSettings.Mode.VERIFY_FULL, server.ca(), null, null);
    }

    @Test
    void verifyFullWithTheServersCaMigrates() {
        RunResult result = runner.migrate(as("localhost", db.owner(), "first-secret").tls(verifyFull()).build());
        assertThat(result.error()).isNull();
        assertThat(result.toRevision()).isNotNull();
        assertThat(server.hasHistory(db)).isTrue();
    }

    @Test
    void aPlainConnectionIsRefusedAndSaysTlsIsRequired() {
        RunResult result = runner.migrate(MigrationSettings.connect(server.url("localhost", db.name()) + "?sslmode=disable",
                db.owner(), "first-secret").location(MIGRATIONS).build());
        assertThat(result.error().category()).isEqualTo(FailureCategory.TLS_REQUIRED);
        assertThat(result.error().message()).contains("accepts only TLS connections", "spec.database.tls");
        assertThat(result.error().retryable()).isFalse();
        assertThat(server.hasHistory(db)).isFalse();
    }

    @Test
    void anotherCaIsUntrustedAndNothingIsApplied() {
        RunResult result = runner.migrate(as("localhost", db.owner(), "first-secret")
                .tls(new TlsSettings(TlsSettings.Mode.VERIFY_FULL, server.otherCa(), null, null)).build());
        assertThat(result.error().category()).isEqualTo(FailureCategory.TLS_UNTRUSTED);
        assertThat(result.error().message()).contains("does not verify against the CA in --ssl-root-cert (spec.database.tls.ca)");
        assertThat(result.exitCode()).isEqualTo(ExitCode.CONNECTION);
        assertThat(result.error().retryable()).isFalse();
        assertThat(server.hasHistory(db)).isFalse();
    }

    @Test
    void aHostTheCertificateDoesNotNameFailsVerifyFullButPassesVerifyCa() {
        RunResult full = runner.migrate(as("127.0.0.1", db.owner(), "first-secret").tls(verifyFull()).build());
        assertThat(full.error().category()).isEqualTo(FailureCategory.TLS_HOSTNAME);
        assertThat(full.error().message()).contains("does not name 127.0.0.1");
        assertThat(server.hasHistory(db)).isFalse();

        RunResult ca = runner.migrate(as("127.0.0.1", db.owner(), "first-secret")
                .tls(new TlsSettings(TlsSettings.Mode.VERIFY_CA, server.ca(), null, null)).build());
        assertThat(ca.error()).isNull();
    }

    @Test
    void aClientCertificateLogsInWithItsKeyInEveryPemFormASecretHolds() {
        for (var key : List.of(List.of(server.clientCert(), server.clientKey()), List.of(server.clientCert(), server.clientKeyRsa()),
                List.of(server.clientCertEc(), server.clientKeyEc()))) {
            RunResult result = runner.migrate(as("localhost", server.certUser(), null).schemas(List.of("by_certificate"))
                    .tls(new TlsSettings(TlsSettings.Mode.VERIFY_FULL, server.ca(), key.get(0), key.get(1))).build());
            assertThat(result.error()).as("key %s", key.get(1).getFileName()).isNull();
        }
    }

    @Test
    void withoutItsClientCertificateTheCertificateUserIsToldSo() {
        RunResult result = runner.migrate(as("localhost", server.certUser(), null).schemas(List.of("by_certificate"))
                .tls(verifyFull()).build());
        assertThat(result.error().category()).isEqualTo(FailureCategory.TLS_CLIENT_CERTIFICATE);
        assertThat(result.error().message()).contains("requires a client certificate", "spec.database.tls.clientCertificate");
    }

    @Test
    void aPasswordFileIsReadAtEachConnectionSoARotationTakesEffectAtTheNextRun() throws IOException {
        Path file = tmp.resolve("password");
        Files.writeString(file, "first-secret\n");
        MigrationSettings settings = as("localhost", db.owner(), "first-secret").passwordFile(file).tls(verifyFull()).build();
        assertThat(runner.migrate(settings).error()).isNull();

        server.setPassword(db.owner(), "second-secret"); // rotated at the server; the kubelet refreshes the file later
        RunResult stale = runner.info(settings);
        assertThat(stale.error().category()).as("a wrong password is no TLS failure").isEqualTo(FailureCategory.CONNECTION);
        assertThat(stale.error().message()).doesNotContain("first-secret", "second-secret");

        Files.writeString(file, "second-secret\n");
        assertThat(runner.info(settings).error()).as("the same settings, the file read again").isNull();
    }

    @Test
    void badTlsSettingsAreRefusedNamingTheOption() {
        RunResult noCa = runner.migrate(as("localhost", db.owner(), "x")
                .tls(new TlsSettings(TlsSettings.Mode.VERIFY_FULL, null, null, null)).build());
        assertThat(noCa.error().category()).isEqualTo(FailureCategory.ARGUMENTS);
        assertThat(noCa.error().message()).contains("--ssl-mode verify-full needs --ssl-root-cert");

        RunResult urlToo = runner.migrate(MigrationSettings.connect(server.url("localhost", db.name()) + "?sslmode=require",
                db.owner(), "x").location(MIGRATIONS).tls(verifyFull()).build());
        assertThat(urlToo.error().message()).contains("--url carries sslmode while TLS is set");

        RunResult path = runner.migrate(MigrationSettings.connect(server.url("localhost", db.name()) + "?sslrootcert=/etc/ca.crt",
                db.owner(), "x").location(MIGRATIONS).build());
        assertThat(path.error().message()).contains("--url carries sslrootcert");

        RunResult keyOnly = runner.migrate(as("localhost", db.owner(), "x")
                .tls(new TlsSettings(TlsSettings.Mode.VERIFY_FULL, server.ca(), null, server.clientKey())).build());
        assertThat(keyOnly.error().message()).contains("--ssl-key needs --ssl-cert");
        assertThat(server.hasHistory(db)).isFalse();
    }
}
