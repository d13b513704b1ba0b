package dev.lockstep.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.api.v1alpha1.ErrorCategory;
import dev.lockstep.operator.observe.RunnerReport;
import dev.lockstep.runner.FailureCategory;
import dev.lockstep.runner.MigrationRunner;
import dev.lockstep.runner.MigrationSettings;
import dev.lockstep.runner.ResultJson;
import dev.lockstep.runner.RunResult;
import dev.lockstep.runner.testing.TestDatabase;
import dev.lockstep.runner.testing.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner writes its result, the controller reads it, and neither module depends on the other: this checks that
 * what one writes is what the other understands, with real runs against PostgreSQL.
 */
class RunnerResultContractTest {
    @TempDir
    Path scripts;

    @Test
    void controllerReadsWhatTheRunnerWritesOnSuccessAndOnFailure() throws Exception {
        Files.writeString(scripts.resolve("V1__create_orders.sql"), "CREATE TABLE orders (id bigint PRIMARY KEY);");
        Files.writeString(scripts.resolve("V2__broken.sql"), "ALTER TABLE orders\n  ADD COLUMN total numeric REFERENCES nowhere;");
        try (TestDatabase db = TestPostgres.createDatabase()) {
            MigrationSettings toOne = MigrationSettings.connect(db.url(), db.username(), db.password()).location(scripts)
                    .target("1").lockTimeout(Duration.ofSeconds(5)).build();
            RunResult succeeded = new MigrationRunner().migrate(toOne);

            RunnerReport ok = RunnerReport.parse(ResultJson.write(succeeded)).orElseThrow();
            assertThat(ok.succeeded()).isTrue();
            assertThat(ok.toRevision()).isEqualTo("1");
            assertThat(ok.appliedOrEmpty()).extracting(RunnerReport.Applied::version).containsExactly("1");
            assertThat(ok.pendingOrEmpty()).containsExactly("2");

            MigrationSettings toLatest = MigrationSettings.connect(db.url(), db.username(), db.password()).location(scripts)
                    .lockTimeout(Duration.ofSeconds(5)).build();
            RunResult failed = new MigrationRunner().migrate(toLatest);
            assertThat(failed.error().category()).isEqualTo(FailureCategory.SQL);

            RunnerReport bad = RunnerReport.parse(ResultJson.write(failed)).orElseThrow();
            assertThat(bad.succeeded()).isFalse();
            assertThat(bad.toRevision()).isEqualTo("1");
            assertThat(bad.error().category()).isEqualTo(ErrorCategory.SQL);
            assertThat(bad.error().sqlState()).isEqualTo("42P01");
            assertThat(bad.error().script()).isEqualTo("V2__broken.sql");
            assertThat(bad.error().message()).contains("nowhere");
        }
    }

    @Test
    void controllerReadsThatARunWhichFoundNoDatabaseIsSafeToRetry() throws Exception {
        Files.writeString(scripts.resolve("V1__create_orders.sql"), "CREATE TABLE orders (id bigint PRIMARY KEY);");
        MigrationSettings nowhere = MigrationSettings.connect("jdbc:postgresql://127.0.0.1:1/orders", "postgres", null)
                .location(scripts).lockTimeout(Duration.ofSeconds(5)).build();
        try (TestDatabase db = TestPostgres.createDatabase()) {
            MigrationSettings missing = MigrationSettings.connect(db.url() + "_missing", db.username(), db.password())
                    .location(scripts).lockTimeout(Duration.ofSeconds(5)).build();

            RunnerReport unreachable = RunnerReport.parse(ResultJson.write(new MigrationRunner().migrate(nowhere))).orElseThrow();
            RunnerReport noSuchDatabase = RunnerReport.parse(ResultJson.write(new MigrationRunner().migrate(missing))).orElseThrow();

            assertThat(unreachable.error().category()).isEqualTo(ErrorCategory.CONNECTION);
            assertThat(unreachable.error().safeToRetry()).isTrue();
            assertThat(noSuchDatabase.error().category()).isEqualTo(ErrorCategory.CONNECTION);
            assertThat(noSuchDatabase.error().safeToRetry()).isFalse();
        }
    }

    @Test
    void everyCategoryTheRunnerReportsIsOneTheStatusKnows() {
        for (FailureCategory category : FailureCategory.values()) {
            assertThat(ErrorCategory.of(category.name())).as(category.name()).isNotEqualTo(ErrorCategory.UNKNOWN)
                    .extracting(Enum::name).isEqualTo(category.name());
        }
        assertThat(ErrorCategory.of("SOMETHING_NEWER")).isEqualTo(ErrorCategory.UNKNOWN);
    }

    @Test
    void aLogTailIsNotMistakenForAResult() {
        assertThat(RunnerReport.parse("Exception in thread \"main\" java.lang.OutOfMemoryError")).isEmpty();
        assertThat(RunnerReport.parse("{\"unrelated\":true}")).isEmpty();
    }
}
