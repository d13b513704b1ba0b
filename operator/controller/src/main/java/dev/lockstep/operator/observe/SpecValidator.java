package dev.lockstep.operator.observe;

import dev.lockstep.api.v1alpha1.DatabaseSpec;
import dev.lockstep.api.v1alpha1.DryRunDatabaseSpec;
import dev.lockstep.api.v1alpha1.RunnerSpec;
import dev.lockstep.api.v1alpha1.SchemaMigrationSpec;
import dev.lockstep.api.v1alpha1.SecretKeysReference;
import dev.lockstep.api.v1alpha1.SourceSpec;
import dev.lockstep.api.v1alpha1.TlsSpec;
import dev.lockstep.common.Durations;
import dev.lockstep.common.JdbcUrls;
import dev.lockstep.operator.Revisions;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks what the CRD's OpenAPI schema cannot express (one-of, cross-field rules; Kubernetes 1.20 has no CEL) and
 * re-checks what it can, since a CRD applied without validation or an older CRD may let anything through.
 */
public final class SpecValidator {
    private static final Pattern URL = Pattern.compile("jdbc:postgresql://[^@/\\s]+/[^?\\s]+(\\?.*)?");
    private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_$]{0,62}");
    private static final Pattern DNS_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern ABSOLUTE_PATH = Pattern.compile("/[^\\s'\"]*");
    private static final Pattern KEY = Pattern.compile("[-._a-zA-Z0-9]{1,253}");

    private SpecValidator() {}

    public static Optional<SpecProblem> validate(SchemaMigrationSpec spec) {
        if (spec == null) {
            return problem("spec", "is missing: set spec.targetRevision, spec.database and spec.source");
        }
        String target = spec.getTargetRevision();
        if (target == null || !(Revisions.LATEST.equals(target) || Revisions.isVersion(target))) {
            return problem("spec.targetRevision", "'" + target + "' is neither \"latest\" nor a version such as \"7\" or \"2.1\"");
        }
        Optional<SpecProblem> database = validate(spec.getDatabase());
        if (database.isPresent()) {
            return database;
        }
        Optional<SpecProblem> source = validate(spec.getSource());
        if (source.isPresent()) {
            return source;
        }
        if (spec.getBaseline() != null && !Revisions.isVersion(spec.getBaseline().getVersion())) {
            return problem("spec.baseline.version", "'" + spec.getBaseline().getVersion() + "' is not a version such as \"3\"");
        }
        if (spec.getBaseline() != null && Revisions.isVersion(target)
                && Revisions.compare(spec.getBaseline().getVersion(), target) > 0) {
            return problem("spec.baseline.version", "is above spec.targetRevision " + target + ": the baseline is the revision the existing schema already matches, so it cannot be above the target");
        }
        if (spec.getRollout() != null && spec.getRollout().blueGreen() && (spec.getRollout().getBlueGreen() == null
                || isBlank(spec.getRollout().getBlueGreen().getService()))) {
            return problem("spec.rollout.blueGreen.service", "is required with strategy BlueGreen: name the Service whose selector is switched");
        }
        if (spec.getContract() != null && spec.getContract().getApprovedRevision() != null
                && !Revisions.isVersion(spec.getContract().getApprovedRevision())) {
            return problem("spec.contract.approvedRevision", "'" + spec.getContract().getApprovedRevision() + "' is not a version such as \"8\"");
        }
        Optional<SpecProblem> dryRun = validate(spec.getPolicy() == null ? null : spec.getPolicy().getDryRunDatabase(), spec);
        if (dryRun.isPresent()) {
            return dryRun;
        }
        if (spec.getDriftCheckInterval() != null) {
            Optional<java.time.Duration> interval = Durations.parse(spec.getDriftCheckInterval());
            if (interval.isEmpty()) {
                return problem("spec.driftCheckInterval", "'" + spec.getDriftCheckInterval() + "' is not a duration such as 30m, 6h or 1h30m");
            }
            if (interval.get().compareTo(java.time.Duration.ofSeconds(10)) < 0) {
                return problem("spec.driftCheckInterval", "is " + spec.getDriftCheckInterval() + ": at least 10s, each check is a Job (minutes or hours suit most databases)");
            }
        }
        return validate(spec.getRunner());
    }

    private static Optional<SpecProblem> validate(DatabaseSpec db) {
        if (db == null) {
            return problem("spec.database", "is missing: set url and credentialsSecretRef");
        }
        Optional<SpecProblem> connection = validateUrl("spec.database", db.getUrl(), "dbname")
                .or(() -> validateSecret("spec.database", db.getCredentialsSecretRef()));
        if (connection.isPresent()) {
            return connection;
        }
        Optional<SpecProblem> tls = validate(db.getTls(), db.getUrl());
        if (tls.isPresent()) {
            return tls;
        }
        if (db.getSchemas() != null) {
            for (int i = 0; i < db.getSchemas().size(); i++) {
                String schema = db.getSchemas().get(i);
                if (schema == null || !SCHEMA.matcher(schema).matches()) {
                    return problem("spec.database.schemas[" + i + "]", "'" + schema + "' is not a plain lower-case PostgreSQL identifier");
                }
            }
        }
        return Optional.empty();
    }

    /**
     * spec.database.tls, and the URL beside it: no path to a TLS file in the URL ever (it would point into the runner's
     * file system), and no ssl* parameter at all when tls is set (one place says how TLS is done).
     */
    private static Optional<SpecProblem> validate(TlsSpec tls, String url) {
        Optional<String> file = JdbcUrls.sslFileParameter(url);
        if (file.isPresent()) {
            return problem("spec.database.url", "carries " + file.get() + ", a path in the runner's file system: give the CA"
                    + " and client certificate in spec.database.tls (ca, clientCertificate), which mounts them");
        }
        if (tls == null) {
            return Optional.empty();
        }
        Optional<String> ssl = JdbcUrls.sslParameter(url);
        if (ssl.isPresent()) {
            return problem("spec.database.url", "carries " + ssl.get() + " while spec.database.tls is set: remove it from the"
                    + " URL (spec.database.tls.mode says how TLS is done)");
        }
        String mode = tls.modeOrDefault();
        if (!Set.of("disable", "require", "verify-ca", TlsSpec.VERIFY_FULL).contains(mode)) {
            return problem("spec.database.tls.mode", "'" + mode + "' is not one of verify-full, verify-ca, require, disable");
        }
        if (mode.equals(TlsSpec.DISABLE)) {
            return tls.getCa() != null || tls.getClientCertificate() != null
                    ? problem("spec.database.tls", "mode disable with ca or clientCertificate: remove them, or choose verify-full")
                    : Optional.empty();
        }
        if (tls.getCa() == null) {
            return mode.startsWith("verify")
                    ? problem("spec.database.tls.ca", "is required by mode " + mode + ": name the ConfigMap (configMapKeyRef) or"
                            + " Secret (secretKeyRef) key holding the CA that issued the server's certificate")
                    : Optional.empty();
        }
        TlsSpec.KeyReference ca = tls.getCa();
        if ((ca.getConfigMapKeyRef() == null) == (ca.getSecretKeyRef() == null)) {
            return problem("spec.database.tls.ca", "set exactly one of configMapKeyRef and secretKeyRef");
        }
        String where = ca.getConfigMapKeyRef() != null ? "spec.database.tls.ca.configMapKeyRef" : "spec.database.tls.ca.secretKeyRef";
        TlsSpec.NamedKey ref = ca.getConfigMapKeyRef() != null ? ca.getConfigMapKeyRef() : ca.getSecretKeyRef();
        if (isBlank(ref.getName()) || !DNS_NAME.matcher(ref.getName()).matches()) {
            return problem(where + ".name", "'" + ref.getName() + "' is not a valid name");
        }
        if (isBlank(ref.getKey()) || !KEY.matcher(ref.getKey()).matches()) {
            return problem(where + ".key", "'" + ref.getKey() + "' is not a valid key (letters, digits, '-', '_', '.')");
        }
        var client = tls.getClientCertificate();
        if (client != null) {
            if (isBlank(client.getSecretName()) || !DNS_NAME.matcher(client.getSecretName()).matches()) {
                return problem("spec.database.tls.clientCertificate.secretName", "is required: name the Secret (a"
                        + " kubernetes.io/tls Secret, with tls.crt and tls.key)");
            }
            for (String key : List.of(client.certificateKeyOrDefault(), client.keyKeyOrDefault())) {
                if (!KEY.matcher(key).matches()) {
                    return problem("spec.database.tls.clientCertificate", "'" + key + "' is not a valid key");
                }
            }
        }
        return Optional.empty();
    }

    /** {@code <field>.url}: a PostgreSQL JDBC URL without credentials, which belong in {@code <field>.credentialsSecretRef}. */
    private static Optional<SpecProblem> validateUrl(String field, String url, String exampleDatabase) {
        if (url == null || !URL.matcher(url).matches()) {
            return problem(field + ".url", "must look like jdbc:postgresql://host:5432/" + exampleDatabase);
        }
        return ConnectionProperties.problem(url, field + ".credentialsSecretRef").flatMap(p -> problem(field + ".url", p));
    }

    /** {@code <field>.credentialsSecretRef.name}: present and a valid Secret name; its delivery and password file. */
    private static Optional<SpecProblem> validateSecret(String field, SecretKeysReference ref) {
        if (ref == null || isBlank(ref.getName())) {
            return problem(field + ".credentialsSecretRef.name", "is required: name a Secret with keys username and password");
        }
        if (!DNS_NAME.matcher(ref.getName()).matches()) {
            return problem(field + ".credentialsSecretRef.name", "'" + ref.getName() + "' is not a valid Secret name");
        }
        if (ref.getDelivery() != null && !Set.of("Env", "Files").contains(ref.getDelivery())) {
            return problem(field + ".credentialsSecretRef.delivery", "'" + ref.getDelivery() + "' is neither Env nor Files");
        }
        String file = ref.getPasswordFile();
        if (file != null && (!file.startsWith("/") || file.endsWith("/") || file.contains("..") || file.equals("/lockstep")
                || file.startsWith("/lockstep/") || file.startsWith("/tmp/") || file.startsWith("/dev/"))) {
            return problem(field + ".credentialsSecretRef.passwordFile", "'" + file + "' must be an absolute path of a file in a"
                    + " volume of spec.runner.podTemplate (e.g. /vault/secrets/db-password), not under /lockstep, /tmp or /dev");
        }
        return Optional.empty();
    }

    private static Optional<SpecProblem> validate(DryRunDatabaseSpec scratch, SchemaMigrationSpec spec) {
        if (scratch == null) {
            return Optional.empty();
        }
        Optional<SpecProblem> url = validateUrl("spec.policy.dryRunDatabase", scratch.getUrl(), "dbname_scratch");
        if (url.isPresent()) {
            return url;
        }
        if (scratch.getUrl().equals(spec.getDatabase().getUrl())) {
            return problem("spec.policy.dryRunDatabase.url", "is spec.database.url: the scratch database is emptied before every"
                    + " dry run, so it must be a database of its own; create one (CREATE DATABASE <name>_scratch) and name it here");
        }
        Optional<SpecProblem> secret = validateSecret("spec.policy.dryRunDatabase", scratch.getCredentialsSecretRef())
                .or(() -> scratch.getCredentialsSecretRef().getPasswordFile() != null || scratch.getCredentialsSecretRef().asFiles()
                        ? problem("spec.policy.dryRunDatabase.credentialsSecretRef", "delivery and passwordFile apply to"
                                + " spec.database.credentialsSecretRef only; the scratch database's login comes from its Secret's"
                                + " environment: remove them")
                        : Optional.empty());
        if (secret.isPresent()) {
            return secret;
        }
        if (spec.getDatabase().getSchemas() != null && spec.getDatabase().getSchemas().contains("lockstep_scratch")) {
            return problem("spec.database.schemas", "lockstep_scratch is where a scratch database keeps its records: a dry run"
                    + " on spec.policy.dryRunDatabase cannot manage a schema of that name");
        }
        return Optional.empty();
    }

    private static Optional<SpecProblem> validate(SourceSpec source) {
        if (source == null) {
            return problem("spec.source", "is missing: set configMapRef.name or image");
        }
        boolean configMap = source.getConfigMapRef() != null;
        boolean image = !isBlank(source.getImage());
        if (configMap == image) {
            return problem("spec.source", configMap ? "sets both configMapRef and image: keep exactly one"
                    : "sets neither configMapRef nor image: set exactly one");
        }
        if (configMap && (isBlank(source.getConfigMapRef().getName()) || !DNS_NAME.matcher(source.getConfigMapRef().getName()).matches())) {
            return problem("spec.source.configMapRef.name", "must name a ConfigMap in this namespace");
        }
        if (configMap && source.getPath() != null) {
            return problem("spec.source.path", "applies to spec.source.image only: remove it, or use an image");
        }
        if (image && !ABSOLUTE_PATH.matcher(source.pathOrDefault()).matches()) {
            return problem("spec.source.path", "'" + source.getPath() + "' must be an absolute directory path inside the image, e.g. /migrations");
        }
        return Optional.empty();
    }

    private static Optional<SpecProblem> validate(RunnerSpec runner) {
        if (runner == null) {
            return Optional.empty();
        }
        if (runner.getActiveDeadlineSeconds() != null && runner.getActiveDeadlineSeconds() < 1) {
            return problem("spec.runner.activeDeadlineSeconds", "must be at least 1");
        }
        if (runner.getBackoffLimit() != null && (runner.getBackoffLimit() < 0 || runner.getBackoffLimit() > 10)) {
            return problem("spec.runner.backoffLimit", "must be between 0 and 10");
        }
        if (runner.getLockTimeoutSeconds() != null && runner.getLockTimeoutSeconds() < 0) {
            return problem("spec.runner.lockTimeoutSeconds", "must not be negative (0 means no timeout)");
        }
        if (runner.getStatementTimeoutSeconds() != null && runner.getStatementTimeoutSeconds() < 0) {
            return problem("spec.runner.statementTimeoutSeconds", "must not be negative (0 means no timeout)");
        }
        if (runner.getServiceAccountName() != null && !DNS_NAME.matcher(runner.getServiceAccountName()).matches()) {
            return problem("spec.runner.serviceAccountName", "'" + runner.getServiceAccountName() + "' is not a valid ServiceAccount name");
        }
        return dev.lockstep.operator.jobs.RunnerPodTemplates.problem(runner.getPodTemplate(), "spec.runner.podTemplate")
                .map(p -> new SpecProblem(p.substring(0, p.indexOf(": ")), p.substring(p.indexOf(": ") + 2)));
    }

    private static Optional<SpecProblem> problem(String field, String problem) {
        return Optional.of(new SpecProblem(field, problem));
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
