package dev.lockstep.operator.observe;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.postgresql.Driver;
import org.postgresql.PGProperty;

/**
 * The connection properties a {@code spec.database.url} may carry, as PostgreSQL's JDBC driver defines them. The URL
 * goes into the runner Job's spec, where anyone who may read Jobs reads it: a property whose value is a secret must
 * come from a Secret instead. Which properties those are is read from the driver's own catalogue (its descriptions),
 * so a property a newer driver adds is judged the same way; only the login itself is named here.
 */
final class ConnectionProperties {
    /** The driver's description of a property whose value is a password ("Password to use…", "The password for…"). */
    private static final Pattern A_PASSWORD = Pattern.compile("(?i)^(the )?password\\b.*");
    /** Opaque strings handed to a plug-in class (a socket or SSL factory): they may carry anything, a secret included. */
    private static final Pattern A_PLUGIN_ARGUMENT = Pattern.compile("(?i)^argument forwarded to .*");
    /** Parameters the driver reads as the address itself, overriding what the URL writes before '?'. */
    private static final Set<String> ADDRESS = Set.of("PGHOST", "PGPORT", "PGDBNAME", "host", "port", "dbname");

    /** Properties whose value is secret, or may be, by the driver's catalogue; plus the login, which the Secret holds. */
    static final Set<String> SECRET_BEARING = secretBearing();

    private ConnectionProperties() {}

    private static Set<String> secretBearing() {
        Set<String> names = Arrays.stream(PGProperty.values())
                .filter(p -> A_PASSWORD.matcher(p.getDescription()).matches()
                        || A_PLUGIN_ARGUMENT.matcher(p.getDescription()).matches()
                        || p.getName().toLowerCase(Locale.ROOT).endsWith("password"))
                .map(PGProperty::getName).collect(Collectors.toCollection(TreeSet::new));
        names.add(PGProperty.USER.getName());
        return names;
    }

    /**
     * What is wrong with the URL's parameters, or empty: a secret-bearing property, the address set again in the
     * parameters, or a name the driver does not know (it would be ignored, or passed on unchecked: a typo of
     * {@code sslmode} silently connects without TLS). The names are read as the driver reads them (split on {@code &},
     * the name before {@code =}, never decoded), and checked for secrets before the driver parses the URL, since it
     * logs a URL it cannot parse.
     */
    static Optional<String> problem(String url, String secretField) {
        int query = url.indexOf('?');
        List<String> names = query < 0 ? List.of() : Arrays.stream(url.substring(query + 1).split("&"))
                .filter(p -> !p.isEmpty()).map(p -> p.indexOf('=') < 0 ? p : p.substring(0, p.indexOf('='))).distinct().sorted().toList();
        List<String> secret = names.stream().filter(n -> SECRET_BEARING.stream().anyMatch(s -> s.equalsIgnoreCase(n))).toList();
        if (!secret.isEmpty()) {
            return Optional.of("must not carry " + String.join(", ", secret) + ": the URL is written into the runner Job's spec in"
                    + " plain text. The login belongs in the Secret named by " + secretField + "; remove the parameter"
                    + (secret.size() == 1 ? "" : "s"));
        }
        List<String> address = names.stream().filter(n -> ADDRESS.stream().anyMatch(a -> a.equalsIgnoreCase(n))).toList();
        if (!address.isEmpty()) {
            return Optional.of("sets " + String.join(", ", address) + " in its parameters, which would override the host, port or"
                    + " database written before '?' (and hide it from the check that two SchemaMigrations do not share a"
                    + " database): write them only as jdbc:postgresql://host:5432/dbname");
        }
        if (Driver.parseURL(url, new Properties()) == null) {
            return Optional.of("is not a URL the PostgreSQL driver accepts: write it as jdbc:postgresql://host:5432/dbname?name=value&…");
        }
        List<String> unknown = names.stream().filter(n -> PGProperty.forName(n) == null).toList();
        if (!unknown.isEmpty()) {
            return Optional.of("has parameter" + (unknown.size() == 1 ? " " : "s ") + String.join(", ", unknown) + " that the"
                    + " PostgreSQL driver does not know (names are case-sensitive): " + unknown.stream().map(ConnectionProperties::nearest)
                    .collect(Collectors.joining("; ")));
        }
        return Optional.empty();
    }

    /** "did you mean sslmode?" for a near miss, else where the names are listed. */
    private static String nearest(String name) {
        return Arrays.stream(PGProperty.values()).map(PGProperty::getName)
                .filter(known -> known.equalsIgnoreCase(name) || known.equalsIgnoreCase(name.replace("_", "").replace("-", "")))
                .findFirst().map(known -> name + ": did you mean " + known + "?")
                .orElse(name + ": see the driver's list of connection properties (org.postgresql.PGProperty)");
    }
}
