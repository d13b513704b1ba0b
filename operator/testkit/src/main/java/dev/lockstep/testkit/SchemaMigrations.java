package dev.lockstep.testkit;

import dev.lockstep.api.v1alpha1.DatabaseSpec;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.api.v1alpha1.SchemaMigrationSpec;
import dev.lockstep.api.v1alpha1.SecretKeysReference;
import dev.lockstep.api.v1alpha1.SourceSpec;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;

/** SchemaMigrations as the API-server tests and the benchmarks apply them. */
public final class SchemaMigrations {
    private SchemaMigrations() {}

    /** Scripts from ConfigMap {@code configMap}, the login from Secret {@code secret}, schema public. */
    public static SchemaMigration fromConfigMap(String name, String target, String url, String secret, String configMap) {
        SchemaMigration sm = new SchemaMigration();
        sm.setMetadata(new ObjectMetaBuilder().withName(name).build());
        SchemaMigrationSpec spec = new SchemaMigrationSpec();
        spec.setTargetRevision(target);
        DatabaseSpec database = new DatabaseSpec();
        database.setUrl(url);
        SecretKeysReference ref = new SecretKeysReference();
        ref.setName(secret);
        database.setCredentialsSecretRef(ref);
        database.setSchemas(List.of("public"));
        spec.setDatabase(database);
        SourceSpec source = new SourceSpec();
        source.setConfigMapRef(new LocalObjectReference(configMap));
        spec.setSource(source);
        sm.setSpec(spec);
        return sm;
    }
}
