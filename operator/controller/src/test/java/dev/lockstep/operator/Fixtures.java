package dev.lockstep.operator;

import dev.lockstep.api.v1alpha1.DatabaseSpec;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.api.v1alpha1.SchemaMigrationSpec;
import dev.lockstep.api.v1alpha1.SecretKeysReference;
import dev.lockstep.api.v1alpha1.SourceSpec;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;

/** Resources the controller tests apply. */
public final class Fixtures {
    public static final String CONFIG_MAP = "orders-migrations";
    public static final String SECRET = "orders-db";

    private Fixtures() {}

    public static SchemaMigration migration(String namespace, String name, String target) {
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
}
