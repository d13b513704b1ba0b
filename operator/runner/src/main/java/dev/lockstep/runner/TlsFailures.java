package dev.lockstep.runner;

import dev.lockstep.common.Text;
import dev.lockstep.runner.RunResult.Failure;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Optional;

/**
 * A connection that failed over TLS, told apart: the server's certificate not trusted, its name not the URL's host, a
 * client certificate wanted or refused, a server that takes TLS only, or another handshake failure. A wrong password
 * is none of these. None goes away by itself, so none is retried; nothing ran.
 */
final class TlsFailures {
    private TlsFailures() {}

    static Optional<Failure> classify(Throwable e, MigrationSettings settings) {
        String host = host(settings.url());
        String user = settings.username();
        String ca = "the CA in --ssl-root-cert (spec.database.tls.ca)";
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            String message = t.getMessage() == null ? "" : t.getMessage();
            String lower = message.toLowerCase(Locale.ROOT);
            String state = t instanceof SQLException sql ? sql.getSQLState() : null;
            if (t instanceof java.security.cert.CertPathBuilderException || t instanceof java.security.cert.CertPathValidatorException
                    || lower.contains("pkix path")) {
                return failure(FailureCategory.TLS_UNTRUSTED, state, "the server's certificate at " + host + " does not verify"
                        + " against " + ca + " (" + Text.oneLine(message) + "): give the CA that issued the server's"
                        + " certificate; nothing was run", settings);
            }
            if (lower.contains("could not be verified by hostnameverifier")) {
                return failure(FailureCategory.TLS_HOSTNAME, state, "the server's certificate does not name " + host
                        + ", the host in the URL (verify-full checks it against the certificate's subject alternative names):"
                        + " connect by a name the certificate holds, or reissue the certificate with " + host
                        + "; nothing was run", settings);
            }
            if (lower.contains("requires a valid client certificate")) {
                return failure(FailureCategory.TLS_CLIENT_CERTIFICATE, state, "the server requires a client certificate"
                        + " for user " + user + ": set spec.database.tls.clientCertificate (--ssl-cert and --ssl-key)"
                        + "; nothing was run", settings);
            }
            if (lower.contains("certificate authentication failed")) {
                return failure(FailureCategory.TLS_CLIENT_CERTIFICATE, state, "the server refused the client certificate"
                        + " for user " + user + " (" + Text.oneLine(message) + "): its common name (CN) must be the user,"
                        + " or match the server's pg_ident.conf map; nothing was run", settings);
            }
            if (t instanceof javax.net.ssl.SSLException && (lower.contains("unknown_ca") || lower.contains("bad_certificate")
                    || lower.contains("certificate_unknown") || lower.contains("certificate_required")
                    || lower.contains("decrypt_error"))) {
                return failure(FailureCategory.TLS_CLIENT_CERTIFICATE, state, "the server refused the client certificate"
                        + " (" + Text.oneLine(message) + "): it must be issued by a CA in the server's ssl_ca_file"
                        + " (spec.database.tls.clientCertificate); nothing was run", settings);
            }
            if (lower.contains("no pg_hba.conf entry") && lower.contains("no encryption")) {
                return failure(FailureCategory.TLS_REQUIRED, state, "the server accepts only TLS connections from here, and"
                        + " this one had none (" + Text.oneLine(message) + "): set spec.database.tls (--ssl-mode verify-full"
                        + " with --ssl-root-cert); nothing was run", settings);
            }
            if (lower.contains("server does not support ssl")) {
                return failure(FailureCategory.TLS, state, "the server at " + host + " offers no TLS, and --ssl-mode "
                        + (settings.tls() == null ? "(sslmode in the URL)" : settings.tls().mode().driverValue())
                        + " requires it: turn ssl on in the server, or fix the host; nothing was run", settings);
            }
        }
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException || t instanceof java.security.cert.CertificateException) {
                return failure(FailureCategory.TLS, t instanceof SQLException sql ? sql.getSQLState() : null,
                        "the TLS handshake with " + host + " failed (" + Text.oneLine(String.valueOf(t.getMessage())) + ")"
                                + "; nothing was run", settings);
            }
        }
        return Optional.empty();
    }

    private static Optional<Failure> failure(FailureCategory category, String sqlState, String message,
                                             MigrationSettings settings) {
        return Optional.of(new Failure(category, sqlState, null, null, settings.redact(message)));
    }

    /** host[:port] of a jdbc:postgresql:// URL. */
    static String host(String url) {
        if (url == null) {
            return "the server";
        }
        String rest = url.replaceFirst("^jdbc:postgresql://", "").replaceFirst("[/?].*$", "");
        return rest.replaceFirst(":[0-9]+$", "");
    }
}
