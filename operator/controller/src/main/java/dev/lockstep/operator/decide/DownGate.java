package dev.lockstep.operator.decide;

import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.Reason;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.Revisions;
import dev.lockstep.operator.gate.PodGate;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** Whether a run below the database's revision (going down with undo scripts) may start now. */
final class DownGate {
    private DownGate() {}

    /**
     * A target below the database's revision takes versions back with their undo scripts. It runs only when the
     * spec allows it, when every version above the target has its undo script (as far as a ConfigMap source shows;
     * the runner checks again) and when no pod that may still run requires more than the target: the undo would
     * take away what its code uses. True when the down run may start (or the target is not below the database).
     */
    static boolean mayStart(SchemaMigration sm, Set<Pod> gatedPods, StatusReport report, Map<String, String> scripts) {
        String current = sm.getStatus().getCurrentRevision();
        String target = sm.getSpec().getTargetRevision();
        if (current == null || !Revisions.isVersion(current) || !Revisions.isVersion(target) || Revisions.compare(target, current) >= 0) {
            return true;
        }
        if (!sm.getSpec().downAllowed()) {
            report.stalled(Phase.Failed, Reason.DownNotAllowed, "spec.targetRevision " + target + " is below the database's"
                    + " revision " + current + ": going down runs the undo scripts (U<version>__<description>.sql) of every"
                    + " version above " + target + " and drops what they added; set spec.policy.allowDown: true to let it,"
                    + " or set the target back to " + current + " or higher. Nothing was run");
            return false;
        }
        if (scripts != null) {
            List<String> undo = scripts.keySet().stream().map(Revisions::ofUndoScript).filter(Objects::nonNull).toList();
            List<String> missing = scripts.keySet().stream().map(Revisions::ofScript).filter(Objects::nonNull)
                    .filter(v -> Revisions.compare(v, target) > 0 && Revisions.compare(v, current) <= 0)
                    .filter(v -> undo.stream().noneMatch(u -> Revisions.compare(u, v) == 0))
                    .distinct().sorted(Revisions.ORDER.reversed()).toList();
            if (!missing.isEmpty()) {
                report.stalled(Phase.Failed, Reason.UndoScriptMissing, "going down from " + current + " to " + target
                        + " needs an undo script for version(s) " + String.join(", ", missing) + ": add U<version>__<description>.sql"
                        + " to ConfigMap " + sm.getSpec().getSource().getConfigMapRef().getName() + " (spec.source.configMapRef). Nothing was run");
                return false;
            }
        }
        List<Pod> above = PodGate.mayStillRun(gatedPods, sm).stream()
                .filter(p -> PodGate.requiredRevision(p).filter(Revisions::isVersion).map(r -> Revisions.compare(r, target) > 0).orElse(false))
                .toList();
        if (!above.isEmpty()) {
            report.progressing(Phase.Migrating, Reason.DownWaitingForPods, "going down from " + current + " to " + target
                    + " waits for " + above.size() + " pod(s) that require a higher revision: " + PhaseMachine.list(above)
                    + "; roll those workloads back to code that requires " + target + " or lower first",
                    Reason.DownWaitingForPods, "going down to " + target + " waits for " + above.size() + " pod(s) on a higher revision");
            return false;
        }
        return true;
    }
}
