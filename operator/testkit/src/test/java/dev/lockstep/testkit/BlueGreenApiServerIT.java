package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.api.v1alpha1.BlueGreenPhase;
import dev.lockstep.api.v1alpha1.BlueGreenSpec;
import dev.lockstep.api.v1alpha1.RolloutSpec;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.javaoperatorsdk.operator.Operator;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Blue/green on the real control plane: the Service switches to green only once every green pod is Ready on the
 * schema it requires; a failure before the switch leaves blue serving; a restart never switches twice.
 */
@ExtendWith(ControlPlaneExtension.class)
class BlueGreenApiServerIT {
    private static final String COLOR = "lockstep.dev/color";

    private static Deployment side(String color, String requires, int replicas) {
        PodTemplateSpec template = RollingGateApiServerIT.template("accounts-api", "accounts", requires);
        template.getMetadata().getLabels().put(COLOR, color);
        return new DeploymentBuilder().withNewMetadata().withName("accounts-api-" + color).endMetadata()
                .withNewSpec().withReplicas(replicas)
                    .withNewSelector().addToMatchLabels("app", "accounts-api").addToMatchLabels(COLOR, color).endSelector()
                    .withTemplate(template)
                .endSpec().build();
    }

    private static String selected(Cluster cluster) {
        return cluster.client().services().inNamespace(cluster.namespace()).withName("accounts-api").get()
                .getSpec().getSelector().get(COLOR);
    }

    private static List<Pod> pods(Cluster cluster, String color) {
        return cluster.client().pods().inNamespace(cluster.namespace()).withLabel(COLOR, color).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    private static boolean ready(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static SchemaMigration blueGreen(TestDatabase db, String target) {
        SchemaMigration sm = Migrations.fromConfigMap("accounts", target, db, "accounts-db", "accounts-migrations");
        RolloutSpec rollout = new RolloutSpec();
        rollout.setStrategy(RolloutSpec.Strategy.BlueGreen);
        BlueGreenSpec spec = new BlueGreenSpec();
        spec.setService("accounts-api");
        rollout.setBlueGreen(spec);
        sm.getSpec().setRollout(rollout);
        return sm;
    }

    /** Blue at revision 6, serving, with the SchemaMigration Ready. */
    private static Map<String, String> startOnBlue(Cluster cluster, TestDatabase db) {
        cluster.credentialsSecret("accounts-db", db);
        Map<String, String> scripts = new HashMap<>(Scripts.read(Cluster.MIGRATIONS));
        cluster.scriptsConfigMap("accounts-migrations", scripts);
        cluster.client().services().inNamespace(cluster.namespace()).resource(new ServiceBuilder()
                .withNewMetadata().withName("accounts-api").endMetadata()
                .withNewSpec().addToSelector("app", "accounts-api").addToSelector(COLOR, "blue")
                    .addNewPort().withPort(80).withNewTargetPort(8080).endPort().endSpec().build()).create();
        cluster.client().apps().deployments().inNamespace(cluster.namespace()).resource(side("blue", "6", 2)).create();
        cluster.apply(blueGreen(db, "6"));
        cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
        await().atMost(Duration.ofSeconds(30)).until(() -> pods(cluster, "blue").size() == 2 && pods(cluster, "blue").stream().allMatch(BlueGreenApiServerIT::ready));
        return scripts;
    }

    @Test
    void switchesToGreenOnlyOnceGreenIsReadyOnTheNewSchemaAndNeverSwitchesTwice(Cluster cluster) throws Exception {
        TestDatabase db = cluster.database();
        Operator operator = cluster.startOperator();
        Map<String, String> scripts = startOnBlue(cluster, db);
        assertThat(cluster.get("accounts").getStatus().getBlueGreen().getState()).isEqualTo(BlueGreenPhase.Idle);
        assertThat(cluster.get("accounts").getStatus().getBlueGreen().getActiveColor()).isEqualTo("blue");

        // Watch the invariant the whole time: whenever the Service selects green, every green pod is Ready.
        AtomicInteger violations = new AtomicInteger();
        AtomicReference<String> violation = new AtomicReference<>();
        ScheduledExecutorService monitor = Executors.newSingleThreadScheduledExecutor();
        monitor.scheduleAtFixedRate(() -> {
            try {
                if ("green".equals(selected(cluster))) {
                    List<Pod> green = pods(cluster, "green");
                    if (green.isEmpty() || !green.stream().allMatch(BlueGreenApiServerIT::ready)) {
                        violations.incrementAndGet();
                        violation.set("selects green while green pods are not all Ready: " + green.size());
                    }
                }
            } catch (RuntimeException ignored) {
                // a poll that failed says nothing either way
            }
        }, 0, 50, TimeUnit.MILLISECONDS);
        try {
            scripts.put("V7__add_user_locale.sql", "ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT 'en';");
            cluster.scriptsConfigMap("accounts-migrations", scripts);
            cluster.kubelet().delayStart(LocalKubelet.inNamespace(cluster.namespace())
                    .and(p -> "runner".equals(p.getMetadata().getLabels().get("app.kubernetes.io/component"))), Duration.ofSeconds(3));
            cluster.editMigration("accounts", sm -> { sm.getSpec().setTargetRevision("7"); });
            cluster.client().apps().deployments().inNamespace(cluster.namespace()).resource(side("green", "7", 2)).create();

            await().atMost(Duration.ofSeconds(30)).until(() -> BlueGreenPhase.PreviewGated == cluster.get("accounts").getStatus().getBlueGreen().getState());
            assertThat(selected(cluster)).isEqualTo("blue");

            await().atMost(Duration.ofSeconds(60)).until(() -> "green".equals(selected(cluster)));
            SchemaMigration flipped = cluster.get("accounts");
            assertThat(flipped.getStatus().getCurrentRevision()).isEqualTo("7");
            await().atMost(Duration.ofSeconds(10)).until(() -> BlueGreenPhase.Draining == cluster.get("accounts").getStatus().getBlueGreen().getState());
            String lastFlip = cluster.get("accounts").getStatus().getBlueGreen().getLastFlip();
            assertThat(lastFlip).isNotNull();

            // A restarted operator sees green selected and blue on older code: it does not switch back.
            cluster.stop(operator);
            cluster.startOperator();
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> "green".equals(selected(cluster)));
            assertThat(cluster.get("accounts").getStatus().getBlueGreen().getLastFlip()).isEqualTo(lastFlip);

            cluster.client().apps().deployments().inNamespace(cluster.namespace()).withName("accounts-api-blue").scale(0);
            await().atMost(Duration.ofSeconds(30)).until(() -> BlueGreenPhase.Idle == cluster.get("accounts").getStatus().getBlueGreen().getState());
            assertThat(cluster.get("accounts").getStatus().getBlueGreen().getActiveColor()).isEqualTo("green");
        } finally {
            monitor.shutdownNow();
        }
        assertThat(violations.get()).as(String.valueOf(violation.get())).isZero();
        System.out.println("[apiserver-it] blue/green invariant monitor: 0 violations");
    }

    @Test
    void failureBeforeTheSwitchLeavesBlueServingAndSaysHowToRollBack(Cluster cluster) {
        TestDatabase db = cluster.database();
        cluster.startOperator();
        Map<String, String> scripts = startOnBlue(cluster, db);

        scripts.put("V7__add_user_locale.sql", "ALTER TABLE no_such_table ADD COLUMN locale text;");
        cluster.scriptsConfigMap("accounts-migrations", scripts);
        cluster.editMigration("accounts", sm -> { sm.getSpec().setTargetRevision("7"); });
        cluster.client().apps().deployments().inNamespace(cluster.namespace()).resource(side("green", "7", 2)).create();

        cluster.awaitCondition("accounts", "Stalled", "True", "MigrationFailed");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(cluster.get("accounts").getStatus().getBlueGreen().getMessage())
                        .contains("blue keeps serving", "roll back"));
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> "blue".equals(selected(cluster)));
        assertThat(pods(cluster, "blue")).hasSize(2).allMatch(BlueGreenApiServerIT::ready);
        assertThat(pods(cluster, "green")).noneMatch(BlueGreenApiServerIT::ready);
        assertThat(cluster.get("accounts").getStatus().getBlueGreen().getLastFlip()).isNull();
    }
}
