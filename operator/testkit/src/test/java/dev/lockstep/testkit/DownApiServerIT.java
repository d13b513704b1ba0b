package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.api.v1alpha1.AppliedMigration;
import dev.lockstep.api.v1alpha1.PolicySpec;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.runner.testing.TestDatabase;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Going down on the real control plane: a lower target runs the undo scripts only when the spec allows it, only
 * when each version has one, and only once no pod requires a revision above the target.
 */
@ExtendWith(ControlPlaneExtension.class)
class DownApiServerIT {
    private static Map<String, String> scripts(boolean withUndoOfTwo) {
        Map<String, String> scripts = new LinkedHashMap<>();
        scripts.put("V1__create_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);");
        scripts.put("U1__create_items.sql", "DROP TABLE items;");
        scripts.put("V2__add_item_sku.sql", "ALTER TABLE items ADD COLUMN sku text;");
        if (withUndoOfTwo) {
            scripts.put("U2__add_item_sku.sql", "ALTER TABLE items DROP COLUMN sku;");
        }
        scripts.put("V3__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY, item_id bigint REFERENCES items (id));");
        scripts.put("U3__create_orders.sql", "DROP TABLE orders;");
        return scripts;
    }

    private static void target(Cluster cluster, String target, Boolean allowDown) {
        cluster.editMigration("items", sm -> {
            sm.getSpec().setTargetRevision(target);
            if (allowDown != null) {
                PolicySpec policy = new PolicySpec();
                policy.setAllowDown(allowDown);
                sm.getSpec().setPolicy(policy);
            }
        });
    }

    @Test
    void aLowerTargetRunsUndoScriptsOnlyWhenAllowedAndOnceNoPodRequiresMore(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("items-db", "items-migrations", scripts(true));
        cluster.startOperator();
        cluster.apply(Migrations.fromConfigMap("items", "3", db, "items-db", "items-migrations"));
        cluster.client().apps().deployments().inNamespace(cluster.namespace())
                .resource(RollingGateApiServerIT.deployment("items-api", "items", "3", 2)).create();
        cluster.awaitCondition("items", "Ready", "True", "MigrationSucceeded");

        target(cluster, "1", null);

        SchemaMigration refused = cluster.awaitCondition("items", "Stalled", "True", "DownNotAllowed");
        assertThat(Cluster.condition(refused, "Stalled").orElseThrow().getMessage())
                .contains("below the database's revision 3", "spec.policy.allowDown: true");
        assertThat(cluster.jobs()).hasSize(1);

        target(cluster, "1", true);

        SchemaMigration waiting = cluster.awaitCondition("items", "Reconciling", "True", "DownWaitingForPods");
        assertThat(Cluster.condition(waiting, "Reconciling").orElseThrow().getMessage())
                .contains("going down from 3 to 1 waits for 2 pod(s)", "=3", "roll those workloads back");
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> cluster.jobs().size() == 1);
        assertThat(db.tables("public")).contains("orders");

        // The application goes back first; its old pods leave, then the schema follows.
        cluster.rollDeployment("items-api", RollingGateApiServerIT.template("items-api", "items", "1"));

        SchemaMigration down = cluster.awaitCondition("items", "Ready", "True", "MigrationSucceeded", Duration.ofSeconds(90));
        assertThat(down.getStatus().getCurrentRevision()).isEqualTo("1");
        assertThat(down.getStatus().getLastRun().getUndone()).extracting(AppliedMigration::getVersion).containsExactly("3", "2");
        assertThat(db.tables("public")).containsExactly("flyway_schema_history", "items");
        assertThat(db.column("SELECT column_name FROM information_schema.columns WHERE table_name = 'items' ORDER BY 1"))
                .containsExactly("id", "name");
        assertThat(db.column("SELECT version FROM flyway_schema_history WHERE version IS NOT NULL")).containsExactly("1");
    }

    @Test
    void aMissingUndoScriptIsNamedAndNothingRuns(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("items-db", "items-migrations", scripts(false));
        cluster.startOperator();
        cluster.apply(Migrations.fromConfigMap("items", "3", db, "items-db", "items-migrations"));
        cluster.awaitCondition("items", "Ready", "True", "MigrationSucceeded");

        target(cluster, "1", true);

        SchemaMigration stalled = cluster.awaitCondition("items", "Stalled", "True", "UndoScriptMissing");
        assertThat(Cluster.condition(stalled, "Stalled").orElseThrow().getMessage())
                .contains("from 3 to 1 needs an undo script for version(s) 2", "items-migrations");
        assertThat(cluster.jobs()).hasSize(1);
        assertThat(db.column("SELECT version FROM flyway_schema_history WHERE version IS NOT NULL")).containsExactly("1", "2", "3");
        assertThat(List.of(stalled.getStatus().getCurrentRevision())).containsExactly("3");
    }
}
