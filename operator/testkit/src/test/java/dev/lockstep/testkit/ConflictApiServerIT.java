package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.jobs.RunnerJobs;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.Event;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Two SchemaMigrations naming one database schema on the real control plane: the younger waits, never runs. */
@ExtendWith(ControlPlaneExtension.class)
class ConflictApiServerIT {

    private static long jobsOf(Cluster cluster, String name) {
        return cluster.jobs().stream()
                .filter(j -> name.equals(j.getMetadata().getLabels().get(RunnerJobs.LABEL_SCHEMA_MIGRATION))).count();
    }

    @Test
    void theYoungerOfTwoResourcesOnOneSchemaIsStalledNamingTheOtherAndStartsOnceItIsGone(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("items-db", "items-migrations", Map.of(
                "V1__create_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY);",
                "V2__add_item_name.sql", "ALTER TABLE items ADD COLUMN name text;"));
        cluster.startOperator();
        cluster.apply(Migrations.fromConfigMap("items", "2", db, "items-db", "items-migrations"));
        cluster.awaitCondition("items", "Ready", "True", "MigrationSucceeded");

        // The same database and schema under another name: a copy-paste in Git, a second Helm release.
        cluster.apply(Migrations.fromConfigMap("items-copy", "2", db, "items-db", "items-migrations"));

        SchemaMigration claimed = cluster.awaitCondition("items-copy", "Stalled", "True", "DatabaseClaimed");
        assertThat(claimed.getStatus().getPhase()).isEqualTo(Phase.Pending);
        assertThat(Cluster.condition(claimed, "Stalled").orElseThrow().getMessage())
                .contains("schema public of database", "already migrated by SchemaMigration " + cluster.namespace() + "/items",
                        "No runner Job was started");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(cluster.events("items-copy"))
                .extracting(Event::getReason).contains("DatabaseClaimed"));
        // No runner for the younger, however long it waits; the owner is untouched.
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> jobsOf(cluster, "items-copy") == 0);
        assertThat(Cluster.condition(cluster.get("items"), "Ready").orElseThrow().getStatus()).isEqualTo("True");
        assertThat(db.column("SELECT version FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY 1"))
                .containsExactly("1", "2");

        // Once the owner is gone the schema is free: the younger starts by itself, finds the database at 2, applies nothing.
        cluster.client().resources(SchemaMigration.class).inNamespace(cluster.namespace()).withName("items").delete();
        SchemaMigration after = cluster.awaitCondition("items-copy", "Ready", "True", "MigrationSucceeded", Duration.ofSeconds(40));
        assertThat(after.getStatus().getCurrentRevision()).isEqualTo("2");
        assertThat(after.getStatus().getLastRun().getApplied()).isEmpty();
        assertThat(jobsOf(cluster, "items-copy")).isEqualTo(1);
    }
}
