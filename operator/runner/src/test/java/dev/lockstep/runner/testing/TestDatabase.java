package dev.lockstep.runner.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/** A database of one test's own; {@link #close()} drops it. */
public final class TestDatabase implements AutoCloseable {
    private final TestPostgres.Server server;
    private final String name;

    TestDatabase(TestPostgres.Server server, String name) {
        this.server = server;
        this.name = name;
    }

    public String name() { return name; }
    public String url() { return server.urlOf(name); }
    public String username() { return server.user(); }
    /** May be null (trust auth). */
    public String password() { return server.password(); }
    public String host() { return server.host(); }
    public int port() { return server.port(); }

    public Connection connect() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", server.user());
        if (server.password() != null) {
            props.setProperty("password", server.password());
        }
        return DriverManager.getConnection(url(), props);
    }

    public void execute(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** The first column of every row of the query, as strings. */
    public List<String> column(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            List<String> values = new ArrayList<>();
            while (rs.next()) {
                values.add(rs.getString(1));
            }
            return values;
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    public List<String> tables(String schema) {
        return column("SELECT table_name FROM information_schema.tables WHERE table_schema = '" + schema
                + "' AND table_type = 'BASE TABLE' ORDER BY 1");
    }

    @Override
    public void close() {
        TestPostgres.drop(server, name);
    }
}
