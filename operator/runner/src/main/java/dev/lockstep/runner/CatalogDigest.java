package dev.lockstep.runner;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Tells a dry run whether a step that wrote the catalog changed any row a {@link SchemaSnapshot.Scope scoped read} is
 * written from, so a step that only made new objects of its own (a long plan's new tables, their columns) costs a
 * digest of row versions instead of a read of the base.
 *
 * <p>A read writes out catalog rows: those of the relations its scope covers, with their columns, defaults,
 * constraints, indexes, view rules and sequences, and of the functions it covers. Their text also names what they
 * depend on (a view's or a foreign key's tables and columns, a default's sequence and functions, a column's domain, a
 * function's types), and a name is written qualified when another object takes it earlier in the search path. So the
 * rows {@link #watch watched} are:
 * <ul>
 *   <li>the relations and functions the scope covers, and their indexes, columns, defaults, constraints, rules and
 *       sequences;</li>
 *   <li>one level of what those depend on ({@code pg_depend}): relations with their columns, functions, types (with
 *       a domain's base type and an array's element type), operators; anything else by its description, which names
 *       it as the search path shows it;</li>
 *   <li>every relation, function, type and operator anywhere that bears one of those names or a name of the scope;</li>
 *   <li>every schema.</li>
 * </ul>
 * Every update of a row gives it a new version ({@code xmin}, {@code ctid}) and every new or dropped row changes the
 * set, so a rename, a retype, a new or dropped column, default, constraint, index or rule, a redefined view and a
 * name taken in another schema all change the {@link #digest}, and so do the session's search path and settings
 * (DateStyle writes a constant in a default). PostgreSQL records a new dependency only with a change of the
 * object that has it (a new default, constraint or rule, a column retyped, a view or function made again), whose own
 * row is watched; after the read that change brings, the watch is taken again and takes in what it now depends on.
 *
 * <p>{@code DryRunReadsDatabaseTest} holds the dry run that uses this to one that reads the whole catalog after every
 * step, finding for finding.
 */
final class CatalogDigest implements AutoCloseable {
    /** What to watch, from the scope: parameters schemas, relation OIDs and names, function OIDs and names. */
    private static final String WATCH = """
            WITH ns AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = ANY (?::pg_catalog.text[])),
            rel AS (SELECT c.oid FROM pg_catalog.pg_class c WHERE (c.oid = ANY (?::pg_catalog.oid[]) OR c.relname = ANY (?::pg_catalog.name[]))
                      AND c.relnamespace IN (SELECT oid FROM ns)),
            fn AS (SELECT p.oid FROM pg_catalog.pg_proc p WHERE (p.oid = ANY (?::pg_catalog.oid[]) OR p.proname = ANY (?::pg_catalog.name[]))
                     AND p.pronamespace IN (SELECT oid FROM ns)),
            owned (classid, objid) AS (
                SELECT 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid, oid FROM rel
                UNION ALL SELECT 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid, x.indexrelid FROM pg_catalog.pg_index x WHERE x.indrelid IN (SELECT oid FROM rel)
                UNION ALL SELECT 'pg_catalog.pg_attrdef'::pg_catalog.regclass::pg_catalog.oid, d.oid FROM pg_catalog.pg_attrdef d WHERE d.adrelid IN (SELECT oid FROM rel)
                UNION ALL SELECT 'pg_catalog.pg_constraint'::pg_catalog.regclass::pg_catalog.oid, k.oid FROM pg_catalog.pg_constraint k WHERE k.conrelid IN (SELECT oid FROM rel)
                UNION ALL SELECT 'pg_catalog.pg_rewrite'::pg_catalog.regclass::pg_catalog.oid, w.oid FROM pg_catalog.pg_rewrite w WHERE w.ev_class IN (SELECT oid FROM rel)
                UNION ALL SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass::pg_catalog.oid, oid FROM fn),
            refs AS (SELECT DISTINCT d.refclassid, d.refobjid FROM owned o
                     JOIN pg_catalog.pg_depend d ON d.classid = o.classid AND d.objid = o.objid),
            classes AS (SELECT objid AS oid FROM owned WHERE classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                        UNION SELECT refobjid FROM refs WHERE refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass),
            procs AS (SELECT oid FROM fn UNION SELECT refobjid FROM refs WHERE refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass),
            named_types AS (SELECT refobjid AS oid FROM refs WHERE refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass
                            UNION SELECT a.atttypid FROM pg_catalog.pg_attribute a WHERE a.attrelid IN (SELECT oid FROM classes)
                            UNION SELECT p.prorettype FROM pg_catalog.pg_proc p WHERE p.oid IN (SELECT oid FROM procs)
                            UNION SELECT unnest(p.proargtypes::pg_catalog.oid[]) FROM pg_catalog.pg_proc p WHERE p.oid IN (SELECT oid FROM procs)),
            types AS (SELECT oid FROM named_types
                      UNION SELECT t.typelem FROM pg_catalog.pg_type t WHERE t.oid IN (SELECT oid FROM named_types) AND t.typelem <> 0
                      UNION SELECT t.typbasetype FROM pg_catalog.pg_type t WHERE t.oid IN (SELECT oid FROM named_types) AND t.typbasetype <> 0),
            opers AS (SELECT refobjid AS oid FROM refs WHERE refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass),
            others AS (SELECT refclassid, refobjid FROM refs
                       WHERE refclassid NOT IN ('pg_catalog.pg_class'::pg_catalog.regclass, 'pg_catalog.pg_proc'::pg_catalog.regclass, 'pg_catalog.pg_type'::pg_catalog.regclass,
                                                'pg_catalog.pg_operator'::pg_catalog.regclass, 'pg_catalog.pg_namespace'::pg_catalog.regclass))
            SELECT ARRAY(SELECT oid FROM classes)::pg_catalog.text[],
                   ARRAY(SELECT DISTINCT relname FROM pg_catalog.pg_class WHERE oid IN (SELECT oid FROM classes))::pg_catalog.text[],
                   ARRAY(SELECT DISTINCT proname FROM pg_catalog.pg_proc WHERE oid IN (SELECT oid FROM procs))::pg_catalog.text[],
                   ARRAY(SELECT DISTINCT typname FROM pg_catalog.pg_type WHERE oid IN (SELECT oid FROM types))::pg_catalog.text[],
                   ARRAY(SELECT DISTINCT oprname FROM pg_catalog.pg_operator WHERE oid IN (SELECT oid FROM opers))::pg_catalog.text[],
                   ARRAY(SELECT refclassid FROM others)::pg_catalog.text[], ARRAY(SELECT refobjid FROM others)::pg_catalog.text[]
            """;

    /**
     * The watched rows' versions, each found through a catalog index; parameters as {@link #watch} binds them. Two sums
     * of 64-bit hashes, not a sorted text, since the order of the rows does not matter. With them, what decides how a
     * name is written besides the catalog: the search path as it resolves ({@code current_schemas(true)}, also
     * parallel-unsafe, so PostgreSQL does not start parallel workers for this small query, whose start costs ten times
     * the query), the settings the session changed, and every relation, type, function and operator in a schema
     * searched before {@code pg_catalog} (the session's temporary schema, or one a step put first), where a new object
     * can take a built-in's name. Every name is qualified with {@code pg_catalog}: a step may make a temporary table
     * named {@code text} or {@code pg_class}.
     */
    private static final String DIGEST = """
            WITH path AS (SELECT p.schema, p.i FROM unnest(current_schemas(true)) WITH ORDINALITY AS p (schema, i)),
            ahead AS (SELECT n.oid FROM path JOIN pg_catalog.pg_namespace n ON n.nspname = path.schema
                      WHERE path.i < (SELECT i FROM path WHERE schema = 'pg_catalog'))
            SELECT concat_ws(':', current_schemas(true)::pg_catalog.text, count(*), sum(hashtextextended(v, 0)),
                             sum(hashtextextended(v, 1)),
                             (SELECT string_agg(name || '=' || setting, ',' ORDER BY name) FROM pg_catalog.pg_settings
                              WHERE source = 'session')) FROM (
                SELECT 'n' || n.oid || ':' || n.xmin || n.ctid AS v FROM pg_catalog.pg_namespace n
                UNION ALL SELECT 'c' || c.oid || ':' || c.xmin || c.ctid FROM pg_catalog.pg_class c WHERE c.relname = ANY (?::pg_catalog.name[])
                UNION ALL SELECT 'a' || a.attrelid || '.' || a.attnum || ':' || a.xmin || a.ctid FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = ANY (?::pg_catalog.oid[])
                UNION ALL SELECT 'd' || d.oid || ':' || d.xmin || d.ctid FROM pg_catalog.pg_attrdef d WHERE d.adrelid = ANY (?::pg_catalog.oid[])
                UNION ALL SELECT 'k' || k.oid || ':' || k.xmin || k.ctid FROM pg_catalog.pg_constraint k WHERE k.conrelid = ANY (?::pg_catalog.oid[])
                UNION ALL SELECT 'x' || x.indexrelid || ':' || x.xmin || x.ctid || x.indisvalid || x.indisready || x.indislive
                    FROM pg_catalog.pg_index x WHERE x.indrelid = ANY (?::pg_catalog.oid[])
                UNION ALL SELECT 'w' || w.oid || ':' || w.xmin || w.ctid FROM pg_catalog.pg_rewrite w WHERE w.ev_class = ANY (?::pg_catalog.oid[])
                UNION ALL SELECT 's' || s.seqrelid || ':' || s.xmin || s.ctid FROM pg_catalog.pg_sequence s WHERE s.seqrelid = ANY (?::pg_catalog.oid[])
                UNION ALL SELECT 'p' || p.oid || ':' || p.xmin || p.ctid FROM pg_catalog.pg_proc p WHERE p.proname = ANY (?::pg_catalog.name[])
                UNION ALL SELECT 't' || t.oid || ':' || t.xmin || t.ctid FROM pg_catalog.pg_type t WHERE t.typname = ANY (?::pg_catalog.name[])
                UNION ALL SELECT 'o' || o.oid || ':' || o.xmin || o.ctid FROM pg_catalog.pg_operator o WHERE o.oprname = ANY (?::pg_catalog.name[])
                UNION ALL SELECT 'r' || o.classid || '.' || o.objid || ':' || pg_describe_object(o.classid, o.objid, 0)
                    FROM unnest(?::pg_catalog.oid[], ?::pg_catalog.oid[]) AS o (classid, objid)
                UNION ALL SELECT 'C' || c.oid || ':' || c.xmin || c.ctid FROM pg_catalog.pg_class c
                    WHERE c.relnamespace IN (SELECT oid FROM ahead)
                UNION ALL SELECT 'T' || t.oid || ':' || t.xmin || t.ctid FROM pg_catalog.pg_type t
                    WHERE t.typnamespace IN (SELECT oid FROM ahead)
                UNION ALL SELECT 'P' || p.oid || ':' || p.xmin || p.ctid FROM pg_catalog.pg_proc p
                    WHERE p.pronamespace IN (SELECT oid FROM ahead)
                UNION ALL SELECT 'O' || o.oid || ':' || o.xmin || o.ctid FROM pg_catalog.pg_operator o
                    WHERE o.oprnamespace IN (SELECT oid FROM ahead)
            ) versions
            """;

    private final Connection connection;
    private final PreparedStatement watch;
    private final List<String> relationNames;
    private final List<String> functionNames;
    private PreparedStatement digest;

    private CatalogDigest(Connection connection, PreparedStatement watch, SchemaSnapshot.Scope scope) {
        this.connection = connection;
        this.watch = watch;
        this.relationNames = scope.relationNames();
        this.functionNames = scope.functionNames();
    }

    /** A digest of what a read of {@code scope} over {@code schemas} is written from; {@link #watch} takes it first. */
    static CatalogDigest of(Connection connection, List<String> schemas, SchemaSnapshot.Scope scope) throws SQLException {
        PreparedStatement watch = connection.prepareStatement(WATCH);
        try {
            watch.setArray(1, connection.createArrayOf("text", schemas.toArray()));
            watch.setArray(2, connection.createArrayOf("text", scope.relationOids().toArray()));
            watch.setArray(3, connection.createArrayOf("text", scope.relationNames().toArray()));
            watch.setArray(4, connection.createArrayOf("text", scope.functionOids().toArray()));
            watch.setArray(5, connection.createArrayOf("text", scope.functionNames().toArray()));
        } catch (SQLException | RuntimeException e) {
            watch.close();
            throw e;
        }
        return new CatalogDigest(connection, watch, scope);
    }

    /**
     * Finds the rows to watch as the catalog is now, and returns their digest: at the start, and after each read, since
     * what the base's objects depend on may have changed with them.
     */
    String watch() throws SQLException {
        List<Object> found = new ArrayList<>();
        try (ResultSet rs = watch.executeQuery()) {
            rs.next();
            for (int i = 1; i <= 7; i++) {
                found.add(rs.getArray(i).getArray());
            }
        }
        if (digest != null) {
            digest.close();
        }
        digest = connection.prepareStatement(DIGEST);
        // A relation, function, type or operator is watched by its name: a change of its row, a rename, a drop and an
        // object anywhere that takes the name all change the rows found under the names.
        Object classes = found.get(0);
        Object[] bound = {
                names(found.get(1), relationNames), // pg_class
                classes, classes, classes, classes, classes, classes, // columns, defaults, constraints, indexes, rules, sequences
                names(found.get(2), functionNames), found.get(3), found.get(4), // pg_proc, pg_type, pg_operator
                found.get(5), found.get(6)}; // anything else they depend on, by description
        for (int i = 0; i < bound.length; i++) {
            digest.setArray(i + 1, connection.createArrayOf("text", (Object[]) bound[i]));
        }
        return digest();
    }

    /** The digest of the rows last {@link #watch watched}, as they are now. */
    String digest() throws SQLException {
        try (ResultSet rs = digest.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The names found and the scope's own, whose objects may have been dropped but whose names may be taken again. */
    private static Object[] names(Object found, List<String> scoped) {
        List<Object> names = new ArrayList<>(List.of((Object[]) found));
        names.addAll(scoped);
        return names.toArray();
    }

    @Override
    public void close() throws SQLException {
        watch.close();
        if (digest != null) {
            digest.close();
        }
    }
}
