package dev.lockstep.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TextTest {
    @Test
    void firstLineIsTheFirstLineWithText() {
        assertThat(Text.firstLine("\n  CREATE INDEX CONCURRENTLY i\n  ON t (a);")).isEqualTo("CREATE INDEX CONCURRENTLY i");
        assertThat(Text.firstLine("ERROR: relation \"nowhere\" does not exist\n  Position: 44")).isEqualTo("ERROR: relation \"nowhere\" does not exist");
        assertThat(Text.firstLine("   ")).isEmpty();
        assertThat(Text.firstLine(null)).isEmpty();
    }

    @Test
    void oneLineKeepsTheDetailsAndDropsFlywaysRules() {
        assertThat(Text.oneLine("Migration V2__x.sql failed\n-----------------\nSQL State  : 42P01\n\nMessage    : boom\n"))
                .isEqualTo("Migration V2__x.sql failed SQL State  : 42P01 Message    : boom");
        assertThat(Text.oneLine("  just this  ")).isEqualTo("just this");
        assertThat(Text.oneLine("---")).isEqualTo("---");
        assertThat(Text.oneLine(null)).isEmpty();
    }

    @Test
    void identifiersAreQuotedWithTheirQuotesDoubled() {
        assertThat(Text.quoteIdentifier("public")).isEqualTo("\"public\"");
        assertThat(Text.quoteIdentifier("we\"ird")).isEqualTo("\"we\"\"ird\"");
    }
}
