package dev.lockstep.runner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.runner.TransactionBlocks.DryRunAs;
import org.junit.jupiter.api.Test;

/** Unit: which statements PostgreSQL refuses in a transaction block, and what the dry run makes of each. */
class TransactionBlocksTest {
    @Test
    void concurrentIndexBuildsAreHarmlessAndConcurrentDropsAreDryRunAsDrops() {
        assertThat(TransactionBlocks.of("create unique index concurrently if not exists t_v on t (v)").orElseThrow().dryRun())
                .isEqualTo(DryRunAs.HARMLESS);
        TransactionBlocks.Form drop = TransactionBlocks.of("DROP INDEX\n  CONCURRENTLY IF EXISTS t_v;").orElseThrow();
        assertThat(drop.dryRun()).isEqualTo(DryRunAs.STAND_IN);
        assertThat(drop.standIn()).isEqualTo("DROP INDEX IF EXISTS t_v;");
        assertThat(TransactionBlocks.of("ALTER TABLE m DETACH PARTITION m_2020 CONCURRENTLY").orElseThrow().standIn())
                .isEqualTo("ALTER TABLE m DETACH PARTITION m_2020");
        assertThat(TransactionBlocks.of("REINDEX (VERBOSE) TABLE CONCURRENTLY t").orElseThrow().dryRun()).isEqualTo(DryRunAs.HARMLESS);
    }

    @Test
    void commentsAndCaseDoNotHideAForm() {
        assertThat(TransactionBlocks.of("/* cleanup */ DROP /* old */ INDEX -- why\n CONCURRENTLY x").orElseThrow().form())
                .isEqualTo("DROP INDEX CONCURRENTLY");
        assertThat(TransactionBlocks.of("vacuum analyze t").orElseThrow().dryRun()).isEqualTo(DryRunAs.HARMLESS);
    }

    @Test
    void whatActsOutsideTheSchemasIsUncheckedAndOrdinaryStatementsAreNotListed() {
        assertThat(TransactionBlocks.of("CREATE DATABASE reports").orElseThrow().dryRun()).isEqualTo(DryRunAs.UNCHECKED);
        assertThat(TransactionBlocks.of("ALTER SYSTEM SET work_mem = '8MB'").orElseThrow().form()).isEqualTo("ALTER SYSTEM");
        assertThat(TransactionBlocks.of("CREATE INDEX t_v ON t (v)")).isEmpty();
        assertThat(TransactionBlocks.of("DROP INDEX t_v")).isEmpty();
        assertThat(TransactionBlocks.of("ALTER TYPE mood ADD VALUE 'meh'")).isEmpty();
        assertThat(TransactionBlocks.of("CLUSTER t USING t_pkey")).isEmpty();
        assertThat(TransactionBlocks.of("CLUSTER")).isPresent();
    }
}
