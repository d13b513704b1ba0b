package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.api.v1alpha1.RunnerPodTemplate;
import dev.lockstep.api.v1alpha1.RunnerSpec;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.OperatorCommand;
import dev.lockstep.operator.OperatorSettings;
import dev.lockstep.operator.jobs.RunnerJobs;
import dev.lockstep.operator.jobs.RunnerPodDefaults;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.AnyType;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.javaoperatorsdk.operator.Operator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * spec.runner.podTemplate and the operator's --runner-pod-template on the real control plane: a toleration,
 * annotations, env and an extra ConfigMap volume reach the runner pod the Job controller makes, the operator's own
 * template under the SchemaMigration's; the migration still runs; an override of Lockstep's own is refused before any
 * Job, naming the field, and the API server keeps what the CRD says of the template.
 */
@ExtendWith(ControlPlaneExtension.class)
class PodTemplateApiServerIT {
    @Test
    void aPodTemplateReachesTheRunnerPodAndAnOverrideOfLockstepsOwnIsRefused(Cluster cluster) throws Exception {
        TestDatabase db = cluster.databaseWithScripts("orders-db", "orders-migrations", Cluster.MIGRATIONS);
        cluster.credentialsSecret("other-db", cluster.database());
        cluster.client().configMaps().inNamespace(cluster.namespace()).resource(new ConfigMapBuilder().withNewMetadata()
                .withName("extra").endMetadata().addToData("motd", "hello").build()).create();

        RunnerPodTemplate defaults = new RunnerPodTemplate();
        defaults.setTolerations(List.of(new TolerationBuilder().withKey("spot").withOperator("Exists").withEffect("NoSchedule").build()));
        defaults.setNodeSelector(Map.of("kubernetes.io/os", "linux"));
        OperatorSettings settings = new OperatorSettings(Cluster.SETTINGS.runnerImage(), Cluster.SETTINGS.runnerImagePullPolicy(),
                Cluster.SETTINGS.databaseRetry(), Map.of(), new RunnerPodDefaults(null, 65532L, 65532L, null, null, defaults));
        Operator operator = OperatorCommand.start(cluster.controlPlane().client(), settings, List.of(cluster.namespace()), null);
        try {
            SchemaMigration sm = Migrations.fromConfigMap("orders", "6", db, "orders-db", "orders-migrations");
            RunnerPodTemplate own = new RunnerPodTemplate();
            RunnerPodTemplate.Metadata meta = new RunnerPodTemplate.Metadata();
            meta.setAnnotations(Map.of("example.com/owner", "payments"));
            meta.setLabels(Map.of("team", "payments"));
            own.setMetadata(meta);
            own.setTolerations(List.of(new TolerationBuilder().withKey("dedicated").withOperator("Equal").withValue("migrations")
                    .withEffect("NoSchedule").build()));
            own.setEnv(List.of(new EnvVarBuilder().withName("TZ").withValue("UTC").build()));
            own.setVolumes(List.of(new VolumeBuilder().withName("extra").withNewConfigMap().withName("extra").endConfigMap().build()));
            own.setVolumeMounts(List.of(new VolumeMountBuilder().withName("extra").withMountPath("/etc/extra").withReadOnly(true).build()));
            sm.getSpec().setRunner(new RunnerSpec());
            sm.getSpec().getRunner().setPodTemplate(own);
            cluster.apply(sm);

            SchemaMigration stored = cluster.get("orders");
            assertThat(stored.getSpec().getRunner().getPodTemplate().getVolumes()).as("kept by the API server, as the CRD says")
                    .singleElement().satisfies(v -> assertThat(v.getConfigMap().getName()).isEqualTo("extra"));
            cluster.awaitCondition("orders", "Ready", "True", "MigrationSucceeded");

            Pod pod = cluster.client().pods().inNamespace(cluster.namespace()).withLabel(RunnerJobs.LABEL_SCHEMA_MIGRATION, "orders")
                    .list().getItems().get(0);
            assertThat(pod.getMetadata().getAnnotations()).containsEntry("example.com/owner", "payments");
            assertThat(pod.getMetadata().getLabels()).containsEntry("team", "payments");
            assertThat(pod.getSpec().getTolerations()).extracting(t -> t.getKey()).contains("spot", "dedicated");
            assertThat(pod.getSpec().getNodeSelector()).containsEntry("kubernetes.io/os", "linux");
            assertThat(pod.getSpec().getVolumes()).extracting(v -> v.getName()).contains("migrations", "tmp", "extra");
            assertThat(pod.getSpec().getContainers().get(0).getEnv()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("TZ"));
            assertThat(pod.getSpec().getContainers().get(0).getVolumeMounts()).extracting(m -> m.getMountPath()).contains("/etc/extra");

            SchemaMigration elsewhere = Migrations.fromConfigMap("elsewhere", "6", db.url().replace(db.name(), db.name() + "_x"),
                    "other-db", "orders-migrations");
            RunnerPodTemplate override = new RunnerPodTemplate();
            override.setEnv(List.of(new EnvVarBuilder().withName("LOCKSTEP_DB_URL").withValue(db.url()).build()));
            elsewhere.getSpec().setRunner(new RunnerSpec());
            elsewhere.getSpec().getRunner().setPodTemplate(override);
            cluster.apply(elsewhere);
            var refused = Cluster.condition(cluster.awaitCondition("elsewhere", "Stalled", "True", "InvalidSpec"), "Stalled").orElseThrow();
            assertThat(refused.getMessage()).contains("spec.runner.podTemplate.env[0]: LOCKSTEP_DB_URL is read by the runner");

            SchemaMigration command = Migrations.fromConfigMap("command", "6", db.url().replace(db.name(), db.name() + "_y"),
                    "other-db", "orders-migrations");
            RunnerPodTemplate withCommand = new RunnerPodTemplate();
            withCommand.setCommand(new AnyType(List.of("sh", "-c", "psql")));
            command.getSpec().setRunner(new RunnerSpec());
            command.getSpec().getRunner().setPodTemplate(withCommand);
            cluster.apply(command);
            assertThat(Cluster.condition(cluster.awaitCondition("command", "Stalled", "True", "InvalidSpec"), "Stalled").orElseThrow()
                    .getMessage()).contains("spec.runner.podTemplate.command: the runner's command is Lockstep's own");
            assertThat(cluster.jobs()).extracting(j -> j.getMetadata().getAnnotations().get(RunnerJobs.ANNOTATION_SCHEMA_MIGRATION))
                    .containsOnly("orders");
        } finally {
            operator.stop();
        }
    }
}
