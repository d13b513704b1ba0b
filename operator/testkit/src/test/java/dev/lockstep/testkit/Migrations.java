package dev.lockstep.testkit;

import dev.lockstep.api.v1alpha1.DatabaseSpec;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.api.v1alpha1.SchemaMigrationSpec;
import dev.lockstep.api.v1alpha1.SecretKeysReference;
import dev.lockstep.api.v1alpha1.SourceSpec;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** SchemaMigrations for the API-server tests. */
final class Migrations {
    /** Two expand steps and a contract step that drops the column the first version of the code reads. */
    static final Map<String, String> USERS_WITH_CONTRACT;

    static {
        Map<String, String> scripts = new LinkedHashMap<>();
        scripts.put("V1__create_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY, name text);");
        scripts.put("V2__add_display_name.sql", "ALTER TABLE users ADD COLUMN display_name text;");
        scripts.put("V3__contract_drop_name.sql", "ALTER TABLE users DROP COLUMN name;");
        USERS_WITH_CONTRACT = Collections.unmodifiableMap(scripts);
    }

    private Migrations() {}

    static SchemaMigration fromConfigMap(String name, String target, TestDatabase db, String secret, String configMap) {
        return fromConfigMap(name, target, db.url(), secret, configMap);
    }

    static SchemaMigration fromConfigMap(String name, String target, String url, String secret, String configMap) {
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
