package dev.lockstep.operator;

/**
 * The steps of a revision change, and the check of a Ready one. Expand runs as soon as the target moves and holds
 * contract scripts back; Contract runs the rest once no gated pod requires a revision below the expanded one; Check
 * compares the history with the source every spec.driftCheckInterval and changes nothing.
 */
public enum RunStep {
    Expand,
    Contract,
    Check;

    /** Job name suffix: the expand Job keeps the plain name, so Jobs made before contract steps existed still match. */
    String hashSuffix() {
        return switch (this) {
            case Expand -> "";
            case Contract -> "c";
            case Check -> "v";
        };
    }
}
