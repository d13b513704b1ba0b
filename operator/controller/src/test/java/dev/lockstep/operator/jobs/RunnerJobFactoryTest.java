package dev.lockstep.operator.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lockstep.api.v1alpha1.BaselineSpec;
import dev.lockstep.api.v1alpha1.DryRunDatabaseSpec;
import dev.lockstep.api.v1alpha1.PolicySpec;
import dev.lockstep.api.v1alpha1.RunStep;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.api.v1alpha1.SecretKeysReference;
import dev.lockstep.operator.Fixtures;
import dev.lockstep.operator.OperatorSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Unit: the runner Job's shape. How it runs on a real cluster is the API-server tier's part. */
class RunnerJobFactoryTest {
    private final RunnerJobFactory factory = new RunnerJobFactory(new OperatorSettings("lockstep:test", "IfNotPresent"));

    private static SchemaMigration migration() {
        SchemaMigration sm = Fixtures.migration("shop", "orders", "latest");
        sm.getMetadata().setUid("0b6c1e4e-1111-2222-3333-444455556666");
        sm.getSpec().getDatabase().setSchemas(List.of("orders", "audit"));
        return sm;
    }

    @Test
    void runnerPodMountsScriptsAndTakesTheSecretByReferenceUnderRestrictedPodSecurity() {
        Job job = factory.create(migration(), "orders-latest-abc", "abc");
        PodSpec pod = job.getSpec().getTemplate().getSpec();
        Container runner = pod.getContainers().get(0);

        assertThat(job.getSpec().getBackoffLimit()).isZero();
        assertThat(job.getSpec().getActiveDeadlineSeconds()).isEqualTo(900L);
        assertThat(job.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo("SchemaMigration");
            assertThat(o.getController()).isTrue();
        });
        assertThat(job.getMetadata().getLabels()).containsEntry(RunnerJobs.LABEL_SCHEMA_MIGRATION, "orders")
                .containsEntry(RunnerJobs.LABEL_SPEC_HASH, "abc");
        assertThat(job.getMetadata().getAnnotations()).containsEntry(RunnerJobs.ANNOTATION_SCHEMA_MIGRATION, "orders");
        assertThat(job.getSpec().getTemplate().getMetadata().getAnnotations()).containsEntry(RunnerJobs.ANNOTATION_SCHEMA_MIGRATION, "orders");
        assertThat(pod.getRestartPolicy()).isEqualTo("Never");
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(runner.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(runner.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(runner.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(runner.getArgs()).containsSubsequence("migrate", "--location", "/lockstep/migrations", "--target", "latest",
                "--schemas", "orders,audit", "--lock-timeout", "10s", "--result-file", "/dev/termination-log");
        assertThat(runner.getTerminationMessagePolicy()).isEqualTo("FallbackToLogsOnError");
        assertThat(runner.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("LOCKSTEP_DB_PASSWORD");
            assertThat(e.getValue()).isNull();
            assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo(Fixtures.SECRET);
            assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("password");
        });
        assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getConfigMap().getName()).isEqualTo(Fixtures.CONFIG_MAP));
        assertThat(pod.getVolumes()).allSatisfy(v -> assertThat(v.getSecret()).isNull());
        assertThat(pod.getInitContainers()).isEmpty();
    }

    @Test
    void imageSourceIsCopiedByAnInitContainerWithoutCredentials() {
        SchemaMigration sm = migration();
        sm.getSpec().getSource().setConfigMapRef(null);
        sm.getSpec().getSource().setImage("registry.example/orders-migrations@sha256:" + "a".repeat(64));
        sm.getSpec().getSource().setPath("/sql/");

        PodSpec pod = factory.create(sm, "orders-latest-abc", "abc").getSpec().getTemplate().getSpec();

        Container copy = pod.getInitContainers().get(0);
        assertThat(copy.getImage()).isEqualTo(sm.getSpec().getSource().getImage());
        assertThat(copy.getCommand()).containsExactly("cp", "-R", "/sql/.", "/lockstep/migrations/");
        assertThat(copy.getEnv()).isEmpty();
        assertThat(copy.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getEmptyDir()).isNotNull());
    }

    @Test
    void baselineIsPassedToTheRunner() {
        SchemaMigration sm = migration();
        BaselineSpec baseline = new BaselineSpec();
        baseline.setVersion("3");
        sm.getSpec().setBaseline(baseline);

        Container runner = factory.create(sm, "orders-latest-abc", "abc").getSpec().getTemplate().getSpec().getContainers().get(0);

        assertThat(runner.getArgs()).containsSubsequence("--baseline-version", "3");
    }

    @Test
    void onlyTheExpandJobDryRunsOnTheScratchDatabaseAndGetsItsSecretByReference() {
        SchemaMigration sm = migration();
        DryRunDatabaseSpec scratch = new DryRunDatabaseSpec();
        scratch.setUrl("jdbc:postgresql://orders-db:5432/orders_scratch");
        SecretKeysReference secret = new SecretKeysReference();
        secret.setName("orders-scratch-credentials");
        secret.setPasswordKey("pw");
        scratch.setCredentialsSecretRef(secret);
        PolicySpec policy = new PolicySpec();
        policy.setDryRunDatabase(scratch);
        sm.getSpec().setPolicy(policy);

        Container expand = factory.create(sm, "orders-latest-abc", "abc", RunStep.Expand).getSpec().getTemplate().getSpec().getContainers().get(0);
        Container contract = factory.create(sm, "orders-latest-abd", "abc", RunStep.Contract).getSpec().getTemplate().getSpec().getContainers().get(0);
        policy.setDestructive(PolicySpec.Destructive.Off);
        Container unchecked = factory.create(sm, "orders-latest-abe", "abc", RunStep.Expand).getSpec().getTemplate().getSpec().getContainers().get(0);

        assertThat(expand.getArgs()).containsSubsequence("--destructive", "block", "--dry-run-url",
                "jdbc:postgresql://orders-db:5432/orders_scratch");
        assertThat(expand.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("LOCKSTEP_DRY_RUN_PASSWORD");
            assertThat(e.getValue()).isNull();
            assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("orders-scratch-credentials");
            assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("pw");
        }).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("LOCKSTEP_DRY_RUN_USERNAME");
            assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("username");
        });
        for (Container other : List.of(contract, unchecked)) {
            assertThat(other.getArgs()).doesNotContain("--dry-run-url");
            assertThat(other.getEnv()).noneSatisfy(e -> assertThat(e.getName()).startsWith("LOCKSTEP_DRY_RUN"));
        }
    }

    @Test
    void runnerPodsGetTheOperatorsAnnotationsButNeverInPlaceOfItsOwn() {
        RunnerJobFactory annotating = new RunnerJobFactory(new OperatorSettings("lockstep:test", "IfNotPresent", null,
                java.util.Map.of("sidecar.istio.io/inject", "false", "linkerd.io/inject", "disabled")));
        Job job = annotating.create(migration(), "orders-latest-abc", "abc");
        assertThat(job.getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry("sidecar.istio.io/inject", "false").containsEntry("linkerd.io/inject", "disabled")
                .containsEntry(RunnerJobs.ANNOTATION_SCHEMA_MIGRATION, "orders");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new OperatorSettings("lockstep:test", "IfNotPresent", null,
                        java.util.Map.of(RunnerJobs.ANNOTATION_SCHEMA_MIGRATION, "other")))
                .hasMessageContaining("keys under lockstep.dev/ are the operator's own");
    }

    @Test
    void podDefaultsFromTheOperatorReachThePodAndTheSpecsServiceAccountWins() {
        var defaults = new RunnerPodDefaults("lockstep-runner", 1000680000L, 0L, 2000L, "Localhost/profiles/lockstep.json");
        var withDefaults = new RunnerJobFactory(new OperatorSettings("lockstep:test", "IfNotPresent", null, Map.of(), defaults));

        PodSpec pod = withDefaults.create(migration(), "orders-latest-abc", "abc").getSpec().getTemplate().getSpec();
        assertThat(pod.getServiceAccountName()).isEqualTo("lockstep-runner");
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(1000680000L);
        assertThat(pod.getSecurityContext().getRunAsGroup()).isZero();
        assertThat(pod.getSecurityContext().getFsGroup()).isEqualTo(2000L);
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("Localhost");
        assertThat(pod.getSecurityContext().getSeccompProfile().getLocalhostProfile()).isEqualTo("profiles/lockstep.json");
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();

        SchemaMigration own = migration();
        own.getSpec().setRunner(new dev.lockstep.api.v1alpha1.RunnerSpec());
        own.getSpec().getRunner().setServiceAccountName("orders-migrator");
        assertThat(withDefaults.create(own, "orders-latest-abc", "abc").getSpec().getTemplate().getSpec().getServiceAccountName())
                .isEqualTo("orders-migrator");
    }

    @Test
    void autoLeavesUserAndGroupToTheClusterAndTheDefaultsAreTheImagesUser() {
        PodSpec plain = factory.create(migration(), "orders-latest-abc", "abc").getSpec().getTemplate().getSpec();
        assertThat(plain.getServiceAccountName()).as("the namespace's default").isNull();
        assertThat(plain.getSecurityContext().getRunAsUser()).isEqualTo(RunnerPodDefaults.IMAGE_USER);
        assertThat(plain.getSecurityContext().getRunAsGroup()).isEqualTo(RunnerPodDefaults.IMAGE_USER);
        assertThat(plain.getSecurityContext().getFsGroup()).isNull();

        var auto = new RunnerPodDefaults(null, RunnerPodDefaults.id("--runner-run-as-user", "auto", "auto"),
                RunnerPodDefaults.id("--runner-run-as-group", "AUTO", "auto"), RunnerPodDefaults.id("--runner-fs-group", "none", "none"), null);
        PodSpec pod = new RunnerJobFactory(new OperatorSettings("lockstep:test", "IfNotPresent", null, Map.of(), auto))
                .create(migration(), "orders-latest-abc", "abc").getSpec().getTemplate().getSpec();
        assertThat(pod.getSecurityContext().getRunAsUser()).isNull();
        assertThat(pod.getSecurityContext().getRunAsGroup()).isNull();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).as("still: the kubelet refuses a root user").isTrue();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(pod.getContainers()).allSatisfy(c -> assertThat(c.getSecurityContext().getRunAsNonRoot()).isTrue());
    }

    @Test
    void podDefaultsThatBreakRestrictedOrAreNoIdAreRefusedNamingTheFlag() {
        assertThatThrownBy(() -> new RunnerPodDefaults(null, 0L, null, null, null))
                .hasMessageContaining("--runner-run-as-user 0").hasMessageContaining("non-root");
        assertThatThrownBy(() -> new RunnerPodDefaults(null, null, -1L, null, null)).hasMessageContaining("--runner-run-as-group -1");
        assertThatThrownBy(() -> new RunnerPodDefaults(null, null, null, -5L, null)).hasMessageContaining("--runner-fs-group -5");
        assertThatThrownBy(() -> new RunnerPodDefaults(null, null, null, null, "Unconfined"))
                .hasMessageContaining("--runner-seccomp-profile Unconfined").hasMessageContaining("RuntimeDefault");
        assertThatThrownBy(() -> new RunnerPodDefaults(null, null, null, null, "Localhost/"))
                .hasMessageContaining("Localhost/<profile path on the node>");
        assertThatThrownBy(() -> new RunnerPodDefaults("Lockstep_Runner", null, null, null, null))
                .hasMessageContaining("--runner-service-account Lockstep_Runner").hasMessageContaining("not a ServiceAccount name");
        assertThatThrownBy(() -> RunnerPodDefaults.id("--runner-run-as-user", "nobody", "auto"))
                .hasMessageContaining("--runner-run-as-user nobody: give a numeric id (e.g. 65532) or auto");
        assertThat(new RunnerPodDefaults("", null, null, null, " ").serviceAccountName()).isNull();
    }

    @Test
    void tlsFilesAreMountedReadOnlyAndNamedToTheRunnerWhichAloneReadsThem() {
        SchemaMigration sm = migration();
        var tls = new dev.lockstep.api.v1alpha1.TlsSpec();
        tls.setCa(new dev.lockstep.api.v1alpha1.TlsSpec.KeyReference());
        tls.getCa().setSecretKeyRef(new dev.lockstep.api.v1alpha1.TlsSpec.NamedKey("orders-db-tls", "ca.crt"));
        tls.setClientCertificate(new dev.lockstep.api.v1alpha1.TlsSpec.ClientCertificateSpec());
        tls.getClientCertificate().setSecretName("orders-client");
        sm.getSpec().getDatabase().setTls(tls);

        PodSpec pod = factory.create(sm, "orders-latest-abc", "abc").getSpec().getTemplate().getSpec();
        Container runner = pod.getContainers().get(0);
        assertThat(runner.getArgs()).containsSubsequence("--ssl-mode", "verify-full", "--ssl-root-cert", "/lockstep/tls/ca/ca.crt",
                "--ssl-cert", "/lockstep/tls/client/tls.crt", "--ssl-key", "/lockstep/tls/client/tls.key");
        assertThat(pod.getVolumes()).filteredOn(v -> v.getName().equals("tls-ca")).singleElement().satisfies(v -> {
            assertThat(v.getSecret().getSecretName()).isEqualTo("orders-db-tls");
            assertThat(v.getSecret().getItems()).singleElement().satisfies(i -> {
                assertThat(i.getKey()).isEqualTo("ca.crt");
                assertThat(i.getPath()).isEqualTo("ca.crt");
            });
        });
        assertThat(pod.getVolumes()).filteredOn(v -> v.getName().equals("tls-client")).singleElement().satisfies(v ->
                assertThat(v.getSecret().getItems()).extracting(i -> i.getKey() + ">" + i.getPath())
                        .containsExactly("tls.crt>tls.crt", "tls.key>tls.key"));
        assertThat(runner.getVolumeMounts()).filteredOn(m -> m.getMountPath().startsWith("/lockstep/tls/"))
                .hasSize(2).allSatisfy(m -> assertThat(m.getReadOnly()).isTrue());
        assertThat(runner.getEnv()).as("no key material in the environment")
                .noneMatch(e -> e.getName().contains("SSL") || e.getName().contains("TLS"));
        assertThat(pod.getInitContainers()).isEmpty();

        SchemaMigration plain = migration();
        assertThat(factory.create(plain, "orders-latest-abc", "abc").getSpec().getTemplate().getSpec().getContainers().get(0)
                .getArgs()).noneMatch(a -> a.startsWith("--ssl"));
    }

    @Test
    void aLoginDeliveredAsFilesIsMountedAndReadFromThereNotFromTheEnvironment() {
        SchemaMigration sm = migration();
        sm.getSpec().getDatabase().getCredentialsSecretRef().setDelivery("Files");
        sm.getSpec().getDatabase().getCredentialsSecretRef().setPasswordKey("pw");
        PodSpec pod = factory.create(sm, "orders-latest-abc", "abc").getSpec().getTemplate().getSpec();
        Container runner = pod.getContainers().get(0);
        assertThat(runner.getArgs()).containsSubsequence("--username-file", "/lockstep/credentials/username",
                "--password-file", "/lockstep/credentials/password");
        assertThat(runner.getEnv()).extracting(e -> e.getName()).doesNotContain("LOCKSTEP_DB_USERNAME", "LOCKSTEP_DB_PASSWORD");
        assertThat(pod.getVolumes()).filteredOn(v -> v.getName().equals("credentials")).singleElement().satisfies(v -> {
            assertThat(v.getSecret().getSecretName()).isEqualTo(Fixtures.SECRET);
            assertThat(v.getSecret().getItems()).extracting(i -> i.getKey() + ">" + i.getPath())
                    .containsExactly("username>username", "pw>password");
        });
        assertThat(runner.getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getMountPath()).isEqualTo("/lockstep/credentials");
            assertThat(m.getReadOnly()).isTrue();
        });
    }

    @Test
    void aPasswordFileOfAVaultAgentOrCsiDriverIsReadFromItsPathAndTheSecretGivesTheUserOnly() {
        SchemaMigration sm = migration();
        sm.getSpec().getDatabase().getCredentialsSecretRef().setPasswordFile("/vault/secrets/db-password");
        Container runner = factory.create(sm, "orders-latest-abc", "abc").getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(runner.getArgs()).containsSubsequence("--password-file", "/vault/secrets/db-password");
        assertThat(runner.getEnv()).extracting(e -> e.getName()).contains("LOCKSTEP_DB_USERNAME").doesNotContain("LOCKSTEP_DB_PASSWORD");

        sm.getSpec().getDatabase().getCredentialsSecretRef().setDelivery("Files");
        PodSpec pod = factory.create(sm, "orders-latest-abc", "abc").getSpec().getTemplate().getSpec();
        assertThat(pod.getContainers().get(0).getArgs()).containsSubsequence("--username-file", "/lockstep/credentials/username",
                "--password-file", "/vault/secrets/db-password");
        assertThat(pod.getVolumes()).filteredOn(v -> v.getName().equals("credentials")).singleElement()
                .satisfies(v -> assertThat(v.getSecret().getItems()).extracting(i -> i.getPath()).containsExactly("username"));
    }
}
