package dev.lockstep.cli;

import dev.lockstep.runner.MigrationRunner;
import dev.lockstep.runner.MigrationSettings;
import dev.lockstep.runner.RunResult;
import dev.lockstep.runner.cli.Summaries;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Migrates a demo database from migrations/ with the runner alone, on the local PostgreSQL, or on an embedded one
 * when none answers, and shows what happened.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Migrate a demo database (created if missing) from migrations/ on the local PostgreSQL "
                + "(127.0.0.1:5432, user postgres), or on a throwaway embedded PostgreSQL when none answers.")
public class DemoCommand implements Callable<Integer> {
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "PostgreSQL host. Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--port", defaultValue = "5432", description = "PostgreSQL port. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--user", defaultValue = "postgres", description = "A user that may create databases. Default: ${DEFAULT-VALUE}.")
    String user;

    @Option(names = "--database", defaultValue = "lockstep_demo", description = "Database to migrate. Default: ${DEFAULT-VALUE}.")
    String database;

    @Option(names = {"--location", "-l"}, defaultValue = "migrations", description = "Migration scripts. Default: ${DEFAULT-VALUE}.")
    Path location;

    @Override
    public Integer call() throws Exception {
        try (LocalPostgres pg = LocalPostgres.findOrStart(host, port, user, System.getenv("LOCKSTEP_DB_PASSWORD"))) {
            if (pg.embedded()) {
                System.out.println("No PostgreSQL answers on " + host + ":" + port + "; started an embedded one for this demo.");
            }
            boolean created = pg.createDatabaseIfMissing(database);
            String url = pg.url(database);
            System.out.println((created ? "Created" : "Using existing") + " database " + database + " on " + pg.host() + ":" + pg.port() + ".");
            MigrationSettings settings = MigrationSettings.connect(url, pg.user(), pg.password()).location(location).build();
            RunResult result = new MigrationRunner().migrate(settings);
            System.out.println(Summaries.of(result, settings));
            if (result.error() == null && !pg.embedded()) {
                System.out.println("\nNext: `./lockstep info --url " + url + " --username " + pg.user()
                        + "` shows the revision; add a V7__*.sql file to migrations/ and run the demo again to apply it.");
            }
            return result.exitCode().code();
        }
    }
}
