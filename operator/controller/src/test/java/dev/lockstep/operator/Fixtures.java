package dev.lockstep.operator;

import dev.lockstep.api.v1alpha1.DatabaseSpec;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.api.v1alpha1.SchemaMigrationSpec;
import dev.lockstep.api.v1alpha1.SecretKeysReference;
import dev.lockstep.api.v1alpha1.SourceSpec;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Resources the controller tests apply. */
final class Fixtures {
    static final String CONFIG_MAP = "orders-migrations";
    static final String SECRET = "orders-db";

    private Fixtures() {}

    static SchemaMigration migration(String namespace, String name, String target) {
        SchemaMigration sm = new SchemaMigration();
        sm.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        SchemaMigrationSpec spec = new SchemaMigrationSpec();
        spec.setTargetRevision(target);
        DatabaseSpec db = new DatabaseSpec();
        db.setUrl("jdbc:postgresql://orders-db:5432/orders");
        SecretKeysReference secret = new SecretKeysReference();
        secret.setName(SECRET);
        db.setCredentialsSecretRef(secret);
        db.setSchemas(List.of("public"));
        spec.setDatabase(db);
        SourceSpec source = new SourceSpec();
        source.setConfigMapRef(new LocalObjectReference(CONFIG_MAP));
        spec.setSource(source);
        sm.setSpec(spec);
        return sm;
    }

    /** A ConfigMap holding scripts V1..V{@code versions}. */
    static ConfigMap scripts(String namespace, int versions) {
        Map<String, String> data = new LinkedHashMap<>();
        for (int v = 1; v <= versions; v++) {
            data.put("V" + v + "__step_" + v + ".sql", "CREATE TABLE t" + v + " (id int);");
        }
        return new ConfigMapBuilder().withNewMetadata().withName(CONFIG_MAP).withNamespace(namespace).endMetadata()
                .withData(data).build();
    }

    /** A termination message like `lockstep migrate` writes on success (see RunnerResultContractTest). */
    static String succeeded(String from, String to, int... applied) {
        String list = java.util.Arrays.stream(applied)
                .mapToObj(v -> "{\"version\":\"" + v + "\",\"description\":\"step " + v + "\",\"script\":\"V" + v
                        + "__step_" + v + ".sql\",\"durationMillis\":12}")
                .collect(Collectors.joining(","));
        return "{\"command\":\"migrate\",\"outcome\":\"SUCCEEDED\",\"targetRevision\":\"" + to + "\","
                + (from == null ? "" : "\"fromRevision\":\"" + from + "\",")
                + "\"toRevision\":\"" + to + "\",\"applied\":[" + list + "],\"pending\":[]}";
    }

    static String sqlFailure(String at, String script, String sqlState, String message) {
        return "{\"command\":\"migrate\",\"outcome\":\"FAILED\",\"targetRevision\":\"latest\",\"fromRevision\":\"" + at
                + "\",\"toRevision\":\"" + at + "\",\"applied\":[],\"pending\":[\"" + (Integer.parseInt(at) + 1) + "\"],"
                + "\"error\":{\"category\":\"SQL\",\"sqlState\":\"" + sqlState + "\",\"script\":\"" + script
                + "\",\"line\":2,\"message\":\"" + message + "\"}}";
    }
}
