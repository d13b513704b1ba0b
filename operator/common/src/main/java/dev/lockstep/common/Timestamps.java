package dev.lockstep.common;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** The RFC 3339 times Kubernetes objects and Lockstep's status carry, read back. */
public final class Timestamps {
    private Timestamps() {}

    /** The instant {@code timestamp} writes; empty when there is none or it is not one (a status edited by hand). */
    public static Optional<Instant> parse(String timestamp) {
        if (timestamp == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(timestamp));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
