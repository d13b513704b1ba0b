package dev.lockstep.operator.act;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.api.v1alpha1.SchemaMigrationStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Objects;

/**
 * Writes a SchemaMigration's status the way the reconciler needs it, rather than the framework's way:
 *
 * <ul>
 *   <li><b>Under the optimistic lock of the version it was decided from.</b> A status decided from a resource that
 *       has changed since is refused (409), never written over what is there now.</li>
 *   <li><b>Into the cache the next reconcile reads.</b> The written resource is handed to the controller's event
 *       source, so a reconcile that a Job or pod event starts a moment later decides from this status, not from the
 *       one before it, which its own write would then lose to a conflict (and wait out the retry back-off).</li>
 *   <li><b>Not at all when nothing changed</b>: no request.</li>
 * </ul>
 *
 * Server-side apply as the controller's field manager when the operator is configured for it (as in production),
 * else a replace of the status subresource (fabric8's mock server does not take apply patches).
 */
public final class StatusWriter {
    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    private StatusWriter() {}

    /**
     * @return whether a request was made; false when the status is what {@code observed} already says
     * @throws KubernetesClientException 409 when {@code observed} is no longer the resource's version
     */
    public static boolean write(SchemaMigration observed, SchemaMigrationStatus status, Context<SchemaMigration> context) {
        if (Objects.equals(JSON.asJson(observed.getStatus()), JSON.asJson(status))) {
            return false;
        }
        SchemaMigration updated;
        if (context.getControllerConfiguration().getConfigurationService().useSSAToPatchPrimaryResource()) {
            SchemaMigration apply = new SchemaMigration();
            apply.setMetadata(new ObjectMetaBuilder().withName(observed.getMetadata().getName())
                    .withNamespace(observed.getMetadata().getNamespace())
                    .withResourceVersion(observed.getMetadata().getResourceVersion()).build());
            apply.setStatus(status);
            updated = context.getClient().resource(apply).subresource("status").patch(new PatchContext.Builder()
                    .withPatchType(PatchType.SERVER_SIDE_APPLY).withForce(true)
                    .withFieldManager(context.getControllerConfiguration().fieldManager()).build());
        } else {
            SchemaMigration replace = JSON.clone(observed);
            replace.setStatus(status);
            updated = context.getClient().resource(replace).updateStatus();
        }
        context.eventSourceRetriever().getControllerEventSource()
                .handleRecentResourceUpdate(ResourceID.fromResource(observed), updated, observed);
        return true;
    }
}
