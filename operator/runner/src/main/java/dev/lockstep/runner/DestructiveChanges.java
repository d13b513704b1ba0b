package dev.lockstep.runner;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which catalog changes break code that runs against the schema before them: what old pods still running during a
 * rollout would trip on. Decided from {@link SchemaSnapshot}s, never from the SQL, so a change made in a {@code DO}
 * block, a function or dynamic SQL is found like any other.
 *
 * <p>Destructive: a dropped table, view or function; a dropped column; a renamed table or column (the same OID or
 * attribute number under a new name); a retyped column, unless the new type only widens the old one; a column made
 * NOT NULL, or one that lost the default old INSERTs relied on; a new NOT NULL column without a default on a table
 * old code writes; a dropped or redefined index or constraint. Only objects that existed before the rollout count:
 * what an earlier step of the same plan created, no old code uses.
 */
public final class DestructiveChanges {
    private static final Pattern SIZED = Pattern.compile("(character varying|character|numeric|bit varying)\\((\\d+)(?:,(\\d+))?\\)");
    private static final List<String> INTEGERS = List.of("smallint", "integer", "bigint");

    private DestructiveChanges() {}

    /**
     * One change a person should hear of: the object it names, and what happened to it. Destructive unless it only
     * looks so: an index dropped where the same step builds one that serves the same queries.
     */
    public record Finding(String object, String change, boolean destructive) {
        public Finding(String object, String change) {
            this(object, change, true);
        }

        @Override
        public String toString() {
            return change;
        }
    }

    /** Destructive changes from {@code before} to {@code after}; a plan with one step has {@code base == before}. */
    public static List<Finding> of(SchemaSnapshot base, SchemaSnapshot before, SchemaSnapshot after) {
        return of(base, before, after, List.of());
    }

    /**
     * As {@link #of(SchemaSnapshot, SchemaSnapshot, SchemaSnapshot)}, where {@code declaredIndexes} are the CREATE INDEX
     * statements of the step that the dry run could not run ({@code CONCURRENTLY}): an index dropped and replaced by
     * one of them, or by a new index in {@code after}, on the same table with the same leading columns, is a
     * non-destructive finding that says so.
     */
    public static List<Finding> of(SchemaSnapshot base, SchemaSnapshot before, SchemaSnapshot after, List<String> declaredIndexes) {
        Map<String, String> was = before.objects();
        Map<String, String> is = after.objects();
        List<Finding> findings = new ArrayList<>();
        List<String> goneTables = new ArrayList<>();

        for (String key : keys(was, "table ")) {
            if (is.containsKey(key) || !base.objects().containsKey(key)) {
                continue;
            }
            String table = key.substring("table ".length());
            goneTables.add(table);
            Optional<String> renamed = renamedTo(key, "table ", before, after);
            findings.add(new Finding(key, renamed.map(to -> "table " + table + " renamed to " + to.substring("table ".length())
                    + ": old code still uses " + table).orElse("table " + table + " dropped")));
        }
        for (String key : keys(was, "column ")) {
            String column = key.substring("column ".length());
            String relation = column.substring(0, column.lastIndexOf('.'));
            String name = column.substring(column.lastIndexOf('.') + 1);
            if (!base.objects().containsKey(key) || goneTables.contains(relation) || relationGone(was, is, relation)) {
                continue; // new in this rollout, or said with its table or view
            }
            String old = was.get(key);
            String now = is.get(key);
            if (now == null) {
                Optional<String> renamed = renamedTo(key, "column " + relation + ".", before, after);
                findings.add(new Finding(key, renamed.map(to -> "column " + column + " renamed to " + to.substring(to.lastIndexOf('.') + 1)
                        + ": old code still uses " + name).orElse("column " + column + " dropped")));
            } else if (!type(old).equals(type(now)) && !widens(type(old), type(now))) {
                findings.add(new Finding(key, "column " + column + " retyped from " + type(old) + " to " + type(now)));
            } else if (!notNull(old) && notNull(now)) {
                findings.add(new Finding(key, "column " + column + " made NOT NULL: old code that writes NULL fails"));
            } else if (notNull(now) && hasDefault(old) && !hasDefault(now)) {
                findings.add(new Finding(key, "column " + column + " lost its default and is NOT NULL: old code's INSERTs do not set it and fail"));
            }
        }
        for (String key : keys(is, "column ")) {
            if (was.containsKey(key) || before.identities().containsValue(after.identities().get(key))) {
                continue; // not new, or a renamed column (said above)
            }
            String column = key.substring("column ".length());
            String table = column.substring(0, column.lastIndexOf('.'));
            String definition = is.get(key);
            if (base.objects().containsKey("table " + table) && notNull(definition) && !hasDefault(definition)
                    && !definition.contains(" generated ")) {
                findings.add(new Finding(key, "column " + column + " added NOT NULL without a default to existing table " + table
                        + ": old code's INSERTs do not set it and fail"));
            }
        }
        List<IndexShape> added = replacements(was, is, declaredIndexes);
        for (String prefix : List.of("constraint ", "index ")) {
            for (String key : keys(was, prefix)) {
                if (!base.objects().containsKey(key) || onGoneTable(key, was.get(key), goneTables)) {
                    continue;
                }
                if (!is.containsKey(key)) {
                    if (!"index ".equals(prefix) || !renamedIndex(key, was, is)) {
                        Optional<IndexShape> dropped = "index ".equals(prefix) ? IndexShape.parse(was.get(key)) : Optional.empty();
                        Optional<IndexShape> replacement = dropped.flatMap(d -> added.stream().filter(r -> r.replaces(d)).findFirst());
                        findings.add(replacement.isPresent()
                                ? new Finding(key, key + " dropped and replaced by " + replacement.get().name() + " on the same table"
                                        + " with the same leading columns (" + String.join(", ", dropped.get().columns())
                                        + "): it serves the same queries, so not destructive", false)
                                : new Finding(key, key + " dropped (" + was.get(key) + ")"));
                    }
                } else if (!Objects.equals(was.get(key), is.get(key))) {
                    findings.add(new Finding(key, key + " redefined from " + was.get(key) + " to " + is.get(key)));
                }
            }
        }
        for (String prefix : List.of("view ", "materialized view ", "function ")) {
            for (String key : keys(was, prefix)) {
                if (!is.containsKey(key) && base.objects().containsKey(key)) {
                    findings.add(new Finding(key, key + " dropped"));
                }
            }
        }
        return findings;
    }

    /** The key the object of {@code key} lives under after a rename (same OID, or OID and attribute number). */
    private static Optional<String> renamedTo(String key, String prefix, SchemaSnapshot before, SchemaSnapshot after) {
        String identity = before.identities().get(key);
        if (identity == null) {
            return Optional.empty();
        }
        return after.identities().entrySet().stream()
                .filter(e -> e.getKey().startsWith(prefix) && identity.equals(e.getValue()) && !e.getKey().equals(key))
                .map(Map.Entry::getKey).findFirst();
    }

    private static boolean renamedIndex(String key, Map<String, String> was, Map<String, String> is) {
        String name = key.substring("index ".length());
        String shape = was.get(key).replace(" " + name + " ", " ? ");
        return keys(is, "index ").stream().filter(k -> !was.containsKey(k))
                .anyMatch(k -> is.get(k).replace(" " + k.substring("index ".length()) + " ", " ? ").equals(shape));
    }

    /** The indexes this step adds: new in {@code after}, or declared by a statement the dry run could not run. */
    private static List<IndexShape> replacements(Map<String, String> was, Map<String, String> is, List<String> declared) {
        List<IndexShape> shapes = new ArrayList<>();
        keys(is, "index ").stream().filter(k -> !was.containsKey(k)).forEach(k -> IndexShape.parse(is.get(k)).ifPresent(shapes::add));
        declared.forEach(d -> IndexShape.parse(d).ifPresent(shapes::add));
        return shapes;
    }

    /**
     * An index as {@code pg_get_indexdef} writes it, or as a CREATE INDEX statement does: enough to tell whether one
     * serves the queries another served. Anything it cannot read is no replacement, so a drop stays destructive.
     */
    record IndexShape(String name, String schema, String table, String method, boolean unique, List<String> columns, String predicate) {
        private static final Pattern HEAD = Pattern.compile("(?is)^\\s*CREATE\\s+(UNIQUE\\s+)?INDEX\\s+(CONCURRENTLY\\s+)?"
                + "(IF\\s+NOT\\s+EXISTS\\s+)?(\\S+\\s+)?ON\\s+(ONLY\\s+)?([^\\s(]+)\\s*(USING\\s+(\\w+)\\s*)?\\(");

        static Optional<IndexShape> parse(String definition) {
            if (definition == null) {
                return Optional.empty();
            }
            Matcher m = HEAD.matcher(definition);
            if (!m.find()) {
                return Optional.empty();
            }
            int open = m.end() - 1;
            int close = closing(definition, open);
            if (close < 0) {
                return Optional.empty();
            }
            List<String> columns = splitTopLevel(definition.substring(open + 1, close)).stream().map(IndexShape::normal)
                    .map(c -> c.endsWith("asc") && !c.equals("asc") ? c.substring(0, c.length() - 3) : c).toList();
            String rest = definition.substring(close + 1);
            Matcher where = Pattern.compile("(?is)\\bWHERE\\b(.*)$").matcher(rest);
            String predicate = where.find() ? unparenthesized(normal(where.group(1).replaceAll(";\\s*$", ""))) : null;
            String name = m.group(4) == null ? "(unnamed)" : m.group(4).strip();
            String table = normal(m.group(6));
            return Optional.of(new IndexShape(name, table.contains(".") ? table.substring(0, table.lastIndexOf('.')) : null,
                    table.substring(table.lastIndexOf('.') + 1),
                    m.group(8) == null ? "btree" : m.group(8).toLowerCase(java.util.Locale.ROOT), m.group(1) != null, columns, predicate));
        }

        /**
         * Whether this index serves every query {@code dropped} served, and enforces what it enforced: the same table (and
         * schema, where both name one) and method, its columns leading this one's, the same predicate or none; a unique index only by one unique on exactly
         * its columns and predicate.
         */
        boolean replaces(IndexShape dropped) {
            // A table of the same name in another schema is another table (a statement's unqualified name is not compared).
            if (schema != null && dropped.schema != null && !schema.equals(dropped.schema)) {
                return false;
            }
            if (!table.equals(dropped.table) || !method.equals(dropped.method) || columns.size() < dropped.columns.size()
                    || !columns.subList(0, dropped.columns.size()).equals(dropped.columns)) {
                return false;
            }
            if (dropped.unique) {
                return unique && columns.equals(dropped.columns) && Objects.equals(predicate, dropped.predicate);
            }
            return predicate == null || predicate.equals(dropped.predicate);
        }

        private static String normal(String text) {
            return text.replace("\"", "").replaceAll("\\s+", "").toLowerCase(java.util.Locale.ROOT);
        }

        private static String unparenthesized(String predicate) {
            return predicate.startsWith("(") && closing(predicate, 0) == predicate.length() - 1
                    ? predicate.substring(1, predicate.length() - 1) : predicate;
        }

        private static int closing(String text, int open) {
            int depth = 0;
            for (int i = open; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '(') {
                    depth++;
                } else if (c == ')' && --depth == 0) {
                    return i;
                }
            }
            return -1;
        }

        private static List<String> splitTopLevel(String list) {
            List<String> parts = new ArrayList<>();
            int depth = 0;
            int start = 0;
            for (int i = 0; i < list.length(); i++) {
                char c = list.charAt(i);
                if (c == '(') {
                    depth++;
                } else if (c == ')') {
                    depth--;
                } else if (c == ',' && depth == 0) {
                    parts.add(list.substring(start, i));
                    start = i + 1;
                }
            }
            parts.add(list.substring(start));
            return parts;
        }
    }

    /** A type change old code keeps working with: a longer varchar, varchar to text, a wider integer or numeric. */
    static boolean widens(String from, String to) {
        if (INTEGERS.contains(from) && INTEGERS.contains(to)) {
            return INTEGERS.indexOf(to) >= INTEGERS.indexOf(from);
        }
        if (to.equals("text") && from.startsWith("character varying")) {
            return true;
        }
        Matcher f = SIZED.matcher(from);
        if (!f.matches()) {
            return false;
        }
        String kind = f.group(1);
        if (to.equals(kind) && (kind.equals("character varying") || kind.equals("numeric") || kind.equals("bit varying"))) {
            return true; // the limit removed
        }
        Matcher t = SIZED.matcher(to);
        if (!t.matches() || !kind.equals(t.group(1))) {
            return false;
        }
        int fp = Integer.parseInt(f.group(2));
        int tp = Integer.parseInt(t.group(2));
        int fs = f.group(3) == null ? 0 : Integer.parseInt(f.group(3));
        int ts = t.group(3) == null ? 0 : Integer.parseInt(t.group(3));
        return switch (kind) {
            case "character varying", "bit varying" -> tp >= fp;
            case "numeric" -> ts >= fs && tp - ts >= fp - fs;
            default -> false;
        };
    }

    private static List<String> keys(Map<String, String> objects, String prefix) {
        return objects.keySet().stream().filter(k -> k.startsWith(prefix)).toList();
    }

    private static boolean relationGone(Map<String, String> was, Map<String, String> is, String relation) {
        for (String kind : List.of("view ", "materialized view ")) {
            if (was.containsKey(kind + relation) && !is.containsKey(kind + relation)) {
                return true;
            }
        }
        return false;
    }

    private static boolean onGoneTable(String key, String definition, List<String> goneTables) {
        if (key.startsWith("constraint ")) {
            String qualified = key.substring("constraint ".length());
            return goneTables.contains(qualified.substring(0, qualified.lastIndexOf('.')));
        }
        int on = definition.indexOf(" ON ");
        if (on < 0) {
            return false;
        }
        String rest = definition.substring(on + 4).replace("ONLY ", "");
        String table = rest.substring(0, rest.indexOf(' ') < 0 ? rest.length() : rest.indexOf(' '));
        String bare = table.contains(".") ? table.substring(table.lastIndexOf('.') + 1) : table;
        return goneTables.contains(bare) || goneTables.contains(table);
    }

    /** The type of a column definition as {@link SchemaSnapshot} writes it: what comes before " not null" or a default. */
    private static String type(String definition) {
        String type = Objects.requireNonNullElse(definition, "");
        for (String marker : List.of(" not null", " default ", " generated ")) {
            int at = type.indexOf(marker);
            if (at >= 0) {
                type = type.substring(0, at);
            }
        }
        return type;
    }

    private static boolean notNull(String definition) {
        return definition != null && definition.contains(" not null");
    }

    private static boolean hasDefault(String definition) {
        return definition != null && definition.contains(" default ");
    }
}
