package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.api.v1alpha1.DriftResult;
import dev.lockstep.api.v1alpha1.ErrorCategory;
import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.runner.testing.TestDatabase;
import java.time.Duration;
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
        assertThat(stalled.getStatus().getLastRun().getError().getCategory()).isEqualTo(ErrorCategory.DRIFT);
        assertThat(db.column("SELECT column_name FROM information_schema.columns WHERE table_name = 'items' ORDER BY 1"))
                .containsExactly("id", "name");

        // Restoring the script as it was applied is the fix; the run that follows applies V3.
        scripts.put("V2__add_item_name.sql", "ALTER TABLE items ADD COLUMN name text;");
        cluster.scriptsConfigMap("items-migrations", scripts);

        SchemaMigration ready = cluster.awaitCondition("items", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("3");
    }

    @Test
    void aPeriodicCheckFindsAMigrationAppliedByHandAndClearsOnceTheHistoryMatchesAgain(Cluster cluster) {
        Map<String, String> scripts = new LinkedHashMap<>();
        scripts.put("V1__create_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY);");
        scripts.put("V2__add_item_name.sql", "ALTER TABLE items ADD COLUMN name text;");
        TestDatabase db = cluster.databaseWithScripts("items-db", "items-migrations", scripts);
        cluster.startOperator();
        SchemaMigration sm = Migrations.fromConfigMap("items", "latest", db, "items-db", "items-migrations");
        sm.getSpec().setDriftCheckInterval("10s");
        cluster.apply(sm);
        SchemaMigration ready = cluster.awaitCondition("items", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getDriftCheck().getResult()).isEqualTo(DriftResult.Clean);

        // A hotfix applied by hand, recorded as version 3, which the source does not have.
        db.execute("CREATE TABLE hotfix (id int); INSERT INTO flyway_schema_history (installed_rank, version, description, type,"
                + " script, checksum, installed_by, execution_time, success) VALUES (100, '3', 'hotfix', 'SQL', 'V3__hotfix.sql',"
                + " 0, 'dba', 1, true)");

        SchemaMigration drifted = cluster.awaitCondition("items", "Stalled", "True", "DriftDetected", Duration.ofSeconds(60));
        assertThat(Cluster.condition(drifted, "Stalled").orElseThrow().getMessage())
                .contains("the history is newer than the source: 3 applied, the source ends at 2", "The database was not changed");
        assertThat(drifted.getStatus().getDriftCheck().getResult()).isEqualTo(DriftResult.Drifted);
        assertThat(drifted.getStatus().getDriftCheck().getJob()).endsWith("v");
        assertThat(db.tables("public")).contains("hotfix");

        // The DBA takes the hotfix back out; the next check finds the history and the source in agreement.
        db.execute("DROP TABLE hotfix; DELETE FROM flyway_schema_history WHERE version = '3'");

        SchemaMigration clean = cluster.awaitCondition("items", "Ready", "True", "MigrationSucceeded", Duration.ofSeconds(60));
        assertThat(clean.getStatus().getDriftCheck().getResult()).isEqualTo(DriftResult.Clean);
        assertThat(clean.getStatus().getDriftCheck().getChecks()).isGreaterThanOrEqualTo(2);
        assertThat(clean.getStatus().getLastRun().getApplied()).extracting(a -> a.getVersion()).containsExactly("1", "2");
        // Check Jobs do not pile up: the migrate Job and at most the two newest checks.
        assertThat(cluster.jobs()).hasSizeLessThanOrEqualTo(3);
    }
}
