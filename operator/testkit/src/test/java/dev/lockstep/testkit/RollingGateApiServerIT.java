package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The rolling gate on the real control plane: the real Deployment, ReplicaSet and StatefulSet controllers make the
 * pods, the local kubelet honours their readiness gate, the operator opens it when the schema is there.
 */
@ExtendWith(ControlPlaneExtension.class)
class RollingGateApiServerIT {
    private static final String GATE = "lockstep.dev/schema-ready";
    private static final Predicate<Pod> RUNNER_PODS = p -> "runner".equals(p.getMetadata().getLabels().get("app.kubernetes.io/component"));

    static PodTemplateSpec template(String app, String schema, String requires) {
        return new PodTemplateSpecBuilder()
                .withNewMetadata().addToLabels("app", app).addToLabels("lockstep.dev/schema", schema)
                    .addToLabels("lockstep.dev/requires-revision", requires).endMetadata()
                .withNewSpec()
                    .addNewContainer().withName("app").withImage(app + ":" + requires).endContainer()
                    .addNewReadinessGate().withConditionType(GATE).endReadinessGate()
                .endSpec().build();
    }

    static Deployment deployment(String name, String schema, String requires, int replicas) {
        return new DeploymentBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withReplicas(replicas)
                    .withNewSelector().addToMatchLabels("app", name).endSelector()
                    .withNewStrategy().withType("RollingUpdate").withNewRollingUpdate()
                        .withNewMaxUnavailable(0).withNewMaxSurge(1).endRollingUpdate().endStrategy()
                    .withTemplate(template(name, schema, requires))
                .endSpec().build();
    }

    private static Optional<PodCondition> condition(Pod pod, String type) {
        return pod.getStatus() == null || pod.getStatus().getConditions() == null ? Optional.empty()
                : pod.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    private static boolean ready(Pod pod) {
        return condition(pod, "Ready").map(c -> "True".equals(c.getStatus())).orElse(false);
    }

    private static List<Pod> appPods(Cluster cluster, String app) {
        return cluster.client().pods().inNamespace(cluster.namespace()).withLabel("app", app).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    @Test
    void newPodsStayUnReadyUntilTheMigrationSucceedsThenAreReleasedAtOnce(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
        cluster.kubelet().delayStart(LocalKubelet.inNamespace(cluster.namespace()).and(RUNNER_PODS), Duration.ofSeconds(4));
        cluster.startOperator();

        cluster.client().apps().deployments().inNamespace(cluster.namespace()).resource(deployment("orders-api", "accounts", "6", 2)).create();
        cluster.client().apps().statefulSets().inNamespace(cluster.namespace()).resource(new StatefulSetBuilder()
                .withNewMetadata().withName("ledger").endMetadata()
                .withNewSpec().withReplicas(1).withServiceName("ledger").withNewSelector().addToMatchLabels("app", "ledger").endSelector()
                    .withTemplate(template("ledger", "accounts", "6")).endSpec().build()).create();
        cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations"));

        // While the runner is held back, every pod runs but is not Ready, and says why. The pods were made before the
        // SchemaMigration, so each first says SchemaMigrationNotFound; the SchemaMigration's arrival wakes them.
        await().atMost(Duration.ofSeconds(30)).until(() -> appPods(cluster, "orders-api").size() == 2
                && appPods(cluster, "ledger").size() == 1
                && appPods(cluster, "orders-api").stream().allMatch(p -> "Running".equals(p.getStatus().getPhase())
                        && condition(p, GATE).map(c -> !"SchemaMigrationNotFound".equals(c.getReason())).orElse(false)));
        for (Pod pod : appPods(cluster, "orders-api")) {
            assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
            assertThat(ready(pod)).isFalse();
            assertThat(condition(pod, GATE).orElseThrow().getReason()).isEqualTo("SchemaBehind");
            // The same words through every phase of a run that goes as it should: no patch per pod per phase.
            assertThat(condition(pod, GATE).orElseThrow().getMessage()).contains("requires revision 6")
                    .endsWith("(target 6)");
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            SchemaMigration holding = cluster.get("accounts");
            assertThat(holding.getStatus().getWorkloads().getGatedPods()).isEqualTo(3);
            assertThat(holding.getStatus().getWorkloads().getHeldPods()).isEqualTo(3);
            assertThat(Cluster.condition(holding, "WorkloadsReleased").orElseThrow().getStatus()).isEqualTo("False");
        });

        // The moment the schema is at 6, the pods are released.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> "6".equals(cluster.get("accounts").getStatus().getCurrentRevision()));
        long atRevision = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() ->
                appPods(cluster, "orders-api").stream().allMatch(RollingGateApiServerIT::ready)
                        && appPods(cluster, "ledger").stream().allMatch(RollingGateApiServerIT::ready));
        Duration release = Duration.ofNanos(System.nanoTime() - atRevision);
        System.out.println("[apiserver-it] pods Ready " + release.toMillis() + " ms after the SchemaMigration reported revision 6");
        assertThat(release).as("release latency (the goal is under a second)").isLessThan(Duration.ofSeconds(5));

        SchemaMigration ready = cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getPhase()).isEqualTo(Phase.Ready);
        assertThat(ready.getStatus().getWorkloads().getHeldPods()).isZero();
        assertThat(ready.getStatus().getWorkloads().getHighestRequiredRevision()).isEqualTo("6");
        assertThat(Cluster.condition(ready, "WorkloadsReleased").orElseThrow().getReason()).isEqualTo("WorkloadsReleased");
        // A release is said by the pod's condition and once by the SchemaMigration, not by an Event per pod.
        assertThat(cluster.client().v1().events().inNamespace(cluster.namespace()).list().getItems())
                .filteredOn(e -> "Pod".equals(e.getInvolvedObject().getKind()))
                .extracting(io.fabric8.kubernetes.api.model.Event::getReason).doesNotContain("SchemaReady");
        await().atMost(Duration.ofSeconds(20)).until(() -> Integer.valueOf(2).equals(cluster.client().apps().deployments()
                .inNamespace(cluster.namespace()).withName("orders-api").get().getStatus().getAvailableReplicas()));

        // Deleting the SchemaMigration (a GitOps prune, a re-create) must not take serving pods out of rotation.
        cluster.client().resources(SchemaMigration.class).inNamespace(cluster.namespace()).withName("accounts").delete();
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() ->
                appPods(cluster, "orders-api").stream().allMatch(RollingGateApiServerIT::ready));
    }

    @Test
    void failedMigrationKeepsOldPodsServingAndNewPodsGatedWithTheError(Cluster cluster) {
        TestDatabase db = cluster.database();
        cluster.credentialsSecret("accounts-db", db);
        Map<String, String> scripts = new HashMap<>(Scripts.read(Cluster.MIGRATIONS));
        cluster.scriptsConfigMap("accounts-migrations", scripts);
        cluster.startOperator();
        cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations"));
        cluster.client().apps().deployments().inNamespace(cluster.namespace()).resource(deployment("orders-api", "accounts", "6", 2)).create();
        await().atMost(Duration.ofSeconds(60)).until(() -> appPods(cluster, "orders-api").size() == 2
                && appPods(cluster, "orders-api").stream().allMatch(RollingGateApiServerIT::ready));

        // Revision 7 ships with a broken script; the app moves to 7 in the same change (GitOps-style).
        scripts.put("V7__add_user_locale.sql", "ALTER TABLE user_accounts ADD COLUMN locale text;");
        cluster.scriptsConfigMap("accounts-migrations", scripts);
        cluster.editMigration("accounts", sm -> { sm.getSpec().setTargetRevision("7"); });
        cluster.rollDeployment("orders-api", template("orders-api", "accounts", "7"));

        cluster.awaitCondition("accounts", "Stalled", "True", "MigrationFailed");
        await().atMost(Duration.ofSeconds(30)).until(() -> appPods(cluster, "orders-api").stream()
                .anyMatch(p -> "7".equals(p.getMetadata().getLabels().get("lockstep.dev/requires-revision"))
                        && condition(p, GATE).map(c -> c.getMessage().contains("SQLSTATE 42P01")).orElse(false)));
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            List<Pod> pods = appPods(cluster, "orders-api");
            assertThat(pods.stream().filter(p -> "6".equals(p.getMetadata().getLabels().get("lockstep.dev/requires-revision"))))
                    .as("old pods keep serving").hasSize(2).allMatch(RollingGateApiServerIT::ready);
            assertThat(pods.stream().filter(p -> "7".equals(p.getMetadata().getLabels().get("lockstep.dev/requires-revision"))))
                    .as("new pods are held").isNotEmpty().noneMatch(RollingGateApiServerIT::ready);
        });
        assertThat(cluster.client().apps().deployments().inNamespace(cluster.namespace()).withName("orders-api").get()
                .getStatus().getAvailableReplicas()).isEqualTo(2);
        SchemaMigration stalled = cluster.get("accounts");
        assertThat(stalled.getStatus().getCurrentRevision()).isEqualTo("6");
        assertThat(stalled.getStatus().getWorkloads().getHeldPods()).isEqualTo(1);
        assertThat(stalled.getStatus().getWorkloads().getHeld()).singleElement().asString().endsWith("=7");
    }

    @Test
    void podNamingAMissingSchemaMigrationIsToldSoAndAnEventSaysIt(Cluster cluster) {
        cluster.startOperator();
        Pod pod = new PodBuilder().withNewMetadata().withName("typo").addToLabels("app", "typo")
                .addToLabels("lockstep.dev/schema", "acounts").addToLabels("lockstep.dev/requires-revision", "6").endMetadata()
                .withSpec(template("typo", "acounts", "6").getSpec()).build();

        cluster.client().pods().inNamespace(cluster.namespace()).resource(pod).create();

        await().atMost(Duration.ofSeconds(20)).until(() -> appPods(cluster, "typo").stream()
                .anyMatch(p -> condition(p, GATE).map(c -> "SchemaMigrationNotFound".equals(c.getReason())).orElse(false)));
        Pod held = appPods(cluster, "typo").get(0);
        assertThat(condition(held, GATE).orElseThrow().getMessage()).contains("SchemaMigration acounts", "does not exist");
        assertThat(ready(held)).isFalse();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(cluster.events("typo"))
                .extracting(Event::getReason).contains("SchemaMigrationNotFound"));
    }
}
