package dev.lockstep.runner;

import dev.lockstep.common.Text;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.CoreErrorCode;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.output.ValidateOutput;
import org.flywaydb.core.api.output.ValidateResult;

/**
 * How the applied history and the source disagree: a script changed after it was applied, an applied version the
 * source no longer has, or a history that reaches past the source's last version (the source was rolled back, or
 * points at the wrong directory). Any of them means the source no longer describes the database, so nothing runs
 * until a person has looked.
 *
 * @param version the version concerned
 * @param kind    what disagrees
 * @param script  the script in the source, when there is one
 * @param detail  Flyway's words, or what the history holds
 */
public record Drift(String version, Kind kind, String script, String detail) {

    public enum Kind {
        /** The script's checksum (or its description or type) differs from what was applied. */
        CHANGED,
        /** Applied, below the source's last version, and gone from the source. */
        MISSING,
        /** Applied above every version the source has. */
        NEWER_THAN_SOURCE,
        /** In the source below the database's revision, never applied: added out of order. */
        SKIPPED
    }

    /** What differs, oldest version first; empty when the source matches the history. */
    static List<Drift> of(Flyway flyway) {
        Map<MigrationVersion, Drift> found = new TreeMap<>();
        MigrationInfo[] all = flyway.info().all();
        for (MigrationInfo m : all) {
            if (m.getVersion() == null) {
                continue;
            }
            MigrationState state = m.getState();
            if (state == MigrationState.FUTURE_SUCCESS || state == MigrationState.FUTURE_FAILED) {
                found.put(m.getVersion(), new Drift(m.getVersion().getVersion(), Kind.NEWER_THAN_SOURCE, null,
                        "applied " + m.getInstalledOn() + " as " + m.getScript()));
            } else if (state == MigrationState.MISSING_SUCCESS || state == MigrationState.MISSING_FAILED) {
                found.put(m.getVersion(), new Drift(m.getVersion().getVersion(), Kind.MISSING, null,
                        "applied " + m.getInstalledOn() + " as " + m.getScript()));
            }
        }
        ValidateResult validation = flyway.validateWithResult();
        if (validation.invalidMigrations != null) {
            for (ValidateOutput invalid : validation.invalidMigrations) {
                if (invalid.version == null || invalid.version.isEmpty() || invalid.errorDetails == null) {
                    continue;
                }
                MigrationVersion version = MigrationVersion.fromVersion(invalid.version);
                if (found.containsKey(version)) {
                    continue;
                }
                var code = invalid.errorDetails.errorCode;
                if (code == CoreErrorCode.FAILED_VERSIONED_MIGRATION) {
                    continue; // not drift: a failed run, which NonTransactionalRepair reports
                }
                Kind kind = code == CoreErrorCode.APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED ? Kind.MISSING
                        : code == CoreErrorCode.RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED ? Kind.SKIPPED : Kind.CHANGED;
                String script = invalid.filepath == null || invalid.filepath.isEmpty() ? null
                        : invalid.filepath.substring(invalid.filepath.lastIndexOf('/') + 1);
                String detail = code == CoreErrorCode.CHECKSUM_MISMATCH ? "checksum differs"
                        : code == CoreErrorCode.DESCRIPTION_MISMATCH ? "description differs"
                        : code == CoreErrorCode.TYPE_MISMATCH ? "type differs" : Text.firstLine(invalid.errorDetails.errorMessage);
                found.put(version, new Drift(invalid.version, kind, script, detail));
            }
        }
        return List.copyOf(found.values());
    }

    /** One line for a status message: what differs, by version, and that nothing ran. */
    static String describe(List<Drift> drift, List<String> sourceVersions) {
        List<String> parts = new ArrayList<>();
        List<Drift> changed = drift.stream().filter(d -> d.kind == Kind.CHANGED).toList();
        if (!changed.isEmpty()) {
            parts.add("changed since they were applied: " + String.join(", ", changed.stream()
                    .map(d -> d.version + " (" + (d.script == null ? "" : d.script + ": ") + d.detail + ")").toList()));
        }
        List<String> missing = versions(drift, Kind.MISSING);
        if (!missing.isEmpty()) {
            parts.add("applied but gone from the source: " + String.join(", ", missing));
        }
        List<String> skipped = versions(drift, Kind.SKIPPED);
        if (!skipped.isEmpty()) {
            parts.add("in the source below the database's revision but never applied (added out of order): "
                    + String.join(", ", skipped) + " (give them versions above the database's)");
        }
        List<String> newer = versions(drift, Kind.NEWER_THAN_SOURCE);
        if (!newer.isEmpty()) {
            parts.add("the history is newer than the source: " + String.join(", ", newer) + " applied, the source ends at "
                    + (sourceVersions.isEmpty() ? "nothing" : sourceVersions.get(sourceVersions.size() - 1)));
        }
        return "the source no longer matches the database's history (drift): " + String.join("; ", parts)
                + ". Nothing was run: restore the scripts as they were applied (or point the source at the right revision);"
                + " docs/runbook.md#drift says how to accept a deliberate change";
    }

    static List<String> sourceVersions(Flyway flyway) {
        return Arrays.stream(flyway.info().all())
                .filter(m -> m.getVersion() != null && m.getState() != MigrationState.FUTURE_SUCCESS
                        && m.getState() != MigrationState.FUTURE_FAILED && m.getState() != MigrationState.MISSING_SUCCESS
                        && m.getState() != MigrationState.MISSING_FAILED && !m.getType().isBaseline())
                .map(MigrationInfo::getVersion).sorted(Comparator.naturalOrder()).map(MigrationVersion::getVersion).toList();
    }

    private static List<String> versions(List<Drift> drift, Kind kind) {
        return drift.stream().filter(d -> d.kind == kind).map(Drift::version).toList();
    }

}
