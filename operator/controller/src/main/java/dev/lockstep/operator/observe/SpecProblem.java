package dev.lockstep.operator.observe;

/** A spec field that cannot work, and what to do about it. */
public record SpecProblem(String field, String problem) {
    public String message() {
        return field + ": " + problem;
    }
}
