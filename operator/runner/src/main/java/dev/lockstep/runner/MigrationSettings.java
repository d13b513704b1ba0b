package dev.lockstep.runner;

import dev.lockstep.common.JdbcUrls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Everything a run needs. Built by the CLI from arguments, environment and mounted files; checked here so a bad
 * value fails before a connection is opened.
 *
 * @param url              JDBC URL without credentials
 * @param username         database user
 * @param password         its password; never printed (see {@link #toString()})
 * @param schemas          managed schemas; the first holds the history table
 * @param location         directory of the migration scripts
 * @param targetRevision   a version or "latest"
 * @param baselineVersion  when set, a non-empty database without history is adopted at this version
 * @param lockTimeout      PostgreSQL lock_timeout of the session (zero = none)
 * @param statementTimeout PostgreSQL statement_timeout of the session (zero = none)
 * @param holdContract     stop before the first pending contract script (see {@link ContractSteps})
 * @param allowDown        a target below the database runs the undo scripts of the versions above it
 * @param planPolicy       what is checked in the plan before anything runs: destructive expand steps, approval
 * @param tls              TLS to the database (and the scratch database); null for what the URL says
 * @param passwordFile     a file the password is read from at each connection (a rotated password takes effect from
 *                         the next connection); null for {@code password}
 */
public record MigrationSettings(
        String url,
        String username,
        String password,
        List<String> schemas,
        Path location,
        String targetRevision,
        String baselineVersion,
        Duration lockTimeout,
        Duration statementTimeout,
        boolean holdContract,
        boolean allowDown,
        PlanPolicy planPolicy,
        TlsSettings tls,
        Path passwordFile) {

    public static final String LATEST = "latest";
    private static final Pattern VERSION = Pattern.compile("[0-9]+(\\.[0-9]+)*");
    private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_$]{0,62}");
    private static final Pattern CREDENTIAL_PARAMETER = Pattern.compile("(?i)[?&](user|password)=");

    /** What a migrate checks in its plan first. */
    public enum Destructive { BLOCK, WARN, OFF }

    /**
     * @param destructive        what a destructive change found in an expand step's dry run does
     * @param requireApproval    apply only a plan whose digest is {@code approvedPlanDigest}
     * @param approvedPlanDigest the digest of the approved plan ({@code sha256:…}); setting it requires approval too
     * @param scratch            where the dry run happens: null for a rolled-back transaction on the database itself
     */
    public record PlanPolicy(Destructive destructive, boolean requireApproval, String approvedPlanDigest, ScratchDatabase scratch) {
        public static final PlanPolicy NONE = new PlanPolicy(Destructive.OFF, false, null);

        public PlanPolicy {
            destructive = Objects.requireNonNullElse(destructive, Destructive.OFF);
            approvedPlanDigest = approvedPlanDigest == null || approvedPlanDigest.isBlank() ? null : approvedPlanDigest.strip();
        }

        /** A policy that dry-runs on the database itself. */
        public PlanPolicy(Destructive destructive, boolean requireApproval, String approvedPlanDigest) {
            this(destructive, requireApproval, approvedPlanDigest, null);
        }

        public boolean approvalRequired() {
            return requireApproval || approvedPlanDigest != null;
        }
    }

    /**
     * A database of Lockstep's own for dry runs ({@code --dry-run-url}, {@code spec.policy.dryRunDatabase}): before each
     * dry run its managed schemas are dropped and rebuilt from the scripts to the plan's starting revision (see
     * {@link ScratchDryRun}), so the database being migrated sees no dry run at all.
     *
     * @param url      JDBC URL without credentials
     * @param username its user
     * @param password its password; never printed
     */
    public record ScratchDatabase(String url, String username, String password) {
        @Override
        public String toString() {
            return "ScratchDatabase[url=" + Redaction.url(url) + ", username=" + username + ", password=***]";
        }
    }

    /**
     * Settings for a run against {@code url} as {@code username}: schema {@code public}, target {@code latest}, no
     * baseline, a 10 s lock timeout, no statement timeout, contract scripts applied like any other, never down, no
     * plan policy; the builder's methods change what differs.
     */
    public static Builder connect(String url, String username, String password) {
        return new Builder(url, username, password);
    }

    /** Settings built by name; {@link #connect} starts one. */
    public static final class Builder {
        private final String url;
        private final String username;
        private final String password;
        private List<String> schemas = List.of();
        private Path location;
        private String targetRevision = LATEST;
        private String baselineVersion;
        private Duration lockTimeout;
        private Duration statementTimeout;
        private boolean holdContract;
        private boolean allowDown;
        private PlanPolicy planPolicy = PlanPolicy.NONE;
        private TlsSettings tls;
        private Path passwordFile;

        private Builder(String url, String username, String password) {
            this.url = url;
            this.username = username;
            this.password = password;
        }

        /** The managed schemas; the first holds the history table. */
        public Builder schemas(List<String> schemas) {
            this.schemas = schemas;
            return this;
        }

        public Builder location(Path location) {
            this.location = location;
            return this;
        }

        /** A version or "latest". */
        public Builder target(String targetRevision) {
            this.targetRevision = targetRevision;
            return this;
        }

        public Builder baseline(String baselineVersion) {
            this.baselineVersion = baselineVersion;
            return this;
        }

        public Builder lockTimeout(Duration lockTimeout) {
            this.lockTimeout = lockTimeout;
            return this;
        }

        public Builder statementTimeout(Duration statementTimeout) {
            this.statementTimeout = statementTimeout;
            return this;
        }

        /** Stop before the first pending contract script. */
        public Builder holdContract(boolean holdContract) {
            this.holdContract = holdContract;
            return this;
        }

        /** Let a target below the database run the undo scripts of the versions above it. */
        public Builder allowDown(boolean allowDown) {
            this.allowDown = allowDown;
            return this;
        }

        public Builder planPolicy(PlanPolicy planPolicy) {
            this.planPolicy = planPolicy;
            return this;
        }

        /** TLS to the database; null (the default) for what the URL says. */
        public Builder tls(TlsSettings tls) {
            this.tls = tls;
            return this;
        }

        /** Read the password from this file at each connection instead (see {@link Connections}). */
        public Builder passwordFile(Path passwordFile) {
            this.passwordFile = passwordFile;
            return this;
        }

        public MigrationSettings build() {
            return new MigrationSettings(url, username, password, schemas, location, targetRevision, baselineVersion,
                    lockTimeout, statementTimeout, holdContract, allowDown, planPolicy, tls, passwordFile);
        }
    }

    public MigrationSettings withLocation(Path newLocation) {
        return new MigrationSettings(url, username, password, schemas, newLocation, targetRevision, baselineVersion,
                lockTimeout, statementTimeout, holdContract, allowDown, planPolicy, tls, passwordFile);
    }

    public MigrationSettings withTarget(String newTarget, boolean down) {
        return new MigrationSettings(url, username, password, schemas, location, newTarget, baselineVersion,
                lockTimeout, statementTimeout, holdContract, down, planPolicy, tls, passwordFile);
    }

    public MigrationSettings withPlanPolicy(PlanPolicy policy) {
        return new MigrationSettings(url, username, password, schemas, location, targetRevision, baselineVersion,
                lockTimeout, statementTimeout, holdContract, allowDown, policy, tls, passwordFile);
    }

    public MigrationSettings {
        schemas = schemas == null || schemas.isEmpty() ? List.of("public") : List.copyOf(schemas);
        targetRevision = targetRevision == null || targetRevision.isBlank() ? LATEST : targetRevision.trim();
        lockTimeout = Objects.requireNonNullElse(lockTimeout, Duration.ofSeconds(10));
        statementTimeout = Objects.requireNonNullElse(statementTimeout, Duration.ZERO);
        planPolicy = Objects.requireNonNullElse(planPolicy, PlanPolicy.NONE);
    }

    /**
     * Checks every field and throws {@link InvalidSettingsException} naming the first bad one and its fix.
     */
    public MigrationSettings validated() {
        if (url == null || url.isBlank()) {
            throw new InvalidSettingsException("--url (or LOCKSTEP_DB_URL) is required, e.g. jdbc:postgresql://db:5432/orders");
        }
        requirePlainPostgresUrl("--url", url, "pass the user with --username or LOCKSTEP_DB_USERNAME and the password"
                + " with --password-file or LOCKSTEP_DB_PASSWORD");
        if (username == null || username.isBlank()) {
            throw new InvalidSettingsException("a database user is required: --username, --username-file or LOCKSTEP_DB_USERNAME");
        }
        for (String schema : schemas) {
            if (!SCHEMA.matcher(schema).matches()) {
                throw new InvalidSettingsException("--schemas: '" + schema + "' is not a plain lower-case PostgreSQL identifier");
            }
        }
        if (location == null || !Files.isDirectory(location)) {
            throw new InvalidSettingsException("--location: " + location + " is not a directory of migration scripts");
        }
        if (!LATEST.equals(targetRevision) && !VERSION.matcher(targetRevision).matches()) {
            throw new InvalidSettingsException("--target: '" + targetRevision + "' is neither 'latest' nor a version such as 7 or 2.1");
        }
        if (baselineVersion != null && !VERSION.matcher(baselineVersion).matches()) {
            throw new InvalidSettingsException("--baseline-version: '" + baselineVersion + "' is not a version such as 3 or 2.1");
        }
        ScratchDatabase scratch = planPolicy.scratch();
        if (scratch != null) {
            requirePlainPostgresUrl("--dry-run-url", scratch.url(), "pass them with --dry-run-username"
                    + " (LOCKSTEP_DRY_RUN_USERNAME) and LOCKSTEP_DRY_RUN_PASSWORD");
            if (scratch.username() == null || scratch.username().isBlank()) {
                throw new InvalidSettingsException("a user for the scratch database is required: --dry-run-username or"
                        + " LOCKSTEP_DRY_RUN_USERNAME");
            }
            if (schemas.contains(ScratchDryRun.MARKER_SCHEMA)) {
                throw new InvalidSettingsException("--schemas: " + ScratchDryRun.MARKER_SCHEMA + " is where the scratch"
                        + " database keeps its records; a dry run on a scratch database cannot manage a schema of that name");
            }
            if (scratch.url().equals(url)) {
                throw new InvalidSettingsException("--dry-run-url names the database being migrated; the scratch database is"
                        + " emptied before every dry run, so it must be a database of its own: create one for it"
                        + " (CREATE DATABASE <name>_scratch) and name that");
            }
        }
        if (tls != null) {
            tls.validate();
            Optional<String> inUrl = JdbcUrls.sslParameter(url);
            if (inUrl.isPresent()) {
                throw new InvalidSettingsException("--url carries " + inUrl.get() + " while TLS is set by --ssl-mode and its"
                        + " files (spec.database.tls): remove it from the URL");
            }
        }
        Optional<String> file = JdbcUrls.sslFileParameter(url);
        if (file.isPresent()) {
            throw new InvalidSettingsException("--url carries " + file.get() + ": a path in the URL points into the runner's"
                    + " own file system; give the files with --ssl-root-cert, --ssl-cert and --ssl-key (spec.database.tls)");
        }
        if (passwordFile != null && !Files.isReadable(passwordFile)) {
            throw new InvalidSettingsException("--password-file: " + passwordFile + (Files.exists(passwordFile)
                    ? " cannot be read by this user" : " does not exist"));
        }
        if (lockTimeout.isNegative() || statementTimeout.isNegative()) {
            throw new InvalidSettingsException("--lock-timeout and --statement-timeout must not be negative");
        }
        return this;
    }

    /** A PostgreSQL JDBC URL without credentials in it; otherwise the message names {@code option} and how to pass them. */
    private static void requirePlainPostgresUrl(String option, String url, String howToPassCredentials) {
        if (url == null || !url.startsWith("jdbc:postgresql://")) {
            throw new InvalidSettingsException(option + " must be a PostgreSQL JDBC URL starting with jdbc:postgresql://, got "
                    + Redaction.url(url));
        }
        if (url.substring("jdbc:postgresql://".length()).contains("@") || CREDENTIAL_PARAMETER.matcher(url).find()) {
            throw new InvalidSettingsException(option + " must not carry credentials: " + howToPassCredentials);
        }
        // The driver's own reading, so what it would refuse at connect time (a port out of range, a bad escape) is a
        // bad argument named here, not an internal error later.
        String hosts = url.substring("jdbc:postgresql://".length()).replaceFirst("[/?].*$", "");
        for (String host : hosts.split(",")) {
            java.util.regex.Matcher port = java.util.regex.Pattern.compile(":([^:\\]]*)$").matcher(host);
            if (port.find() && !port.group(1).isEmpty() && (!port.group(1).matches("[0-9]{1,5}")
                    || Integer.parseInt(port.group(1)) < 1 || Integer.parseInt(port.group(1)) > 65535)) {
                throw new InvalidSettingsException(option + ": port " + port.group(1) + " is not a TCP port (1-65535) in "
                        + Redaction.url(url));
            }
        }
        if (org.postgresql.Driver.parseURL(url, new java.util.Properties()) == null) {
            throw new InvalidSettingsException(option + " is not a URL the PostgreSQL driver can read: " + Redaction.url(url)
                    + "; write it as jdbc:postgresql://host:5432/database");
        }
    }

    /** PostgreSQL startup options for every session, so each script runs under the timeouts. */
    String sessionOptions() {
        return String.format(Locale.ROOT, "-c lock_timeout=%d -c statement_timeout=%d",
                lockTimeout.toMillis(), statementTimeout.toMillis());
    }

    /** The text with both passwords (this database's and the scratch database's) and URL credentials replaced. */
    public String redact(String text) {
        String redacted = Redaction.text(text, password);
        return planPolicy.scratch() == null ? redacted : Redaction.text(redacted, planPolicy.scratch().password());
    }

    @Override
    public String toString() {
        return "MigrationSettings[url=" + Redaction.url(url) + ", username=" + username + ", password=***, schemas="
                + schemas + ", location=" + location + ", targetRevision=" + targetRevision + ", baselineVersion="
                + baselineVersion + ", lockTimeout=" + lockTimeout + ", statementTimeout=" + statementTimeout
                + ", holdContract=" + holdContract + ", allowDown=" + allowDown + ", planPolicy=" + planPolicy + ", tls=" + tls
                + ", passwordFile=" + passwordFile + "]";
    }

    /** A setting that cannot work; the message names the option and the fix. */
    public static final class InvalidSettingsException extends RuntimeException {
        public InvalidSettingsException(String message) {
            super(message);
        }
    }
}
