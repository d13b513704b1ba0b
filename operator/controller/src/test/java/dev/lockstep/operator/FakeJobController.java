package dev.lockstep.operator;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Stands in for the Job controller and the kubelet on fabric8's mock server, which runs neither: it makes a Job's pod
 * and moves it and the Job through the states the real ones would. The real-API-server tier replaces this.
 */
final class FakeJobController {
    private final KubernetesClient client;
    private final String namespace;

    FakeJobController(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    Job job(String name) {
        return client.batch().v1().jobs().inNamespace(namespace).withName(name).get();
    }

    Pod podWaiting(String jobName, String reason, String message) {
        return upsertPod(jobName, new ContainerStatusBuilder().withName(RunnerJobFactory.RUNNER_CONTAINER).withImage("lockstep:test")
                .withReady(false).withRestartCount(0)
                .withNewState().withNewWaiting().withReason(reason).withMessage(message).endWaiting().endState().build(), "Pending");
    }

    Pod podRunning(String jobName) {
        return upsertPod(jobName, new ContainerStatusBuilder().withName(RunnerJobFactory.RUNNER_CONTAINER).withImage("lockstep:test")
                .withReady(true).withRestartCount(0)
                .withNewState().withNewRunning().withStartedAt(Instant.now().toString()).endRunning().endState().build(), "Running");
    }

    void succeed(String jobName, String terminationMessage) {
        terminate(jobName, 0, "Completed", terminationMessage);
        setJobCondition(jobName, "Complete", null, null);
    }

    void fail(String jobName, int exitCode, String containerReason, String terminationMessage) {
        terminate(jobName, exitCode, containerReason, terminationMessage);
        setJobCondition(jobName, "Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
    }

    /** The Job's deadline passed: Kubernetes deletes the pod and fails the Job. */
    void expire(String jobName) {
        client.pods().inNamespace(namespace).withName(jobName + "-pod").delete();
        setJobCondition(jobName, "Failed", "DeadlineExceeded", "Job was active longer than specified deadline");
    }

    private void terminate(String jobName, int exitCode, String reason, String message) {
        upsertPod(jobName, new ContainerStatusBuilder().withName(RunnerJobFactory.RUNNER_CONTAINER).withImage("lockstep:test")
                .withReady(false).withRestartCount(0)
                .withNewState().withNewTerminated().withExitCode(exitCode).withReason(reason).withMessage(message)
                .withFinishedAt(Instant.now().toString()).endTerminated().endState().build(),
                exitCode == 0 ? "Succeeded" : "Failed");
    }

    private Pod upsertPod(String jobName, io.fabric8.kubernetes.api.model.ContainerStatus containerStatus, String phase) {
        Job job = job(jobName);
        Map<String, String> labels = new LinkedHashMap<>(job.getSpec().getTemplate().getMetadata().getLabels());
        labels.put("job-name", jobName);
        labels.put("controller-uid", job.getMetadata().getUid());
        Pod pod = new PodBuilder()
                .withNewMetadata().withName(jobName + "-pod").withNamespace(namespace).withLabels(labels)
                    .addNewOwnerReference().withApiVersion("batch/v1").withKind("Job").withName(jobName)
                    .withUid(job.getMetadata().getUid()).withController(true).endOwnerReference()
                .endMetadata()
                .withSpec(job.getSpec().getTemplate().getSpec())
                .withNewStatus().withPhase(phase).withContainerStatuses(containerStatus).endStatus()
                .build();
        var existing = client.pods().inNamespace(namespace).withName(pod.getMetadata().getName());
        if (existing.get() == null) {
            return client.pods().inNamespace(namespace).resource(pod).create();
        }
        // Status is a subresource: a plain update or patch would leave it as it was.
        return existing.editStatus(p -> { p.setStatus(pod.getStatus()); return p; });
    }

    private void setJobCondition(String jobName, String type, String reason, String message) {
        Job job = job(jobName);
        job.setStatus(new JobStatusBuilder()
                .withConditions(new JobConditionBuilder().withType(type).withStatus("True").withReason(reason)
                        .withMessage(message).withLastTransitionTime(Instant.now().toString()).build())
                .withSucceeded("Complete".equals(type) ? 1 : 0)
                .withFailed("Failed".equals(type) ? 1 : 0)
                .build());
        client.batch().v1().jobs().inNamespace(namespace).resource(job).updateStatus();
    }
}
