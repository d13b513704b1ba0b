package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The walking skeleton on a real kube-apiserver with the real Job controller, a local kubelet running the real
 * runner, and a real PostgreSQL.
 */
@ExtendWith(ControlPlaneExtension.class)
class SchemaMigrationApiServerIT {

    @Test
    void migratesABlankDatabaseToTheTargetWithOneJob(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
        cluster.startOperator();

        cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations"));

        SchemaMigration ready = cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getPhase()).isEqualTo(Phase.Ready);
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("6");
        assertThat(ready.getStatus().getPendingVersions()).isEmpty();
        assertThat(ready.getStatus().getLastRun().getApplied()).extracting(a -> a.getVersion())
                .containsExactly("1", "2", "3", "4", "5", "6");
        assertThat(cluster.jobs()).singleElement().satisfies(job -> {
            assertThat(job.getMetadata().getName()).isEqualTo(ready.getStatus().getLastRun().getJob());
            assertThat(job.getStatus().getSucceeded()).isEqualTo(1);
        });
        // The database really is at 6: tables, seed rows and the CONCURRENTLY-built index.
        assertThat(db.tables("public")).contains("users", "roles", "api_keys", "login_events");
        assertThat(db.column("SELECT count(*) FROM roles")).containsExactly("4");
        assertThat(db.column("SELECT indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                + "WHERE c.relname = 'api_keys_active_by_user_idx'")).containsExactly("t");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(cluster.events("accounts"))
                .extracting(Event::getReason).contains("MigrationPending", "MigrationSucceeded"));
    }

    @Test
    void adoptsAPopulatedDatabaseByBaseline(Cluster cluster) throws Exception {
        TestDatabase db = cluster.database();
        // A live schema made by other means: the reference set's first three scripts, and a user in it.
        for (String script : java.util.List.of("V1__create_users_and_roles.sql", "V2__seed_roles.sql", "V3__create_password_credentials.sql")) {
            db.execute(java.nio.file.Files.readString(Cluster.MIGRATIONS.resolve(script)));
        }
        db.execute("INSERT INTO users (email) VALUES ('ada@example.org')");
        cluster.credentialsSecret("accounts-db", db);
        cluster.scriptsConfigMap("accounts-migrations", Cluster.MIGRATIONS);
        cluster.startOperator();
        SchemaMigration sm = Migrations.fromConfigMap("accounts", "latest", db, "accounts-db", "accounts-migrations");
        var baseline = new dev.lockstep.api.v1alpha1.BaselineSpec();
        baseline.setVersion("3");
        sm.getSpec().setBaseline(baseline);

        cluster.apply(sm);

        SchemaMigration ready = cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("6");
        assertThat(ready.getStatus().getLastRun().getFromRevision()).isEqualTo("3");
        assertThat(ready.getStatus().getLastRun().getApplied()).extracting(a -> a.getVersion()).containsExactly("4", "5", "6");
        assertThat(db.column("SELECT email FROM users")).containsExactly("ada@example.org");
        assertThat(db.column("SELECT count(*) FROM roles")).containsExactly("4");
    }

    @Test
    void copiesScriptsFromAnImageWithTheInitContainer(Cluster cluster) throws Exception {
        TestDatabase db = cluster.database();
        cluster.credentialsSecret("accounts-db", db);
        java.nio.file.Path image = java.nio.file.Files.createTempDirectory("image");
        java.nio.file.Path dir = java.nio.file.Files.createDirectories(image.resolve("sql"));
        try (var files = java.nio.file.Files.list(Cluster.MIGRATIONS)) {
            for (java.nio.file.Path f : files.toList()) {
                java.nio.file.Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        String ref = "registry.example/accounts-migrations:" + cluster.namespace();
        cluster.kubelet().provideImage(ref, image);
        cluster.startOperator();
        SchemaMigration sm = Migrations.fromConfigMap("accounts", "4", db, "accounts-db", "unused");
        sm.getSpec().getSource().setConfigMapRef(null);
        sm.getSpec().getSource().setImage(ref);
        sm.getSpec().getSource().setPath("/sql");

        cluster.apply(sm);

        SchemaMigration ready = cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("4");
        assertThat(db.tables("public")).contains("api_keys").doesNotContain("login_events");
    }

    @Test
    void suspendedMigrationStartsNothingUntilResumed(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
        cluster.startOperator();
        SchemaMigration sm = Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations");
        sm.getSpec().setSuspend(true);

        cluster.apply(sm);

        SchemaMigration suspended = cluster.awaitCondition("accounts", "Reconciling", "False", "Suspended");
        assertThat(suspended.getStatus().getPhase()).isEqualTo(Phase.Suspended);
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> cluster.jobs().isEmpty());
        assertThat(db.tables("public")).isEmpty();

        cluster.editMigration("accounts", s -> { s.getSpec().setSuspend(false); });
        cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
        assertThat(db.tables("public")).contains("users");
    }

    @Test
    void newScriptInTheConfigMapIsAppliedForLatest(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
        cluster.startOperator();
        cluster.apply(Migrations.fromConfigMap("accounts", "latest", db, "accounts-db", "accounts-migrations"));
        cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");

        cluster.client().configMaps().inNamespace(cluster.namespace()).withName("accounts-migrations").edit(cm -> {
            cm.getData().put("V7__add_user_locale.sql", "ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT 'en';");
            return cm;
        });

        await().atMost(Duration.ofSeconds(60)).until(() -> "7".equals(cluster.get("accounts").getStatus().getCurrentRevision()));
        cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
        assertThat(db.column("SELECT column_name FROM information_schema.columns WHERE table_name = 'users'")).contains("locale");
        assertThat(cluster.jobs()).hasSize(2);
    }

    @Test
    void newTargetWaitsForTheRunningJobInsteadOfRacingIt(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
        cluster.kubelet().delayStart(LocalKubelet.inNamespace(cluster.namespace()), Duration.ofSeconds(4));
        cluster.startOperator();
        cluster.apply(Migrations.fromConfigMap("accounts", "4", db, "accounts-db", "accounts-migrations"));
        await().atMost(Duration.ofSeconds(20)).until(() -> cluster.jobs().size() == 1);
        String first = cluster.jobs().get(0).getMetadata().getName();

        cluster.editMigration("accounts", s -> { s.getSpec().setTargetRevision("6"); });

        await().atMost(Duration.ofSeconds(10)).until(() -> Cluster.condition(cluster.get("accounts"), "Reconciling")
                .map(c -> c.getMessage().contains("waiting for runner Job " + first)).orElse(false));
        assertThat(cluster.jobs()).hasSize(1);

        SchemaMigration ready = cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("6");
        assertThat(ready.getStatus().getLastRun().getFromRevision()).isEqualTo("4");
        assertThat(cluster.jobs()).hasSize(2);
    }
}
