package dev.lockstep.operator;

import dev.lockstep.common.Sha256;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Kubernetes Events about a SchemaMigration or a gated pod. The reconciler calls it on transitions only, so a resource that
 * sits in one state does not fill the namespace with copies of the same Event.
 */
public class EventRecorder {
    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
    static final String COMPONENT = "lockstep-operator";

    private final KubernetesClient client;
    private final Clock clock;

    public EventRecorder(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    public void normal(HasMetadata sm, Reason reason, String message) {
        record(sm, "Normal", reason, message, null);
    }

    public void warning(HasMetadata sm, Reason reason, String message) {
        record(sm, "Warning", reason, message, null);
    }

    /**
     * An Event for one fact, named from {@code fact} (with the resource's uid): recording the same fact again, as a
     * reconcile does that repeats a transition after its status write was refused (409), finds the Event there and
     * writes nothing, whichever replica or incarnation of the operator records it.
     */
    public void once(HasMetadata sm, boolean warning, Reason reason, String message, String fact) {
        record(sm, warning ? "Warning" : "Normal", reason, message, sm.getMetadata().getUid() + "|" + reason + "|" + fact);
    }

    private void record(HasMetadata sm, String type, Reason reason, String message, String key) {
        String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
        String id = key == null ? UUID.randomUUID().toString().replace("-", "").substring(0, 16) : Sha256.hex(key).substring(0, 16);
        String name = Names.fit(sm.getMetadata().getName(), "." + id, Names.OBJECT_NAME);
        try {
            client.v1().events().inNamespace(sm.getMetadata().getNamespace()).resource(new EventBuilder()
                    .withNewMetadata().withName(name).withNamespace(sm.getMetadata().getNamespace()).endMetadata()
                    .withNewInvolvedObject()
                        .withApiVersion(sm.getApiVersion())
                        .withKind(sm.getKind())
                        .withName(sm.getMetadata().getName())
                        .withNamespace(sm.getMetadata().getNamespace())
                        .withUid(sm.getMetadata().getUid())
                        .withResourceVersion(sm.getMetadata().getResourceVersion())
                    .endInvolvedObject()
                    .withType(type)
                    .withReason(reason.name())
                    .withMessage(message.length() > 1024 ? message.substring(0, 1021) + "..." : message)
                    .withNewSource().withComponent(COMPONENT).endSource()
                    .withReportingComponent(COMPONENT)
                    .withFirstTimestamp(now)
                    .withLastTimestamp(now)
                    .withCount(1)
                    .build()).create();
        } catch (KubernetesClientException e) {
            if (key != null && e.getCode() == 409) {
                LOG.debug("event {} for {}/{} already recorded", reason, sm.getMetadata().getNamespace(), sm.getMetadata().getName());
                return;
            }
            // An Event is a courtesy; status carries the same facts. Never fail a reconcile over one.
            LOG.warn("could not record event {} for {}/{}: {}", reason, sm.getMetadata().getNamespace(), sm.getMetadata().getName(), e.getMessage());
        }
    }
}
