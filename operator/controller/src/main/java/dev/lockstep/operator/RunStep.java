package dev.lockstep.operator;

/**
 * The two steps of a revision change. Expand runs as soon as the target moves and holds contract scripts back;
 * Contract runs the rest once no gated pod requires a revision below the expanded one.
 */
public enum RunStep {
    Expand,
    Contract;

    /** Job name suffix: the expand Job keeps the plain name, so Jobs made before contract steps existed still match. */
    String hashSuffix() {
        return this == Contract ? "c" : "";
    }
}
