package dev.lockstep.runner;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;

/**
 * Tells a dry run in one transaction whether a step can have changed what a {@link SchemaSnapshot} reads, so a step
 * that changed nothing of it (a data step: an INSERT, an UPDATE backfill) costs no read of the catalog. A snapshot is
 * made of the catalog's rows, written out under the session's settings (the search path decides which names are
 * qualified; DateStyle, TimeZone and the like how constants are written). So a step can change it only by writing a
 * catalog row, which PostgreSQL counts in the transaction's own statistics whatever made the write (a DO block, a
 * trigger, a function, a savepoint rolled back), or by changing a setting of the session.
 *
 * <p>When PostgreSQL does not count (a server or session with {@code track_counts} off), every step is taken as having
 * changed something: reading too often costs time, reading too seldom would let a destructive change through.
 */
final class CatalogWrites implements AutoCloseable {
    /**
     * Catalog writes so far in this transaction (counts only grow, even through a savepoint rolled back), and the
     * settings a session changed; null when PostgreSQL does not count.
     */
    private static final String PROBE = """
            SELECT CASE WHEN current_setting('track_counts')::pg_catalog.bool THEN
                   (SELECT sum(pg_stat_get_xact_tuples_inserted(r) + pg_stat_get_xact_tuples_updated(r)
                               + pg_stat_get_xact_tuples_deleted(r)) FROM unnest(?::pg_catalog.oid[]) r)::pg_catalog.text
                   || ' ' || (SELECT coalesce(string_agg(name || '=' || setting, ',' ORDER BY name), '') FROM pg_catalog.pg_settings
                              WHERE source = 'session')
                   END
            """;

    /** The probe of a read that must always happen (a scratch database, whose steps each commit, and the reference). */
    static final CatalogWrites ALWAYS = new CatalogWrites(null, null);

    private final PreparedStatement probe;
    private final Array catalogs;
    private String last;

    private CatalogWrites(PreparedStatement probe, Array catalogs) {
        this.probe = probe;
        this.catalogs = catalogs;
    }

    /** Starts counting from now, in the transaction {@code c} is in. */
    static CatalogWrites watch(Connection c) throws SQLException {
        Array catalogs;
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT array_agg(oid)::pg_catalog.text[] FROM pg_catalog.pg_class"
                     + " WHERE relnamespace = 'pg_catalog'::pg_catalog.regnamespace AND relkind = 'r'")) {
            rs.next();
            catalogs = c.createArrayOf("text", (Object[]) rs.getArray(1).getArray());
        }
        CatalogWrites writes = new CatalogWrites(c.prepareStatement(PROBE), catalogs);
        writes.last = writes.reading();
        return writes;
    }

    /** Whether anything a snapshot reads may have changed since the last call (or since {@link #watch}). */
    boolean changed() throws SQLException {
        if (probe == null) {
            return true;
        }
        String now = reading();
        boolean changed = now == null || !Objects.equals(now, last);
        last = now;
        return changed;
    }

    private String reading() throws SQLException {
        probe.setArray(1, catalogs);
        try (ResultSet rs = probe.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Override
    public void close() throws SQLException {
        if (probe != null) {
            probe.close();
        }
    }
}
