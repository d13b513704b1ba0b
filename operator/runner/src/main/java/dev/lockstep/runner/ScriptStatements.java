package dev.lockstep.runner;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.util.TablesNamesFinder;

/**
 * A script cut into statements with the line each starts on, so a change found in the catalog can be pointed at
 * the statement that most likely made it. JSqlParser names the tables a statement touches where it can parse it;
 * a statement it cannot parse (a {@code DO} block, a function body) is matched by the names in its text. This only
 * points: whether a change is destructive is decided by {@link DestructiveChanges}, never here.
 */
final class ScriptStatements {
    /** One statement: its text and the line it starts on. */
    static final class Located {
        private final String sql;
        private final int line;
        private Set<String> tables;

        Located(String sql, int line) {
            this.sql = sql;
            this.line = line;
        }

        String sql() {
            return sql;
        }

        int line() {
            return line;
        }

        /**
         * The tables JSqlParser finds in it (empty when it cannot parse it), parsed when first asked: only a step with
         * something to point at needs them, and parsing every statement of a long plan cost its dry run more than
         * running them.
         */
        Set<String> tables() {
            if (tables == null) {
                tables = ScriptStatements.tables(sql);
            }
            return tables;
        }
    }

    private final List<Located> statements;

    private ScriptStatements(List<Located> statements) {
        this.statements = statements;
    }

    static ScriptStatements of(String script) {
        List<Located> located = new ArrayList<>();
        for (int[] span : split(script)) {
            String sql = script.substring(span[0], span[1]).strip();
            if (!sql.isEmpty()) {
                located.add(new Located(sql, span[2]));
            }
        }
        return new ScriptStatements(located);
    }

    List<Located> statements() {
        return statements;
    }

    /**
     * The line of the statement most likely to have changed {@code object} (a {@link SchemaSnapshot} key such as
     * "column users.email"), or 0 when none names it.
     */
    int lineOf(String object) {
        String[] parts = nameParts(object);
        String table = parts[0];
        String name = parts[1];
        for (Located s : statements) {
            if (table != null && s.tables().contains(table) && (name == null || mentions(s.sql(), name))) {
                return s.line();
            }
        }
        for (Located s : statements) {
            if ((name != null && mentions(s.sql(), name)) && (table == null || mentions(s.sql(), table))) {
                return s.line();
            }
        }
        for (Located s : statements) {
            if ((name != null && mentions(s.sql(), name)) || (table != null && mentions(s.sql(), table))) {
                return s.line();
            }
        }
        return 0;
    }

    /** {table, name} of a snapshot key; either may be null. */
    private static String[] nameParts(String object) {
        String kind = object.startsWith("materialized view ") ? "materialized view " : object.substring(0, object.indexOf(' ') + 1);
        String rest = object.substring(kind.length());
        if (rest.contains("(")) {
            rest = rest.substring(0, rest.indexOf('('));
        }
        rest = rest.toLowerCase(Locale.ROOT);
        return switch (kind.strip()) {
            case "column", "constraint" -> new String[] {bare(rest.substring(0, rest.lastIndexOf('.'))), rest.substring(rest.lastIndexOf('.') + 1)};
            case "table" -> new String[] {bare(rest), null};
            default -> new String[] {null, bare(rest)};
        };
    }

    private static String bare(String qualified) {
        return qualified.contains(".") ? qualified.substring(qualified.lastIndexOf('.') + 1) : qualified;
    }

    private static boolean mentions(String sql, String name) {
        return Pattern.compile("(?i)(?<![A-Za-z0-9_$])\"?" + Pattern.quote(name) + "\"?(?![A-Za-z0-9_$])").matcher(sql).find();
    }

    private static Set<String> tables(String sql) {
        Set<String> tables = new TreeSet<>();
        try {
            Statement statement = CCJSqlParserUtil.parse(sql);
            for (String t : new TablesNamesFinder<>().getTables(statement)) {
                tables.add(bare(t.replace("\"", "").toLowerCase(Locale.ROOT)));
            }
        } catch (Exception | LinkageError e) {
            // Not parsable (DO blocks, PostgreSQL-only syntax): the text match in lineOf points instead.
        }
        return tables;
    }

    private static boolean isIdentifierPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    /** Spans {start, end, line} of the statements, honouring quotes, dollar quotes, comments and BEGIN ATOMIC bodies. */
    private static List<int[]> split(String s) {
        List<int[]> spans = new ArrayList<>();
        int start = 0;
        int line = 1;
        int startLine = -1;
        int atomicDepth = 0;
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c == '\n') {
                line++;
                i++;
                continue;
            }
            if (c == '-' && i + 1 < n && s.charAt(i + 1) == '-') {
                while (i < n && s.charAt(i) != '\n') {
                    i++;
                }
                continue;
            }
            if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
                int depth = 0;
                do {
                    if (s.startsWith("/*", i)) {
                        depth++;
                        i += 2;
                    } else if (s.startsWith("*/", i)) {
                        depth--;
                        i += 2;
                    } else {
                        if (s.charAt(i) == '\n') {
                            line++;
                        }
                        i++;
                    }
                } while (i < n && depth > 0);
                continue;
            }
            if (startLine < 0 && !Character.isWhitespace(c)) {
                startLine = line;
                start = i;
            }
            if (c == '\'' || c == '"') {
                i++;
                while (i < n) {
                    char q = s.charAt(i);
                    if (q == '\n') {
                        line++;
                    }
                    i++;
                    if (q == c) {
                        if (i < n && s.charAt(i) == c) {
                            i++; // doubled quote inside the literal
                        } else {
                            break;
                        }
                    }
                }
                continue;
            }
            if (c == '$') {
                int close = s.indexOf('$', i + 1);
                String tag = close > i ? s.substring(i, close + 1) : null;
                if (tag != null && tag.substring(1, tag.length() - 1).matches("([A-Za-z_][A-Za-z0-9_]*)?")) {
                    int end = s.indexOf(tag, close + 1);
                    int stop = end < 0 ? n : end + tag.length();
                    for (int k = i; k < stop; k++) {
                        if (s.charAt(k) == '\n') {
                            line++;
                        }
                    }
                    i = stop;
                    continue;
                }
            }
            if (Character.isLetter(c) && (i == 0 || !isIdentifierPart(s.charAt(i - 1)))) {
                int end = i;
                while (end < n && isIdentifierPart(s.charAt(end))) {
                    end++;
                }
                String word = s.substring(i, end).toUpperCase(java.util.Locale.ROOT);
                // A SQL-standard function body (BEGIN ATOMIC … END) holds semicolons of its own; CASE … END nests in it.
                if (word.equals("BEGIN") && s.substring(end).stripLeading().regionMatches(true, 0, "ATOMIC", 0, 6)) {
                    atomicDepth = 1;
                } else if (atomicDepth > 0 && word.equals("CASE")) {
                    atomicDepth++;
                } else if (atomicDepth > 0 && word.equals("END")) {
                    atomicDepth--;
                }
                i = end;
                continue;
            }
            if (c == ';' && atomicDepth == 0) {
                if (startLine > 0) {
                    spans.add(new int[] {start, i, startLine});
                }
                startLine = -1;
                i++;
                continue;
            }
            i++;
        }
        if (startLine > 0) {
            spans.add(new int[] {start, n, startLine});
        }
        return spans;
    }
}
