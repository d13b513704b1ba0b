package dev.lockstep.operator.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.Fixtures;
import dev.lockstep.operator.Revisions;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Unit: Job naming and the spec hash that keys "one Job per spec". */
class RunnerJobsTest {
    @Test
    void jobNameIsDeterministicAndFitsALabelValue() {
        String name = RunnerJobs.jobName("orders", "2.1", "abcdef0123");
        assertThat(name).isEqualTo("orders-2-1-abcdef0123");
        assertThat(RunnerJobs.jobName("orders", "2.1", "abcdef0123")).isEqualTo(name);

        String longName = RunnerJobs.jobName("a-very-long-schema-migration-name-that-keeps-going-and-going-on", "latest", "abcdef0123");
        assertThat(longName).hasSizeLessThanOrEqualTo(63).endsWith("-latest-abcdef0123").doesNotContain("--");
        // Two long names that share their start never share a Job.
        String twin = RunnerJobs.jobName("a-very-long-schema-migration-name-that-keeps-going-and-going-no", "latest", "abcdef0123");
        assertThat(twin).hasSizeLessThanOrEqualTo(63).isNotEqualTo(longName);
    }

    @Test
    void specHashChangesWithWhatShapesTheRunOnly() {
        SchemaMigration sm = Fixtures.migration("ns", "orders", "5");
        String base = RunnerJobs.specHash(sm, "content-1");
        assertThat(base).hasSize(10).isEqualTo(RunnerJobs.specHash(Fixtures.migration("ns", "orders", "5"), "content-1"));

        assertThat(RunnerJobs.specHash(sm, "content-2")).isNotEqualTo(base);
        SchemaMigration otherTarget = Fixtures.migration("ns", "orders", "6");
        assertThat(RunnerJobs.specHash(otherTarget, "content-1")).isNotEqualTo(base);

        SchemaMigration suspended = Fixtures.migration("ns", "orders", "5");
        suspended.getSpec().setSuspend(true);
        assertThat(RunnerJobs.specHash(suspended, "content-1")).isEqualTo(base);

        SchemaMigration retried = Fixtures.migration("ns", "orders", "5");
        retried.getMetadata().setAnnotations(Map.of(RunnerJobs.RETRY_ANNOTATION, "2026-11-25T10:00"));
        assertThat(RunnerJobs.specHash(retried, "content-1")).isNotEqualTo(base);
    }

    @Test
    void contentHashIgnoresKeyOrderButNotContent() {
        assertThat(RunnerJobs.contentHash(Map.of("V1__a.sql", "x", "V2__b.sql", "y"), "latest"))
                .isEqualTo(RunnerJobs.contentHash(new java.util.TreeMap<>(Map.of("V2__b.sql", "y", "V1__a.sql", "x")), "latest"))
                .isNotEqualTo(RunnerJobs.contentHash(Map.of("V1__a.sql", "x", "V2__b.sql", "z"), "latest"));
    }

    @Test
    void contentHashCoversOnlyWhatARunToTheTargetReads() {
        Map<String, String> atTwo = Map.of("V1__a.sql", "x", "V2__b.sql", "y", "R__views.sql", "v");
        Map<String, String> nextShipped = Map.of("V1__a.sql", "x", "V2__b.sql", "y", "R__views.sql", "v",
                "V3__c.sql", "z", "V3__c.sql.conf", "executeInTransaction=false", "V10__d.sql", "w");

        assertThat(RunnerJobs.contentHash(nextShipped, "2")).as("scripts above the target start no run")
                .isEqualTo(RunnerJobs.contentHash(atTwo, "2"));
        assertThat(RunnerJobs.contentHash(nextShipped, "3")).isNotEqualTo(RunnerJobs.contentHash(atTwo, "3"));
        assertThat(RunnerJobs.contentHash(nextShipped, "latest")).isNotEqualTo(RunnerJobs.contentHash(atTwo, "latest"));
        assertThat(RunnerJobs.contentHash(Map.of("V1__a.sql", "x", "V2__b.sql", "edited", "R__views.sql", "v"), "2"))
                .as("an edited script at or below the target does").isNotEqualTo(RunnerJobs.contentHash(atTwo, "2"));
        assertThat(RunnerJobs.contentHash(Map.of("V1__a.sql", "x", "V2__b.sql", "y", "R__views.sql", "changed"), "2"))
                .as("so does a repeatable script").isNotEqualTo(RunnerJobs.contentHash(atTwo, "2"));
    }

    @Test
    void revisionsCompareNumericallyAndReadScriptNames() {
        assertThat(Revisions.compare("1.10", "1.9")).isPositive();
        assertThat(Revisions.compare("2", "2.0")).isZero();
        assertThat(Revisions.compare("10", "9")).isPositive();
        assertThat(Revisions.ofScript("V7__add_email.sql")).isEqualTo("7");
        assertThat(Revisions.ofScript("V2_1__split.sql")).isEqualTo("2.1");
        assertThat(Revisions.ofScript("R__views.sql")).isNull();
        assertThat(Revisions.ofScript("V5__index.sql.conf")).isNull();
    }
}
