package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.api.v1alpha1.BlueGreenPhase;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * End to end: the manifests of examples/ as a user applies them, changed only where a user's would differ (the
 * database URL, the login), through both strategies on the real control plane and a real PostgreSQL.
 */
@ExtendWith(ControlPlaneExtension.class)
class ExamplesApiServerIT {
    private static final Path EXAMPLES = ControlPlaneExtension.REPO.resolve("examples");
    private static final String COLOR = "lockstep.dev/color";

    /** Every document of an example file, SchemaMigrations as such. */
    private static List<HasMetadata> load(Cluster cluster, String file) throws IOException {
        List<HasMetadata> resources = new ArrayList<>();
        for (String doc : Files.readString(EXAMPLES.resolve(file)).split("(?m)^---\\s*$")) {
            if (doc.lines().noneMatch(l -> l.startsWith("kind:"))) {
                continue;
            }
            var serialization = cluster.client().getKubernetesSerialization();
            resources.add(doc.lines().anyMatch(l -> l.equals("kind: SchemaMigration"))
                    ? serialization.unmarshal(doc, SchemaMigration.class) : serialization.unmarshal(doc));
        }
        return resources;
    }

    /** Applies a file's resources in the test's namespace, the SchemaMigration pointed at {@code db}. */
    private static void apply(Cluster cluster, String file, TestDatabase db, Consumer<SchemaMigration> edit) throws IOException {
        for (HasMetadata resource : load(cluster, file)) {
            resource.getMetadata().setNamespace(cluster.namespace());
            if (resource instanceof SchemaMigration sm) {
                sm.getSpec().getDatabase().setUrl(db.url());
                edit.accept(sm);
            }
            cluster.client().resource(resource).inNamespace(cluster.namespace()).create();
        }
    }

    private static void target(Cluster cluster, String revision) {
        cluster.editMigration("accounts", sm -> { sm.getSpec().setTargetRevision(revision); });
    }

    private static List<Pod> pods(Cluster cluster, String label, String value) {
        return cluster.client().pods().inNamespace(cluster.namespace()).withLabel(label, value).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    private static boolean ready(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    @Test
    void theRollingExampleHoldsTheApiUntilItsRevisionIsThereAndReleasesItAfter(Cluster cluster) throws IOException {
        // examples/accounts names Secret accounts-db-migrator and ConfigMap accounts-migrations (made from migrations/).
        TestDatabase db = cluster.databaseWithScripts("accounts-db-migrator", "accounts-migrations", Cluster.MIGRATIONS);
        cluster.startOperator();
        // One revision short of what the API requires, as after a commit that raised the code first.
        apply(cluster, "accounts/schemamigration.yaml", db, sm -> sm.getSpec().setTargetRevision("5"));
        apply(cluster, "accounts/deployment.yaml", db, sm -> {});

        cluster.awaitCondition("accounts", "Ready", "False", "WorkloadsHeld");
        await().atMost(Duration.ofSeconds(30)).until(() -> pods(cluster, "app", "accounts-api").size() == 2);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4))
                .until(() -> pods(cluster, "app", "accounts-api").stream().noneMatch(ExamplesApiServerIT::ready));
        assertThat(cluster.get("accounts").getStatus().getWorkloads().getHeldPods()).isEqualTo(2);

        target(cluster, "6");

        SchemaMigration ready = cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("6");
        await().atMost(Duration.ofSeconds(10)).until(() -> pods(cluster, "app", "accounts-api").stream().filter(ExamplesApiServerIT::ready).count() == 2);
        assertThat(db.tables("public")).contains("login_events");
    }

    @Test
    void theBlueGreenExampleSwitchesToGreenOnceGreenIsReadyOnTheNextRevision(Cluster cluster) throws IOException {
        TestDatabase db = cluster.database();
        cluster.credentialsSecret("accounts-db-migrator", db);
        Map<String, String> scripts = new HashMap<>(Scripts.read(Cluster.MIGRATIONS));
        cluster.scriptsConfigMap("accounts-migrations", scripts);
        cluster.startOperator();
        apply(cluster, "bluegreen/accounts-bluegreen.yaml", db, sm -> {});
        cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
        await().atMost(Duration.ofSeconds(30)).until(() -> pods(cluster, COLOR, "blue").size() == 2
                && pods(cluster, COLOR, "blue").stream().allMatch(ExamplesApiServerIT::ready));

        // The rollout the example's comment describes: in one commit, raise the target and point green at the new code.
        scripts.put("V7__add_user_locale.sql", "ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT 'en';");
        scripts.put("U7__add_user_locale.sql", "ALTER TABLE users DROP COLUMN locale;");
        cluster.scriptsConfigMap("accounts-migrations", scripts);
        target(cluster, "7");
        cluster.mergePatch(cluster.client().apps().deployments().inNamespace(cluster.namespace()).withName("accounts-api-green"),
                Map.of("spec", Map.of("replicas", 2,
                        "template", Map.of("metadata", Map.of("labels", Map.of("lockstep.dev/requires-revision", "7"))))));

        await().atMost(Duration.ofSeconds(60)).until(() -> "green".equals(selected(cluster)));
        // The switch came only after green was Ready on 7: the database is there and every green pod is Ready.
        assertThat(cluster.get("accounts").getStatus().getCurrentRevision()).isEqualTo("7");
        assertThat(pods(cluster, COLOR, "green")).hasSize(2).allMatch(ExamplesApiServerIT::ready);
        assertThat(db.column("SELECT column_name FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'locale'"))
                .containsExactly("locale");

        // "After the switch, scale the old color to zero."
        cluster.client().apps().deployments().inNamespace(cluster.namespace()).withName("accounts-api-blue").scale(0);
        await().atMost(Duration.ofSeconds(30)).until(() -> BlueGreenPhase.Idle == cluster.get("accounts").getStatus().getBlueGreen().getState());
        assertThat(cluster.get("accounts").getStatus().getBlueGreen().getActiveColor()).isEqualTo("green");
        Deployment blue = cluster.client().apps().deployments().inNamespace(cluster.namespace()).withName("accounts-api-blue").get();
        assertThat(blue.getSpec().getReplicas()).isZero();
    }

    private static String selected(Cluster cluster) {
        return cluster.client().services().inNamespace(cluster.namespace()).withName("accounts-api").get()
                .getSpec().getSelector().get(COLOR);
    }
}
