package dev.lockstep.operator.bluegreen;

import dev.lockstep.api.v1alpha1.BlueGreenSpec;
import dev.lockstep.api.v1alpha1.BlueGreenStatus;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.Revisions;
import dev.lockstep.operator.gate.PodGate;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * From the Service and the two colors' pods, steps {@link BlueGreenState} ({@link #decide}); switching the Service is
 * an action of its own ({@link #flip}), done after the decision.
 */
public final class BlueGreenRollout {
    private static final Logger LOG = LoggerFactory.getLogger(BlueGreenRollout.class);

    private BlueGreenRollout() {}

    /** Switch {@code service}'s selector to {@code label}={@code color}. */
    public record Flip(Service service, String label, String color) {}

    /**
     * What one step of the rollout found: a problem message when the Service is missing or does not select by the
     * color label (a spec error), and the switch of the Service when one is due.
     */
    public record Step(Optional<String> problem, Optional<Flip> flip) {
        static Step problem(String message) {
            return new Step(Optional.of(message), Optional.empty());
        }
    }

    /**
     * One step of the rollout; writes {@code status.blueGreen} of {@code sm}, reads nothing but its arguments. A switch
     * of the Service is decided here and stepped past at once, as if done: nothing else wakes the operator after its
     * own switch, and the switch is idempotent, so a failed one is only done again.
     */
    public static Step decide(SchemaMigration sm, List<Pod> gatedPods, boolean migrationStalled, Optional<Service> found, Instant now) {
        BlueGreenSpec spec = sm.getSpec().getRollout().getBlueGreen();
        String label = spec.colorLabelOrDefault();
        String namespace = sm.getMetadata().getNamespace();
        if (found.isEmpty()) {
            return Step.problem("spec.rollout.blueGreen.service: Service " + spec.getService() + " does not exist in namespace " + namespace);
        }
        Service service = found.get();
        Map<String, String> selector = service.getSpec().getSelector();
        String active = selector == null ? null : selector.get(label);
        if (active == null) {
            return Step.problem("spec.rollout.blueGreen.service: Service " + spec.getService() + " has no " + label
                    + " in its selector: add it, set to the color that serves now");
        }
        BlueGreenObservation observation = observe(gatedPods, label, active, migrationStalled);
        BlueGreenStatus status = Objects.requireNonNullElseGet(sm.getStatus().getBlueGreen(), BlueGreenStatus::new);
        BlueGreenState state = BlueGreenState.of(status.getState());
        BlueGreenState.Transition transition = state.step(observation);
        Optional<Flip> flip = Optional.empty();
        if (transition.action() == BlueGreenState.Action.FLIP) {
            flip = Optional.of(new Flip(service, label, observation.previewColor()));
            status.setLastFlip(now.truncatedTo(ChronoUnit.SECONDS).toString());
            active = observation.previewColor();
            observation = observe(gatedPods, label, active, migrationStalled);
            // Nothing else wakes us after our own switch: step from Flipped at once, with the roles swapped.
            BlueGreenState.Transition settled = transition.next().step(observation);
            transition = new BlueGreenState.Transition(settled.next(), BlueGreenState.Action.FLIP,
                    transition.message() + "; " + settled.message());
        }
        status.setState(transition.next().phase());
        status.setActiveColor(active);
        status.setPreviewColor(observation.previewColor());
        status.setMessage(transition.message());
        sm.getStatus().setBlueGreen(status);
        return new Step(Optional.empty(), flip);
    }

    static BlueGreenObservation observe(List<Pod> pods, String label, String active, boolean migrationStalled) {
        List<Pod> colored = pods.stream().filter(p -> color(p, label) != null).toList();
        String preview = colored.stream().map(p -> color(p, label)).filter(c -> !c.equals(active)).sorted().findFirst().orElse(null);
        List<Pod> previewPods = colored.stream().filter(p -> Objects.equals(color(p, label), preview)).toList();
        List<Pod> activePods = colored.stream().filter(p -> active.equals(color(p, label))).toList();
        return new BlueGreenObservation(active, preview, previewPods.size(),
                (int) previewPods.stream().filter(BlueGreenRollout::ready).count(),
                highest(previewPods), highest(activePods), migrationStalled);
    }

    /** Switches the Service as {@link #decide} said. */
    public static void flip(KubernetesClient client, Flip flip) {
        // Idempotent: the patch sets one selector key; a restarted operator that sees it set does not step here again.
        Service service = flip.service();
        String patch = client.getKubernetesSerialization().asJson(Map.of("spec", Map.of("selector", Map.of(flip.label(), flip.color()))));
        client.services().inNamespace(service.getMetadata().getNamespace()).withName(service.getMetadata().getName())
                .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
        LOG.info("switched Service {}/{} to {}={}", service.getMetadata().getNamespace(), service.getMetadata().getName(),
                flip.label(), flip.color());
    }

    private static String color(Pod pod, String label) {
        return pod.getMetadata().getLabels() == null ? null : pod.getMetadata().getLabels().get(label);
    }

    private static boolean ready(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static String highest(List<Pod> pods) {
        return pods.stream().map(PodGate::requiredRevision).flatMap(Optional::stream).filter(Revisions::isVersion)
                .max(Revisions.ORDER).orElse(null);
    }
}
