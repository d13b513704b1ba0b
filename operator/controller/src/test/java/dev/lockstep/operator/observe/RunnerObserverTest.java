package dev.lockstep.operator.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.operator.jobs.RunnerJobFactory;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Unit: what a runner Job and its pods amount to. The Job and its pods reach the operator through separate watches,
 * so a Job may show Complete or Failed while the cached pod still shows it running; the result must then wait for
 * the pod, never be read as "no result".
 */
class RunnerObserverTest {
    private static final String SUCCEEDED = "{\"command\":\"migrate\",\"outcome\":\"SUCCEEDED\",\"targetRevision\":\"3\","
            + "\"fromRevision\":\"2\",\"toRevision\":\"3\",\"applied\":[{\"version\":\"3\",\"description\":\"add sku\","
            + "\"script\":\"V3__add_sku.sql\",\"durationMillis\":12}]}";
    private static final String FAILED = "{\"command\":\"migrate\",\"outcome\":\"FAILED\",\"targetRevision\":\"3\","
            + "\"fromRevision\":\"2\",\"toRevision\":\"2\",\"error\":{\"category\":\"SQL\",\"sqlState\":\"42703\","
            + "\"script\":\"V3__add_sku.sql\",\"line\":2,\"message\":\"column \\\"no_such\\\" does not exist\"}}";

    private static Job job(String condition, String reason) {
        JobBuilder job = new JobBuilder().withNewMetadata().withName("orders-3-abc").withUid("job-uid").endMetadata();
        if (condition != null) {
            job.withNewStatus().addNewCondition().withType(condition).withStatus("True").withReason(reason).endCondition().endStatus();
        }
        return job.build();
    }

    private static Pod pod(String phase, ContainerStatus runner) {
        return new PodBuilder().withNewMetadata().withName("orders-3-abc-x7k2p").withCreationTimestamp("2026-11-25T10:00:00Z")
                    .addToLabels("job-name", "orders-3-abc").addToLabels("controller-uid", "job-uid").endMetadata()
                .withNewSpec().withNodeName("node-1").endSpec()
                .withNewStatus().withPhase(phase).withContainerStatuses(runner).endStatus().build();
    }

    private static ContainerStatus running() {
        return new ContainerStatusBuilder().withName(RunnerJobFactory.RUNNER_CONTAINER)
                .withNewState().withNewRunning().withStartedAt("2026-11-25T10:00:01Z").endRunning().endState().build();
    }

    private static ContainerStatus terminated(int exitCode, String reason, String message) {
        return new ContainerStatusBuilder().withName(RunnerJobFactory.RUNNER_CONTAINER)
                .withNewState().withNewTerminated().withExitCode(exitCode).withReason(reason).withMessage(message).endTerminated()
                .endState().build();
    }

    private static ContainerStatus waiting(String reason, String message) {
        return new ContainerStatusBuilder().withName(RunnerJobFactory.RUNNER_CONTAINER)
                .withNewState().withNewWaiting().withReason(reason).withMessage(message).endWaiting().endState().build();
    }

    @Test
    void completeJobWithTheRunnersReportSucceeds() {
        RunnerState state = RunnerObserver.observe(job("Complete", null), List.of(pod("Succeeded", terminated(0, "Completed", SUCCEEDED))));

        assertThat(state).isInstanceOfSatisfying(RunnerState.Succeeded.class, s -> assertThat(s.report().toRevision()).isEqualTo("3"));
    }

    @Test
    void completeJobWhosePodTheCacheStillShowsRunningWaitsForThePod() {
        RunnerState state = RunnerObserver.observe(job("Complete", null), List.of(pod("Running", running())));

        assertThat(state).isInstanceOf(RunnerState.Running.class);
    }

    @Test
    void completeJobWhosePodEndedWithoutAReportHasNoResult() {
        RunnerState state = RunnerObserver.observe(job("Complete", null), List.of(pod("Succeeded", terminated(0, "Completed", ""))));

        assertThat(state).isInstanceOfSatisfying(RunnerState.Failed.class, f -> assertThat(f.podReason()).isEqualTo("NoResult"));
    }

    @Test
    void failedJobWhosePodTheCacheStillShowsRunningWaitsForTheRunnersAccount() {
        RunnerState state = RunnerObserver.observe(job("Failed", "BackoffLimitExceeded"), List.of(pod("Running", running())));

        assertThat(state).isInstanceOf(RunnerState.Running.class);
    }

    @Test
    void failedJobCarriesTheRunnersAccountOfTheFailure() {
        RunnerState state = RunnerObserver.observe(job("Failed", "BackoffLimitExceeded"), List.of(pod("Failed", terminated(5, "Error", FAILED))));

        assertThat(state).isInstanceOfSatisfying(RunnerState.Failed.class, f -> {
            assertThat(f.report()).hasValueSatisfying(r -> assertThat(r.error().sqlState()).isEqualTo("42703"));
            assertThat(f.containerEverStarted()).isTrue();
        });
    }

    @Test
    void jobPastItsDeadlineWithAPodThatNeverStartedFailsAtOnceAsNeverStarted() {
        RunnerState state = RunnerObserver.observe(job("Failed", "DeadlineExceeded"),
                List.of(pod("Pending", waiting("CreateContainerConfigError", "secret \"orders-db\" not found"))));

        assertThat(state).isInstanceOfSatisfying(RunnerState.Failed.class, f -> {
            assertThat(f.podReason()).isEqualTo("DeadlineExceeded");
            assertThat(f.containerEverStarted()).isFalse();
        });
    }

    @Test
    void jobPastItsDeadlineWithARunningPodFailsAtOnce() {
        RunnerState state = RunnerObserver.observe(job("Failed", "DeadlineExceeded"), List.of(pod("Running", running())));

        assertThat(state).isInstanceOfSatisfying(RunnerState.Failed.class, f -> assertThat(f.podReason()).isEqualTo("DeadlineExceeded"));
    }

    /** The kubelet's own FailedMount messages (pkg/volume/secret and configmap, 1.20), told as the field behind the volume. */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        "MountVolume.SetUp failed for volume \"tls-client\" : secret \"orders-client\" not found|SecretNotFound|Secret orders-client (spec.database.tls.clientCertificate) does not exist",
        "MountVolume.SetUp failed for volume \"tls-ca\" : configmap \"orders-db-ca\" not found|ConfigMapNotFound|ConfigMap orders-db-ca (spec.database.tls.ca) does not exist",
        "MountVolume.SetUp failed for volume \"tls-client\" : references non-existent secret key: tls.key|SecretKeyNotFound|the Secret of spec.database.tls.clientCertificate has no key tls.key",
        "MountVolume.SetUp failed for volume \"tls-ca\" : configmap references non-existent config key: ca.crt|ConfigMapKeyNotFound|the ConfigMap of spec.database.tls.ca has no key ca.crt",
        "MountVolume.SetUp failed for volume \"tls-ca\" : timed out waiting for the condition|RunnerFailed|the kubelet cannot mount spec.database.tls.ca",
        "MountVolume.SetUp failed for volume \"credentials\" : secret \"orders-db\" not found|SecretNotFound|Secret orders-db (spec.database.credentialsSecretRef) does not exist",
    })
    void aVolumeTheKubeletCannotMountIsNamedByItsField(String event, String reason, String message) {
        RunnerState state = RunnerObserver.observe(job(null, null), List.of(pod("Pending", waiting("ContainerCreating", null))),
                java.util.Map.of("orders-3-abc-x7k2p", event));
        assertThat(state).isInstanceOfSatisfying(RunnerState.Blocked.class, b -> {
            assertThat(b.reason().name()).isEqualTo(reason);
            assertThat(b.message()).contains(message).contains(event);
            assertThat(b.volume()).startsWith("spec.database.");
        });
    }

    @Test
    void aMountFailureOfAPodThatStartedSinceIsNoLongerAnObstacle() {
        RunnerState state = RunnerObserver.observe(job(null, null), List.of(pod("Running", running())),
                java.util.Map.of("orders-3-abc-x7k2p", "MountVolume.SetUp failed for volume \"tls-ca\" : configmap \"x\" not found"));
        assertThat(state).isInstanceOf(RunnerState.Running.class);
    }

    @Test
    void aPodNoNodeHasTakenIsStartingWithNoMountFailureToLookFor() {
        Pod unscheduled = new PodBuilder(pod("Pending", null)).editSpec().withNodeName(null).endSpec().build();
        assertThat(RunnerObserver.waitingToStart(unscheduled)).isFalse();
        assertThat(RunnerObserver.waitingToStart(pod("Pending", waiting("ContainerCreating", null)))).isTrue();

        RunnerState state = RunnerObserver.observe(job(null, null), List.of(unscheduled),
                java.util.Map.of("orders-3-abc-x7k2p", "MountVolume.SetUp failed for volume \"tls-ca\" : configmap \"x\" not found"));
        assertThat(state).isInstanceOfSatisfying(RunnerState.Starting.class, s -> {
            assertThat(s.onNode()).isFalse();
            assertThat(s.detail()).as("the same words as once it is on a node: no status write for scheduling")
                    .isEqualTo("runner pod orders-3-abc-x7k2p is Pending");
        });
        assertThat(RunnerObserver.observe(job(null, null), List.of(pod("Pending", waiting("ContainerCreating", null)))))
                .isInstanceOfSatisfying(RunnerState.Starting.class, s -> assertThat(s.onNode()).isTrue());
    }
}
