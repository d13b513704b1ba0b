package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.OperatorCommand;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.javaoperatorsdk.operator.Operator;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The local kubelet itself: application pods, readiness gates and injected faults, on the real API server. */
@ExtendWith(ControlPlaneExtension.class)
class LocalKubeletApiServerIT {
    private static final String GATE = "lockstep.dev/schema-ready";

    private static Pod appPod(String name, boolean gated) {
        PodBuilder pod = new PodBuilder().withNewMetadata().withName(name).addToLabels("app", "orders").endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("orders-api:2").endContainer().endSpec();
        if (gated) {
            pod.editSpec().addNewReadinessGate().withConditionType(GATE).endReadinessGate().endSpec();
        }
        return pod.build();
    }

    private static Optional<PodCondition> condition(Pod pod, String type) {
        return pod.getStatus() == null || pod.getStatus().getConditions() == null ? Optional.empty()
                : pod.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    private Pod get(Cluster cluster, String name) {
        return cluster.client().pods().inNamespace(cluster.namespace()).withName(name).get();
    }

    @Test
    void gatedPodRunsButIsReadyOnlyOnceItsGateIsTrue(Cluster cluster) {
        cluster.client().pods().inNamespace(cluster.namespace()).resource(appPod("gated", true)).create();
        cluster.client().pods().inNamespace(cluster.namespace()).resource(appPod("plain", false)).create();

        await().atMost(Duration.ofSeconds(20)).until(() -> "Running".equals(get(cluster, "gated").getStatus().getPhase())
                && condition(get(cluster, "plain"), "Ready").map(c -> "True".equals(c.getStatus())).orElse(false));
        Pod gated = get(cluster, "gated");
        assertThat(condition(gated, "ContainersReady").orElseThrow().getStatus()).isEqualTo("True");
        assertThat(condition(gated, "Ready").orElseThrow().getStatus()).isEqualTo("False");
        assertThat(condition(gated, "Ready").orElseThrow().getReason()).isEqualTo("ReadinessGatesNotReady");
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                .until(() -> "False".equals(condition(get(cluster, "gated"), "Ready").orElseThrow().getStatus()));

        // What the operator will do: set the gate's condition on the pod's status.
        cluster.client().pods().inNamespace(cluster.namespace()).withName("gated").editStatus(p -> {
            p.getStatus().getConditions().add(new PodConditionBuilder().withType(GATE).withStatus("True")
                    .withLastTransitionTime(Instant.now().toString()).build());
            return p;
        });

        await().atMost(Duration.ofSeconds(10)).until(() ->
                "True".equals(condition(get(cluster, "gated"), "Ready").orElseThrow().getStatus()));
        assertThat(condition(get(cluster, "gated"), GATE).orElseThrow().getStatus()).as("the kubelet keeps others' conditions").isEqualTo("True");
    }

    @Test
    void injectedFaultsLookLikeTheirRealCounterparts(Cluster cluster) {
        cluster.kubelet().inject(LocalKubelet.namePrefix("never-"), LocalKubelet.Fault.NEVER_START);
        cluster.kubelet().inject(LocalKubelet.namePrefix("lost-"), LocalKubelet.Fault.NODE_LOST);
        cluster.kubelet().delayStart(LocalKubelet.namePrefix("slow-"), Duration.ofSeconds(3));
        Instant created = Instant.now();
        for (String name : new String[] {"never-1", "lost-1", "slow-1"}) {
            cluster.client().pods().inNamespace(cluster.namespace()).resource(appPod(name, false)).create();
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> condition(get(cluster, "slow-1"), "Ready")
                .map(c -> "True".equals(c.getStatus())).orElse(false));
        assertThat(Duration.between(created, Instant.now())).isGreaterThanOrEqualTo(Duration.ofSeconds(3));
        Pod lost = get(cluster, "lost-1");
        assertThat(lost.getStatus().getPhase()).isEqualTo("Running");
        assertThat(condition(lost, "Ready").orElseThrow().getReason()).isEqualTo("NodeLost");
        Pod never = get(cluster, "never-1");
        assertThat(never.getStatus().getPhase()).isEqualTo("Pending");
        assertThat(never.getStatus().getContainerStatuses()).isNullOrEmpty();
    }

    @Test
    void kubectlLogsOfARunnerJobShowsTheRunnersOutputThroughTheApiServer(Cluster cluster) {
        TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
        cluster.startOperator();
        cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations"));
        SchemaMigration ready = cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded", Duration.ofSeconds(90));
        String job = ready.getStatus().getLastRun().getJob();

        ControlPlane.Result logs = cluster.controlPlane().kubectl("-n", cluster.namespace(), "logs", "job/" + job);
        ControlPlane.Result tail = cluster.controlPlane().kubectl("-n", cluster.namespace(), "logs", "job/" + job, "--tail=1");

        assertThat(logs.exit()).as(logs.output()).isZero();
        assertThat(logs.stdout()).contains("lockstep migrate", "applied").contains("database at revision 6")
                .isEqualTo(cluster.kubelet().logs(cluster.namespace(), cluster.client().pods().inNamespace(cluster.namespace())
                        .withLabel("job-name", job).list().getItems().get(0).getMetadata().getName()));
        assertThat(tail.exit()).as(tail.output()).isZero();
        assertThat(tail.stdout().strip().lines()).hasSize(1);
        assertThat(logs.stdout()).endsWith(tail.stdout());
    }

    @Test
    void aRestartedKubeletFindsItsRunningRunnerAgainInsteadOfStartingASecondOne(Cluster cluster, @TempDir Path pods) {
        String ns = ControlPlaneExtension.OWN_KUBELET + UUID.randomUUID().toString().substring(0, 8);
        ControlPlaneExtension.createNamespace(cluster.client(), ns);
        TestDatabase db = cluster.database();
        cluster.client().secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("orders-db").endMetadata()
                .addToStringData("username", db.username())
                .addToStringData("password", db.password() == null ? "unused-with-trust-auth" : db.password()).build()).create();
        cluster.client().configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("orders-migrations")
                .endMetadata().withData(Map.of("V1__create_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);",
                        "V2__slow.sql", "ALTER TABLE orders ADD COLUMN note text;\nSELECT pg_sleep(8);")).build()).create();
        LocalKubelet first = new LocalKubelet(cluster.client(), LocalKubelet.sameJvmCommand(), pods).withNodeName("restart-node").start();
        LocalKubelet second = null;
        Operator operator = OperatorCommand.start(cluster.controlPlane().client(), Cluster.SETTINGS, List.of(ns), null);
        try {
            SchemaMigration sm = Migrations.fromConfigMap("orders", "2", db, "orders-db", "orders-migrations");
            sm.getMetadata().setNamespace(ns);
            cluster.client().resource(sm).inNamespace(ns).create();
            // In the migration itself (V1 recorded, V2 sleeping), not in its dry run, which sleeps as well.
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() ->
                    db.tables("public").contains("flyway_schema_history")
                    && db.column("SELECT count(*) FROM flyway_schema_history WHERE version = '1'").get(0).equals("1")
                    && db.column("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'"
                            + " AND query LIKE '%pg_sleep(8)%' AND pid <> pg_backend_pid()").get(0).equals("1"));

            first.crash(); // the runner keeps running, as containers do when their kubelet dies
            second = new LocalKubelet(cluster.client(), LocalKubelet.sameJvmCommand(), pods).withNodeName("restart-node").start();

            await().atMost(Duration.ofSeconds(90)).until(() -> {
                SchemaMigration now = cluster.client().resources(SchemaMigration.class).inNamespace(ns).withName("orders").get();
                return now.getStatus() != null && now.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
            });
            SchemaMigration ready = cluster.client().resources(SchemaMigration.class).inNamespace(ns).withName("orders").get();
            assertThat(ready.getStatus().getLastRun().getApplied()).as("the report of the runner that applied them")
                    .extracting(dev.lockstep.api.v1alpha1.AppliedMigration::getVersion).containsExactly("1", "2");
            assertThat(db.column("SELECT version FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank"))
                    .containsExactly("1", "2");
            String job = ready.getStatus().getLastRun().getJob();
            String pod = cluster.client().pods().inNamespace(ns).withLabel("job-name", job).list().getItems().get(0).getMetadata().getName();
            assertThat(cluster.client().pods().inNamespace(ns).withLabel("job-name", job).list().getItems()).hasSize(1);
            assertThat(second.logs(ns, pod)).as("one runner wrote the log").containsOnlyOnce("lockstep migrate");
            // The log is still served, now by the second kubelet.
            ControlPlane.Result logs = cluster.controlPlane().kubectl("-n", ns, "logs", "job/" + job);
            assertThat(logs.exit()).as(logs.output()).isZero();
            assertThat(logs.stdout()).contains("database at revision 2");
        } finally {
            operator.stop();
            first.close();
            if (second != null) {
                second.close();
            }
            cluster.client().namespaces().withName(ns).delete();
        }
    }
}
