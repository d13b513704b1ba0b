package dev.lockstep.runner.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL that refuses plain connections, the tests' own: test-infra/tls-postgres.sh makes it once per machine
 * (a second cluster of the machine's PostgreSQL, with a CA of its own) and this reads what it made. Its certificate
 * names localhost only; tls_cert_user logs in with a client certificate, every other user with a scram-sha-256
 * password, and a connection without TLS is refused.
 */
public final class TlsPostgres {
    private static final Path REPO = Path.of(System.getProperty("lockstep.repoDir", "../..")).toAbsolutePath().normalize();
    private static TlsPostgres instance;
    private final Map<String, String> info;

    private TlsPostgres(Map<String, String> info) {
        this.info = info;
    }

    /** The server, started by the script the first time a test asks. */
    public static synchronized TlsPostgres get() {
        if (instance == null) {
            instance = new TlsPostgres(start());
        }
        return instance;
    }

    private static Map<String, String> start() {
        try {
            Process p = new ProcessBuilder("bash", REPO.resolve("test-infra/tls-postgres.sh").toString(), "up")
                    .redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(3, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException("test-infra/tls-postgres.sh up failed (exit " + p.exitValue() + "): it needs"
                        + " root, openssl and the machine's PostgreSQL server package");
            }
            Map<String, String> info = new LinkedHashMap<>();
            for (String line : Files.readAllLines(Path.of(out.lines().reduce((a, b) -> b).orElseThrow()))) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    info.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            return info;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run test-infra/tls-postgres.sh: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public int port() { return Integer.parseInt(info.get("port")); }
    public String certUser() { return info.get("certUser"); }
    public Path ca() { return Path.of(info.get("ca")); }
    public Path otherCa() { return Path.of(info.get("otherCa")); }
    public Path clientCert() { return Path.of(info.get("clientCert")); }
    /** PKCS #8 PEM. */
    public Path clientKey() { return Path.of(info.get("clientKey")); }
    /** The same key as PKCS #1 PEM ("RSA PRIVATE KEY"), as cert-manager writes it by default. */
    public Path clientKeyRsa() { return Path.of(info.get("clientKeyRsa")); }
    public Path clientCertEc() { return Path.of(info.get("clientCertEc")); }
    /** SEC1 PEM ("EC PRIVATE KEY"), as openssl ecparam writes it. */
    public Path clientKeyEc() { return Path.of(info.get("clientKeyEc")); }

    /** {@code jdbc:postgresql://<host>:<port>/<database>}, with no TLS parameter: the settings carry those. */
    public String url(String host, String database) {
        return "jdbc:postgresql://" + host + ":" + port() + "/" + database;
    }

    /** A fresh database owned by a new role that logs in with {@code password} (scram-sha-256). */
    public Database createDatabase(String password) {
        String name = "lockstep_tls_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        admin("CREATE ROLE " + name + " LOGIN PASSWORD '" + password + "'", "CREATE DATABASE " + name + " OWNER " + name,
                "GRANT ALL ON DATABASE " + name + " TO " + certUser());
        return new Database(name, name);
    }

    /** A new password for the role, as a rotation does. */
    public void setPassword(String role, String password) {
        admin("ALTER ROLE " + role + " PASSWORD '" + password + "'");
    }

    /** Whether {@code schema} of the database holds Flyway's history table. */
    public boolean hasHistory(Database db) {
        try (Connection c = connect(db.name()); var rs = c.createStatement().executeQuery(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'flyway_schema_history'")) {
            rs.next();
            return rs.getInt(1) > 0;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private void admin(String... statements) {
        try (Connection c = connect("postgres"); Statement st = c.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private Connection connect(String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", info.get("adminUser"));
        p.setProperty("password", info.get("adminPassword"));
        p.setProperty("sslmode", "verify-full");
        p.setProperty("sslrootcert", ca().toString());
        p.setProperty("sslcert", "");
        return DriverManager.getConnection(url("localhost", database), p);
    }

    /** A database of this server and the role that owns it. */
    public record Database(String name, String owner) {}
}
