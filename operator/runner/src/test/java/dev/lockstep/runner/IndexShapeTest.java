package dev.lockstep.runner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.runner.DestructiveChanges.IndexShape;
import org.junit.jupiter.api.Test;

/** Unit: when a new index serves every query a dropped one served, and enforces what it enforced. */
class IndexShapeTest {
    private static IndexShape shape(String definition) {
        return IndexShape.parse(definition).orElseThrow();
    }

    @Test
    void readsTheCatalogsFormAndAStatementAlike() {
        IndexShape catalog = shape("CREATE INDEX t_a_idx ON public.t USING btree (a, lower(b)) WHERE (deleted_at IS NULL)");
        IndexShape statement = shape("create index concurrently if not exists \"T_A_IDX2\" on T (A, LOWER( b ) ASC, c) where deleted_at is null;");

        assertThat(catalog.table()).isEqualTo("t");
        assertThat(catalog.columns()).containsExactly("a", "lower(b)");
        assertThat(statement.columns()).containsExactly("a", "lower(b)", "c");
        assertThat(statement.predicate()).isEqualTo(catalog.predicate()).isEqualTo("deleted_atisnull");
        assertThat(statement.replaces(catalog)).isTrue();
        assertThat(catalog.replaces(statement)).as("fewer columns serve fewer queries").isFalse();
    }

    @Test
    void aUniqueIndexIsReplacedOnlyByOneUniqueOnExactlyItsColumns() {
        IndexShape unique = shape("CREATE UNIQUE INDEX t_email_key ON public.t USING btree (email)");

        assertThat(shape("CREATE UNIQUE INDEX t_email_key2 ON t (email)").replaces(unique)).isTrue();
        assertThat(shape("CREATE INDEX t_email_idx ON t (email)").replaces(unique)).isFalse();
        assertThat(shape("CREATE UNIQUE INDEX t_email_id_key ON t (email, id)").replaces(unique)).isFalse();
    }

    @Test
    void anotherTableMethodOrANarrowerPredicateIsNoReplacement() {
        IndexShape dropped = shape("CREATE INDEX t_a_idx ON public.t USING btree (a)");

        assertThat(shape("CREATE INDEX u_a_idx ON u (a)").replaces(dropped)).isFalse();
        assertThat(shape("CREATE INDEX t_a_idx ON billing.t USING btree (a)").replaces(dropped))
                .as("a table of the same name in another schema").isFalse();
        assertThat(shape("CREATE INDEX t_a_idx2 ON public.t USING btree (a)").replaces(dropped)).isTrue();
        assertThat(shape("CREATE INDEX t_a_hash ON t USING hash (a)").replaces(dropped)).isFalse();
        assertThat(shape("CREATE INDEX t_a_live ON t (a) WHERE NOT deleted").replaces(dropped)).isFalse();
        assertThat(IndexShape.parse("CREATE TABLE t (a int)")).isEmpty();
    }
}
