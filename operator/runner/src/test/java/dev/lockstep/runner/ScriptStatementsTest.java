package dev.lockstep.runner;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Unit: statements and the lines they start on, through comments, quotes and dollar quotes. */
class ScriptStatementsTest {

    @Test
    void splitsOnSemicolonsOutsideQuotesCommentsAndDollarQuotes() {
        ScriptStatements s = ScriptStatements.of("""
                -- a comment; not a statement
                CREATE TABLE a (note text DEFAULT 'x;y');
                /* block; comment
                   over lines */ INSERT INTO a VALUES ('it''s; fine');
                CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;
                DO $$ BEGIN EXECUTE 'DROP TABLE a'; END $$;
                SELECT "odd;name" FROM a""");

        assertThat(s.statements()).extracting(ScriptStatements.Located::line).containsExactly(2, 4, 5, 6, 7);
        assertThat(s.statements().get(1).sql()).isEqualTo("INSERT INTO a VALUES ('it''s; fine')");
        assertThat(s.statements().get(0).tables()).containsExactly("a");
        assertThat(s.statements().get(3).tables()).as("a DO block is not parsed").isEmpty();
    }

    @Test
    void pointsAtTheStatementThatNamesTheObject() {
        ScriptStatements s = ScriptStatements.of("""
                CREATE TABLE audit (id bigint);
                ALTER TABLE users ADD COLUMN x int;
                ALTER TABLE users DROP COLUMN nickname;
                DO $$ BEGIN EXECUTE 'DROP INDEX users_email_idx'; END $$;
                """);

        assertThat(s.lineOf("column users.nickname")).isEqualTo(3);
        assertThat(s.lineOf("index users_email_idx")).isEqualTo(4);
        assertThat(s.lineOf("table users")).isEqualTo(2);
        assertThat(s.lineOf("table elsewhere")).isZero();
    }

    @Test
    void aBeginAtomicFunctionBodyIsOneStatementWithItsCaseExpressions() {
        ScriptStatements s = ScriptStatements.of("""
                CREATE FUNCTION grade(score int) RETURNS text LANGUAGE sql
                BEGIN ATOMIC
                    SELECT CASE WHEN score > 90 THEN 'a' ELSE 'b' END;
                END;
                BEGIN;
                SELECT 1;
                """);

        assertThat(s.statements()).extracting(ScriptStatements.Located::line).containsExactly(1, 5, 6);
        assertThat(s.statements().get(0).sql()).endsWith("END");
        assertThat(s.statements().get(1).sql()).isEqualTo("BEGIN");
    }
}
