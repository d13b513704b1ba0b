package dev.lockstep.runner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.flywaydb.core.api.MigrationVersion;

/**
 * The queries an application runs, each with the revision its code requires, checked by {@code lockstep verify} at
 * every revision from that one on: the code that requires revision 4 keeps running while 5 and 6 are applied, so its
 * queries must work there too, until a contract step (named {@code until}) takes away what they use.
 *
 * <pre>
 * -- name: find_user_by_email
 * -- requires: 1
 * -- until: 7            (optional: the first revision at which this code no longer runs)
 * SELECT id FROM users WHERE lower(email) = lower('ada@example.org');
 * </pre>
 *
 * Each query runs in a transaction that is rolled back, so it may write.
 */
public record AppQueries(List<Query> queries) {

    public record Query(String name, String requires, String until, String sql) {
        boolean appliesAt(String revision) {
            MigrationVersion at = MigrationVersion.fromVersion(revision);
            return at.compareTo(MigrationVersion.fromVersion(requires)) >= 0
                    && (until == null || at.compareTo(MigrationVersion.fromVersion(until)) < 0);
        }
    }

    public static AppQueries none() {
        return new AppQueries(List.of());
    }

    /** Reads a queries file; a query without a name or a requires line is refused, naming its line. */
    public static AppQueries read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        List<Query> queries = new ArrayList<>();
        String name = null;
        String requires = null;
        String until = null;
        StringBuilder sql = new StringBuilder();
        int startLine = 0;
        for (int i = 0; i <= lines.size(); i++) {
            String line = i < lines.size() ? lines.get(i).strip() : null;
            if (line == null || line.startsWith("-- name:")) {
                if (name != null || !sql.toString().isBlank()) {
                    queries.add(query(file, startLine, name, requires, until, sql.toString()));
                }
                if (line == null) {
                    break;
                }
                name = line.substring("-- name:".length()).strip();
                requires = null;
                until = null;
                sql.setLength(0);
                startLine = i + 1;
            } else if (line.startsWith("-- requires:")) {
                requires = line.substring("-- requires:".length()).strip();
            } else if (line.startsWith("-- until:")) {
                until = line.substring("-- until:".length()).strip();
            } else if (!line.startsWith("--")) {
                sql.append(lines.get(i)).append('\n');
            }
        }
        return new AppQueries(List.copyOf(queries));
    }

    private static Query query(Path file, int line, String name, String requires, String until, String sql) {
        String where = file.getFileName() + ":" + line;
        if (name == null || name.isBlank()) {
            throw new MigrationSettings.InvalidSettingsException(where + ": a query needs a '-- name: <name>' line before it");
        }
        if (requires == null || !requires.matches("[0-9]+(\\.[0-9]+)*")) {
            throw new MigrationSettings.InvalidSettingsException(where + ": query " + name
                    + " needs a '-- requires: <version>' line, the revision its code requires");
        }
        if (until != null && !until.matches("[0-9]+(\\.[0-9]+)*")) {
            throw new MigrationSettings.InvalidSettingsException(where + ": query " + name + ": '-- until: " + until + "' is not a version");
        }
        if (sql.isBlank()) {
            throw new MigrationSettings.InvalidSettingsException(where + ": query " + name + " has no SQL");
        }
        return new Query(name, requires, until, sql.strip());
    }

    /** The first query that applies at {@code revision} and fails there, with PostgreSQL's words; empty when all work. */
    Optional<String> firstFailure(Connection c, String revision) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            for (Query q : queries) {
                if (!q.appliesAt(revision)) {
                    continue;
                }
                try (Statement st = c.createStatement()) {
                    st.execute(q.sql());
                } catch (SQLException e) {
                    return Optional.of("query " + q.name() + " (code that requires " + q.requires() + ") fails at revision "
                            + revision + ": " + e.getMessage().replaceAll("\\s*\\n\\s*", " ").strip()
                            + (q.until() == null ? "; if a contract step removed what it uses on purpose, give it '-- until: "
                            + revision + "'" : ""));
                } finally {
                    c.rollback();
                }
            }
            return Optional.empty();
        } finally {
            c.rollback();
            c.setAutoCommit(autoCommit);
        }
    }

    /** How many queries apply at {@code revision}. */
    long countAt(String revision) {
        return queries.stream().filter(q -> q.appliesAt(revision)).count();
    }
}
