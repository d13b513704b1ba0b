package dev.lockstep.operator.observe;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lockstep.api.v1alpha1.ErrorCategory;
import java.util.List;
import java.util.Optional;

/**
 * The runner's JSON result as read from its pod's termination message. The controller keeps its own reading of the
 * format (it has no dependency on the runner); a contract test in the CLI module checks the two agree.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunnerReport(
        String command,
        String outcome,
        String targetRevision,
        String fromRevision,
        String toRevision,
        List<Applied> applied,
        List<String> pending,
        Failure error,
        Boolean truncated,
        List<String> held,
        List<Applied> undone,
        Plan plan) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Applied(String version, String description, String script, long durationMillis) {}

    /** The plan the run checked before it did anything. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Plan(String digest, String from, List<Step> steps) {
        @JsonIgnoreProperties(ignoreUnknown = true)
        public record Step(String version, String description, String script, String kind, Integer checksum, boolean destructive,
                           List<String> findings, String note) {}

        /** Expand steps in which the dry run found destructive changes. */
        public List<Step> destructiveExpandSteps() {
            return steps == null ? List.of() : steps.stream()
                    .filter(s -> "Expand".equals(s.kind()) && s.findings() != null && !s.findings().isEmpty()).toList();
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Failure(ErrorCategory category, String sqlState, String script, Integer line, String message, Boolean retryable) {
        /** Whether the runner found that nothing of the run stayed and the database was only unavailable. */
        public boolean safeToRetry() {
            return Boolean.TRUE.equals(retryable);
        }
    }

    private static final ObjectMapper MAPPER = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** The report in a termination message, or empty when the message is not one (e.g. the log tail of a crash). */
    public static Optional<RunnerReport> parse(String terminationMessage) {
        if (terminationMessage == null || !terminationMessage.strip().startsWith("{")) {
            return Optional.empty();
        }
        try {
            RunnerReport report = MAPPER.readValue(terminationMessage.strip(), RunnerReport.class);
            return report.outcome() == null ? Optional.empty() : Optional.of(report);
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    public boolean succeeded() {
        return "SUCCEEDED".equals(outcome) && error == null;
    }

    public List<Applied> appliedOrEmpty() {
        return applied == null ? List.of() : applied;
    }

    /** Versions the run held back because a contract step comes first. */
    public List<String> heldOrEmpty() {
        return held == null ? List.of() : held;
    }

    /** Versions the run took back with their undo scripts, newest first. */
    public List<Applied> undoneOrEmpty() {
        return undone == null ? List.of() : undone;
    }

    public List<String> pendingOrEmpty() {
        return pending == null ? List.of() : pending;
    }
}
