package dev.lockstep.runner;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Serializes a {@link RunResult} within a byte budget. Kubernetes keeps at most 4096 bytes of a container's
 * termination message, so a long error message or a long list must be shortened here, not cut mid-JSON there.
 */
public final class ResultJson {
    /** The most Kubernetes keeps of a termination message. */
    public static final int MAX_BYTES = 4096;
    private static final int SHORT_MESSAGE_CHARS = 600;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ResultJson() {}

    public static String write(RunResult result) {
        return write(result, MAX_BYTES);
    }

    /** The result as JSON of at most {@code maxBytes} UTF-8 bytes, shortening the message and lists as needed. */
    public static String write(RunResult result, int maxBytes) {
        String json = toJson(result);
        if (fits(json, maxBytes)) {
            return json;
        }
        RunResult shortened = withMessage(result, SHORT_MESSAGE_CHARS);
        List<RunResult.Applied> applied = new ArrayList<>(nullToEmpty(shortened.applied()));
        List<String> pending = new ArrayList<>(nullToEmpty(shortened.pending()));
        List<MigrationPlan.Step> steps = new ArrayList<>(shortened.plan() == null ? List.of() : shortened.plan().steps());
        // Findings shortened first (one per step, each at most a line); the digest itself is never dropped.
        steps.replaceAll(ResultJson::shortFindings);
        while (true) {
            MigrationPlan plan = shortened.plan() == null ? null
                    : new MigrationPlan(shortened.plan().digest(), shortened.plan().from(), List.copyOf(steps));
            RunResult candidate = new RunResult(shortened.command(), shortened.outcome(), shortened.targetRevision(),
                    shortened.fromRevision(), shortened.toRevision(), List.copyOf(applied), List.copyOf(pending),
                    shortened.error(), Boolean.TRUE, shortened.held(), shortened.undone(), plan);
            json = toJson(candidate);
            if (fits(json, maxBytes)) {
                return json;
            }
            // The newest applied migrations, the nearest pending ones and the first steps matter most: shorten the
            // longest list from its other end, so each keeps its most telling part.
            int longest = Math.max(steps.size(), Math.max(applied.size(), pending.size()));
            if (longest == 0) {
                return toJson(withMessage(candidate, 100));
            } else if (steps.size() == longest) {
                steps.remove(steps.size() - 1);
            } else if (applied.size() == longest) {
                applied.remove(0);
            } else {
                pending.remove(pending.size() - 1);
            }
        }
    }

    public static RunResult read(String json) {
        try {
            return MAPPER.readValue(json, RunResult.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a runner result: " + e.getOriginalMessage(), e);
        }
    }

    private static RunResult withMessage(RunResult result, int maxChars) {
        RunResult.Failure error = result.error();
        if (error == null || error.message() == null || error.message().length() <= maxChars) {
            return result;
        }
        String message = error.message().substring(0, maxChars) + "…";
        return new RunResult(result.command(), result.outcome(), result.targetRevision(), result.fromRevision(),
                result.toRevision(), result.applied(), result.pending(),
                new RunResult.Failure(error.category(), error.sqlState(), error.script(), error.line(), message, error.retryable()),
                result.truncated(), result.held(), result.undone(), result.plan());
    }

    private static MigrationPlan.Step shortFindings(MigrationPlan.Step step) {
        if (step.findings() == null || step.findings().isEmpty()) {
            return step;
        }
        String first = step.findings().get(0);
        first = first.length() <= 200 ? first : first.substring(0, 200) + "…";
        List<String> kept = step.findings().size() == 1 ? List.of(first)
                : List.of(first, "… " + (step.findings().size() - 1) + " more");
        return new MigrationPlan.Step(step.version(), step.description(), step.script(), step.kind(), step.checksum(),
                step.destructive(), kept, step.note());
    }

    private static boolean fits(String json, int maxBytes) {
        return json.getBytes(StandardCharsets.UTF_8).length <= maxBytes;
    }

    private static <T> List<T> nullToEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    private static String toJson(RunResult result) {
        try {
            return MAPPER.writeValueAsString(result);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize run result", e);
        }
    }
}
