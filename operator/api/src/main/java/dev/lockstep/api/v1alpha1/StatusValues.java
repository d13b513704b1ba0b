package dev.lockstep.api.v1alpha1;

/** Reading the enums of status: a value stored by another version of the operator must never fail a read. */
final class StatusValues {
    private StatusValues() {}

    static <E extends Enum<E>> E of(Class<E> type, String value, E unknown) {
        if (value == null) {
            return null;
        }
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(value)) {
                return e;
            }
        }
        return unknown;
    }
}
