package dev.lockstep.operator.observe;

import dev.lockstep.api.v1alpha1.DatabaseSpec;
import dev.lockstep.api.v1alpha1.Reason;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which SchemaMigration owns a database schema. Two resources that migrate the same schema of the same database
 * would fight over its history (one going down while the other goes up, each undoing the other's runs); the older
 * resource keeps the claim and the younger never starts a runner. Flyway's advisory lock stays the backstop for
 * what this cannot see: the same server reached by two different host names, or a resource in a namespace the
 * operator does not watch.
 *
 * <p>A claim key is {@code host:port/database/schema}, one per host of the URL and per schema. Host names are
 * compared as cluster DNS resolves them: {@code orders-db} in namespace {@code shop}, {@code orders-db.shop} and
 * {@code orders-db.shop.svc.cluster.local} are one host; {@code orders-db} in another namespace is another.
 */
public final class DatabaseClaims {
    /** The reconciler's cache indexes this class looks others up by: {@link #keys}, {@link #databases}, {@link #scratchDatabases}. */
    public static final String DATABASE_INDEX = "lockstep.dev/database";
    public static final String DATABASE_NAME_INDEX = "lockstep.dev/database-name";
    public static final String DRY_RUN_INDEX = "lockstep.dev/dry-run-database";
    private static final String PREFIX = "jdbc:postgresql://";
    private static final int DEFAULT_PORT = 5432;
    /** Oldest first: creation time, then namespace and name, so every operator replica picks the same owner. */
    static final Comparator<SchemaMigration> AGE = Comparator
            .comparing((SchemaMigration sm) -> created(sm))
            .thenComparing(sm -> sm.getMetadata().getNamespace())
            .thenComparing(sm -> sm.getMetadata().getName());

    private DatabaseClaims() {}

    /** The schemas {@code sm} migrates, as claim keys; empty when its spec names no parsable URL. */
    public static Set<String> keys(SchemaMigration sm) {
        DatabaseSpec db = sm.getSpec() == null ? null : sm.getSpec().getDatabase();
        return db == null ? Set.of() : keys(db.getUrl(), db.getSchemas(), sm.getMetadata().getNamespace());
    }

    /**
     * The database ({@code host:port/database}) a dry run of {@code sm} rebuilds schemas in (spec.policy.dryRunDatabase);
     * empty when it names none, or when {@code destructive: Off} means no dry run uses it.
     */
    public static Set<String> scratchDatabases(SchemaMigration sm) {
        DatabaseSpec db = sm.getSpec() == null ? null : sm.getSpec().getDatabase();
        var scratch = db == null ? null : sm.getSpec().policyOrDefault().dryRunDatabaseInUse();
        if (scratch == null) {
            return Set.of();
        }
        return databases(keys(scratch.getUrl(), db.getSchemas(), sm.getMetadata().getNamespace()));
    }

    /** The databases ({@code host:port/database}) {@code sm} migrates, whatever schemas. */
    public static Set<String> databases(SchemaMigration sm) {
        return databases(keys(sm));
    }

    private static Set<String> databases(Set<String> keys) {
        Set<String> databases = new TreeSet<>();
        keys.forEach(key -> databases.add(database(key)));
        return databases;
    }

    private static Set<String> keys(String url, List<String> schemaList, String namespace) {
        if (url == null || !url.startsWith(PREFIX)) {
            return Set.of();
        }
        String rest = url.substring(PREFIX.length());
        int slash = rest.indexOf('/');
        if (slash <= 0) {
            return Set.of();
        }
        String database = rest.substring(slash + 1);
        int query = database.indexOf('?');
        database = query < 0 ? database : database.substring(0, query);
        if (database.isEmpty()) {
            return Set.of();
        }
        List<String> schemas = schemaList == null || schemaList.isEmpty() ? List.of("public") : schemaList;
        Set<String> keys = new TreeSet<>();
        for (String host : rest.substring(0, slash).split(",")) {
            String hostPort = hostPort(host, namespace);
            for (String schema : schemas) {
                keys.add(hostPort + "/" + database + "/" + schema);
            }
        }
        return keys;
    }

    /**
     * The resource that holds a claim {@code sm} also makes, when {@code sm} is the younger: the oldest of those it
     * shares a schema with. Empty when {@code sm} is the owner of every schema it names.
     */
    public static Optional<SchemaMigration> heldBy(SchemaMigration sm, Collection<SchemaMigration> sharing) {
        return sharing.stream()
                .filter(other -> !sameName(other, sm))
                .filter(other -> !other.isMarkedForDeletion())
                .filter(other -> AGE.compare(other, sm) < 0)
                .min(AGE);
    }

    /** For messages: the host, port and database of a key, without the schema. */
    static String database(String key) {
        return key.substring(0, key.lastIndexOf('/'));
    }

    static String schema(String key) {
        return key.substring(key.lastIndexOf('/') + 1);
    }

    private static boolean sameName(SchemaMigration a, SchemaMigration b) {
        return Objects.equals(a.getMetadata().getNamespace(), b.getMetadata().getNamespace())
                && Objects.equals(a.getMetadata().getName(), b.getMetadata().getName());
    }

    private static String hostPort(String hostAndPort, String namespace) {
        String host = hostAndPort.trim().toLowerCase(Locale.ROOT);
        int port = DEFAULT_PORT;
        int colon = host.lastIndexOf(':');
        if (colon > 0 && !host.endsWith("]") && host.indexOf(':') == colon) {
            try {
                port = Integer.parseInt(host.substring(colon + 1));
                host = host.substring(0, colon);
            } catch (NumberFormatException e) {
                // not a port: keep the text as it is; it only has to compare equal to itself
            }
        } else if (host.startsWith("[") && host.contains("]:")) {
            int end = host.indexOf("]:");
            try {
                port = Integer.parseInt(host.substring(end + 2));
                host = host.substring(0, end + 1);
            } catch (NumberFormatException e) {
                // as above
            }
        }
        host = strip(strip(strip(host, "."), ".cluster.local"), ".svc");
        if (!host.contains(".") && !host.contains(":") && !"localhost".equals(host) && namespace != null) {
            host = host + "." + namespace; // a Service name resolves in the resource's own namespace
        }
        return host + ":" + port;
    }

    private static String strip(String host, String suffix) {
        return host.endsWith(suffix) ? host.substring(0, host.length() - suffix.length()) : host;
    }

    private static Instant created(SchemaMigration sm) {
        String ts = sm.getMetadata().getCreationTimestamp();
        return ts == null ? Instant.MAX : Instant.parse(ts);
    }

    /** The resources the operator watches, looked up by one of the indexes the reconciler keeps on its cache. */
    @FunctionalInterface
    public interface Index {
        List<SchemaMigration> byIndex(String index, String key);
    }

    /**
     * Why {@code sm} may not start a runner now, as far as the other resources tell: empty when nothing stands in its
     * way. Two resources migrating one schema would undo each other's runs (the younger waits), and a scratch database
     * that is also migrated could lose data (both wait).
     */
    public static Optional<Observation.Claim> claim(SchemaMigration sm, Index others) {
        return claimed(sm, others).or(() -> scratchClash(sm, others));
    }

    /**
     * The younger of two resources migrating one schema waits, never starting a runner, until the older is deleted or
     * points elsewhere (see {@link DatabaseClaims}).
     */
    private static Optional<Observation.Claim> claimed(SchemaMigration sm, Index others) {
        Set<String> keys = keys(sm);
        List<SchemaMigration> sharing = keys.stream()
                .flatMap(key -> others.byIndex(DATABASE_INDEX, key).stream()).distinct().toList();
        Optional<SchemaMigration> owner = heldBy(sm, sharing);
        if (owner.isEmpty()) {
            return Optional.empty();
        }
        Set<String> ownerKeys = keys(owner.get());
        String shared = keys.stream().filter(ownerKeys::contains).findFirst().orElseThrow();
        return Optional.of(new Observation.Claim(Reason.DatabaseClaimed, "schema " + schema(shared) + " of database "
                + database(shared) + " is already migrated by SchemaMigration " + owner.get().getMetadata().getNamespace()
                + "/" + owner.get().getMetadata().getName() + " (created " + owner.get().getMetadata().getCreationTimestamp()
                + ", before this one): two resources migrating one schema would undo each other's runs. Delete one of them,"
                + " or point spec.database.url or spec.database.schemas of this one elsewhere; it starts by itself once the"
                + " schema is free. No runner Job was started"));
    }

    /**
     * A scratch database has its schemas dropped before every dry run: one that is a database some resource migrates
     * (this one included, under another spelling of its URL; whatever schemas either names) could lose data. Both
     * sides wait, whatever their age, until one of them points elsewhere; the runner's own checks stay the backstop
     * (see the runner's ScratchDryRun).
     */
    private static Optional<Observation.Claim> scratchClash(SchemaMigration sm, Index others) {
        for (String database : scratchDatabases(sm)) {
            Optional<SchemaMigration> migrated = others.byIndex(DATABASE_NAME_INDEX, database)
                    .stream().filter(other -> !other.isMarkedForDeletion()).min(AGE);
            if (migrated.isPresent()) {
                return Optional.of(new Observation.Claim(Reason.DryRunDatabaseInUse, "spec.policy.dryRunDatabase names database " + database
                        + ", which " + (sameName(migrated.get(), sm) ? "this SchemaMigration"
                        : "SchemaMigration " + migrated.get().getMetadata().getNamespace() + "/" + migrated.get().getMetadata().getName())
                        + " migrates; a dry run drops and rebuilds schemas in its scratch database. Name a database of its own"
                        + " for dry runs (CREATE DATABASE <name>_scratch). No runner Job was started"));
            }
        }
        for (String database : databases(sm)) {
            Optional<SchemaMigration> scratching = others.byIndex(DRY_RUN_INDEX, database)
                    .stream().filter(other -> !other.isMarkedForDeletion() && !sameName(other, sm)).min(AGE);
            if (scratching.isPresent()) {
                return Optional.of(new Observation.Claim(Reason.DryRunDatabaseInUse, "database " + database + " is the scratch database"
                        + " (spec.policy.dryRunDatabase) of SchemaMigration " + scratching.get().getMetadata().getNamespace() + "/"
                        + scratching.get().getMetadata().getName() + ", whose dry runs drop and rebuild schemas there. Point"
                        + " that one's spec.policy.dryRunDatabase at a database of its own; this one starts by itself then."
                        + " No runner Job was started"));
            }
        }
        return Optional.empty();
    }
}
