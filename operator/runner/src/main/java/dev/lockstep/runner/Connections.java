package dev.lockstep.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Every connection a run opens: the URL, the login, the session's timeouts and TLS. A password from a file
 * ({@code --password-file}, a mounted Secret the kubelet refreshes, or a file a Vault agent writes) is read again for
 * each new connection, so a rotated password takes effect from the next connection on; connections already open
 * stay as they are, as PostgreSQL keeps them.
 */
public final class Connections {
    /** Converted client keys, one file per source key for the life of the JVM. */
    private static final Map<Path, Path> CONVERTED = new ConcurrentHashMap<>();

    private Connections() {}

    /** A data source for {@code settings}' database. */
    public static PGSimpleDataSource dataSource(MigrationSettings settings) {
        return dataSource(settings.url(), settings.username(), settings.password(), settings.passwordFile(), settings.tls(),
                settings.sessionOptions());
    }

    /** One for another database of the same run (the scratch database), with the same TLS settings. */
    static PGSimpleDataSource dataSource(String url, String username, String password, Path passwordFile, TlsSettings tls,
                                         String options) {
        PGSimpleDataSource ds = passwordFile == null ? new PGSimpleDataSource() : new PasswordFileDataSource(passwordFile);
        ds.setURL(url);
        ds.setUser(username);
        ds.setPassword(password);
        if (options != null) {
            ds.setOptions(options);
        }
        ds.setApplicationName("lockstep");
        if (tls != null) {
            ds.setSslMode(tls.mode().driverValue());
            if (tls.rootCert() != null) {
                ds.setSslRootCert(tls.rootCert().toString());
            }
            if (tls.clientCert() != null) {
                ds.setSslCert(tls.clientCert().toString());
                ds.setSslKey(CONVERTED.computeIfAbsent(tls.clientKey(), key -> PrivateKeys.pkcs8File(key, "--ssl-key")).toString());
            } else {
                // No client certificate: without this, the driver offers ~/.postgresql/postgresql.crt if there is one.
                ds.setSslCert("");
            }
        }
        return ds;
    }

    /** The password read from its file at each connection. */
    private static final class PasswordFileDataSource extends PGSimpleDataSource {
        private static final long serialVersionUID = 1L;
        private final transient Path file;

        PasswordFileDataSource(Path file) {
            this.file = file;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return getConnection(getUser(), read());
        }

        private String read() throws SQLException {
            try {
                return Files.readString(file).strip();
            } catch (IOException e) {
                throw new SQLException("cannot read the password file " + file + ": " + e.getMessage(), "28P01", e);
            }
        }
    }
}
