package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

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
}
