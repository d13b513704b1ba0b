package dev.lockstep.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Unit: the termination message must stay valid JSON within Kubernetes' 4096-byte limit. */
class ResultJsonTest {
    @Test
    void smallResultRoundTripsUnchanged() {
        RunResult result = new RunResult("migrate", RunResult.Outcome.SUCCEEDED, "latest", "3", "5",
                List.of(new RunResult.Applied("4", "add email", "V4__add_email.sql", 12)), List.of(), null, null);

        String json = ResultJson.write(result);

        assertThat(ResultJson.read(json)).isEqualTo(result);
        assertThat(json).doesNotContain("truncated");
    }

    @Test
    void oversizedResultIsShortenedToValidJsonWithinTheLimit() {
        List<RunResult.Applied> applied = IntStream.rangeClosed(1, 400)
                .mapToObj(i -> new RunResult.Applied(Integer.toString(i), "a fairly long description number " + i,
                        "V" + i + "__a_fairly_long_description_number_" + i + ".sql", i))
                .toList();
        String longMessage = "relation does not exist ".repeat(500);
        RunResult result = new RunResult("migrate", RunResult.Outcome.FAILED, "latest", null, "400", applied,
                List.of("401", "402"), new RunResult.Failure(FailureCategory.SQL, "42P01", "V401__x.sql", 3, longMessage), null);

        String json = ResultJson.write(result);

        assertThat(json.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(ResultJson.MAX_BYTES);
        RunResult read = ResultJson.read(json);
        assertThat(read.truncated()).isTrue();
        assertThat(read.error().sqlState()).isEqualTo("42P01");
        assertThat(read.error().script()).isEqualTo("V401__x.sql");
        assertThat(read.error().message()).startsWith("relation does not exist").hasSizeLessThan(longMessage.length());
        // the newest applied versions are the ones kept
        assertThat(read.applied()).last().extracting(RunResult.Applied::version).isEqualTo("400");
        assertThat(read.toRevision()).isEqualTo("400");
    }

    @Test
    void shorteningKeepsTheNearestPendingVersionsAndTheFirstStepsBesideTheNewestApplied() {
        List<RunResult.Applied> applied = IntStream.rangeClosed(1, 60)
                .mapToObj(i -> new RunResult.Applied(Integer.toString(i), "step " + i, "V" + i + "__step_" + i + ".sql", i)).toList();
        List<String> pending = IntStream.rangeClosed(61, 160).mapToObj(Integer::toString).toList();
        List<MigrationPlan.Step> steps = IntStream.rangeClosed(1, 160)
                .mapToObj(i -> new MigrationPlan.Step(Integer.toString(i), "step " + i, "V" + i + "__step_" + i + ".sql",
                        MigrationPlan.Kind.Expand, i, false, null, null)).toList();
        RunResult result = new RunResult("migrate", RunResult.Outcome.FAILED, "latest", null, "60", applied, pending,
                new RunResult.Failure(FailureCategory.SQL, "42P01", "V61__step_61.sql", 1, "relation does not exist"), null)
                .withPlan(MigrationPlan.of(null, steps));

        RunResult read = ResultJson.read(ResultJson.write(result));

        assertThat(read.truncated()).isTrue();
        assertThat(read.pending()).isNotEmpty().first().isEqualTo("61");
        assertThat(read.applied()).isNotEmpty().last().extracting(RunResult.Applied::version).isEqualTo("60");
        assertThat(read.plan().steps()).isNotEmpty().first().extracting(MigrationPlan.Step::version).isEqualTo("1");
        assertThat(read.plan().digest()).isEqualTo(result.plan().digest());
    }

    @Test
    void aRetryableFailureSaysSoEvenWhenItsMessageIsShortened() {
        RunResult retryable = RunResult.failed("migrate", "latest", new RunResult.Failure(FailureCategory.CONNECTION, "57P01",
                "V2__x.sql", 1, "terminating connection due to administrator command ".repeat(200), true));

        String json = ResultJson.write(retryable);

        assertThat(json.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(ResultJson.MAX_BYTES);
        assertThat(ResultJson.read(json).error().retryable()).isTrue();
        assertThat(ResultJson.write(RunResult.failed("migrate", "latest",
                new RunResult.Failure(FailureCategory.SQL, "42P01", null, null, "x")))).doesNotContain("retryable");
    }

    @Test
    void exitCodeFollowsTheFailureCategory() {
        for (FailureCategory category : FailureCategory.values()) {
            RunResult failed = RunResult.failed("migrate", "latest", new RunResult.Failure(category, null, null, null, "x"));
            assertThat(failed.exitCode()).isEqualTo(category.exitCode());
        }
        assertThat(List.of(ExitCode.values()).stream().map(ExitCode::code).distinct()).hasSize(ExitCode.values().length);
    }
}
