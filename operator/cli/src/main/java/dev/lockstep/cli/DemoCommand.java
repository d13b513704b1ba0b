package dev.lockstep.cli;

import dev.lockstep.runner.MigrationRunner;
import dev.lockstep.runner.MigrationSettings;
import dev.lockstep.runner.RunResult;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The first thing a newcomer runs: migrates a demo database from migrations/ on the local PostgreSQL, or on an
 * embedded one when none answers, and shows what happened.
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
        String password = System.getenv("LOCKSTEP_DB_PASSWORD");
        EmbeddedPostgres embedded = null;
        if (!answers(host, port, user, password)) {
            System.out.println("No PostgreSQL answers on " + host + ":" + port + "; starting an embedded one for this demo.");
            embedded = EmbeddedPostgres.builder().start();
            host = "127.0.0.1";
            port = embedded.getPort();
            user = "postgres";
            password = null;
        }
        try {
            boolean created = createIfMissing(password);
            String url = "jdbc:postgresql://" + host + ":" + port + "/" + database;
            System.out.println((created ? "Created" : "Using existing") + " database " + database + " on " + host + ":" + port + ".");
            MigrationSettings settings = new MigrationSettings(url, user, password, List.of("public"), location,
                    MigrationSettings.LATEST, null, Duration.ofSeconds(10), Duration.ZERO);
            RunResult result = new MigrationRunner().migrate(settings);
            System.out.println(dev.lockstep.runner.cli.Summaries.of(result, settings));
            if (result.error() == null) {
                System.out.println("\nNext: `./lockstep info --url " + url + " --username " + user
                        + "` shows the revision; add a V7__*.sql file to migrations/ and run the demo again to apply it.");
            }
            return result.exitCode().code();
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    private boolean createIfMissing(String password) throws SQLException {
        try (Connection c = connect("postgres", password);
             PreparedStatement exists = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            exists.setString(1, database);
            try (ResultSet rs = exists.executeQuery()) {
                if (rs.next()) {
                    return false;
                }
            }
            if (!database.matches("[a-z_][a-z0-9_]{0,62}")) {
                throw new IllegalArgumentException("--database must be a plain lower-case identifier");
            }
            try (Statement st = c.createStatement()) {
                st.execute("CREATE DATABASE " + database);
            }
            return true;
        }
    }

    private Connection connect(String db, String password) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        if (password != null) {
            props.setProperty("password", password);
        }
        props.setProperty("connectTimeout", "3");
        return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + db, props);
    }

    private static boolean answers(String host, int port, String user, String password) {
        Properties props = new Properties();
        props.setProperty("user", user);
        if (password != null) {
            props.setProperty("password", password);
        }
        props.setProperty("connectTimeout", "3");
        try (Connection ignored = DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/postgres", props)) {
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

}
