package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.runner.testing.TestDatabase;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Drift on the real control plane: a source that no longer matches the history stalls the resource, naming versions. */
@ExtendWith(ControlPlaneExtension.class)
class DriftApiServerIT {

    @Test
    void aScriptEditedAfterItWasAppliedStallsTheNextRunAndNothingIsApplied(Cluster cluster) {
        Map<String, String> scripts = new LinkedHashMap<>();
        scripts.put("V1__create_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY);");
        scripts.put("V2__add_item_name.sql", "ALTER TABLE items ADD COLUMN name text;");
        TestDatabase db = cluster.databaseWithScripts("items-db", "items-migrations", scripts);
        cluster.startOperator();
        cluster.apply(Migrations.fromConfigMap("items", "latest", db, "items-db", "items-migrations"));
        cluster.awaitCondition("items", "Ready", "True", "MigrationSucceeded");

        // Someone "fixes" an applied script in place, and adds the next one in the same commit.
        scripts.put("V2__add_item_name.sql", "ALTER TABLE items ADD COLUMN name varchar(100);");
        scripts.put("V3__add_item_price.sql", "ALTER TABLE items ADD COLUMN price numeric;");
        cluster.scriptsConfigMap("items-migrations", scripts);

        SchemaMigration stalled = cluster.awaitCondition("items", "Stalled", "True", "DriftDetected");
        assertThat(stalled.getStatus().getPhase()).isEqualTo(Phase.Failed);
        assertThat(Cluster.condition(stalled, "Stalled").orElseThrow().getMessage())
                .contains("changed since they were applied: 2 (V2__add_item_name.sql: checksum differs)", "Nothing was run",
                        "database at revision 2");
        assertThat(stalled.getStatus().getLastRun().getError().getCategory()).isEqualTo("DRIFT");
        assertThat(db.column("SELECT column_name FROM information_schema.columns WHERE table_name = 'items' ORDER BY 1"))
                .containsExactly("id", "name");

        // Restoring the script as it was applied is the fix; the run that follows applies V3.
        scripts.put("V2__add_item_name.sql", "ALTER TABLE items ADD COLUMN name text;");
        cluster.scriptsConfigMap("items-migrations", scripts);

        SchemaMigration ready = cluster.awaitCondition("items", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("3");
    }
}
