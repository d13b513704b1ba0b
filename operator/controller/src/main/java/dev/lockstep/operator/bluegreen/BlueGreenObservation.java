package dev.lockstep.operator.bluegreen;

import dev.lockstep.operator.Revisions;

/**
 * What the blue/green state machine sees in one reconcile.
 *
 * @param activeColor      the color the Service selects
 * @param previewColor     the other color pods carry, or null when there is none
 * @param previewPods      live pods of the preview color
 * @param previewReadyPods of those, Ready ones (with the rolling gate: on the schema they require)
 * @param previewRequires  the highest revision a preview pod requires, or null
 * @param activeRequires   the highest revision an active pod requires, or null
 * @param migrationStalled the SchemaMigration needs a person (a failed script, a bad spec)
 */
public record BlueGreenObservation(String activeColor, String previewColor, int previewPods, int previewReadyPods,
                                   String previewRequires, String activeRequires, boolean migrationStalled) {

    /** The preview side runs newer code than the active side: a rollout is under way. */
    boolean previewIsNewer() {
        return previewPods > 0 && previewRequires != null && Revisions.isVersion(previewRequires)
                && (activeRequires == null || !Revisions.isVersion(activeRequires) || Revisions.compare(previewRequires, activeRequires) > 0);
    }
}
