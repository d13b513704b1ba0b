package dev.lockstep.operator.act;

import dev.lockstep.api.v1alpha1.Reason;
import dev.lockstep.common.Sha256;
import dev.lockstep.operator.jobs.Names;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Kubernetes Events about a SchemaMigration or a gated pod, the way Kubernetes' own recorder groups them: one
 * Event object per resource, reason and <em>series</em> (for a SchemaMigration, the run), whose {@code count} and
 * {@code lastTimestamp} go up when the same reason is recorded again for another fact (the next attempt of a run, the
 * next failed drift check).
 *
 * <p>Each call names its fact. Recording a fact the Event already holds writes nothing: a reconcile that repeats a
 * transition (its status write lost a conflict, or it read a cache that lagged the last write), a restarted operator
 * or another replica finds the fact in the Event itself, so no memory in the process is needed to say things once.
 */
public class EventRecorder {
    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
    static final String COMPONENT = "lockstep-operator";
    /** On an Event: the digest of the last fact it counted. */
    static final String FACT_ANNOTATION = "lockstep.dev/fact";
    private static final int MAX_MESSAGE = 1024;
    /** Each conflict means another recorder's write went in, so this bounds how many may write at once, not a wait. */
    private static final int MAX_TRIES = 20;

    private final KubernetesClient client;
    private final Clock clock;

    public EventRecorder(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    /**
     * Records {@code fact} under the Event for {@code about}, {@code reason} and {@code series}.
     *
     * @param series which Event object counts it: the run, for a SchemaMigration; {@code ""} for one per reason
     * @param fact   what happened, as a value that is equal when the same thing is seen again
     */
    public void record(HasMetadata about, boolean warning, Reason reason, String message, String series, String fact) {
        String name = eventName(about, reason, series);
        String factDigest = Sha256.hex(fact).substring(0, 16);
        String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
        String text = message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE - 3) + "..." : message;
        var events = client.v1().events().inNamespace(about.getMetadata().getNamespace());
        try {
            // Most facts are the first of their Event: create it, and read what is there only when it exists.
            if (created(events, newEvent(about, warning, reason, text, name, factDigest, now))) {
                return;
            }
            for (int tries = 0; tries < MAX_TRIES; tries++) {
                Event existing = events.withName(name).get();
                if (existing == null) {
                    if (created(events, newEvent(about, warning, reason, text, name, factDigest, now))) {
                        return;
                    }
                    continue; // made meanwhile, by another reconcile or replica: count on it
                }
                Map<String, String> annotations = existing.getMetadata().getAnnotations() == null ? new HashMap<>()
                        : new HashMap<>(existing.getMetadata().getAnnotations());
                if (factDigest.equals(annotations.get(FACT_ANNOTATION))) {
                    LOG.debug("event {} for {}/{} already says this", reason, about.getMetadata().getNamespace(), about.getMetadata().getName());
                    return;
                }
                annotations.put(FACT_ANNOTATION, factDigest);
                existing.getMetadata().setAnnotations(annotations);
                existing.setCount(Objects.requireNonNullElse(existing.getCount(), 1) + 1);
                existing.setLastTimestamp(now);
                existing.setMessage(text);
                existing.setType(warning ? "Warning" : "Normal");
                try {
                    events.resource(existing).update(); // carries the resourceVersion read: a concurrent count wins, we retry
                    return;
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 409 && e.getCode() != 404) {
                        throw e;
                    }
                }
            }
            LOG.debug("event {} for {}/{}: gave up after {} conflicts", reason, about.getMetadata().getNamespace(), about.getMetadata().getName(), MAX_TRIES);
        } catch (KubernetesClientException e) {
            // An Event is a courtesy; status carries the same facts. Never fail a reconcile over one.
            LOG.warn("could not record event {} for {}/{}: {}", reason, about.getMetadata().getNamespace(), about.getMetadata().getName(), e.getMessage());
        }
    }

    /** Creates the Event; false when one of its name exists already. */
    private static boolean created(io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<Event, io.fabric8.kubernetes.api.model.EventList,
            io.fabric8.kubernetes.client.dsl.Resource<Event>> events, Event event) {
        try {
            events.resource(event).create();
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            return false;
        }
    }

    /** The Event's name: the resource's name and a digest of its uid, the reason and the series; deterministic, so any replica finds it. */
    static String eventName(HasMetadata about, Reason reason, String series) {
        String id = Sha256.hex(about.getMetadata().getUid() + "|" + reason + "|" + series).substring(0, 16);
        return Names.fit(about.getMetadata().getName(), "." + id, Names.OBJECT_NAME);
    }

    private static Event newEvent(HasMetadata about, boolean warning, Reason reason, String text, String name, String factDigest, String now) {
        return new EventBuilder()
                .withNewMetadata().withName(name).withNamespace(about.getMetadata().getNamespace())
                    .addToAnnotations(FACT_ANNOTATION, factDigest).endMetadata()
                .withNewInvolvedObject()
                    .withApiVersion(about.getApiVersion())
                    .withKind(about.getKind())
                    .withName(about.getMetadata().getName())
                    .withNamespace(about.getMetadata().getNamespace())
                    .withUid(about.getMetadata().getUid())
                    .withResourceVersion(about.getMetadata().getResourceVersion())
                .endInvolvedObject()
                .withType(warning ? "Warning" : "Normal")
                .withReason(reason.name())
                .withMessage(text)
                .withNewSource().withComponent(COMPONENT).endSource()
                .withReportingComponent(COMPONENT)
                .withFirstTimestamp(now)
                .withLastTimestamp(now)
                .withCount(1)
                .build();
    }
}
