package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.RunnerSpec;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What goes wrong, on the real control plane: SQL errors, bad specs, missing Secrets, dying pods. */
@ExtendWith(ControlPlaneExtension.class)
class FailuresApiServerIT {
    private static final Map<String, String> BROKEN = Map.of(
            "V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);",
            "V2__add_customer.sql", "ALTER TABLE orders ADD COLUMN customer_id bigint;\nCREATE INDEX orders_customer_idx ON customers (id);");

    @Test
    void failedScriptStallsWithTheSqlErrorKeepsTheJobAndRetriesOnlyWhenAsked(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("orders-db", "orders-migrations", BROKEN);
        cluster.startOperator();

        cluster.apply(Migrations.fromConfigMap("orders", "2", db, "orders-db", "orders-migrations"));

        SchemaMigration stalled = cluster.awaitCondition("orders", "Stalled", "True", "MigrationFailed");
        String message = Cluster.condition(stalled, "Stalled").orElseThrow().getMessage();
        assertThat(message).contains("V2__add_customer.sql:2 failed with SQLSTATE 42P01", "\"customers\" does not exist",
                "database at revision 1", "lockstep.dev/retry");
        assertThat(stalled.getStatus().getPhase()).isEqualTo(Phase.Failed);
        assertThat(stalled.getStatus().getCurrentRevision()).isEqualTo("1");
        assertThat(stalled.getStatus().getPendingVersions()).containsExactly("2");
        // Transactional DDL: V2's first statement did not stay behind.
        assertThat(db.column("SELECT column_name FROM information_schema.columns WHERE table_name = 'orders'")).containsExactly("id");

        // The failed Job and its pod are kept, logs and all; nothing is resubmitted by itself.
        Job failed = cluster.jobs().get(0);
        assertThat(failed.getStatus().getFailed()).isEqualTo(1);
        Pod pod = cluster.client().pods().inNamespace(cluster.namespace()).withLabel("job-name", failed.getMetadata().getName())
                .list().getItems().get(0);
        assertThat(cluster.kubelet().logs(cluster.namespace(), pod.getMetadata().getName())).contains("FAILED (SQL, exit 5)");
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).until(() -> cluster.jobs().size() == 1);

        cluster.editMigration("orders", sm -> { sm.getMetadata().setAnnotations(Map.of("lockstep.dev/retry", "1")); });
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.jobs().size() == 2);
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.jobs().stream().allMatch(j -> j.getStatus().getFailed() != null
                && j.getStatus().getFailed() == 1));
        cluster.awaitCondition("orders", "Stalled", "True", "MigrationFailed");

        // Fixing the script is a spec change (the ConfigMap's content): the next run goes through.
        cluster.scriptsConfigMap("orders-migrations", Map.of(
                "V1__create_orders.sql", BROKEN.get("V1__create_orders.sql"),
                "V2__add_customer.sql", "ALTER TABLE orders ADD COLUMN customer_id bigint;"));
        SchemaMigration ready = cluster.awaitCondition("orders", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("2");
        assertThat(Cluster.condition(ready, "Stalled").orElseThrow().getStatus()).isEqualTo("False");
    }

    @Test
    void aFailureAfterManyVersionsReportsTheRevisionTheHistoryTableHolds(Cluster cluster) {
        // More than ten versions: Flyway lists its successes in hash order, which once made the status say revision 10.
        Map<String, String> scripts = new java.util.TreeMap<>();
        for (int v = 1; v <= 24; v++) {
            scripts.put("V" + v + "__step_" + v + ".sql", v == 13 ? "SELECT * FROM no_such_table;" : "CREATE TABLE t_" + v + " (id int PRIMARY KEY);");
        }
        TestDatabase db = cluster.databaseWithScripts("steps-db", "steps-migrations", scripts);
        cluster.startOperator();

        cluster.apply(Migrations.fromConfigMap("steps", "24", db, "steps-db", "steps-migrations"));

        SchemaMigration stalled = cluster.awaitCondition("steps", "Stalled", "True", "MigrationFailed");
        assertThat(db.column("SELECT max(version::int) FROM flyway_schema_history WHERE success")).containsExactly("12");
        assertThat(stalled.getStatus().getCurrentRevision()).isEqualTo("12");
        assertThat(stalled.getStatus().getLastRun().getToRevision()).isEqualTo("12");
        assertThat(stalled.getStatus().getPendingVersions())
                .containsExactly("13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23", "24");
        assertThat(stalled.getStatus().getLastRun().getApplied()).extracting(dev.lockstep.api.v1alpha1.AppliedMigration::getVersion)
                .containsExactly("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12");
        assertThat(Cluster.condition(stalled, "Stalled").orElseThrow().getMessage()).contains("V13__step_13.sql", "database at revision 12");
    }

    @Test
    void aRunnerJobDeletedDuringItsDryRunIsReplacedAndTheRunReachesReadyByItself(Cluster cluster) {
        // The dry run holds orders' lock while it sleeps: the replacement's dry run meets the old session's lock.
        TestDatabase db = cluster.databaseWithScripts("orders-db", "orders-migrations", Map.of(
                "V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);",
                "V2__add_note.sql", "ALTER TABLE orders ADD COLUMN note text;\nSELECT pg_sleep(6);"));
        cluster.startOperator();
        cluster.apply(Migrations.fromConfigMap("orders", "1", db, "orders-db", "orders-migrations"));
        cluster.awaitCondition("orders", "Ready", "True", "MigrationSucceeded", Duration.ofSeconds(90));

        cluster.editMigration("orders", sm -> sm.getSpec().setTargetRevision("2"));
        // The first run of V2's statements is the dry run: the migration itself comes after it.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> db.column(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'"
                        + " AND query LIKE '%pg_sleep(6)%' AND pid <> pg_backend_pid()").get(0).equals("1"));
        assertThat(db.column("SELECT count(*) FROM flyway_schema_history WHERE version = '2'")).containsExactly("0");
        String job = cluster.get("orders").getStatus().getLastRun().getJob();
        cluster.client().batch().v1().jobs().inNamespace(cluster.namespace()).withName(job)
                .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND).delete();

        SchemaMigration ready = cluster.awaitCondition("orders", "Ready", "True", "MigrationSucceeded", Duration.ofSeconds(120));
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("2");
        assertThat(db.column("SELECT version || ':' || success FROM flyway_schema_history WHERE version IS NOT NULL"
                + " ORDER BY installed_rank")).containsExactly("1:true", "2:true");
        assertThat(cluster.events("orders")).extracting(io.fabric8.kubernetes.api.model.Event::getReason)
                .doesNotContain("DestructiveChangeBlocked", "DryRunLockContention", "MigrationFailed");
    }

    @Test
    void invalidSpecIsStalledNamingTheFieldAndStartsNoJob(Cluster cluster) {
        TestDatabase db = cluster.database();
        cluster.startOperator();
        SchemaMigration sm = Migrations.fromConfigMap("orders", "2", db, "orders-db", "orders-migrations");
        sm.getSpec().getSource().setImage("registry.example/orders-migrations:1");

        cluster.apply(sm);

        SchemaMigration stalled = cluster.awaitCondition("orders", "Stalled", "True", "InvalidSpec");
        assertThat(Cluster.condition(stalled, "Stalled").orElseThrow().getMessage())
                .isEqualTo("spec.source: sets both configMapRef and image: keep exactly one");
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> cluster.jobs().isEmpty());
    }

    @Test
    void aSecretInTheUrlIsRefusedAndNeverReachesAJobOrAPod(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("orders-db", "orders-migrations", BROKEN);
        cluster.startOperator();
        SchemaMigration sm = Migrations.fromConfigMap("orders", "1", db, "orders-db", "orders-migrations");
        sm.getSpec().getDatabase().setUrl(db.url() + "?sslmode=disable&sslpassword=hunter22-key-pass");

        cluster.apply(sm);

        SchemaMigration stalled = cluster.awaitCondition("orders", "Stalled", "True", "InvalidSpec");
        assertThat(Cluster.condition(stalled, "Stalled").orElseThrow().getMessage())
                .contains("spec.database.url: must not carry sslpassword", "runner Job's spec");
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> cluster.jobs().isEmpty());
        assertThat(cluster.client().pods().inNamespace(cluster.namespace()).list().getItems()).isEmpty();
        String everything = cluster.client().getKubernetesSerialization().asJson(cluster.get("orders").getStatus())
                + cluster.client().getKubernetesSerialization().asJson(cluster.events("orders"));
        assertThat(everything).doesNotContain("hunter22");

        // Without it, the same SchemaMigration runs.
        cluster.editMigration("orders", edit -> edit.getSpec().getDatabase().setUrl(db.url() + "?sslmode=disable"));
        assertThat(cluster.awaitCondition("orders", "Ready", "True", "MigrationSucceeded").getStatus().getCurrentRevision())
                .isEqualTo("1");
    }

    @Test
    void missingSecretIsAWaitingReasonThatClearsWhenTheSecretAppears(Cluster cluster) {
        TestDatabase db = cluster.database();
        cluster.scriptsConfigMap("accounts-migrations", Cluster.MIGRATIONS);
        cluster.startOperator();

        cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations"));

        SchemaMigration waiting = cluster.awaitCondition("accounts", "Stalled", "True", "SecretNotFound");
        assertThat(waiting.getStatus().getPhase()).isEqualTo(Phase.Pending);
        assertThat(Cluster.condition(waiting, "Stalled").orElseThrow().getMessage())
                .contains("secret \"accounts-db\" not found", "Create Secret accounts-db", "keys username and password");

        cluster.credentialsSecret("accounts-db", db);

        SchemaMigration ready = cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("6");
        assertThat(cluster.jobs()).hasSize(1);
    }

    @Test
    void aSecretWithoutThePasswordKeyIsReportedAsAMissingKeyAndClearsWhenItIsAdded(Cluster cluster) {
        TestDatabase db = cluster.database();
        cluster.scriptsConfigMap("accounts-migrations", Cluster.MIGRATIONS);
        cluster.client().secrets().inNamespace(cluster.namespace()).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata().withName("accounts-db").endMetadata().addToStringData("username", db.username()).build()).create();
        cluster.startOperator();

        cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations"));

        SchemaMigration waiting = cluster.awaitCondition("accounts", "Stalled", "True", "SecretKeyNotFound");
        assertThat(waiting.getStatus().getPhase()).isEqualTo(Phase.Pending);
        assertThat(Cluster.condition(waiting, "Stalled").orElseThrow().getMessage())
                .contains("couldn't find key password in Secret", "passwordKey: password").doesNotContain("Create Secret");

        cluster.client().secrets().inNamespace(cluster.namespace()).withName("accounts-db").edit(secret -> {
            secret.setStringData(Map.of("password", db.password() == null ? "unused-with-trust-auth" : db.password()));
            return secret;
        });

        SchemaMigration ready = cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("6");
    }

    @Test
    void jobThatExpiresWaitingForItsSecretIsReplacedAndTheLateSecretStillWorks(Cluster cluster) {
        TestDatabase db = cluster.database();
        cluster.scriptsConfigMap("accounts-migrations", Cluster.MIGRATIONS);
        cluster.startOperator();
        SchemaMigration sm = Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations");
        // Short enough to expire while waiting, long enough for the replacement's runner to finish on a busy machine.
        RunnerSpec runner = new RunnerSpec();
        runner.setActiveDeadlineSeconds(10L);
        sm.getSpec().setRunner(runner);

        cluster.apply(sm);
        cluster.awaitCondition("accounts", "Stalled", "True", "SecretNotFound");

        // The real Job controller fails the first Job at its deadline; the operator replaces it.
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.jobs().size() == 2
                && cluster.get("accounts").getStatus().getLastRun().getAttempt() == 2);
        assertThat(cluster.jobs()).anySatisfy(j -> assertThat(j.getStatus().getConditions())
                .anySatisfy(c -> assertThat(c.getReason()).isEqualTo("DeadlineExceeded")));
        assertThat(db.tables("public")).isEmpty();

        cluster.credentialsSecret("accounts-db", db);
        SchemaMigration ready = cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded", Duration.ofSeconds(60));
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("6");
        assertThat(ready.getStatus().getLastRun().getAttempt()).isEqualTo(2);
    }

    @Test
    void runnerKilledForMemoryIsReportedWithThePodsReason(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
        cluster.kubelet().inject(LocalKubelet.inNamespace(cluster.namespace()), LocalKubelet.Fault.OOM_KILLED);
        cluster.startOperator();

        cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations"));

        SchemaMigration stalled = cluster.awaitCondition("accounts", "Stalled", "True", "RunnerFailed");
        assertThat(Cluster.condition(stalled, "Stalled").orElseThrow().getMessage()).contains("OOMKilled");
        assertThat(cluster.jobs()).hasSize(1);
        assertThat(db.tables("public")).isEmpty();
    }

    @Test
    void missingConfigMapIsReportedAndTheRunStartsWhenItAppears(Cluster cluster) {
        TestDatabase db = cluster.database();
        cluster.credentialsSecret("accounts-db", db);
        cluster.startOperator();

        cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations"));

        SchemaMigration waiting = cluster.awaitCondition("accounts", "Stalled", "True", "ConfigMapNotFound");
        assertThat(Cluster.condition(waiting, "Stalled").orElseThrow().getMessage())
                .contains("ConfigMap accounts-migrations", cluster.namespace(), "V1__init.sql");
        assertThat(cluster.jobs()).isEmpty();

        cluster.scriptsConfigMap("accounts-migrations", Cluster.MIGRATIONS);
        cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
    }

    @Test
    void targetMissingFromTheScriptsIsAnInvalidSpecBeforeAnyJob(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
        cluster.startOperator();

        cluster.apply(Migrations.fromConfigMap("accounts", "9", db, "accounts-db", "accounts-migrations"));

        SchemaMigration stalled = cluster.awaitCondition("accounts", "Stalled", "True", "InvalidSpec");
        assertThat(Cluster.condition(stalled, "Stalled").orElseThrow().getMessage())
                .contains("spec.targetRevision: 9 is not a version in ConfigMap accounts-migrations [1, 2, 3, 4, 5, 6]");
        assertThat(cluster.jobs()).isEmpty();
    }
}
