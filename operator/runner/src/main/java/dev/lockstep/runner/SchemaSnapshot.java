package dev.lockstep.runner;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a schema looks like, read from PostgreSQL's catalog: tables, columns (type, nullability, default,
 * identity), constraints (by definition), indexes (by definition, and whether valid), views, sequences and
 * functions. Each object is a key ("column users.email") and a definition, so two snapshots compare as maps and
 * a difference names the object, whatever SQL made it. Flyway's history table is left out.
 */
public record SchemaSnapshot(SortedMap<String, String> objects, Map<String, String> identities) {

    /**
     * A snapshot without identities, as two snapshots compare: {@code identities} (a relation's or a function's OID, a
     * column's relation OID and attribute number) only tell a rename from a drop and an add, and what a {@link Scope}
     * covers; they never count as a difference.
     */
    public SchemaSnapshot(SortedMap<String, String> objects) {
        this(objects, Map.of());
    }

    /** Reads the snapshot of {@code schemas} over {@code connection}: every object in them. */
    public static SchemaSnapshot read(Connection connection, List<String> schemas) throws SQLException {
        return read(connection, schemas, Scope.WHOLE);
    }

    /**
     * Reads the objects of {@code schemas} that {@code scope} covers. A read of {@link Scope#of a base snapshot's scope}
     * holds every object of the base, and whatever took its name or kept its OID, as the whole read would; the rest of
     * the catalog is not read.
     */
    public static SchemaSnapshot read(Connection connection, List<String> schemas, Scope scope) throws SQLException {
        try (Reader reader = reader(connection, schemas, scope)) {
            return reader.read();
        }
    }

    /**
     * A reader that reads {@code scope} again and again over one connection, as a dry run does after each step: its
     * statements are prepared once, so PostgreSQL plans them once, not at every read.
     */
    static Reader reader(Connection connection, List<String> schemas, Scope scope) {
        return new Reader(connection, schemas.toArray(String[]::new), schemas.size() > 1, scope);
    }

    /**
     * What a query's rows are, and so how a scope narrows it: objects of a relation (aliased {@code c}, its OID in
     * {@code scopeColumn}), indexes ({@code x} of {@code pg_index}), or functions ({@code p}).
     */
    private enum Covered { RELATION, INDEX, FUNCTION }

    /** One catalog query: its SQL, what its rows are, the column a scope narrows, and what each row adds to a snapshot. */
    private record Query(String sql, Covered covered, String scopeColumn, Row row) {}

    private interface Row {
        void accept(ResultSet row, String prefix, Map<String, String> objects, Map<String, String> identities) throws SQLException;
    }

    private static final List<Query> QUERIES = List.of(
            new Query("""
                    SELECT n.nspname, c.relname, CASE c.relkind WHEN 'p' THEN 'partitioned table' ELSE 'table' END, c.oid::pg_catalog.text
                    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = ANY (?) AND c.relkind IN ('r', 'p') AND c.relname <> 'flyway_schema_history'
                    """, Covered.RELATION, "c.oid", (r, p, objects, identities) -> {
                        objects.put("table " + p + r.getString(2), r.getString(3));
                        identities.put("table " + p + r.getString(2), r.getString(4));
                    }),
            new Query("""
                    SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                           pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, c.oid::pg_catalog.text || ':' || a.attnum
                    FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                    WHERE n.nspname = ANY (?) AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
                      AND c.relname <> 'flyway_schema_history'
                    """, Covered.RELATION, "a.attrelid", (r, p, objects, identities) -> {
                        String key = "column " + p + r.getString(2) + "." + r.getString(3);
                        objects.put(key, r.getString(4)
                                + (r.getBoolean(5) ? " not null" : "")
                                + (r.getString(6) == null ? "" : ("s".equals(r.getString(8)) ? " generated always as " : " default ") + r.getString(6))
                                + identity(r.getString(7)));
                        identities.put(key, r.getString(9));
                    }),
            new Query("""
                    SELECT n.nspname, c.relname || '.' || con.conname, pg_get_constraintdef(con.oid)
                    FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class c ON c.oid = con.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = ANY (?) AND c.relname <> 'flyway_schema_history' AND con.contype <> 'n'
                    """, Covered.RELATION, "con.conrelid", (r, p, objects, identities) ->
                            objects.put("constraint " + p + r.getString(2), r.getString(3))),
            new Query("""
                    SELECT n.nspname, i.relname, pg_get_indexdef(i.oid), x.indisvalid
                    FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid JOIN pg_catalog.pg_class c ON c.oid = x.indrelid
                    JOIN pg_catalog.pg_namespace n ON n.oid = i.relnamespace
                    WHERE n.nspname = ANY (?) AND c.relname <> 'flyway_schema_history'
                    """, Covered.INDEX, null, (r, p, objects, identities) -> objects.put("index " + p + r.getString(2),
                            r.getString(3) + (r.getBoolean(4) ? "" : " (INVALID)"))),
            new Query("""
                    SELECT n.nspname, c.relname, pg_get_viewdef(c.oid, true), c.relkind, c.oid::pg_catalog.text
                    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = ANY (?) AND c.relkind IN ('v', 'm')
                    """, Covered.RELATION, "c.oid", (r, p, objects, identities) -> {
                        String key = ("m".equals(r.getString(4)) ? "materialized view " : "view ") + p + r.getString(2);
                        objects.put(key, r.getString(3).strip());
                        identities.put(key, r.getString(5));
                    }),
            new Query("""
                    SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL) || ' start ' || s.seqstart || ' increment '
                           || s.seqincrement || ' min ' || s.seqmin || ' max ' || s.seqmax || CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END,
                           c.oid::pg_catalog.text
                    FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = ANY (?)
                    """, Covered.RELATION, "s.seqrelid", (r, p, objects, identities) -> {
                        objects.put("sequence " + p + r.getString(2), r.getString(3));
                        identities.put("sequence " + p + r.getString(2), r.getString(4));
                    }),
            new Query("""
                    SELECT n.nspname, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', pg_get_functiondef(p.oid),
                           p.oid::pg_catalog.text
                    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname = ANY (?) AND p.prokind IN ('f', 'p')
                    """, Covered.FUNCTION, null, (r, p, objects, identities) -> {
                        objects.put("function " + p + r.getString(2), r.getString(3).strip());
                        identities.put("function " + p + r.getString(2), r.getString(4));
                    }));

    /**
     * What a read covers: the whole of the schemas, or the objects of a base snapshot and whatever can stand in their
     * place after a step. A step can change a base object (same name, same OID), rename it (same OID), or drop it and
     * make another under its name (same name), and every one of those is covered: relations (tables, views,
     * sequences) and indexes by OID or by name, with all the columns, constraints and indexes of those relations;
     * functions by OID or by name. A name is matched in every schema read, and whatever its kind (a view made under a
     * dropped table's name is covered). An object that is none of those is new and unrelated to the base, and {@link
     * DestructiveChanges} only ever speaks of what the base held: leaving it unread loses no finding. Reading it would
     * cost a dry run a read of the whole catalog after every step, which grows with the square of a long history.
     *
     * @param relationOids  OIDs of the base's tables, views and sequences
     * @param relationNames their names and the base's index names, unqualified
     * @param functionOids  OIDs of the base's functions and procedures
     * @param functionNames their names, unqualified and without arguments
     */
    public record Scope(boolean whole, List<String> relationOids, List<String> relationNames, List<String> functionOids,
                        List<String> functionNames) {
        /** Everything in the schemas. */
        public static final Scope WHOLE = new Scope(true, List.of(), List.of(), List.of(), List.of());

        private static final List<String> RELATIONS = List.of("table ", "view ", "materialized view ", "sequence ", "index ");

        /** The objects of {@code base}, read from {@code schemas}, and what can take their place (see above). */
        public static Scope of(SchemaSnapshot base, List<String> schemas) {
            java.util.Set<String> relationOids = new TreeSet<>();
            java.util.Set<String> relationNames = new TreeSet<>();
            java.util.Set<String> functionOids = new TreeSet<>();
            java.util.Set<String> functionNames = new TreeSet<>();
            for (String key : base.objects().keySet()) {
                String identity = base.identities().get(key);
                for (String prefix : RELATIONS) {
                    if (key.startsWith(prefix)) {
                        relationNames.add(unqualified(key.substring(prefix.length()), schemas));
                        if (identity != null) {
                            relationOids.add(identity);
                        }
                    }
                }
                if (key.startsWith("function ")) {
                    String signature = key.substring("function ".length());
                    functionNames.add(unqualified(signature.substring(0, signature.indexOf('(')), schemas));
                    if (identity != null) {
                        functionOids.add(identity);
                    }
                }
            }
            return new Scope(false, List.copyOf(relationOids), List.copyOf(relationNames), List.copyOf(functionOids),
                    List.copyOf(functionNames));
        }

        /** A name as a key writes it, without the schema a read of several schemas puts before it. */
        private static String unqualified(String name, List<String> schemas) {
            if (schemas.size() < 2) {
                return name;
            }
            String schema = schemas.stream().filter(sc -> name.startsWith(sc + ".")).max(java.util.Comparator.comparingInt(String::length))
                    .orElse("");
            return schema.isEmpty() ? name : name.substring(schema.length() + 1);
        }

        /** True when the read can find nothing: a base with no object at all (a new database, a new schema). */
        public boolean isEmpty() {
            return !whole && relationOids.isEmpty() && relationNames.isEmpty() && functionOids.isEmpty() && functionNames.isEmpty();
        }
    }

    /** Reads a snapshot's queries, each narrowed to its scope, on statements it keeps for the next read. */
    static final class Reader implements AutoCloseable {
        /**
         * The OIDs of the relations a scope covers, found through pg_class's indexes on OID and name, so each query
         * looks up those relations' rows by index instead of scanning a catalog that a long dry run's transaction
         * fills with row versions it cannot clean up.
         */
        private static final String SCOPED_RELATIONS = "SELECT array_agg(sc.oid)::pg_catalog.text[] FROM pg_catalog.pg_class sc JOIN pg_catalog.pg_namespace sn"
                + " ON sn.oid = sc.relnamespace WHERE sn.nspname = ANY (?) AND (sc.oid = ANY (?::pg_catalog.oid[]) OR sc.relname = ANY (?::pg_catalog.name[]))";
        private PreparedStatement scoped;

        private final Connection connection;
        private final String[] schemas;
        private final boolean qualify;
        private final Scope scope;
        private final PreparedStatement[] statements = new PreparedStatement[QUERIES.size()];

        private Reader(Connection connection, String[] schemas, boolean qualify, Scope scope) {
            this.connection = connection;
            this.schemas = schemas;
            this.qualify = qualify;
            this.scope = scope;
        }

        SchemaSnapshot read() throws SQLException {
            SortedMap<String, String> objects = new TreeMap<>();
            Map<String, String> identities = new HashMap<>();
            // The relations the scope covers, found once for all the queries of this read.
            java.sql.Array relations = scope.whole() || !covers(Covered.RELATION) ? null : scopedRelations();
            for (int q = 0; q < QUERIES.size(); q++) {
                Query query = QUERIES.get(q);
                if (!covers(query.covered())) {
                    continue;
                }
                if (statements[q] == null) {
                    statements[q] = prepare(query);
                }
                if (relations != null && query.covered() != Covered.FUNCTION) {
                    statements[q].setArray(2, relations);
                    if (query.covered() == Covered.INDEX) {
                        statements[q].setArray(3, relations);
                    }
                }
                try (ResultSet rs = statements[q].executeQuery()) {
                    while (rs.next()) {
                        query.row().accept(rs, qualify ? rs.getString(1) + "." : "", objects, identities);
                    }
                }
            }
            return new SchemaSnapshot(objects, identities);
        }

        /** Whether a query can return anything in this scope: nothing, if the base had nothing of its kind to stand for. */
        private boolean covers(Covered covered) {
            if (scope.whole()) {
                return true;
            }
            return covered == Covered.FUNCTION ? !scope.functionOids().isEmpty() || !scope.functionNames().isEmpty()
                    : !scope.relationOids().isEmpty() || !scope.relationNames().isEmpty();
        }

        private java.sql.Array scopedRelations() throws SQLException {
            if (scoped == null) {
                scoped = connection.prepareStatement(SCOPED_RELATIONS);
                scoped.setArray(1, connection.createArrayOf("text", schemas));
                scoped.setArray(2, connection.createArrayOf("text", scope.relationOids().toArray()));
                scoped.setArray(3, connection.createArrayOf("text", scope.relationNames().toArray()));
            }
            try (ResultSet rs = scoped.executeQuery()) {
                rs.next();
                java.sql.Array found = rs.getArray(1);
                return found != null ? found : connection.createArrayOf("text", new Object[0]);
            }
        }

        @Override
        public void close() throws SQLException {
            if (scoped != null) {
                scoped.close();
            }
            for (PreparedStatement st : statements) {
                if (st != null) {
                    st.close();
                }
            }
        }

        private PreparedStatement prepare(Query query) throws SQLException {
            List<Object[]> parameters = new ArrayList<>();
            parameters.add(schemas);
            String condition = null;
            if (!scope.whole()) {
                // The relations' OIDs are bound at each read (parameter 2): see read().
                switch (query.covered()) {
                    case RELATION -> {
                        condition = query.scopeColumn() + " = ANY (?::pg_catalog.oid[])";
                        parameters.add(new Object[0]);
                    }
                    case INDEX -> {
                        condition = "(x.indrelid = ANY (?::pg_catalog.oid[]) OR x.indexrelid = ANY (?::pg_catalog.oid[]))";
                        parameters.add(new Object[0]);
                        parameters.add(new Object[0]);
                    }
                    case FUNCTION -> {
                        condition = "(p.oid = ANY (?::pg_catalog.oid[]) OR p.proname = ANY (?::pg_catalog.name[]))";
                        parameters.add(scope.functionOids().toArray());
                        parameters.add(scope.functionNames().toArray());
                    }
                }
            }
            PreparedStatement st = connection.prepareStatement(query.sql().strip() + (condition == null ? "" : "\n  AND " + condition));
            for (int i = 0; i < parameters.size(); i++) {
                st.setArray(i + 1, connection.createArrayOf("text", parameters.get(i)));
            }
            return st;
        }

    }

    /** One object that differs between two snapshots; {@code before} or {@code after} is null when it is absent. */
    public record Change(String object, String before, String after) {
        @Override
        public String toString() {
            if (before == null) {
                return "+ " + object + ": " + after;
            }
            if (after == null) {
                return "- " + object + ": " + before;
            }
            return "~ " + object + ": " + before + " -> " + after;
        }
    }

    /** What changed from this snapshot to {@code after}, ordered by object. */
    public List<Change> changesTo(SchemaSnapshot after) {
        List<Change> changes = new ArrayList<>();
        TreeSet<String> keys = new TreeSet<>(objects.keySet());
        keys.addAll(after.objects.keySet());
        for (String key : keys) {
            String a = objects.get(key);
            String b = after.objects.get(key);
            if (!Objects.equals(a, b)) {
                changes.add(new Change(key, a, b));
            }
        }
        return changes;
    }

    public int size() {
        return objects.size();
    }

    private static String identity(String attidentity) {
        return switch (attidentity == null ? "" : attidentity) {
            case "a" -> " generated always as identity";
            case "d" -> " generated by default as identity";
            default -> "";
        };
    }

    /** How a person reads a difference: whole tables and views before the columns, constraints and indexes in them. */
    private static final List<String> READING_ORDER = List.of("table ", "partitioned table ", "view ", "materialized view ",
            "sequence ", "function ", "column ", "constraint ", "index ");

    private static int readingRank(Change change) {
        for (int i = 0; i < READING_ORDER.size(); i++) {
            if (change.object().startsWith(READING_ORDER.get(i))) {
                return i;
            }
        }
        return READING_ORDER.size();
    }

    /** For messages: up to {@code max} changes, tables and views first, so a missing table is never among the "more". */
    public static String describe(List<Change> changes, int max) {
        StringBuilder s = new StringBuilder();
        changes.stream().sorted(java.util.Comparator.comparingInt(SchemaSnapshot::readingRank).thenComparing(Change::object))
                .limit(max).forEach(c -> s.append(s.length() == 0 ? "" : "; ").append(c));
        if (changes.size() > max) {
            s.append("; … ").append(changes.size() - max).append(" more");
        }
        return s.toString();
    }
}
