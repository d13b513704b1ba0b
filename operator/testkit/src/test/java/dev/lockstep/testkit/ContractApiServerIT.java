package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.RunStep;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Expand / contract on the real control plane: the contract step runs only once no pod needs the old schema. */
@ExtendWith(ControlPlaneExtension.class)
class ContractApiServerIT {
    private static final Map<String, String> SCRIPTS = Migrations.USERS_WITH_CONTRACT;


    private static List<String> columns(TestDatabase db) {
        return db.column("SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY 1");
    }

    private static List<Job> contractJobs(Cluster cluster) {
        return cluster.jobs().stream().filter(j -> "Contract".equals(j.getMetadata().getAnnotations().get("lockstep.dev/step"))).toList();
    }

    @Test
    void contractStepWaitsForTheLastPodOnTheOldRevisionThenRuns(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("users-db", "users-migrations", SCRIPTS);
        cluster.startOperator();
        cluster.apply(Migrations.fromConfigMap("users", "1", db, "users-db", "users-migrations"));
        cluster.client().apps().deployments().inNamespace(cluster.namespace())
                .resource(RollingGateApiServerIT.deployment("users-api", "users", "1", 2)).create();
        // A worker on the old code that no Deployment will replace: the contract step must wait for it.
        Pod oldWorker = new PodBuilder().withNewMetadata().withName("old-worker").endMetadata()
                .withSpec(RollingGateApiServerIT.template("users-worker", "users", "1").getSpec()).build();
        oldWorker.getMetadata().setLabels(RollingGateApiServerIT.template("users-worker", "users", "1").getMetadata().getLabels());
        cluster.client().pods().inNamespace(cluster.namespace()).resource(oldWorker).create();
        cluster.awaitCondition("users", "Ready", "True", "MigrationSucceeded");

        // One change moves the app to code that needs revision 2 and the schema to 3 (whose step 3 drops `name`).
        cluster.editMigration("users", sm -> { sm.getSpec().setTargetRevision("3"); });
        cluster.rollDeployment("users-api", RollingGateApiServerIT.template("users-api", "users", "2"));

        SchemaMigration waiting = cluster.awaitCondition("users", "Reconciling", "True", "ContractWaitingForPods");
        assertThat(waiting.getStatus().getPhase()).isEqualTo(Phase.Contracting);
        assertThat(waiting.getStatus().getCurrentRevision()).isEqualTo("2");
        assertThat(waiting.getStatus().getHeldForContract()).containsExactly("3");
        assertThat(Cluster.condition(waiting, "Reconciling").orElseThrow().getMessage())
                .contains("contract step 3 waits for", "old-worker=1");
        // The new Deployment pods are released by the expand step; the old column is still there for old-worker.
        await().atMost(Duration.ofSeconds(60)).until(() -> Integer.valueOf(2).equals(cluster.client().apps().deployments()
                .inNamespace(cluster.namespace()).withName("users-api").get().getStatus().getUpdatedReplicas())
                && cluster.client().pods().inNamespace(cluster.namespace()).withLabel("app", "users-api").list().getItems().stream()
                        .allMatch(p -> "2".equals(p.getMetadata().getLabels().get("lockstep.dev/requires-revision"))));
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> contractJobs(cluster).isEmpty());
        assertThat(columns(db)).containsExactly("display_name", "id", "name");
        assertThat(Cluster.condition(cluster.get("users"), "Reconciling").orElseThrow().getMessage())
                .contains("old-worker=1").doesNotContain("users-api");

        cluster.client().pods().inNamespace(cluster.namespace()).withName("old-worker").delete();

        SchemaMigration ready = cluster.awaitCondition("users", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("3");
        assertThat(ready.getStatus().getHeldForContract()).isNullOrEmpty();
        assertThat(ready.getStatus().getLastRun().getStep()).isEqualTo(RunStep.Contract);
        assertThat(contractJobs(cluster)).hasSize(1);
        assertThat(columns(db)).containsExactly("display_name", "id");
    }

    @Test
    void aTerminatingPodOnTheOldRevisionHoldsTheContractStepUntilItIsGone(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("users-db", "users-migrations", SCRIPTS);
        cluster.startOperator();
        // An old worker whose shutdown takes a while: a finalizer keeps it terminating, as a grace period would.
        Pod oldWorker = new PodBuilder().withMetadata(RollingGateApiServerIT.template("users-worker", "users", "1").getMetadata())
                .withSpec(RollingGateApiServerIT.template("users-worker", "users", "1").getSpec()).build();
        oldWorker.getMetadata().setName("old-worker");
        oldWorker.getMetadata().setFinalizers(List.of("lockstep.dev/test-slow-shutdown"));
        cluster.client().pods().inNamespace(cluster.namespace()).resource(oldWorker).create();
        cluster.apply(Migrations.fromConfigMap("users", "1", db, "users-db", "users-migrations"));
        cluster.awaitCondition("users", "Ready", "True", "MigrationSucceeded");

        cluster.client().pods().inNamespace(cluster.namespace()).withName("old-worker").delete();
        cluster.editMigration("users", sm -> { sm.getSpec().setTargetRevision("3"); });

        SchemaMigration waiting = cluster.awaitCondition("users", "Reconciling", "True", "ContractWaitingForPods");
        assertThat(Cluster.condition(waiting, "Reconciling").orElseThrow().getMessage())
                .contains("old-worker=1", "1 terminating");
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> contractJobs(cluster).isEmpty());
        assertThat(columns(db)).contains("name");

        cluster.mergePatch(cluster.client().pods().inNamespace(cluster.namespace()).withName("old-worker"),
                Map.of("metadata", Map.of("finalizers", List.of())));

        SchemaMigration ready = cluster.awaitCondition("users", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("3");
        assertThat(columns(db)).containsExactly("display_name", "id");
    }

    @Test
    void withNoPodOnTheOldRevisionTheContractStepFollowsAtOnce(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("users-db", "users-migrations", SCRIPTS);
        cluster.startOperator();

        cluster.apply(Migrations.fromConfigMap("users", "latest", db, "users-db", "users-migrations"));

        SchemaMigration ready = cluster.awaitCondition("users", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("3");
        assertThat(cluster.jobs()).hasSize(2);
        assertThat(contractJobs(cluster)).hasSize(1);
        assertThat(columns(db)).containsExactly("display_name", "id");
    }

    @Test
    void contractStepWaitsForAnApprovalInTheSpecWhenOneIsRequired(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("users-db", "users-migrations", SCRIPTS);
        cluster.startOperator();
        SchemaMigration sm = Migrations.fromConfigMap("users", "3", db, "users-db", "users-migrations");
        var contract = new dev.lockstep.api.v1alpha1.ContractSpec();
        contract.setRequireApproval(true);
        sm.getSpec().setContract(contract);

        cluster.apply(sm);

        SchemaMigration awaiting = cluster.awaitCondition("users", "Reconciling", "True", "ContractAwaitingApproval");
        assertThat(awaiting.getStatus().getPhase()).isEqualTo(Phase.AwaitingApproval);
        assertThat(Cluster.condition(awaiting, "Reconciling").orElseThrow().getMessage())
                .contains("spec.contract.approvedRevision: \"3\"");
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> contractJobs(cluster).isEmpty());
        assertThat(columns(db)).contains("name");

        cluster.editMigration("users", s -> { s.getSpec().getContract().setApprovedRevision("3"); });

        SchemaMigration ready = cluster.awaitCondition("users", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("3");
        assertThat(cluster.jobs()).as("the approval started no new expand run").hasSize(2);
        assertThat(columns(db)).containsExactly("display_name", "id");
    }

    @Test
    void newPodsThatRequireTheContractRevisionItselfAreCalledOut(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("users-db", "users-migrations", SCRIPTS);
        cluster.startOperator();
        Pod oldWorker = new PodBuilder().withMetadata(RollingGateApiServerIT.template("users-worker", "users", "1").getMetadata())
                .withSpec(RollingGateApiServerIT.template("users-worker", "users", "1").getSpec()).build();
        oldWorker.getMetadata().setName("old-worker");
        cluster.client().pods().inNamespace(cluster.namespace()).resource(oldWorker).create();
        Pod newWorker = new PodBuilder().withMetadata(RollingGateApiServerIT.template("users-worker", "users", "3").getMetadata())
                .withSpec(RollingGateApiServerIT.template("users-worker", "users", "3").getSpec()).build();
        newWorker.getMetadata().setName("new-worker");
        cluster.client().pods().inNamespace(cluster.namespace()).resource(newWorker).create();

        cluster.apply(Migrations.fromConfigMap("users", "3", db, "users-db", "users-migrations"));

        SchemaMigration waiting = cluster.awaitCondition("users", "Reconciling", "True", "ContractWaitingForPods");
        assertThat(Cluster.condition(waiting, "Reconciling").orElseThrow().getMessage())
                .contains("old-worker=1", "Pods that require 3 wait for the contract step", "require 2 (the last expand step) instead");
    }

    @Test
    void contractStepWaitsForAStatefulSetToFinishItsUpdateAndForAnOldCronJobPod(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("users-db", "users-migrations", SCRIPTS);
        cluster.startOperator();
        cluster.apply(Migrations.fromConfigMap("users", "1", db, "users-db", "users-migrations"));
        cluster.client().apps().statefulSets().inNamespace(cluster.namespace()).resource(new StatefulSetBuilder()
                .withNewMetadata().withName("ledger").endMetadata()
                .withNewSpec().withReplicas(2).withServiceName("ledger").withNewSelector().addToMatchLabels("app", "ledger").endSelector()
                    .withNewUpdateStrategy().withType("RollingUpdate").endUpdateStrategy()
                    .withTemplate(RollingGateApiServerIT.template("ledger", "users", "1")).endSpec().build()).create();
        // The Job a CronJob made last night, still running on the old code (batch/v1 CronJob is not in Kubernetes 1.20;
        // the gate sees only the Job's pod either way).
        PodTemplateSpec report = RollingGateApiServerIT.template("nightly-report", "users", "1");
        report.getSpec().setRestartPolicy("Never");
        cluster.client().batch().v1().jobs().inNamespace(cluster.namespace()).resource(new JobBuilder()
                .withNewMetadata().withName("nightly-report-27391440").endMetadata()
                .withNewSpec().withBackoffLimit(0).withTemplate(report).endSpec().build()).create();
        cluster.awaitCondition("users", "Ready", "True", "MigrationSucceeded");
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.client().pods().inNamespace(cluster.namespace())
                .withLabel("lockstep.dev/schema", "users").list().getItems().size() == 3);

        cluster.editMigration("users", sm -> { sm.getSpec().setTargetRevision("3"); });
        cluster.mergePatch(cluster.client().apps().statefulSets().inNamespace(cluster.namespace()).withName("ledger"),
                Map.of("spec", Map.of("template", RollingGateApiServerIT.template("ledger", "users", "2"))));

        SchemaMigration waiting = cluster.awaitCondition("users", "Reconciling", "True", "ContractWaitingForPods");
        assertThat(Cluster.condition(waiting, "Reconciling").orElseThrow().getMessage()).contains("nightly-report-27391440-");
        // The StatefulSet rolls pod by pod (each new one released by the expand step); only the report's pod still holds.
        await().atMost(Duration.ofSeconds(60)).until(() -> Integer.valueOf(2).equals(cluster.client().apps().statefulSets()
                .inNamespace(cluster.namespace()).withName("ledger").get().getStatus().getUpdatedReplicas())
                && Integer.valueOf(2).equals(cluster.client().apps().statefulSets()
                .inNamespace(cluster.namespace()).withName("ledger").get().getStatus().getReadyReplicas()));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Cluster.condition(cluster.get("users"), "Reconciling")
                .orElseThrow().getMessage()).contains("waits for 1 pod(s)", "nightly-report-27391440-").doesNotContain("ledger-"));
        assertThat(contractJobs(cluster)).isEmpty();
        assertThat(columns(db)).contains("name");

        cluster.client().batch().v1().jobs().inNamespace(cluster.namespace()).withName("nightly-report-27391440")
                .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND).delete();

        SchemaMigration ready = cluster.awaitCondition("users", "Ready", "True", "MigrationSucceeded");
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("3");
        assertThat(contractJobs(cluster)).hasSize(1);
        assertThat(columns(db)).containsExactly("display_name", "id");
    }
}
