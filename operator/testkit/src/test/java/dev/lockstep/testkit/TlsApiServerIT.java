package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.api.v1alpha1.TlsSpec;
import dev.lockstep.runner.testing.TlsPostgres;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * spec.database.tls through the operator, on the real control plane, against a PostgreSQL that refuses plain
 * connections (test-infra/tls-postgres.sh): verify-full with the CA from a ConfigMap, the login mounted as files and its
 * password rotated in the Secret between two runs, a client certificate from a kubernetes.io/tls Secret (its key as PKCS #1 PEM, as cert-manager
 * writes it) that arrives after the SchemaMigration, and each failure with its own reason, nothing applied.
 */
@ExtendWith(ControlPlaneExtension.class)
class TlsApiServerIT {
    private static final Duration RUN = Duration.ofSeconds(90);

    private static TlsSpec tls(String caConfigMap, String clientSecret) {
        TlsSpec tls = new TlsSpec();
        tls.setCa(new TlsSpec.KeyReference());
        tls.getCa().setConfigMapKeyRef(new TlsSpec.NamedKey(caConfigMap, "ca.crt"));
        if (clientSecret != null) {
            tls.setClientCertificate(new TlsSpec.ClientCertificateSpec());
            tls.getClientCertificate().setSecretName(clientSecret);
        }
        return tls;
    }

    private static void configMap(Cluster cluster, String name, Path ca) throws Exception {
        cluster.client().configMaps().inNamespace(cluster.namespace()).resource(new ConfigMapBuilder().withNewMetadata()
                .withName(name).endMetadata().addToData("ca.crt", Files.readString(ca)).build()).create();
    }

    private static void login(Cluster cluster, String name, String user, String password) {
        cluster.client().secrets().inNamespace(cluster.namespace()).resource(new SecretBuilder().withNewMetadata().withName(name)
                .endMetadata().addToStringData("username", user).addToStringData("password", password).build()).createOr(e -> e.update());
    }

    private static SchemaMigration migration(String name, String target, String url, String secret, TlsSpec tls) {
        SchemaMigration sm = Migrations.fromConfigMap(name, target, url, secret, "scripts");
        sm.getSpec().getDatabase().setTls(tls);
        return sm;
    }

    @Test
    void verifyFullMigratesAndARotatedPasswordTakesEffectAtTheNextRun(Cluster cluster) throws Exception {
        TlsPostgres server = TlsPostgres.get();
        TlsPostgres.Database db = server.createDatabase("first-secret");
        cluster.scriptsConfigMap("accounts-migrations", Cluster.MIGRATIONS);
        configMap(cluster, "accounts-db-ca", server.ca());
        login(cluster, "accounts-db-migrator", db.owner(), "first-secret");
        cluster.startOperator();

        // examples/production/schemamigration.yaml, as written but for the URL: verify-full, the login as files
        SchemaMigration orders;
        try (var in = Files.newInputStream(ControlPlaneExtension.REPO.resolve("examples/production/schemamigration.yaml"))) {
            orders = cluster.client().getKubernetesSerialization().unmarshal(in, SchemaMigration.class);
        }
        assertThat(orders.getSpec().getDatabase().getCredentialsSecretRef().asFiles()).isTrue();
        orders.getSpec().getDatabase().setUrl(server.url("localhost", db.name()));
        cluster.apply(orders);
        cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded", RUN);
        var pod = cluster.client().pods().inNamespace(cluster.namespace())
                .withLabel(dev.lockstep.operator.jobs.RunnerJobs.LABEL_SCHEMA_MIGRATION, "accounts").list().getItems().get(0);
        assertThat(pod.getMetadata().getLabels()).containsEntry("team", "accounts");
        assertThat(pod.getSpec().getTolerations()).extracting(t -> t.getKey()).contains("dedicated");
        var runner = pod.getSpec().getContainers().get(0);
        assertThat(runner.getArgs()).containsSubsequence("--password-file", "/lockstep/credentials/password", "--ssl-mode",
                "verify-full", "--ssl-root-cert", "/lockstep/tls/ca/ca.crt");
        assertThat(runner.getEnv()).noneMatch(e -> e.getName().startsWith("LOCKSTEP_DB_PASSWORD"));

        // Rotation: the server takes the new password, the Secret follows, and the next run (a new Job) logs in with it.
        server.setPassword(db.owner(), "second-secret");
        login(cluster, "accounts-db-migrator", db.owner(), "second-secret");
        cluster.editMigration("accounts", sm -> sm.getSpec().setTargetRevision("6"));
        SchemaMigration six = cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded", RUN);
        assertThat(six.getStatus().getCurrentRevision()).isEqualTo("6");
    }

    @Test
    void eachTlsFailureHasItsOwnReasonAndAClientCertificateThatArrivesLateIsUsed(Cluster cluster) throws Exception {
        TlsPostgres server = TlsPostgres.get();
        cluster.scriptsConfigMap("scripts", Cluster.MIGRATIONS);
        configMap(cluster, "db-ca", server.ca());
        configMap(cluster, "other-ca", server.otherCa());
        Map<String, TlsPostgres.Database> dbs = new java.util.LinkedHashMap<>();
        for (String name : List.of("untrusted", "hostname", "plain", "certificate")) {
            dbs.put(name, server.createDatabase("pw-" + name));
            login(cluster, name + "-login", dbs.get(name).owner(), "pw-" + name);
        }
        login(cluster, "certificate-login", server.certUser(), "unused: the certificate logs in");
        cluster.startOperator();

        cluster.apply(migration("untrusted", "6", server.url("localhost", dbs.get("untrusted").name()), "untrusted-login",
                tls("other-ca", null)));
        cluster.apply(migration("hostname", "6", server.url("127.0.0.1", dbs.get("hostname").name()), "hostname-login",
                tls("db-ca", null)));
        cluster.apply(migration("plain", "6", server.url("localhost", dbs.get("plain").name()) + "?sslmode=disable",
                "plain-login", null));
        SchemaMigration byCertificate = migration("certificate", "6", server.url("localhost", dbs.get("certificate").name()),
                "certificate-login", tls("db-ca", "db-client"));
        byCertificate.getSpec().getDatabase().setSchemas(List.of("by_certificate"));
        cluster.apply(byCertificate);

        assertThat(message(cluster.awaitCondition("untrusted", "Stalled", "True", "DatabaseCertificateUntrusted", RUN)))
                .contains("does not verify against the CA in --ssl-root-cert (spec.database.tls.ca)");
        assertThat(message(cluster.awaitCondition("hostname", "Stalled", "True", "DatabaseHostnameMismatch", RUN)))
                .contains("does not name 127.0.0.1");
        assertThat(message(cluster.awaitCondition("plain", "Stalled", "True", "DatabaseTlsRequired", RUN)))
                .contains("accepts only TLS connections");
        assertThat(message(cluster.awaitCondition("certificate", "Stalled", "True", "SecretNotFound", RUN)))
                .contains("Secret db-client (spec.database.tls.clientCertificate) does not exist in namespace " + cluster.namespace());
        for (String name : List.of("untrusted", "hostname", "plain")) {
            assertThat(server.hasHistory(dbs.get(name))).as("%s: nothing applied", name).isFalse();
        }

        Secret client = new SecretBuilder().withNewMetadata().withName("db-client").endMetadata().withType("kubernetes.io/tls")
                .addToStringData("tls.crt", Files.readString(server.clientCert()))
                .addToStringData("tls.key", Files.readString(server.clientKeyRsa())).build();
        cluster.client().secrets().inNamespace(cluster.namespace()).resource(client).create();
        cluster.awaitCondition("certificate", "Ready", "True", "MigrationSucceeded", RUN);
        assertThat(server.hasHistory(dbs.get("certificate"))).isTrue();
    }

    private static String message(SchemaMigration sm) {
        return Cluster.condition(sm, "Stalled").orElseThrow().getMessage();
    }
}
