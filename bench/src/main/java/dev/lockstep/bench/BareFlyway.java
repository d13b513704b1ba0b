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
        var config = Flyway.configure()
                .dataSource(args[0], args[1], System.getenv("LOCKSTEP_DB_PASSWORD"))
                .locations("filesystem:" + args[2])
                .schemas("public");
        config.getConfigurationExtension(PostgreSQLConfigurationExtension.class).setTransactionalLock(false);
        var result = config.load().migrate();
        System.out.println("applied " + result.migrationsExecuted + ", at " + result.targetSchemaVersion);
    }
}
