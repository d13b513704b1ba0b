package dev.lockstep.runner;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.flywaydb.core.api.MigrationInfo;

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

    /** One versioned script of the source. */
    private record Version(String version, String script, boolean contract, java.nio.file.Path file) {}

    /**
     * Runs the stairway on {@code scratch}, whose URL must name an empty database the run may change. Each expand step's
     * catalog change is also checked for destructive changes ({@link DestructiveChanges}): listed on its line, and a
     * failure when {@code scratch.planPolicy().destructive()} is BLOCK.
     */
    public Report verify(MigrationSettings settings) {
        return verify(settings, AppQueries.none());
    }

    /** As {@link #verify(MigrationSettings)}, and each of the application's queries at every revision it runs on. */
    public Report verify(MigrationSettings settings, AppQueries queries) {
        return verify(settings, queries, line -> { });
    }

    /**
     * As {@link #verify(MigrationSettings, AppQueries)}, handing each revision's line to {@code progress} as soon as it
     * is known: a long history takes minutes, and a person (or a CI log cut by a timeout) sees how far it got.
     */
    public Report verify(MigrationSettings settings, AppQueries queries, Consumer<String> progress) {
        MigrationSettings.Destructive destructivePolicy = settings.planPolicy().destructive();
        MigrationSettings scratch = settings.withPlanPolicy(MigrationSettings.PlanPolicy.NONE);
        List<String> lines = new ArrayList<>() {
            @Override
            public boolean add(String line) {
                progress.accept(line);
                return super.add(line);
            }
        };
        List<Version> scripts;
        List<String> versions;
        List<Undo.Untransactional> untransactional;
        try {
            scripts = versions(scratch.validated());
            versions = scripts.stream().map(Version::version).toList();
            untransactional = untransactionalUndo(scratch);
        } catch (MigrationSettings.InvalidSettingsException e) {
            return new Report(lines, null, e.getMessage(), FailureCategory.ARGUMENTS);
        }
        if (versions.isEmpty()) {
            return new Report(lines, null, "no versioned migration in " + scratch.location(), FailureCategory.ARGUMENTS);
        }
        if (!untransactional.isEmpty()) {
            // Every such revision at once, before minutes of stairway: each would stop a way down half done.
            untransactional.forEach(u -> lines.add(u.undo().version().getVersion() + ": FAILED: " + u.problem()));
            return new Report(lines, untransactional.get(0).undo().version().getVersion(), Undo.refusal(untransactional)
                    + "; nothing was run", FailureCategory.VALIDATION);
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
            for (Version script : scripts) {
                String version = script.version();
                RunResult up = runner.migrate(scratch.withTarget(version, false));
                if (up.error() != null) {
                    return fail(lines, version, "V" + version + " does not apply: " + up.error().message(), up.error().category());
                }
                SchemaSnapshot at = SchemaSnapshot.read(c, scratch.schemas());
                Optional<String> brokenQuery = queries.firstFailure(c, version);
                if (brokenQuery.isPresent()) {
                    return fail(lines, version, brokenQuery.get(), FailureCategory.VALIDATION);
                }
                Map<Boolean, List<String>> findings = script.contract() ? Map.of() : findings(script, below, at);
                List<String> destructive = findings.getOrDefault(true, List.of());
                List<String> harmless = findings.getOrDefault(false, List.of());
                if (!destructive.isEmpty() && destructivePolicy == MigrationSettings.Destructive.BLOCK) {
                    return fail(lines, version, "expand step " + version + " would break code still running on the schema"
                            + " before it: " + String.join("; ", destructive) + ". Make it a contract step"
                            + " (V<version>__contract_<description>.sql) or split it into expand and contract", FailureCategory.DESTRUCTIVE);
                }
                RunResult down = runner.down(scratch, previous);
                if (down.error() != null) {
                    return fail(lines, version, "revision " + version + " cannot be undone: " + down.error().message(),
                            down.error().category());
                }
                List<SchemaSnapshot.Change> left = below.changesTo(SchemaSnapshot.read(c, scratch.schemas()));
                if (!left.isEmpty()) {
                    return fail(lines, version, "revision " + version + " does not round-trip: after its undo the schema differs"
                            + " from revision " + (previous == null ? "none (empty)" : previous) + ": "
                            + SchemaSnapshot.describe(left, MAX_CHANGES) + said(down), FailureCategory.VALIDATION);
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
                long queried = queries.countAt(version);
                lines.add(version + ": up, down, up: " + at.size() + " objects, round-trips"
                        + (queried == 0 ? "" : "; " + queried + " application queries work")
                        + (destructive.isEmpty() ? "" : "; destructive expand step: " + String.join("; ", destructive))
                        + (harmless.isEmpty() ? "" : "; " + String.join("; ", harmless)));
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
                return fail(lines, previous, "head " + previous + " undone to nothing leaves: " + SchemaSnapshot.describe(left, MAX_CHANGES)
                        + said(all), FailureCategory.VALIDATION);
            }
            lines.add("head " + previous + " down to nothing: round-trips");
            return new Report(lines, null, null, null);
        } catch (SQLException e) {
            return new Report(lines, null, "cannot read the scratch database: " + Redaction.text(e.getMessage(), scratch.password()),
                    FailureCategory.CONNECTION);
        }
    }

    /** What PostgreSQL said while the undo scripts ran ({@code table "x" does not exist, skipping} names a typo). */
    private static String said(RunResult down) {
        List<String> notices = down.undone() == null ? List.of() : down.undone().stream().filter(u -> u.notices() != null)
                .flatMap(u -> u.notices().stream().map(n -> u.script() + ": " + n)).toList();
        return notices.isEmpty() ? "" : ". PostgreSQL said while undoing: " + String.join("; ", notices);
    }

    /** Every undo script of the source that cannot run in the transaction an undo runs in ({@link Undo#outsideATransaction}). */
    private static List<Undo.Untransactional> untransactionalUndo(MigrationSettings settings) {
        try (MigrationSource source = MigrationSource.open(settings.location())) {
            return source.undoScripts().values().stream().sorted(java.util.Comparator.comparing(MigrationSource.UndoScript::version))
                    .flatMap(u -> Undo.outsideATransaction(u).stream()).toList();
        }
    }

    private static Report fail(List<String> lines, String version, String message, FailureCategory category) {
        lines.add(version + ": FAILED");
        return new Report(lines, version, message, category);
    }

    private static List<Version> versions(MigrationSettings settings) {
        try (MigrationSource source = MigrationSource.open(settings.location())) {
            MigrationInfo[] all = MigrationRunner.configure(settings.withLocation(source.flywayLocation())).info().all();
            // Point at the file in the user's directory, not in the staged copy that is gone after this.
            return Arrays.stream(all).filter(m -> m.getVersion() != null)
                    .map(m -> new Version(m.getVersion().getVersion(), m.getScript(), ContractSteps.isContract(m),
                            settings.location().resolve(m.getScript())))
                    .collect(java.util.stream.Collectors.toMap(Version::version, v -> v, (a, b) -> a, java.util.LinkedHashMap::new))
                    .values().stream().toList();
        }
    }

    /** The step's findings as {@code script:line: change}, under true the destructive ones, under false the others. */
    private static Map<Boolean, List<String>> findings(Version script, SchemaSnapshot below, SchemaSnapshot at) {
        List<DestructiveChanges.Finding> findings = DestructiveChanges.of(below, below, at);
        if (findings.isEmpty()) {
            return Map.of();
        }
        ScriptStatements statements;
        try {
            statements = ScriptStatements.of(java.nio.file.Files.readString(script.file()));
        } catch (java.io.IOException e) {
            statements = ScriptStatements.of("");
        }
        ScriptStatements pointer = statements;
        return findings.stream().collect(java.util.stream.Collectors.partitioningBy(DestructiveChanges.Finding::destructive,
                java.util.stream.Collectors.mapping(f -> {
                    int line = pointer.lineOf(f.object());
                    return script.script() + (line > 0 ? ":" + line : "") + ": " + f.change();
                }, java.util.stream.Collectors.toList())));
    }

    private static Connection connect(MigrationSettings settings) throws SQLException {
        return Connections.dataSource(settings).getConnection();
    }
}
