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
        SortedMap<String, String> objects = new TreeMap<>();
        Map<String, String> identities = new HashMap<>();
        if (scope.isEmpty()) {
            return new SchemaSnapshot(objects, identities);
        }
        String[] names = schemas.toArray(String[]::new);
        boolean qualify = schemas.size() > 1;
        Reader reader = new Reader(connection, names, qualify, scope);
        reader.query("""
                SELECT n.nspname, c.relname, CASE c.relkind WHEN 'p' THEN 'partitioned table' ELSE 'table' END, c.oid::text
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ANY (?) AND c.relkind IN ('r', 'p') AND c.relname <> 'flyway_schema_history'
                """, Reader.Covered.RELATION, (r, p) -> {
                    objects.put("table " + p + r.getString(2), r.getString(3));
                    identities.put("table " + p + r.getString(2), r.getString(4));
                });
        reader.query("""
                SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                       pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, c.oid::text || ':' || a.attnum
                FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                WHERE n.nspname = ANY (?) AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
                  AND c.relname <> 'flyway_schema_history'
                """, Reader.Covered.RELATION, (r, p) -> {
                    String key = "column " + p + r.getString(2) + "." + r.getString(3);
                    objects.put(key, r.getString(4)
                            + (r.getBoolean(5) ? " not null" : "")
                            + (r.getString(6) == null ? "" : ("s".equals(r.getString(8)) ? " generated always as " : " default ") + r.getString(6))
                            + identity(r.getString(7)));
                    identities.put(key, r.getString(9));
                });
        reader.query("""
                SELECT n.nspname, c.relname || '.' || con.conname, pg_get_constraintdef(con.oid)
                FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ANY (?) AND c.relname <> 'flyway_schema_history' AND con.contype <> 'n'
                """, Reader.Covered.RELATION, (r, p) -> objects.put("constraint " + p + r.getString(2), r.getString(3)));
        reader.query("""
                SELECT n.nspname, i.relname, pg_get_indexdef(i.oid), x.indisvalid
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
                JOIN pg_namespace n ON n.oid = i.relnamespace
                WHERE n.nspname = ANY (?) AND c.relname <> 'flyway_schema_history'
                """, Reader.Covered.INDEX, (r, p) -> objects.put("index " + p + r.getString(2),
                        r.getString(3) + (r.getBoolean(4) ? "" : " (INVALID)")));
        reader.query("""
                SELECT n.nspname, c.relname, pg_get_viewdef(c.oid, true), c.relkind, c.oid::text
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ANY (?) AND c.relkind IN ('v', 'm')
                """, Reader.Covered.RELATION, (r, p) -> {
                    String key = ("m".equals(r.getString(4)) ? "materialized view " : "view ") + p + r.getString(2);
                    objects.put(key, r.getString(3).strip());
                    identities.put(key, r.getString(5));
                });
        reader.query("""
                SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL) || ' start ' || s.seqstart || ' increment '
                       || s.seqincrement || ' min ' || s.seqmin || ' max ' || s.seqmax || CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END,
                       c.oid::text
                FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ANY (?)
                """, Reader.Covered.RELATION, (r, p) -> {
                    objects.put("sequence " + p + r.getString(2), r.getString(3));
                    identities.put("sequence " + p + r.getString(2), r.getString(4));
                });
        reader.query("""
                SELECT n.nspname, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', pg_get_functiondef(p.oid),
                       p.oid::text
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = ANY (?) AND p.prokind IN ('f', 'p')
                """, Reader.Covered.FUNCTION, (r, p) -> {
                    objects.put("function " + p + r.getString(2), r.getString(3).strip());
                    identities.put("function " + p + r.getString(2), r.getString(4));
                });
        return new SchemaSnapshot(objects, identities);
    }

    /**
     * What a read covers: the whole of the schemas, or the objects of a base snapshot and whatever can stand in their
     * place after a step. A step can change a base object (same name, same OID), rename it (same OID), or drop it and
     * make another under its name (same name), and every one of those is covered: relations (tables, views,
     * sequences) by OID or by name, with all their columns, constraints and indexes; indexes by name too; functions by
     * OID or by name and arguments. An object that is none of those is new and unrelated to the base, and {@link
     * DestructiveChanges} only ever speaks of what the base held: leaving it unread loses no finding. Reading it would
     * cost a dry run a read of the whole catalog after every step, which grows with the square of a long history.
     *
     * @param relationOids  OIDs of the base's tables, views and sequences
     * @param relationNames their names, as a snapshot's keys write them (qualified when it reads several schemas)
     * @param indexNames    the base's index names, written as well
     * @param functionOids  OIDs of the base's functions and procedures
     * @param functionNames their names with their identity arguments ({@code f(integer)}), written as well
     */
    public record Scope(boolean whole, List<String> relationOids, List<String> relationNames, List<String> indexNames,
                        List<String> functionOids, List<String> functionNames) {
        /** Everything in the schemas. */
        public static final Scope WHOLE = new Scope(true, List.of(), List.of(), List.of(), List.of(), List.of());

        private static final List<String> RELATIONS = List.of("table ", "view ", "materialized view ", "sequence ");

        /** The objects of {@code base} and what can take their place (see above). */
        public static Scope of(SchemaSnapshot base) {
            List<String> relationOids = new ArrayList<>();
            List<String> relationNames = new ArrayList<>();
            List<String> indexNames = new ArrayList<>();
            List<String> functionOids = new ArrayList<>();
            List<String> functionNames = new ArrayList<>();
            for (String key : base.objects().keySet()) {
                String identity = base.identities().get(key);
                for (String prefix : RELATIONS) {
                    if (key.startsWith(prefix)) {
                        relationNames.add(key.substring(prefix.length()));
                        if (identity != null) {
                            relationOids.add(identity);
                        }
                    }
                }
                if (key.startsWith("index ")) {
                    indexNames.add(key.substring("index ".length()));
                } else if (key.startsWith("function ")) {
                    functionNames.add(key.substring("function ".length()));
                    if (identity != null) {
                        functionOids.add(identity);
                    }
                }
            }
            return new Scope(false, List.copyOf(relationOids), List.copyOf(relationNames), List.copyOf(indexNames),
                    List.copyOf(functionOids), List.copyOf(functionNames));
        }

        /** True when the read can find nothing: a base with no object at all (a new database, a new schema). */
        public boolean isEmpty() {
            return !whole && relationOids.isEmpty() && relationNames.isEmpty() && indexNames.isEmpty() && functionOids.isEmpty()
                    && functionNames.isEmpty();
        }
    }

    /** Runs a snapshot's queries, each with the condition of its scope after the schemas it reads. */
    private record Reader(Connection connection, String[] schemas, boolean qualify, Scope scope) {
        /** What a query's rows are: objects of the relation aliased {@code c}, indexes ({@code i}) of it, or functions ({@code p}). */
        enum Covered { RELATION, INDEX, FUNCTION }

        void query(String sql, Covered covered, Row row) throws SQLException {
            List<List<String>> parameters = new ArrayList<>();
            String condition = condition(covered, parameters);
            try (PreparedStatement st = connection.prepareStatement(sql.strip() + (condition == null ? "" : "\n  AND " + condition))) {
                st.setArray(1, connection.createArrayOf("text", schemas));
                for (int i = 0; i < parameters.size(); i++) {
                    st.setArray(i + 2, connection.createArrayOf("text", parameters.get(i).toArray()));
                }
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        row.accept(rs, qualify ? rs.getString(1) + "." : "");
                    }
                }
            }
        }

        private String condition(Covered covered, List<List<String>> parameters) {
            if (scope.whole()) {
                return null;
            }
            String prefix = qualify ? "n.nspname || '.' || " : "";
            String relation = "(c.oid = ANY (?::oid[]) OR " + prefix + "c.relname = ANY (?)";
            parameters.add(scope.relationOids());
            parameters.add(scope.relationNames());
            return switch (covered) {
                case RELATION -> relation + ")";
                case INDEX -> {
                    parameters.add(scope.indexNames());
                    yield relation + " OR " + prefix + "i.relname = ANY (?))";
                }
                case FUNCTION -> {
                    parameters.clear();
                    parameters.add(scope.functionOids());
                    parameters.add(scope.functionNames());
                    yield "(p.oid = ANY (?::oid[]) OR " + prefix + "p.proname || '(' || pg_get_function_identity_arguments(p.oid)"
                            + " || ')' = ANY (?))";
                }
            };
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

    private interface Row {
        void accept(ResultSet row, String prefix) throws SQLException;
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
