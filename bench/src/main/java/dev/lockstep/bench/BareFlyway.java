package dev.lockstep.bench;

import org.flywaydb.core.Flyway;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;

/**
 * The reference: a minimal program calling Flyway's API on the same scripts, with the lock setting Lockstep uses
 * (Flyway's transactional lock off, without which Flyway hangs on a history's first CREATE INDEX CONCURRENTLY).
 * Arguments: url user location; the password from LOCKSTEP_DB_PASSWORD.
 */
public final class BareFlyway {
    private BareFlyway() {}

    public static void main(String[] args) {
        var result = migrate(args[0], args[1], args[2], "latest");
        System.out.println("applied " + result.migrationsExecuted + ", at " + result.targetSchemaVersion);
    }

    /** Migrates the database at {@code url} to {@code target} (a version, or latest) from the scripts in {@code location}. */
    static org.flywaydb.core.api.output.MigrateResult migrate(String url, String user, String location, String target) {
        var config = Flyway.configure()
                .dataSource(url, user, System.getenv("LOCKSTEP_DB_PASSWORD"))
                .locations("filesystem:" + location)
                .schemas("public")
                .target(target);
        config.getConfigurationExtension(PostgreSQLConfigurationExtension.class).setTransactionalLock(false);
        return config.load().migrate();
    }
}
