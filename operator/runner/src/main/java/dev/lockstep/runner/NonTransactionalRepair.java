package dev.lockstep.runner;

import dev.lockstep.runner.RunResult.Failure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * What a script that failed outside a transaction leaves for a person: the statements before the failing one stay
 * applied, an index built {@code CONCURRENTLY} stays behind INVALID, and Flyway records the version as failed, which
 * stops every later run until the row is removed. The runner cannot know what the rest of such a script meant to
 * do, so it never repairs by itself; it says exactly what it found.
 */
final class NonTransactionalRepair {
    private NonTransactionalRepair() {}

    /** The text added to the failure of a non-transactional script, after it failed. */
    static String afterFailure(MigrationSettings settings, MigrationVersion version) {
        return "the script ran outside a transaction: statements before the failing one stay applied; "
                + invalidIndexes(settings) + "; Flyway recorded version " + (version == null ? "?" : version.getVersion())
                + " as failed, which stops every later run: once the database is repaired, remove that row with"
                + " `lockstep repair` (docs/runbook.md#a-script-failed-outside-a-transaction), then retry";
    }

    /** A failure for a history that still holds a failed row from an earlier run, or null when it holds none. */
    static Failure failedRow(MigrationInfoService info, MigrationSettings settings) {
        MigrationInfo failed = Arrays.stream(info.applied())
                .filter(m -> m.getVersion() != null && (m.getState() == MigrationState.FAILED
                        || m.getState() == MigrationState.FUTURE_FAILED || m.getState() == MigrationState.MISSING_FAILED))
                .max(Comparator.comparing(MigrationInfo::getVersion)).orElse(null);
        if (failed == null) {
            return null;
        }
        return new Failure(FailureCategory.SQL, null, failed.getScript(), null, Redaction.text("version "
                + failed.getVersion() + " (" + failed.getScript() + ") failed outside a transaction on " + failed.getInstalledOn()
                + " and is recorded as failed: what it did before it failed stays; " + invalidIndexes(settings)
                + ". Nothing was run: repair the database by hand, remove the failed row with `lockstep repair`"
                + " (docs/runbook.md#a-script-failed-outside-a-transaction), then retry", settings.password()));
    }

    /** "index x on t is INVALID: drop it with …", or that none is, or why it could not be read. */
    static String invalidIndexes(MigrationSettings settings) {
        PGSimpleDataSource ds = Connections.dataSource(settings);
        List<String> found = new ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement st = c.prepareStatement("""
                SELECT n.nspname, i.relname, t.relname
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                JOIN pg_namespace n ON n.oid = i.relnamespace
                WHERE NOT x.indisvalid AND n.nspname = ANY (?) ORDER BY 1, 2""")) {
            st.setArray(1, c.createArrayOf("text", settings.schemas().toArray()));
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    found.add(rs.getString(1) + "." + rs.getString(2) + " on " + rs.getString(3));
                }
            }
        } catch (SQLException e) {
            return "could not look for INVALID indexes (" + e.getSQLState() + "): check pg_index.indisvalid by hand";
        }
        if (found.isEmpty()) {
            return "no index is left INVALID";
        }
        return "left INVALID (it takes writes but serves no query): " + String.join(", ", found)
                + "; drop each with DROP INDEX CONCURRENTLY <name> before a retry";
    }
}
