package dev.lockstep.operator.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.api.v1alpha1.RunnerPodTemplate;
import dev.lockstep.api.v1alpha1.RunnerSpec;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.Fixtures;
import dev.lockstep.operator.OperatorSettings;
import dev.lockstep.operator.observe.SpecValidator;
import io.fabric8.kubernetes.api.model.AnyType;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSourceBuilder;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Unit: the runner pod template's rules, one row per rule, and how templates merge over Lockstep's pod. */
class RunnerPodTemplatesTest {
    private static Toleration toleration(String key) {
        return new TolerationBuilder().withKey(key).withOperator("Exists").withEffect("NoSchedule").build();
    }

    private static RunnerPodTemplate template(Consumer<RunnerPodTemplate> change) {
        RunnerPodTemplate t = new RunnerPodTemplate();
        change.accept(t);
        return t;
    }

    private static RunnerPodTemplate.Metadata metadata(Map<String, String> labels, Map<String, String> annotations) {
        RunnerPodTemplate.Metadata m = new RunnerPodTemplate.Metadata();
        m.setLabels(labels);
        m.setAnnotations(annotations);
        return m;
    }

    private static Arguments refused(String name, String problem, Consumer<RunnerPodTemplate> change) {
        return Arguments.of(Named.of(name, template(change)), problem);
    }

    static Stream<Arguments> refusedTemplates() {
        return Stream.of(
                refused("the command", "spec.runner.podTemplate.command: the runner's command is Lockstep's own",
                        t -> t.setCommand(new AnyType(List.of("sh", "-c", "true")))),
                refused("the arguments", "spec.runner.podTemplate.args: the runner's args is Lockstep's own", t -> t.setArgs(new AnyType(List.of("x")))),
                refused("the image", "spec.runner.podTemplate.image: the runner's image is Lockstep's own (the operator's --runner-image)",
                        t -> t.setImage(new AnyType("evil:latest"))),
                refused("a label Lockstep selects by", "spec.runner.podTemplate.metadata.labels.app.kubernetes.io/component: Lockstep selects",
                        t -> t.setMetadata(metadata(Map.of("app.kubernetes.io/component", "x"), null))),
                refused("a lockstep.dev annotation", "spec.runner.podTemplate.metadata.annotations.lockstep.dev/schema-migration: keys under lockstep.dev/",
                        t -> t.setMetadata(metadata(null, Map.of("lockstep.dev/schema-migration", "other")))),
                refused("the credentials' env", "spec.runner.podTemplate.env[0]: LOCKSTEP_DB_PASSWORD is read by the runner",
                        t -> t.setEnv(List.of(new EnvVarBuilder().withName("LOCKSTEP_DB_PASSWORD").withValue("x").build()))),
                refused("the result path's env", "spec.runner.podTemplate.env[1]: LOCKSTEP_RESULT_FILE is read by the runner",
                        t -> t.setEnv(List.of(new EnvVarBuilder().withName("TZ").withValue("UTC").build(),
                                new EnvVarBuilder().withName("LOCKSTEP_RESULT_FILE").withValue("/tmp/x").build()))),
                refused("JVM options", "spec.runner.podTemplate.env[0]: JAVA_TOOL_OPTIONS is read by the runner",
                        t -> t.setEnv(List.of(new EnvVarBuilder().withName("JAVA_TOOL_OPTIONS").withValue("-Xmx1g").build()))),
                refused("envFrom without a prefix", "spec.runner.podTemplate.envFrom[0].prefix: is required",
                        t -> t.setEnvFrom(List.of(new EnvFromSourceBuilder().withNewConfigMapRef("app-env", false).build()))),
                refused("envFrom with Lockstep's prefix", "spec.runner.podTemplate.envFrom[0].prefix: 'LOCKSTEP_DB_' is one of Lockstep's",
                        t -> t.setEnvFrom(List.of(new EnvFromSourceBuilder().withPrefix("LOCKSTEP_DB_").withNewSecretRef("s", false).build()))),
                refused("a volume named as Lockstep's", "spec.runner.podTemplate.volumes[0].name: 'tmp' is one of Lockstep's",
                        t -> t.setVolumes(List.of(new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build()))),
                refused("a hostPath volume", "spec.runner.podTemplate.volumes[0]: hostPath is not allowed",
                        t -> t.setVolumes(List.of(new VolumeBuilder().withName("host").withNewHostPath().withPath("/").endHostPath().build()))),
                refused("a mount over the scripts", "spec.runner.podTemplate.volumeMounts[0].mountPath: '/lockstep/migrations' is at or around /lockstep",
                        t -> { t.setVolumes(List.of(new VolumeBuilder().withName("x").withNewEmptyDir().endEmptyDir().build()));
                            t.setVolumeMounts(List.of(new VolumeMountBuilder().withName("x").withMountPath("/lockstep/migrations").build())); }),
                refused("a mount over the result file", "'/dev' is at or around /dev/termination-log",
                        t -> { t.setVolumes(List.of(new VolumeBuilder().withName("x").withNewEmptyDir().endEmptyDir().build()));
                            t.setVolumeMounts(List.of(new VolumeMountBuilder().withName("x").withMountPath("/dev").build())); }),
                refused("a mount of no volume", "spec.runner.podTemplate.volumeMounts[0].name: 'nowhere' is no volume",
                        t -> t.setVolumeMounts(List.of(new VolumeMountBuilder().withName("nowhere").withMountPath("/etc/x").build()))),
                refused("root", "spec.runner.podTemplate.securityContext.runAsUser: 0 is root",
                        t -> t.setSecurityContext(new PodSecurityContextBuilder().withRunAsUser(0L).build())),
                refused("runAsNonRoot false", "spec.runner.podTemplate.securityContext.runAsNonRoot",
                        t -> t.setSecurityContext(new PodSecurityContextBuilder().withRunAsNonRoot(false).build())),
                refused("Unconfined seccomp", "spec.runner.podTemplate.securityContext.seccompProfile.type: Unconfined is not allowed",
                        t -> t.setSecurityContext(new PodSecurityContextBuilder().withNewSeccompProfile().withType("Unconfined").endSeccompProfile().build())),
                refused("sysctls", "spec.runner.podTemplate.securityContext.sysctls: not allowed",
                        t -> t.setSecurityContext(new PodSecurityContextBuilder().addNewSysctl("net.core.somaxconn", "1024").build())),
                refused("a privileged container", "spec.runner.podTemplate.containerSecurityContext.privileged: not allowed",
                        t -> t.setContainerSecurityContext(new SecurityContextBuilder().withPrivileged(true).build())),
                refused("privilege escalation", "containerSecurityContext.allowPrivilegeEscalation: stays false",
                        t -> t.setContainerSecurityContext(new SecurityContextBuilder().withAllowPrivilegeEscalation(true).build())),
                refused("an added capability", "containerSecurityContext.capabilities.add: runner pods drop every capability",
                        t -> t.setContainerSecurityContext(new SecurityContextBuilder().withNewCapabilities().withAdd("NET_ADMIN").endCapabilities().build())),
                refused("a writable root", "containerSecurityContext.readOnlyRootFilesystem: stays true",
                        t -> t.setContainerSecurityContext(new SecurityContextBuilder().withReadOnlyRootFilesystem(false).build())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedTemplates")
    void aTemplateThatWouldOverrideLockstepOrLoosenSecurityIsRefusedNamingTheField(RunnerPodTemplate template, String problem) {
        assertThat(RunnerPodTemplates.problem(template, "spec.runner.podTemplate")).hasValueSatisfying(p -> assertThat(p).contains(problem));
        // and so the spec is invalid, naming the field
        SchemaMigration sm = Fixtures.migration("shop", "orders", "6");
        sm.getSpec().setRunner(new RunnerSpec());
        sm.getSpec().getRunner().setPodTemplate(template);
        assertThat(SpecValidator.validate(sm.getSpec())).hasValueSatisfying(p -> {
            assertThat(p.field()).startsWith("spec.runner.podTemplate");
            assertThat(p.message()).contains(problem);
        });
    }

    static RunnerPodTemplate everything() {
        return template(t -> {
            t.setMetadata(metadata(Map.of("team", "payments"), Map.of("example.com/owner", "payments",
                    "sidecar.istio.io/inject", "true")));
            t.setNodeSelector(Map.of("pool", "migrations"));
            t.setTolerations(List.of(toleration("dedicated")));
            t.setPriorityClassName("migrations");
            t.setImagePullSecrets(List.of(new LocalObjectReference("registry")));
            t.setSecurityContext(new PodSecurityContextBuilder().withFsGroup(2000L).withSupplementalGroups(3000L).build());
            t.setContainerSecurityContext(new SecurityContextBuilder().withNewCapabilities().withDrop("NET_RAW").endCapabilities().build());
            t.setEnv(List.of(new EnvVarBuilder().withName("TZ").withValue("UTC").build()));
            t.setEnvFrom(List.of(new EnvFromSourceBuilder().withPrefix("APP_").withNewConfigMapRef("app-env", false).build()));
            t.setVolumes(List.of(new VolumeBuilder().withName("extra").withNewConfigMap().withName("extra").endConfigMap().build()));
            t.setVolumeMounts(List.of(new VolumeMountBuilder().withName("extra").withMountPath("/etc/extra").withReadOnly(true).build()));
        });
    }

    @Test
    void everyAllowedFieldPassesAndReachesTheRunnerPodUnderLockstepsOwn() {
        RunnerPodTemplate own = everything();
        assertThat(RunnerPodTemplates.problem(own, "spec.runner.podTemplate")).isEmpty();
        RunnerPodTemplate defaults = template(t -> {
            t.setMetadata(metadata(Map.of("team", "platform", "cost-centre", "42"), null));
            t.setNodeSelector(Map.of("pool", "general", "kubernetes.io/os", "linux"));
            t.setTolerations(List.of(toleration("spot")));
            t.setPriorityClassName("low");
            t.setEnv(List.of(new EnvVarBuilder().withName("TZ").withValue("Europe/Berlin").build(),
                    new EnvVarBuilder().withName("HTTPS_PROXY").withValue("http://proxy:3128").build()));
        });
        var settings = new OperatorSettings("lockstep:test", "IfNotPresent", null,
                Map.of("sidecar.istio.io/inject", "false"), new RunnerPodDefaults(null, 65532L, 65532L, null, null, defaults));
        SchemaMigration sm = Fixtures.migration("shop", "orders", "6");
        sm.getMetadata().setUid("uid");
        sm.getSpec().setRunner(new RunnerSpec());
        sm.getSpec().getRunner().setPodTemplate(own);

        Job job = new RunnerJobFactory(settings).create(sm, "orders-6-abc", "abc");
        var meta = job.getSpec().getTemplate().getMetadata();
        PodSpec pod = job.getSpec().getTemplate().getSpec();
        Container runner = pod.getContainers().get(0);

        assertThat(meta.getLabels()).containsEntry("team", "payments").containsEntry("cost-centre", "42")
                .containsEntry(RunnerJobs.LABEL_COMPONENT, RunnerJobs.COMPONENT_RUNNER);
        assertThat(meta.getAnnotations()).as("Lockstep's own win: the operator's mesh setting stays")
                .containsEntry("sidecar.istio.io/inject", "false").containsEntry("example.com/owner", "payments")
                .containsKey(RunnerJobs.ANNOTATION_SCHEMA_MIGRATION);
        assertThat(pod.getNodeSelector()).containsEntry("pool", "migrations").containsEntry("kubernetes.io/os", "linux");
        assertThat(pod.getTolerations()).extracting(Toleration::getKey).containsExactly("spot", "dedicated");
        assertThat(pod.getPriorityClassName()).isEqualTo("migrations");
        assertThat(pod.getImagePullSecrets()).extracting(LocalObjectReference::getName).containsExactly("registry");
        assertThat(pod.getSecurityContext().getFsGroup()).isEqualTo(2000L);
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(65532L);
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(runner.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL", "NET_RAW");
        assertThat(runner.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(runner.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(runner.getEnv()).extracting(e -> e.getName() + "=" + e.getValue())
                .contains("TZ=UTC", "HTTPS_PROXY=http://proxy:3128").doesNotContain("TZ=Europe/Berlin");
        assertThat(runner.getEnv().get(0).getName()).as("Lockstep's env first, untouched").isEqualTo("LOCKSTEP_DB_URL");
        assertThat(runner.getEnvFrom()).singleElement().satisfies(e -> assertThat(e.getPrefix()).isEqualTo("APP_"));
        assertThat(pod.getVolumes()).extracting(v -> v.getName()).contains("migrations", "tmp", "extra");
        assertThat(runner.getVolumeMounts()).extracting(m -> m.getMountPath()).contains("/lockstep/migrations", "/tmp", "/etc/extra");
        assertThat(runner.getArgs().get(0)).isEqualTo("migrate");
        assertThat(runner.getImage()).isEqualTo("lockstep:test");
    }

    @Test
    void withoutTemplatesThePodIsAsLockstepBuildsIt() {
        SchemaMigration sm = Fixtures.migration("shop", "orders", "6");
        sm.getMetadata().setUid("uid");
        PodSpec pod = new RunnerJobFactory(new OperatorSettings("lockstep:test", "IfNotPresent")).create(sm, "orders-6-abc", "abc")
                .getSpec().getTemplate().getSpec();
        assertThat(pod.getTolerations()).isNullOrEmpty();
        assertThat(pod.getNodeSelector()).isNullOrEmpty();
        assertThat(pod.getVolumes()).extracting(v -> v.getName()).containsExactly("migrations", "tmp");
    }

    @Test
    void theOperatorsTemplateFileIsCheckedByTheSameRules(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var good = dir.resolve("good.yaml");
        java.nio.file.Files.writeString(good, "tolerations:\n- key: spot\n  operator: Exists\nnodeSelector:\n  pool: general\n");
        assertThat(RunnerPodDefaults.template(good).getTolerations()).extracting(Toleration::getKey).containsExactly("spot");
        var bad = dir.resolve("bad.yaml");
        java.nio.file.Files.writeString(bad, "env:\n- name: LOCKSTEP_DB_URL\n  value: jdbc:postgresql://elsewhere/db\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RunnerPodDefaults.template(bad))
                .hasMessageContaining("--runner-pod-template " + bad + ": podTemplate.env[0]: LOCKSTEP_DB_URL is read by the runner");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RunnerPodDefaults.template(dir.resolve("missing.yaml")))
                .hasMessageContaining("cannot be read as a runner pod template");
    }
}
