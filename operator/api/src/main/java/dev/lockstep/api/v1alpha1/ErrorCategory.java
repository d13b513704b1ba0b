package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * {@code status.lastRun.error.category}: what kind of failure a run ended in. The runner reports every one but
 * {@link #POD}, which the operator sets when the runner's pod ended without a result.
 */
public enum ErrorCategory {
    /** A flag or setting the runner could not use. */
    ARGUMENTS,
    /** The database could not be reached, or went away during the run. */
    CONNECTION,
    /** Flyway's validation of the history failed. */
    VALIDATION,
    /** The source no longer matches the applied history; nothing ran. */
    DRIFT,
    /** A script failed. */
    SQL,
    /** The server's certificate does not verify against spec.database.tls.ca; nothing ran. */
    TLS_UNTRUSTED,
    /** The server's certificate does not name the URL's host (verify-full); nothing ran. */
    TLS_HOSTNAME,
    /** The server wants a client certificate, or refused the one given; nothing ran. */
    TLS_CLIENT_CERTIFICATE,
    /** The server accepts only TLS connections, and the runner's had none; nothing ran. */
    TLS_REQUIRED,
    /** Another TLS failure (the server offers no TLS, a failed handshake); nothing ran. */
    TLS,
    /** An expand step would break code still running (policy Block); nothing ran. */
    DESTRUCTIVE,
    /** Approval is required and the plan's digest is not the approved one; nothing ran. */
    APPROVAL,
    /** The scratch database named for the dry run must not be emptied; nothing ran. */
    DRY_RUN_DATABASE,
    /** The dry run could not get a lock on a busy table through its retries; nothing ran. */
    LOCK,
    /** A defect in the runner. */
    INTERNAL,
    /** The runner's pod ended without a result (OOMKilled, a deadline, an eviction). */
    POD,
    /** A value this version of the operator does not know (a newer runner's); read, never written. */
    UNKNOWN;

    @JsonCreator
    public static ErrorCategory of(String value) {
        return StatusValues.of(ErrorCategory.class, value, UNKNOWN);
    }
}
