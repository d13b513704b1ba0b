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
     * A snapshot without identities, as two snapshots compare: {@code identities} (a table's OID, a column's OID and
     * attribute number) only tell a rename from a drop and an add, and never count as a difference.
     */
    public SchemaSnapshot(SortedMap<String, String> objects) {
        this(objects, Map.of());
    }

    /** Reads the snapshot of {@code schemas} over {@code connection}. */
    public static SchemaSnapshot read(Connection connection, List<String> schemas) throws SQLException {
        SortedMap<String, String> objects = new TreeMap<>();
        Map<String, String> identities = new HashMap<>();
        String[] names = schemas.toArray(String[]::new);
        boolean qualify = schemas.size() > 1;
        query(connection, names, """
                SELECT n.nspname, c.relname, CASE c.relkind WHEN 'p' THEN 'partitioned table' ELSE 'table' END, c.oid::text
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ANY (?) AND c.relkind IN ('r', 'p') AND c.relname <> 'flyway_schema_history'
                """, (r, p) -> {
                    objects.put("table " + p + r.getString(2), r.getString(3));
                    identities.put("table " + p + r.getString(2), r.getString(4));
                }, qualify);
        query(connection, names, """
                SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                       pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, c.oid::text || ':' || a.attnum
                FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                WHERE n.nspname = ANY (?) AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
                  AND c.relname <> 'flyway_schema_history'
                """, (r, p) -> {
                    String key = "column " + p + r.getString(2) + "." + r.getString(3);
                    objects.put(key, r.getString(4)
                            + (r.getBoolean(5) ? " not null" : "")
                            + (r.getString(6) == null ? "" : ("s".equals(r.getString(8)) ? " generated always as " : " default ") + r.getString(6))
                            + identity(r.getString(7)));
                    identities.put(key, r.getString(9));
                }, qualify);
        query(connection, names, """
                SELECT n.nspname, c.relname || '.' || con.conname, pg_get_constraintdef(con.oid)
                FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ANY (?) AND c.relname <> 'flyway_schema_history' AND con.contype <> 'n'
                """, (r, p) -> objects.put("constraint " + p + r.getString(2), r.getString(3)), qualify);
        query(connection, names, """
                SELECT n.nspname, i.relname, pg_get_indexdef(i.oid), x.indisvalid
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                JOIN pg_namespace n ON n.oid = i.relnamespace
                WHERE n.nspname = ANY (?) AND t.relname <> 'flyway_schema_history'
                """, (r, p) -> objects.put("index " + p + r.getString(2), r.getString(3) + (r.getBoolean(4) ? "" : " (INVALID)")), qualify);
        query(connection, names, """
                SELECT n.nspname, c.relname, pg_get_viewdef(c.oid, true), c.relkind
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ANY (?) AND c.relkind IN ('v', 'm')
                """, (r, p) -> objects.put(("m".equals(r.getString(4)) ? "materialized view " : "view ") + p + r.getString(2),
                        r.getString(3).strip()), qualify);
        query(connection, names, """
                SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL) || ' start ' || s.seqstart || ' increment '
                       || s.seqincrement || ' min ' || s.seqmin || ' max ' || s.seqmax || CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END
                FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ANY (?)
                """, (r, p) -> objects.put("sequence " + p + r.getString(2), r.getString(3)), qualify);
        query(connection, names, """
                SELECT n.nspname, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', pg_get_functiondef(p.oid)
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = ANY (?) AND p.prokind IN ('f', 'p')
                """, (r, p) -> objects.put("function " + p + r.getString(2), r.getString(3).strip()), qualify);
        return new SchemaSnapshot(objects, identities);
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

    private static void query(Connection connection, String[] schemas, String sql, Row row, boolean qualify) throws SQLException {
        try (PreparedStatement st = connection.prepareStatement(sql)) {
            st.setArray(1, connection.createArrayOf("text", schemas));
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    row.accept(rs, qualify ? rs.getString(1) + "." : "");
                }
            }
        }
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
