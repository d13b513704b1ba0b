package dev.lockstep.runner.cli;

import dev.lockstep.runner.MigrationPlan;
import dev.lockstep.runner.MigrationSettings;
import dev.lockstep.runner.Redaction;
import dev.lockstep.runner.ResultJson;
import dev.lockstep.runner.RunResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a result twice: a summary for people on stdout, and compact JSON for the operator in the result file. */
final class ResultReporter {
    private ResultReporter() {}

    static int report(RunResult result, MigrationSettings settings, Path resultFile, PrintWriter out, PrintWriter err) {
        out.println(summary(result, settings));
        out.flush();
        if (resultFile != null) {
            try {
                Files.writeString(resultFile, ResultJson.write(result), StandardCharsets.UTF_8);
            } catch (IOException | SecurityException e) {
                // The summary above still tells what happened; only the machine-readable copy is missing.
                err.println("lockstep: cannot write the result to " + resultFile + ": " + e.getMessage());
                err.flush();
            }
        }
        return result.exitCode().code();
    }

    static String summary(RunResult r, MigrationSettings settings) {
        StringBuilder s = new StringBuilder();
        s.append("lockstep ").append(r.command()).append(": ").append(settings.url() == null ? "(no --url)" : Redaction.url(settings.url()))
                .append(" schemas ").append(String.join(",", settings.schemas()))
                .append(", target ").append(r.targetRevision()).append('\n');
        if (r.applied() != null) {
            for (RunResult.Applied a : r.applied()) {
                s.append("  applied ").append(a.version()).append(" ").append(a.description())
                        .append(" (").append(a.durationMillis()).append(" ms)\n");
            }
        }
        if (r.undone() != null) {
            for (RunResult.Applied u : r.undone()) {
                s.append("  undid ").append(u.version()).append(" ").append(u.description()).append(" with ").append(u.script())
                        .append(" (").append(u.durationMillis()).append(" ms)\n");
                if (u.notices() != null) {
                    u.notices().forEach(n -> s.append("    PostgreSQL: ").append(n).append('\n'));
                }
            }
        }
        if (r.error() == null) {
            s.append("  ok: database at revision ").append(orNone(r.toRevision()));
            if (r.fromRevision() != null || r.toRevision() != null) {
                s.append(" (was ").append(orNone(r.fromRevision())).append(')');
            }
        } else {
            RunResult.Failure f = r.error();
            s.append("  FAILED (").append(f.category()).append(", exit ").append(r.exitCode().code()).append(")");
            if (f.script() != null) {
                s.append(" in ").append(f.script());
                if (f.line() != null) {
                    s.append(" line ").append(f.line());
                }
            }
            if (f.sqlState() != null) {
                s.append(" SQLSTATE ").append(f.sqlState());
            }
            s.append(": ").append(f.message());
            if (r.toRevision() != null || r.fromRevision() != null) {
                s.append("\n  database at revision ").append(orNone(r.toRevision()));
            }
        }
        if (r.plan() != null && !r.plan().isEmpty()) {
            // Once migrate has run its steps, the lines above said what each did: only what the dry run said is left to tell.
            boolean ran = !isEmpty(r.applied()) || !isEmpty(r.undone());
            int size = r.plan().steps().size();
            boolean anyToTell = !ran || r.plan().steps().stream().anyMatch(step -> step.findings() != null || step.note() != null);
            s.append("\n  plan ").append(r.plan().digest()).append(" from ").append(orNone(r.plan().from()))
                    .append(ran ? " (" + size + (size == 1 ? " step)" : " steps)") : "").append(anyToTell ? ":" : "");
            for (MigrationPlan.Step step : r.plan().steps()) {
                if (ran && step.findings() == null && step.note() == null) {
                    continue;
                }
                s.append("\n    ").append(step.kind()).append(' ').append(step.version()).append(' ').append(step.description())
                        .append(step.destructive() ? " (destructive)" : "");
                if (step.findings() != null) {
                    step.findings().forEach(f -> s.append("\n      ").append(f));
                }
                if (step.note() != null) {
                    s.append("\n      ").append(step.note());
                }
            }
        }
        if (r.held() != null && !r.held().isEmpty()) {
            s.append("\n  held for the contract phase: ").append(String.join(", ", r.held()));
        }
        if (r.pending() != null && !r.pending().isEmpty()) {
            s.append("\n  pending: ").append(String.join(", ", r.pending()));
        }
        return s.toString();
    }

    private static boolean isEmpty(java.util.List<?> list) {
        return list == null || list.isEmpty();
    }

    private static String orNone(String revision) {
        return revision == null ? "none" : revision;
    }
}
