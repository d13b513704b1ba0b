package dev.lockstep.testkit;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.runner.testing.TestDatabase;
import java.util.Collections;
import java.util.LinkedHashMap;
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
        return SchemaMigrations.fromConfigMap(name, target, url, secret, configMap);
    }
}
