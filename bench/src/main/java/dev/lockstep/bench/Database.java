package dev.lockstep.bench;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import picocli.CommandLine.Option;

/** The PostgreSQL server a benchmark may create databases on, as options every part shares. */
public final class Database {
    @Option(names = "--admin-url", defaultValue = "${env:LOCKSTEP_BENCH_JDBC_URL:-jdbc:postgresql://127.0.0.1:5432/postgres}",
            description = "A database of a server where the benchmark may create databases (user postgres, trust auth by"
                    + " default). Default: ${DEFAULT-VALUE}. Env: LOCKSTEP_BENCH_JDBC_URL.")
    String adminUrl;

    @Option(names = "--user", defaultValue = "${env:LOCKSTEP_BENCH_USER:-postgres}", description = "Its user. Default: ${DEFAULT-VALUE}.")
    String user;

    /** The URL of database {@code name} on the same server. */
    String url(String name) {
        return adminUrl.replaceFirst("/[^/?]+(\\?.*)?$", "/" + name);
    }

    String host() {
        return uri().getHost();
    }

    int port() {
        return uri().getPort() < 0 ? 5432 : uri().getPort();
    }

    private URI uri() {
        return URI.create(adminUrl.substring("jdbc:".length()));
    }

    void admin(String sql) throws SQLException {
        try (Connection c = connect(adminUrl); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    Connection connect(String url) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        if (System.getenv("LOCKSTEP_DB_PASSWORD") != null) {
            props.setProperty("password", System.getenv("LOCKSTEP_DB_PASSWORD"));
        }
        return DriverManager.getConnection(url, props);
    }
}
