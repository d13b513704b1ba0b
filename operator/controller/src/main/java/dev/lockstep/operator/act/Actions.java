package dev.lockstep.operator.act;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.bluegreen.BlueGreenRollout;
import dev.lockstep.operator.decide.Decision;
import dev.lockstep.operator.jobs.RunnerJobFactory;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Does what a {@link Decision} says, in its order; {@link #announce} records its Events once the status is written. An
 * API error other than the ones named here is thrown: the reconcile then ends in {@code updateErrorStatus}, which
 * reports it, and the status the decision computed is not written, so status never claims what did not happen.
 */
public final class Actions {
    private static final Logger LOG = LoggerFactory.getLogger(Actions.class);

    private final RunnerJobFactory jobs;
    private final EventRecorder events;

    public Actions(RunnerJobFactory jobs, EventRecorder events) {
        this.jobs = jobs;
        this.events = events;
    }

    /** @param sm the resource as observed: what Jobs are made from and Events are about */
    public void perform(SchemaMigration sm, Decision decision, KubernetesClient client) {
        String namespace = sm.getMetadata().getNamespace();
        for (Decision.Action action : decision.actions()) {
            if (action instanceof Decision.CreateJob create) {
                try {
                    client.resource(jobs.create(sm, create.name(), create.specHash(), create.step())).create();
                    LOG.info("created runner Job {}/{} ({}) for revision {}", namespace, create.name(), create.step(),
                            sm.getSpec().getTargetRevision());
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 409) {
                        throw e;
                    }
                    // Made by an earlier incarnation of this operator and not yet in the informer cache: adopt it.
                    LOG.info("runner Job {}/{} already exists; adopting it", namespace, create.name());
                }
            } else if (action instanceof Decision.DeleteJobs delete) {
                for (String name : delete.names()) {
                    try {
                        client.batch().v1().jobs().inNamespace(namespace).withName(name)
                                .withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
                    } catch (KubernetesClientException e) {
                        // Pruning is housekeeping: the next run prunes again.
                        LOG.warn("could not delete old runner Job {}/{}: {}", namespace, name, e.getMessage());
                    }
                }
            } else if (action instanceof Decision.SwitchService switchService) {
                BlueGreenRollout.flip(client, switchService.flip());
            }
        }
    }

    /**
     * Records the decision's Events, once its status is written; never fails (an Event is a courtesy, status carries
     * the same facts).
     */
    public void announce(SchemaMigration sm, Decision decision) {
        for (Decision.Announcement a : decision.announcements()) {
            events.record(sm, a.warning(), a.reason(), a.message(), a.series(), a.fact());
        }
    }
}
