package dev.lockstep.operator.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Unit: names and label values made from a SchemaMigration's name, which may have up to 253 characters. */
class NamesTest {
    private static final String LONG = "a".repeat(200) + "-" + "b".repeat(52);

    @Test
    void aNameThatFitsIsKeptAsItIs() {
        assertThat(Names.labelValue("orders")).isEqualTo("orders");
        assertThat(Names.fit("orders", "-7-abc", 63)).isEqualTo("orders-7-abc");
        assertThat(Names.labelValue("x".repeat(63))).isEqualTo("x".repeat(63));
    }

    @Test
    void aLongerNameIsCutAndHashedDeterministicallyAndStaysUnique() {
        String label = Names.labelValue(LONG);
        String other = Names.labelValue(LONG.substring(0, 252) + "c");

        assertThat(LONG).hasSize(253);
        assertThat(label).hasSize(63).matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?").isEqualTo(Names.labelValue(LONG));
        assertThat(other).hasSize(63).isNotEqualTo(label).startsWith(label.substring(0, 52));
        assertThat(Names.labelValue("x".repeat(64))).hasSize(63).isNotEqualTo("x".repeat(63));
    }

    @Test
    void aCutNeverEndsInAPunctuationMark() {
        String name = "a".repeat(51) + "-.-" + "b".repeat(20);

        assertThat(Names.labelValue(name)).doesNotContain("--").doesNotContain(".-").startsWith("a".repeat(51) + "-");
        assertThat(Names.fit(LONG, "." + "f".repeat(16), Names.OBJECT_NAME)).hasSize(253).endsWith("." + "f".repeat(16));
    }
}
