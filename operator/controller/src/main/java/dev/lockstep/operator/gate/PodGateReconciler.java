package dev.lockstep.operator.gate;

import dev.lockstep.api.v1alpha1.Reason;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.act.EventRecorder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rolling gate. Watches pods labelled {@value PodGate#SCHEMA_LABEL} and sets their {@value PodGate#CONDITION}
 * condition, which their readiness gate waits for: True once the named SchemaMigration reports the revision the pod
 * requires, False with the reason otherwise. Keyed on pods, not on a workload kind, so Deployments, StatefulSets,
 * Argo Rollouts, CronJobs and bare pods are all held the same way.
 */
@ControllerConfiguration(
        name = PodGateReconciler.NAME,
        // The pod's own status changes (our condition, the kubelet's) must not be filtered out: they are cheap to
        // re-check and a decision is only written when it differs.
        generationAwareEventProcessing = false,
        informer = @Informer(labelSelector = PodGate.SCHEMA_LABEL))
public class PodGateReconciler implements Reconciler<Pod> {
    public static final String NAME = "podgate";
    static final String SCHEMA_INDEX = "lockstep.dev/schema-of-pod";
    private static final Logger LOG = LoggerFactory.getLogger(PodGateReconciler.class);

    private final Clock clock;
    private EventRecorder events;

    public PodGateReconciler(Clock clock) {
        this.clock = clock;
    }

    @Override
    public List<EventSource<?, Pod>> prepareEventSources(EventSourceContext<Pod> context) {
        events = new EventRecorder(context.getClient(), clock);
        context.getPrimaryCache().addIndexer(SCHEMA_INDEX, pod -> PodGate.schemaName(pod)
                .map(name -> List.of(pod.getMetadata().getNamespace() + "/" + name)).orElse(List.of()));
        var migrations = new InformerEventSource<>(InformerEventSourceConfiguration.from(SchemaMigration.class, Pod.class)
                .withName("gate-schemamigrations")
                // A SchemaMigration's new revision wakes every pod that names it.
                .withSecondaryToPrimaryMapper(sm -> context.getPrimaryCache()
                        .byIndex(SCHEMA_INDEX, sm.getMetadata().getNamespace() + "/" + sm.getMetadata().getName())
                        .stream().map(ResourceID::fromResource).collect(Collectors.toSet()))
                .withPrimaryToSecondaryMapper((Pod pod) -> PodGate.schemaName(pod)
                        .map(name -> Set.of(new ResourceID(name, pod.getMetadata().getNamespace()))).orElse(Set.of()))
                .build(), context);
        return List.of(migrations);
    }

    @Override
    public UpdateControl<Pod> reconcile(Pod pod, Context<Pod> context) {
        if (PodGate.terminal(pod)) {
            return UpdateControl.noUpdate();
        }
        Optional<SchemaMigration> sm = context.getSecondaryResource(SchemaMigration.class);
        PodGate.Decision decision = PodGate.decide(pod, sm);
        Optional<PodCondition> shown = condition(pod);
        if (!decision.open() && shown.map(c -> "True".equals(c.getStatus())).orElse(false)) {
            // A released pod is serving. Closing its gate because the SchemaMigration was deleted, or its status was
            // lost, would take it out of every Service: an outage, not safety. Schemas only move forward here.
            LOG.debug("pod {}/{} stays released: {}", pod.getMetadata().getNamespace(), pod.getMetadata().getName(), decision.message());
            return UpdateControl.noUpdate();
        }
        boolean changed = shown.isEmpty() || !shown.get().getStatus().equals(decision.open() ? "True" : "False")
                || !decision.reason().name().equals(shown.get().getReason()) || !decision.message().equals(shown.get().getMessage());
        if (!changed) {
            return UpdateControl.noUpdate();
        }
        boolean flipped = shown.isEmpty() || !shown.get().getStatus().equals(decision.open() ? "True" : "False");
        patchCondition(pod, decision, flipped || shown.get().getLastTransitionTime() == null
                ? Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString() : shown.get().getLastTransitionTime(), context);
        boolean newReason = shown.isEmpty() || !decision.reason().name().equals(shown.get().getReason());
        if (newReason) {
            announce(pod, decision);
        }
        return UpdateControl.noUpdate();
    }

    /**
     * Warning Events for what a person must fix on the pod. A release is not an Event: the pod's condition says it (with
     * its time), and the SchemaMigration's WorkloadsReleased condition says it once for all its pods, where an Event per
     * pod cost as many requests as the release itself (500 pods, 500 more requests on the same reconcile threads).
     */
    private void announce(Pod pod, PodGate.Decision decision) {
        if (decision.reason() == Reason.SchemaMigrationNotFound || decision.reason() == Reason.InvalidRequiredRevision) {
            events.record(pod, true, decision.reason(), decision.message(), "", decision.message());
        }
        if (!PodGate.hasGate(pod)) {
            String message = "pod names SchemaMigration " + PodGate.schemaName(pod).orElse("")
                    + " but has no readiness gate " + PodGate.CONDITION + ": it is not held; add readinessGates: [{conditionType: "
                    + PodGate.CONDITION + "}] to the pod template";
            events.record(pod, true, Reason.InvalidSpec, message, "", message);
        }
    }

    /** A strategic merge on status.conditions (keyed by type), so the kubelet's own conditions stay as they are. */
    private static void patchCondition(Pod pod, PodGate.Decision decision, String since, Context<Pod> context) {
        Map<String, Object> condition = Map.of(
                "type", PodGate.CONDITION,
                "status", decision.open() ? "True" : "False",
                "reason", decision.reason().name(),
                "message", decision.message(),
                "lastTransitionTime", since);
        try {
            // On the pod as cached (its name and namespace): a patch by name alone reads the pod from the API server first.
            context.getClient().pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod)
                    .subresource("status")
                    .patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
                            context.getClient().getKubernetesSerialization().asJson(Map.of("status", Map.of("conditions", List.of(condition)))));
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return; // the pod went away meanwhile
            }
            throw e;
        }
        LOG.debug("pod {}/{}: {} {}", pod.getMetadata().getNamespace(), pod.getMetadata().getName(), decision.reason(), decision.message());
    }

    private static Optional<PodCondition> condition(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getConditions().stream().filter(c -> PodGate.CONDITION.equals(c.getType())).findFirst();
    }
}
