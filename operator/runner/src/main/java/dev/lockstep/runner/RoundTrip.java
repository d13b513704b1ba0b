package dev.lockstep.runner;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.flywaydb.core.api.MigrationInfo;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@code lockstep verify}: proves on an empty scratch database that every revision can be taken back. A stairway
 * over the versions, each step up one, down one, up one, compares the catalog ({@link SchemaSnapshot}) after the
 * undo with the one before the step, and after the second up with the one after the first; then the whole way
 * from the head back to nothing. The first revision that does not round-trip is reported with the difference.
 */
public final class RoundTrip {
    private static final int MAX_CHANGES = 8;

    /** What verify found: the line for each revision, and the first failure. */
    public record Report(List<String> lines, String failedRevision, String failure, FailureCategory category) {
        public boolean passed() {
            return failure == null;
        }

        public ExitCode exitCode() {
            return passed() ? ExitCode.OK : category.exitCode();
        }
    }

    private final MigrationRunner runner = new MigrationRunner();

    /** Runs the stairway on {@code scratch}, whose URL must name an empty database the run may change. */
    public Report verify(MigrationSettings scratch) {
        List<String> lines = new ArrayList<>();
        List<String> versions;
        try {
            versions = versions(scratch.validated());
        } catch (MigrationSettings.InvalidSettingsException e) {
            return new Report(lines, null, e.getMessage(), FailureCategory.ARGUMENTS);
        }
        if (versions.isEmpty()) {
            return new Report(lines, null, "no versioned migration in " + scratch.location(), FailureCategory.ARGUMENTS);
        }
        try (Connection c = connect(scratch)) {
            SchemaSnapshot base = SchemaSnapshot.read(c, scratch.schemas());
            if (base.size() > 0) {
                String example = base.objects().keySet().stream().filter(k -> k.startsWith("table ")).findFirst()
                        .orElse(base.objects().firstKey());
                return new Report(lines, null, "the scratch database is not empty (" + example + ", …):"
                        + " verify changes and undoes every revision, so it needs an empty database", FailureCategory.ARGUMENTS);
            }
            SchemaSnapshot below = base;
            String previous = null;
            for (String version : versions) {
                RunResult up = runner.migrate(scratch.withTarget(version, false));
                if (up.error() != null) {
                    return fail(lines, version, "V" + version + " does not apply: " + up.error().message(), up.error().category());
                }
                SchemaSnapshot at = SchemaSnapshot.read(c, scratch.schemas());
                RunResult down = runner.down(scratch, previous);
                if (down.error() != null) {
                    return fail(lines, version, "revision " + version + " cannot be undone: " + down.error().message(),
                            down.error().category());
                }
                List<SchemaSnapshot.Change> left = below.changesTo(SchemaSnapshot.read(c, scratch.schemas()));
                if (!left.isEmpty()) {
                    return fail(lines, version, "revision " + version + " does not round-trip: after its undo the schema differs"
                            + " from revision " + (previous == null ? "none (empty)" : previous) + ": "
                            + SchemaSnapshot.describe(left, MAX_CHANGES), FailureCategory.VALIDATION);
                }
                RunResult again = runner.migrate(scratch.withTarget(version, false));
                if (again.error() != null) {
                    return fail(lines, version, "V" + version + " does not apply again after its undo: " + again.error().message(),
                            again.error().category());
                }
                List<SchemaSnapshot.Change> drift = at.changesTo(SchemaSnapshot.read(c, scratch.schemas()));
                if (!drift.isEmpty()) {
                    return fail(lines, version, "revision " + version + " comes out different when applied again after its undo: "
                            + SchemaSnapshot.describe(drift, MAX_CHANGES), FailureCategory.VALIDATION);
                }
                lines.add(version + ": up, down, up: " + at.size() + " objects, round-trips");
                below = at;
                previous = version;
            }
            RunResult all = runner.down(scratch, null);
            if (all.error() != null) {
                return fail(lines, previous, "head " + previous + " cannot be undone to nothing: " + all.error().message(),
                        all.error().category());
            }
            List<SchemaSnapshot.Change> left = base.changesTo(SchemaSnapshot.read(c, scratch.schemas()));
            if (!left.isEmpty()) {
                return fail(lines, previous, "head " + previous + " undone to nothing leaves: " + SchemaSnapshot.describe(left, MAX_CHANGES),
                        FailureCategory.VALIDATION);
            }
            lines.add("head " + previous + " down to nothing: round-trips");
            return new Report(lines, null, null, null);
        } catch (SQLException e) {
            return new Report(lines, null, "cannot read the scratch database: " + Redaction.text(e.getMessage(), scratch.password()),
                    FailureCategory.CONNECTION);
        }
    }

    private static Report fail(List<String> lines, String version, String message, FailureCategory category) {
        lines.add(version + ": FAILED");
        return new Report(lines, version, message, category);
    }

    private static List<String> versions(MigrationSettings settings) {
        try (MigrationSource source = MigrationSource.open(settings.location())) {
            MigrationInfo[] all = MigrationRunner.configure(settings.withLocation(source.flywayLocation())).info().all();
            return Arrays.stream(all).filter(m -> m.getVersion() != null).map(m -> m.getVersion().getVersion()).distinct().toList();
        }
    }

    private static Connection connect(MigrationSettings settings) throws SQLException {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(settings.url());
        ds.setUser(settings.username());
        ds.setPassword(settings.password());
        return ds.getConnection();
    }
}
