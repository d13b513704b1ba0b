package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.PolicySpec;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.Event;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The plan on the real control plane: a destructive expand step is blocked before anything runs, or let through with a
 * warning; with approval required, only the plan whose digest the spec names is applied.
 */
@ExtendWith(ControlPlaneExtension.class)
class PlanApiServerIT {

    private static Map<String, String> scripts() {
        Map<String, String> scripts = new LinkedHashMap<>();
        scripts.put("V1__create_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY, name text, legacy_code text);");
        return scripts;
    }

    private static void edit(Cluster cluster, Consumer<SchemaMigration> change) {
        cluster.editMigration("items", sm -> { change.accept(sm); });
    }

    private static PolicySpec policy(SchemaMigration sm) {
        if (sm.getSpec().getPolicy() == null) {
            sm.getSpec().setPolicy(new PolicySpec());
        }
        return sm.getSpec().getPolicy();
    }

    private static java.util.List<String> columns(TestDatabase db) {
        return db.column("SELECT column_name FROM information_schema.columns WHERE table_name = 'items' ORDER BY 1");
    }

    @Test
    void aDestructiveExpandStepIsBlockedWithFileAndLineAndWarnLetsItThrough(Cluster cluster) {
        Map<String, String> scripts = scripts();
        TestDatabase db = cluster.databaseWithScripts("items-db", "items-migrations", scripts);
        cluster.startOperator();
        cluster.apply(Migrations.fromConfigMap("items", "latest", db, "items-db", "items-migrations"));
        cluster.awaitCondition("items", "Ready", "True", "MigrationSucceeded");

        // Not named as a contract step, and the drop hides in dynamic SQL: the dry run sees it in the catalog anyway.
        scripts.put("V2__tidy_items.sql", "ALTER TABLE items ADD COLUMN sku text;\n"
                + "DO $$ BEGIN EXECUTE format('ALTER TABLE items DROP COLUMN %I', 'legacy_code'); END $$;");
        cluster.scriptsConfigMap("items-migrations", scripts);

        SchemaMigration blocked = cluster.awaitCondition("items", "Stalled", "True", "DestructiveChangeBlocked");
        assertThat(blocked.getStatus().getPhase()).isEqualTo(Phase.Failed);
        assertThat(Cluster.condition(blocked, "Stalled").orElseThrow().getMessage())
                .contains("V2__tidy_items.sql:2: column items.legacy_code dropped", "Nothing was run", "contract step");
        assertThat(blocked.getStatus().getPlan().getPending()).singleElement().satisfies(step -> {
            assertThat(step.getKind()).isEqualTo("Expand");
            assertThat(step.getDestructive()).isTrue();
            assertThat(step.getFindings()).containsExactly("V2__tidy_items.sql:2: column items.legacy_code dropped");
        });
        assertThat(columns(db)).containsExactly("id", "legacy_code", "name");

        edit(cluster, sm -> policy(sm).setDestructive(PolicySpec.Destructive.Warn));

        SchemaMigration warned = cluster.awaitCondition("items", "Ready", "True", "MigrationSucceeded");
        assertThat(warned.getStatus().getCurrentRevision()).isEqualTo("2");
        assertThat(columns(db)).containsExactly("id", "name", "sku");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(cluster.events("items"))
                .filteredOn(e -> "DestructiveChangeWarned".equals(e.getReason())).singleElement()
                .extracting(Event::getType).isEqualTo("Warning"));
    }

    @Test
    void withApprovalRequiredOnlyThePlanWhoseDigestTheSpecNamesIsApplied(Cluster cluster) {
        Map<String, String> scripts = scripts();
        scripts.put("V2__add_item_sku.sql", "ALTER TABLE items ADD COLUMN sku text;");
        TestDatabase db = cluster.databaseWithScripts("items-db", "items-migrations", scripts);
        cluster.startOperator();
        SchemaMigration sm = Migrations.fromConfigMap("items", "2", db, "items-db", "items-migrations");
        policy(sm).setRequireApproval(true);
        cluster.apply(sm);

        SchemaMigration awaiting = cluster.awaitCondition("items", "Reconciling", "True", "PlanAwaitingApproval");
        assertThat(awaiting.getStatus().getPhase()).isEqualTo(Phase.AwaitingApproval);
        String digest = awaiting.getStatus().getPlan().getDigest();
        assertThat(digest).startsWith("sha256:");
        assertThat(Cluster.condition(awaiting, "Reconciling").orElseThrow().getMessage())
                .contains("expand 1, expand 2 from an empty history", "spec.policy.approvedPlanDigest: \"" + digest + "\"");
        assertThat(awaiting.getStatus().getPlan().getPending()).extracting(s -> s.getVersion()).containsExactly("1", "2");
        assertThat(db.tables("public")).doesNotContain("items");

        // Approval is a reviewed commit: the digest goes into the spec.
        edit(cluster, s -> policy(s).setApprovedPlanDigest(digest));

        SchemaMigration ready = cluster.awaitCondition("items", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("2");
        assertThat(ready.getStatus().getPlan().getDigest()).isEqualTo(digest);
        assertThat(columns(db)).containsExactly("id", "legacy_code", "name", "sku");
        assertThat(cluster.jobs()).hasSize(2);
    }

    @Test
    void aScratchDatabaseNamedInTheSpecTakesTheDryRunAndOneThatIsTheDatabaseItselfIsRefused(Cluster cluster) {
        Map<String, String> scripts = scripts();
        TestDatabase db = cluster.databaseWithScripts("items-db", "items-migrations", scripts);
        TestDatabase scratch = cluster.database();
        cluster.credentialsSecret("items-scratch", scratch);
        cluster.startOperator();
        cluster.apply(Migrations.fromConfigMap("items", "latest", db, "items-db", "items-migrations"));
        cluster.awaitCondition("items", "Ready", "True", "MigrationSucceeded");

        edit(cluster, sm -> {
            var dryRun = new dev.lockstep.api.v1alpha1.DryRunDatabaseSpec();
            dryRun.setUrl(scratch.url());
            var secret = new dev.lockstep.api.v1alpha1.SecretKeysReference();
            secret.setName("items-scratch");
            dryRun.setCredentialsSecretRef(secret);
            policy(sm).setDryRunDatabase(dryRun);
        });
        scripts.put("V2__tidy_items.sql", "ALTER TABLE items ADD COLUMN sku text;\n"
                + "DO $$ BEGIN EXECUTE format('ALTER TABLE items DROP COLUMN %I', 'legacy_code'); END $$;");
        cluster.scriptsConfigMap("items-migrations", scripts);

        SchemaMigration blocked = cluster.awaitCondition("items", "Stalled", "True", "DestructiveChangeBlocked");
        assertThat(blocked.getStatus().getPlan().getPending()).singleElement().satisfies(step ->
                assertThat(step.getFindings()).containsExactly("V2__tidy_items.sql:2: column items.legacy_code dropped"));
        assertThat(columns(db)).containsExactly("id", "legacy_code", "name");
        // The dry run happened on the scratch database, rebuilt to revision 1 and left at the end of the plan.
        assertThat(scratch.column("SELECT version FROM flyway_schema_history WHERE version IS NOT NULL")).containsExactly("1");
        assertThat(columns(scratch)).containsExactly("id", "name", "sku");
        assertThat(scratch.column("SELECT schema_name FROM lockstep_scratch.dry_runs")).containsExactly("public");
        int jobs = cluster.jobs().size();

        // The database itself named as the scratch, under another spelling: refused before any Job.
        edit(cluster, sm -> policy(sm).getDryRunDatabase().setUrl(db.url() + "?ApplicationName=scratch"));

        SchemaMigration refused = cluster.awaitCondition("items", "Stalled", "True", "DryRunDatabaseInUse");
        assertThat(Cluster.condition(refused, "Stalled").orElseThrow().getMessage())
                .contains("spec.policy.dryRunDatabase names database", "which this SchemaMigration migrates",
                        "No runner Job was started");
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> cluster.jobs().size() == jobs);
        assertThat(columns(db)).containsExactly("id", "legacy_code", "name");
    }
}
