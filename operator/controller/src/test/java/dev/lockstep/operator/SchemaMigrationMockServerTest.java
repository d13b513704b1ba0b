package dev.lockstep.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.javaoperatorsdk.operator.Operator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The controller on fabric8's mock API server (CRUD mode), with {@link FakeJobController} standing in for the Job
 * controller and kubelet. A mock because this tier checks the Job spec and the status logic; the behaviour against a
 * real kube-apiserver is the ApiServer tier's job.
 */
@EnableKubernetesMockClient(crud = true)
class SchemaMigrationMockServerTest {
    static KubernetesMockServer server;
    static KubernetesClient client;

    private final String namespace = "ns-" + UUID.randomUUID().toString().substring(0, 8);
    private Operator operator;
    private FakeJobController kubelet;

    @BeforeEach
    void startOperator() {
        operator = startedOperator();
        kubelet = new FakeJobController(client, namespace);
    }

    @AfterEach
    void stopOperator() {
        operator.stop();
    }

    private Operator startedOperator() {
        // The mock server answers 415 to server-side apply, so status goes by JSON merge patch here.
        return OperatorCommand.start(client, new OperatorSettings("lockstep:test", "IfNotPresent"), List.of(namespace), null, false);
    }

    private SchemaMigration apply(SchemaMigration sm) {
        return client.resource(sm).create();
    }

    private SchemaMigration get(String name) {
        return client.resources(SchemaMigration.class).inNamespace(namespace).withName(name).get();
    }

    private List<Job> jobs() {
        return client.batch().v1().jobs().inNamespace(namespace).list().getItems();
    }

    private static Condition condition(SchemaMigration sm, ConditionType type) {
        return sm.getStatus().getConditions().stream().filter(c -> c.getType().equals(type.name())).findFirst().orElseThrow();
    }

    private SchemaMigration awaitCondition(String name, ConditionType type, String status, Reason reason) {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            SchemaMigration sm = get(name);
            assertThat(sm.getStatus()).isNotNull();
            Condition c = condition(sm, type);
            assertThat(c.getStatus()).isEqualTo(status);
            assertThat(c.getReason()).isEqualTo(reason.name());
        });
        return get(name);
    }

    private Job awaitSingleJob() {
        await().atMost(Duration.ofSeconds(20)).until(() -> jobs().size() == 1);
        return jobs().get(0);
    }

    private List<String> eventReasons() {
        return client.v1().events().inNamespace(namespace).list().getItems().stream().map(Event::getReason).toList();
    }

    @Test
    void createsOneRunnerJobAndBecomesReadyWhenTheRunnerSucceeds() {
        client.resource(Fixtures.scripts(namespace, 6)).create();
        apply(Fixtures.migration(namespace, "orders", "6"));

        Job job = awaitSingleJob();
        assertThat(job.getMetadata().getName()).startsWith("orders-6-");
        SchemaMigration migrating = awaitCondition("orders", ConditionType.Reconciling, "True", Reason.MigrationPending);
        assertThat(migrating.getStatus().getPhase()).isEqualTo(Phase.Migrating);
        assertThat(migrating.getStatus().getPendingVersions()).containsExactly("1", "2", "3", "4", "5", "6");
        assertThat(migrating.getStatus().getLastRun().getJob()).isEqualTo(job.getMetadata().getName());

        kubelet.podRunning(job.getMetadata().getName());
        awaitCondition("orders", ConditionType.Reconciling, "True", Reason.MigrationRunning);
        kubelet.succeed(job.getMetadata().getName(), Fixtures.succeeded(null, "6", 1, 2, 3, 4, 5, 6));

        SchemaMigration ready = awaitCondition("orders", ConditionType.Ready, "True", Reason.MigrationSucceeded);
        assertThat(ready.getStatus().getPhase()).isEqualTo(Phase.Ready);
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("6");
        assertThat(ready.getStatus().getTargetRevision()).isEqualTo("6");
        assertThat(ready.getStatus().getPendingVersions()).isNullOrEmpty();
        assertThat(ready.getStatus().getObservedGeneration()).isEqualTo(ready.getMetadata().getGeneration());
        assertThat(ready.getStatus().getLastRun().getResult()).isEqualTo("Succeeded");
        assertThat(ready.getStatus().getLastRun().getApplied()).hasSize(6);
        assertThat(condition(ready, ConditionType.Stalled).getStatus()).isEqualTo("False");
        assertThat(condition(ready, ConditionType.Reconciling).getStatus()).isEqualTo("False");
        assertThat(condition(ready, ConditionType.SchemaAtTarget).getStatus()).isEqualTo("True");
        assertThat(ready.getStatus().getConditions()).allSatisfy(c -> assertThat(c.getObservedGeneration()).isEqualTo(ready.getMetadata().getGeneration()));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(eventReasons()).contains("MigrationPending", "MigrationRunning", "MigrationSucceeded"));
        assertThat(jobs()).hasSize(1);
    }

    @Test
    void runnerJobMountsScriptsAndSecretOnlyIntoTheRunnerUnderRestrictedPodSecurity() {
        client.resource(Fixtures.scripts(namespace, 3)).create();
        SchemaMigration sm = Fixtures.migration(namespace, "orders", "latest");
        sm.getSpec().getDatabase().setSchemas(List.of("orders", "audit"));
        apply(sm);

        Job job = awaitSingleJob();
        var pod = job.getSpec().getTemplate().getSpec();
        Container runner = pod.getContainers().get(0);
        assertThat(job.getSpec().getBackoffLimit()).isZero();
        assertThat(job.getSpec().getActiveDeadlineSeconds()).isEqualTo(900L);
        assertThat(job.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getKind()).isEqualTo("SchemaMigration"));
        assertThat(pod.getRestartPolicy()).isEqualTo("Never");
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(runner.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(runner.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(runner.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(runner.getArgs()).containsSubsequence("migrate", "--location", "/lockstep/migrations", "--target", "latest",
                "--schemas", "orders,audit", "--lock-timeout", "10s", "--result-file", "/dev/termination-log");
        assertThat(runner.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("LOCKSTEP_DB_PASSWORD");
            assertThat(e.getValue()).isNull();
            assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo(Fixtures.SECRET);
            assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("password");
        });
        assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getConfigMap().getName()).isEqualTo(Fixtures.CONFIG_MAP));
        assertThat(pod.getVolumes()).noneSatisfy(v -> assertThat(v.getSecret()).isNotNull());
        assertThat(pod.getInitContainers()).isEmpty();
    }

    @Test
    void baselineAdoptsAnExistingSchemaThroughTheRunner() {
        client.resource(Fixtures.scripts(namespace, 5)).create();
        SchemaMigration sm = Fixtures.migration(namespace, "legacy", "latest");
        var baseline = new dev.lockstep.api.v1alpha1.BaselineSpec();
        baseline.setVersion("3");
        sm.getSpec().setBaseline(baseline);
        apply(sm);

        Job job = awaitSingleJob();
        assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
                .containsSubsequence("--baseline-version", "3");
        kubelet.succeed(job.getMetadata().getName(), Fixtures.succeeded("3", "5", 4, 5));
        SchemaMigration ready = awaitCondition("legacy", ConditionType.Ready, "True", Reason.MigrationSucceeded);
        assertThat(ready.getStatus().getLastRun().getFromRevision()).isEqualTo("3");
        assertThat(ready.getStatus().getLastRun().getApplied()).extracting(a -> a.getVersion()).containsExactly("4", "5");
    }

    @Test
    void imageSourceIsCopiedByAnInitContainer() {
        SchemaMigration sm = Fixtures.migration(namespace, "orders", "3");
        sm.getSpec().getSource().setConfigMapRef(null);
        sm.getSpec().getSource().setImage("registry.example/orders-migrations@sha256:" + "a".repeat(64));
        sm.getSpec().getSource().setPath("/sql/");
        apply(sm);

        Job job = awaitSingleJob();
        Container copy = job.getSpec().getTemplate().getSpec().getInitContainers().get(0);
        assertThat(copy.getImage()).isEqualTo(sm.getSpec().getSource().getImage());
        assertThat(copy.getCommand()).containsExactly("cp", "-R", "/sql/.", "/lockstep/migrations/");
        assertThat(copy.getEnv()).isEmpty();
        assertThat(job.getSpec().getTemplate().getSpec().getVolumes())
                .anySatisfy(v -> assertThat(v.getEmptyDir()).isNotNull());
    }

    @Test
    void failedMigrationStallsWithTheSqlErrorAndIsRetriedOnlyByAnnotation() {
        client.resource(Fixtures.scripts(namespace, 5)).create();
        apply(Fixtures.migration(namespace, "orders", "5"));
        Job first = awaitSingleJob();

        kubelet.fail(first.getMetadata().getName(), 5, "Error",
                Fixtures.sqlFailure("4", "V5__step_5.sql", "42P01", "ERROR: relation \\\"no_such_table\\\" does not exist"));

        SchemaMigration stalled = awaitCondition("orders", ConditionType.Stalled, "True", Reason.MigrationFailed);
        String message = condition(stalled, ConditionType.Stalled).getMessage();
        assertThat(message).contains("V5__step_5.sql:2 failed with SQLSTATE 42P01", "no_such_table", "database at revision 4",
                first.getMetadata().getName(), "lockstep.dev/retry");
        assertThat(stalled.getStatus().getPhase()).isEqualTo(Phase.Failed);
        assertThat(stalled.getStatus().getCurrentRevision()).isEqualTo("4");
        assertThat(stalled.getStatus().getPendingVersions()).containsExactly("5");
        assertThat(stalled.getStatus().getLastRun().getError().getSqlState()).isEqualTo("42P01");
        assertThat(condition(stalled, ConditionType.Ready).getStatus()).isEqualTo("False");
        assertThat(condition(stalled, ConditionType.Reconciling).getStatus()).isEqualTo("False");

        // Unrelated churn (a label) wakes nothing; the failed Job and its pod stay, and no second Job appears.
        client.resources(SchemaMigration.class).inNamespace(namespace).withName("orders")
                .edit(sm -> { sm.getMetadata().setLabels(Map.of("team", "orders")); return sm; });
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> jobs().size() == 1);
        assertThat(client.pods().inNamespace(namespace).withName(first.getMetadata().getName() + "-pod").get()).isNotNull();

        client.resources(SchemaMigration.class).inNamespace(namespace).withName("orders")
                .edit(sm -> { sm.getMetadata().setAnnotations(Map.of("lockstep.dev/retry", "1")); return sm; });
        await().atMost(Duration.ofSeconds(20)).until(() -> jobs().size() == 2);
        Job retry = jobs().stream().filter(j -> !j.getMetadata().getName().equals(first.getMetadata().getName())).findFirst().orElseThrow();
        awaitCondition("orders", ConditionType.Reconciling, "True", Reason.MigrationPending);

        kubelet.succeed(retry.getMetadata().getName(), Fixtures.succeeded("4", "5", 5));
        SchemaMigration ready = awaitCondition("orders", ConditionType.Ready, "True", Reason.MigrationSucceeded);
        assertThat(ready.getStatus().getCurrentRevision()).isEqualTo("5");
        assertThat(condition(ready, ConditionType.Stalled).getStatus()).isEqualTo("False");
    }

    @Test
    void invalidSpecStallsNamingTheFieldAndCreatesNoJob() {
        SchemaMigration sm = Fixtures.migration(namespace, "orders", "5");
        sm.getSpec().getSource().setImage("registry.example/orders-migrations:1");
        apply(sm);

        SchemaMigration stalled = awaitCondition("orders", ConditionType.Stalled, "True", Reason.InvalidSpec);
        assertThat(condition(stalled, ConditionType.Stalled).getMessage())
                .isEqualTo("spec.source: sets both configMapRef and image: keep exactly one");
        assertThat(stalled.getStatus().getPhase()).isEqualTo(Phase.Failed);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> jobs().isEmpty());
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(eventReasons()).containsExactly("InvalidSpec"));

        // Fixing the spec is all it takes.
        client.resource(Fixtures.scripts(namespace, 5)).create();
        client.resources(SchemaMigration.class).inNamespace(namespace).withName("orders")
                .edit(s -> { s.getSpec().getSource().setImage(null); return s; });
        awaitSingleJob();
        awaitCondition("orders", ConditionType.Stalled, "False", Reason.MigrationPending);
    }

    @Test
    void targetRevisionMissingFromTheConfigMapIsAnInvalidSpec() {
        client.resource(Fixtures.scripts(namespace, 3)).create();
        apply(Fixtures.migration(namespace, "orders", "9"));

        SchemaMigration stalled = awaitCondition("orders", ConditionType.Stalled, "True", Reason.InvalidSpec);
        assertThat(condition(stalled, ConditionType.Stalled).getMessage())
                .contains("spec.targetRevision: 9 is not a version in ConfigMap orders-migrations [1, 2, 3]");
        assertThat(jobs()).isEmpty();
    }

    @Test
    void suspendedMigrationStartsNoJobUntilResumed() {
        client.resource(Fixtures.scripts(namespace, 2)).create();
        SchemaMigration sm = Fixtures.migration(namespace, "orders", "2");
        sm.getSpec().setSuspend(true);
        apply(sm);

        SchemaMigration suspended = awaitCondition("orders", ConditionType.Reconciling, "False", Reason.Suspended);
        assertThat(suspended.getStatus().getPhase()).isEqualTo(Phase.Suspended);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> jobs().isEmpty());

        client.resources(SchemaMigration.class).inNamespace(namespace).withName("orders")
                .edit(s -> { s.getSpec().setSuspend(false); return s; });
        awaitSingleJob();
        awaitCondition("orders", ConditionType.Reconciling, "True", Reason.MigrationPending);
    }

    @Test
    void missingSecretIsAWaitingReasonThatClearsOnceThePodStarts() {
        client.resource(Fixtures.scripts(namespace, 2)).create();
        apply(Fixtures.migration(namespace, "orders", "2"));
        Job job = awaitSingleJob();

        kubelet.podWaiting(job.getMetadata().getName(), "CreateContainerConfigError", "secret \"orders-db\" not found");
        SchemaMigration waiting = awaitCondition("orders", ConditionType.Stalled, "True", Reason.SecretNotFound);
        assertThat(waiting.getStatus().getPhase()).isEqualTo(Phase.Pending);
        assertThat(condition(waiting, ConditionType.Stalled).getMessage())
                .contains("secret \"orders-db\" not found", "Create Secret orders-db in namespace " + namespace,
                        "keys username and password", "starts by itself");

        // The Secret appears; the kubelet starts the container on its next try and the run goes on.
        kubelet.podRunning(job.getMetadata().getName());
        awaitCondition("orders", ConditionType.Stalled, "False", Reason.MigrationRunning);
        kubelet.succeed(job.getMetadata().getName(), Fixtures.succeeded(null, "2", 1, 2));
        awaitCondition("orders", ConditionType.Ready, "True", Reason.MigrationSucceeded);
        assertThat(jobs()).hasSize(1);
    }

    @Test
    void jobThatExpiredWaitingForItsSecretIsReplacedNotCountedAsAFailure() {
        client.resource(Fixtures.scripts(namespace, 2)).create();
        apply(Fixtures.migration(namespace, "orders", "2"));
        Job first = awaitSingleJob();
        kubelet.podWaiting(first.getMetadata().getName(), "CreateContainerConfigError", "secret \"orders-db\" not found");
        awaitCondition("orders", ConditionType.Stalled, "True", Reason.SecretNotFound);

        kubelet.expire(first.getMetadata().getName());

        await().atMost(Duration.ofSeconds(20)).until(() -> jobs().size() == 2);
        SchemaMigration replaced = awaitCondition("orders", ConditionType.Reconciling, "True", Reason.MigrationPending);
        assertThat(replaced.getStatus().getLastRun().getAttempt()).isEqualTo(2);
        assertThat(replaced.getStatus().getLastRun().getJob()).isNotEqualTo(first.getMetadata().getName()).endsWith("-2");
        kubelet.succeed(replaced.getStatus().getLastRun().getJob(), Fixtures.succeeded(null, "2", 1, 2));
        awaitCondition("orders", ConditionType.Ready, "True", Reason.MigrationSucceeded);
    }

    @Test
    void missingConfigMapIsReportedAndTheRunStartsWhenItAppears() {
        apply(Fixtures.migration(namespace, "orders", "2"));

        SchemaMigration waiting = awaitCondition("orders", ConditionType.Stalled, "True", Reason.ConfigMapNotFound);
        assertThat(condition(waiting, ConditionType.Stalled).getMessage()).contains("ConfigMap orders-migrations", namespace);
        assertThat(jobs()).isEmpty();

        client.resource(Fixtures.scripts(namespace, 2)).create();
        awaitSingleJob();
    }

    @Test
    void restartedOperatorAdoptsTheJobItAlreadyMade() {
        client.resource(Fixtures.scripts(namespace, 3)).create();
        apply(Fixtures.migration(namespace, "orders", "3"));
        Job job = awaitSingleJob();
        awaitCondition("orders", ConditionType.Reconciling, "True", Reason.MigrationPending);

        operator.stop();
        operator = startedOperator();
        kubelet.podRunning(job.getMetadata().getName());
        awaitCondition("orders", ConditionType.Reconciling, "True", Reason.MigrationRunning);
        assertThat(jobs()).extracting(j -> j.getMetadata().getName()).containsExactly(job.getMetadata().getName());

        kubelet.succeed(job.getMetadata().getName(), Fixtures.succeeded(null, "3", 1, 2, 3));
        awaitCondition("orders", ConditionType.Ready, "True", Reason.MigrationSucceeded);

        operator.stop();
        operator = startedOperator();
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> jobs().size() == 1);
        assertThat(condition(get("orders"), ConditionType.Ready).getStatus()).isEqualTo("True");
    }

    @Test
    void newScriptInTheConfigMapStartsANewRunForLatest() {
        client.resource(Fixtures.scripts(namespace, 2)).create();
        apply(Fixtures.migration(namespace, "orders", "latest"));
        Job first = awaitSingleJob();
        kubelet.succeed(first.getMetadata().getName(), Fixtures.succeeded(null, "2", 1, 2));
        awaitCondition("orders", ConditionType.Ready, "True", Reason.MigrationSucceeded);

        client.configMaps().inNamespace(namespace).withName(Fixtures.CONFIG_MAP)
                .edit(cm -> { cm.getData().put("V3__step_3.sql", "CREATE TABLE t3 (id int);"); return cm; });

        await().atMost(Duration.ofSeconds(20)).until(() -> jobs().size() == 2);
        SchemaMigration pending = awaitCondition("orders", ConditionType.Reconciling, "True", Reason.MigrationPending);
        assertThat(pending.getStatus().getPendingVersions()).containsExactly("3");
        assertThat(pending.getStatus().getCurrentRevision()).isEqualTo("2");
    }

    @Test
    void runnerKilledWithoutAResultIsReportedWithThePodReason() {
        client.resource(Fixtures.scripts(namespace, 2)).create();
        apply(Fixtures.migration(namespace, "orders", "2"));
        Job job = awaitSingleJob();
        kubelet.podRunning(job.getMetadata().getName());
        awaitCondition("orders", ConditionType.Reconciling, "True", Reason.MigrationRunning);

        kubelet.fail(job.getMetadata().getName(), 137, "OOMKilled", "");

        SchemaMigration stalled = awaitCondition("orders", ConditionType.Stalled, "True", Reason.RunnerFailed);
        assertThat(condition(stalled, ConditionType.Stalled).getMessage()).contains("OOMKilled");
        assertThat(jobs()).hasSize(1);
    }

    @Test
    void conditionTimesChangeOnlyWhenStatusFlips() {
        client.resource(Fixtures.scripts(namespace, 2)).create();
        apply(Fixtures.migration(namespace, "orders", "2"));
        Job job = awaitSingleJob();
        SchemaMigration pending = awaitCondition("orders", ConditionType.Reconciling, "True", Reason.MigrationPending);
        String readyFalseSince = condition(pending, ConditionType.Ready).getLastTransitionTime();

        kubelet.podRunning(job.getMetadata().getName());
        SchemaMigration running = awaitCondition("orders", ConditionType.Reconciling, "True", Reason.MigrationRunning);
        assertThat(condition(running, ConditionType.Ready).getLastTransitionTime()).isEqualTo(readyFalseSince);
        assertThat(condition(running, ConditionType.Ready).getReason()).isEqualTo("MigrationRunning");
    }
}
