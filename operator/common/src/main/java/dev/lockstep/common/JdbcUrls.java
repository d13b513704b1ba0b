package dev.lockstep.common;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a PostgreSQL JDBC URL says of TLS, read the same way by the operator (spec.database.url) and the runner
 * (--url): TLS is set by spec.database.tls or the runner's --ssl-* options, so a URL beside them carries no ssl*
 * parameter, and no URL ever names a TLS file (a path there points into the runner's own file system).
 */
public final class JdbcUrls {
    private static final Pattern SSL_PARAMETER = Pattern.compile("[?&](ssl[a-z_]*)(=|&|$)", Pattern.CASE_INSENSITIVE);
    private static final Pattern SSL_FILE_PARAMETER = Pattern.compile("[?&](sslrootcert|sslcert|sslkey)(=|&|$)",
            Pattern.CASE_INSENSITIVE);

    private JdbcUrls() {}

    /** The first ssl* parameter of {@code url}, as written. */
    public static Optional<String> sslParameter(String url) {
        return first(SSL_PARAMETER, url);
    }

    /** The first parameter of {@code url} that names a TLS file: sslrootcert, sslcert or sslkey. */
    public static Optional<String> sslFileParameter(String url) {
        return first(SSL_FILE_PARAMETER, url);
    }

    private static Optional<String> first(Pattern pattern, String url) {
        Matcher m = pattern.matcher(url == null ? "" : url);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
}
