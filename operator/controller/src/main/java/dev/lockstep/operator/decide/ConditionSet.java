package dev.lockstep.operator.decide;

import dev.lockstep.api.v1alpha1.ConditionType;
import dev.lockstep.api.v1alpha1.Reason;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * The one way conditions are written, in the spirit of kubebuilder's meta.SetStatusCondition: lastTransitionTime
 * changes only when status flips; reason, message and observedGeneration are always brought up to date.
 */
public final class ConditionSet {
    private final List<Condition> conditions;
    private final long generation;
    private final Clock clock;

    public ConditionSet(List<Condition> conditions, long generation, Clock clock) {
        this.conditions = conditions;
        this.generation = generation;
        this.clock = clock;
    }

    public void set(ConditionType type, boolean status, Reason reason, String message) {
        String statusText = status ? "True" : "False";
        Optional<Condition> existing = get(type);
        String transition = existing.filter(c -> statusText.equals(c.getStatus()))
                .map(Condition::getLastTransitionTime)
                .orElseGet(() -> Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString());
        Condition updated = new ConditionBuilder()
                .withType(type.name())
                .withStatus(statusText)
                .withReason(reason.name())
                .withMessage(message)
                .withObservedGeneration(generation)
                .withLastTransitionTime(transition)
                .build();
        existing.ifPresentOrElse(c -> conditions.set(conditions.indexOf(c), updated), () -> conditions.add(updated));
        conditions.sort(java.util.Comparator.comparing(ConditionSet::order));
    }

    /** Our types in their declared order; anyone else's after them, as they were. */
    private static int order(Condition c) {
        for (ConditionType type : ConditionType.values()) {
            if (type.name().equals(c.getType())) {
                return type.ordinal();
            }
        }
        return ConditionType.values().length;
    }

    public Optional<Condition> get(ConditionType type) {
        return conditions.stream().filter(c -> type.name().equals(c.getType())).findFirst();
    }

    public boolean isTrue(ConditionType type) {
        return get(type).map(c -> "True".equals(c.getStatus())).orElse(false);
    }
}
