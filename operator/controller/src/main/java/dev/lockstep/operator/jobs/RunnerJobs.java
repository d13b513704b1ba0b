package dev.lockstep.operator.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.api.v1alpha1.SchemaMigrationSpec;
import dev.lockstep.common.Sha256;
import dev.lockstep.operator.Revisions;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Names and labels of runner Jobs. A Job's name is a function of the resource's name, the target revision and a
 * hash of everything that shapes the run, so a restarted operator finds the Job it made instead of making another.
 */
public final class RunnerJobs {
    /** The SchemaMigration's name as a label value ({@link Names#labelValue}: hashed when longer than 63). */
    public static final String LABEL_SCHEMA_MIGRATION = "lockstep.dev/schema-migration";
    /** The SchemaMigration's full name, which a label cannot always hold: how a Job or pod is traced back to it. */
    public static final String ANNOTATION_SCHEMA_MIGRATION = "lockstep.dev/schema-migration";
    public static final String LABEL_SPEC_HASH = "lockstep.dev/spec-hash";
    public static final String LABEL_COMPONENT = "app.kubernetes.io/component";
    public static final String LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String COMPONENT_RUNNER = "runner";
    public static final String MANAGED_BY = "lockstep";
    /** Selects every runner Job and pod of every SchemaMigration. */
    public static final String RUNNER_SELECTOR = LABEL_MANAGED_BY + "=" + MANAGED_BY + "," + LABEL_COMPONENT + "=" + COMPONENT_RUNNER;
    /** Changing this annotation's value asks for a new run of a failed migration. */
    public static final String RETRY_ANNOTATION = "lockstep.dev/retry";
    public static final String TARGET_ANNOTATION = "lockstep.dev/target-revision";
    public static final String STEP_ANNOTATION = "lockstep.dev/step";

    private static final ObjectMapper CANONICAL = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private RunnerJobs() {}

    /**
     * A short hash of the spec fields that shape a run, the migration files' content when the operator can see it,
     * and the retry annotation. Fields that do not change what a runner does (suspend, the contract approval) are left
     * out, so changing them starts no new run.
     */
    public static String specHash(SchemaMigration sm, String sourceContentHash) {
        SchemaMigrationSpec spec = sm.getSpec();
        Map<String, Object> shaping = new LinkedHashMap<>();
        shaping.put("targetRevision", spec.getTargetRevision());
        shaping.put("database", spec.getDatabase());
        shaping.put("source", spec.getSource());
        shaping.put("baseline", spec.getBaseline());
        shaping.put("runner", spec.getRunner());
        if (spec.downAllowed()) {
            shaping.put("allowDown", true); // only when set, so hashes of specs without it stay what they were
        }
        var policy = spec.getPolicy();
        if (policy != null && policy.getDestructive() != null) {
            shaping.put("destructive", policy.getDestructive().name());
        }
        if (policy != null && policy.approvalRequired()) {
            shaping.put("requireApproval", true);
            shaping.put("approvedPlanDigest", policy.getApprovedPlanDigest());
        }
        shaping.put("sourceContent", sourceContentHash);
        shaping.put("retry", sm.getMetadata().getAnnotations() == null ? null
                : sm.getMetadata().getAnnotations().get(RETRY_ANNOTATION));
        try {
            // Round-trip through a sorted map so field order in the model never changes the hash.
            Object tree = CANONICAL.convertValue(shaping, TreeMap.class);
            return Sha256.hex(CANONICAL.writeValueAsString(tree)).substring(0, 10);
        } catch (Exception e) {
            throw new IllegalStateException("cannot hash spec of " + sm.getMetadata().getName(), e);
        }
    }

    /**
     * A hash of the ConfigMap's files that a run to {@code targetRevision} reads, so editing such a script or adding
     * one makes a new run. Scripts above a versioned target (and their {@code .conf} files) are left out: a run to
     * the target never applies them, and shipping the next revision's scripts ahead of the target change (as a GitOps
     * sync of a ConfigMap before its SchemaMigration does) must not start a run that has nothing to do.
     */
    public static String contentHash(Map<String, String> data, String targetRevision) {
        StringBuilder all = new StringBuilder();
        new TreeMap<>(data == null ? Map.<String, String>of() : data).forEach((k, v) -> {
            String version = Revisions.ofScript(k.endsWith(".conf") ? k.substring(0, k.length() - ".conf".length()) : k);
            boolean beyondTarget = version != null && Revisions.isVersion(targetRevision) && Revisions.compare(version, targetRevision) > 0;
            if (!beyondTarget) {
                all.append(k).append('\0').append(v).append('\0');
            }
        });
        return Sha256.hex(all.toString()).substring(0, 16);
    }

    /**
     * {@code <name>-<revision>-<hash>}, within a label value (63 characters): a longer name is cut and followed by a hash
     * of it ({@link Names#fit}), so two long names never share a Job.
     */
    public static String jobName(String resourceName, String targetRevision, String specHash) {
        String revision = targetRevision.toLowerCase(Locale.ROOT).replace('.', '-');
        return Names.fit(resourceName, "-" + revision + "-" + specHash, Names.LABEL_VALUE);
    }

}
