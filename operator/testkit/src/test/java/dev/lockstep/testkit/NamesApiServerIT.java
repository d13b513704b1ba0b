package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.jobs.RunnerJobs;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Names as long as Kubernetes allows (a label value holds 63 characters, an object name 253), and what the API server
 * refuses reaching status, on the real control plane.
 */
@ExtendWith(ControlPlaneExtension.class)
class NamesApiServerIT {
    @Test
    void schemaMigrationsWithNamesOf64And253CharactersReachReady(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
        TestDatabase other = cluster.database();
        cluster.credentialsSecret("other-db", other);
        cluster.startOperator();
        String name64 = "accounts-" + "x".repeat(55);
        String name253 = "orders." + "y".repeat(240) + "-final";

        cluster.apply(Migrations.fromConfigMap(name64, "6", db, "accounts-db", "accounts-migrations"));
        cluster.apply(Migrations.fromConfigMap(name253, "6", other, "other-db", "accounts-migrations"));

        assertThat(name64).hasSize(64);
        assertThat(name253).hasSize(253);
        for (String name : new String[] {name64, name253}) {
            SchemaMigration ready = cluster.awaitCondition(name, "Ready", "True", "MigrationSucceeded", Duration.ofSeconds(90));
            assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("6");
            Job job = cluster.jobs().stream().filter(j -> name.equals(j.getMetadata().getAnnotations().get(RunnerJobs.ANNOTATION_SCHEMA_MIGRATION)))
                    .findFirst().orElseThrow();
            assertThat(job.getMetadata().getName()).hasSizeLessThanOrEqualTo(63).isEqualTo(ready.getStatus().getLastRun().getJob());
            assertThat(job.getMetadata().getLabels().get(RunnerJobs.LABEL_SCHEMA_MIGRATION)).hasSize(63);
            // Events too: their names are cut to fit, and they still name the whole SchemaMigration.
            await().atMost(Duration.ofSeconds(10)).until(() -> cluster.events(name).stream()
                    .anyMatch(e -> "MigrationSucceeded".equals(e.getReason())));
        }
        assertThat(cluster.jobs().stream().map(j -> j.getMetadata().getName()).distinct()).hasSize(2);
    }

    @Test
    void aJobTheApiServerRefusesIsStalledSayingWhyAndRunsOnceTheCauseIsGone(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
        cluster.client().resourceQuotas().inNamespace(cluster.namespace()).resource(new ResourceQuotaBuilder()
                .withNewMetadata().withName("no-jobs").endMetadata()
                .withNewSpec().addToHard("count/jobs.batch", new Quantity("0")).endSpec().build()).create();
        cluster.startOperator();

        cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations"));

        SchemaMigration stalled = cluster.awaitCondition("accounts", "Stalled", "True", "ApiRequestRefused", Duration.ofSeconds(60));
        assertThat(Cluster.condition(stalled, "Stalled").orElseThrow().getMessage())
                .contains("the API server refused the operator's request (HTTP 403", "no-jobs");
        assertThat(cluster.jobs()).isEmpty();
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.events("accounts").stream()
                .anyMatch(e -> "ApiRequestRefused".equals(e.getReason())));

        cluster.client().resourceQuotas().inNamespace(cluster.namespace()).withName("no-jobs").delete();
        cluster.editMigration("accounts", sm -> sm.getMetadata().setAnnotations(Map.of(RunnerJobs.RETRY_ANNOTATION, "1")));

        SchemaMigration ready = cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded", Duration.ofSeconds(90));
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("6");
    }
}
