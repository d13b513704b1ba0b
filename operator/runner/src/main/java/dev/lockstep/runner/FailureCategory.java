package dev.lockstep.runner;

/** What kind of failure a run ended in; each maps to one {@link ExitCode}. */
public enum FailureCategory {
    ARGUMENTS(ExitCode.ARGUMENTS),
    CONNECTION(ExitCode.CONNECTION),
    VALIDATION(ExitCode.VALIDATION),
    /** The source no longer matches the applied history ({@link Drift}); nothing ran. */
    DRIFT(ExitCode.VALIDATION),
    SQL(ExitCode.SQL),
    /** The server's certificate does not verify against the CA given (another CA, expired, self-signed); nothing ran. */
    TLS_UNTRUSTED(ExitCode.CONNECTION),
    /** The server's certificate does not name the host the URL connects to (verify-full); nothing ran. */
    TLS_HOSTNAME(ExitCode.CONNECTION),
    /** The server wants a client certificate, or refused the one given (its CA, or a CN that is not the user). */
    TLS_CLIENT_CERTIFICATE(ExitCode.CONNECTION),
    /** The server accepts only TLS connections, and this one had none; nothing ran. */
    TLS_REQUIRED(ExitCode.CONNECTION),
    /** Another TLS failure: the server offers no TLS, or the handshake failed otherwise; nothing ran. */
    TLS(ExitCode.CONNECTION),
    /** An expand step would break code still running (policy Block); nothing ran. */
    DESTRUCTIVE(ExitCode.DESTRUCTIVE),
    /** Approval is required and the plan's digest is not the approved one; nothing ran. */
    APPROVAL(ExitCode.APPROVAL),
    /**
     * The scratch database named for the dry run must not be emptied: it is the database being migrated, or it holds
     * what Lockstep did not leave there (see {@link ScratchDryRun}); nothing ran.
     */
    DRY_RUN_DATABASE(ExitCode.ARGUMENTS),
    /** The dry run could not get a lock on a busy table through its retries (policy Block); nothing ran. */
    LOCK(ExitCode.LOCKED),
    INTERNAL(ExitCode.INTERNAL);

    private final ExitCode exitCode;

    FailureCategory(ExitCode exitCode) {
        this.exitCode = exitCode;
    }

    public ExitCode exitCode() {
        return exitCode;
    }
}
