package dev.lockstep.runner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.runner.testing.TestDatabase;
import dev.lockstep.runner.testing.TestPostgres;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Database layer: the catalog snapshot sees a change by what it did, not by the SQL that did it. */
class SchemaSnapshotDatabaseTest {

    @Test
    void changesMadeInsideADoBlockAreSeenLikeAnyOther() throws Exception {
        try (TestDatabase db = TestPostgres.createDatabase()) {
            db.execute("CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, nickname text DEFAULT 'anon');"
                    + " CREATE INDEX users_email_idx ON users (email);"
                    + " CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY)");
            SchemaSnapshot before;
            try (Connection c = db.connect()) {
                before = SchemaSnapshot.read(c, List.of("public"));
            }
            assertThat(before.objects()).containsEntry("column users.email", "text not null")
                    .containsEntry("column users.nickname", "text default 'anon'::text")
                    .containsKey("constraint users.users_pkey").containsKey("index users_email_idx")
                    .doesNotContainKey("table flyway_schema_history");

            db.execute("DO $$ BEGIN EXECUTE 'ALTER TABLE users ALTER COLUMN id TYPE bigint'; EXECUTE 'DROP INDEX users_email_idx';"
                    + " EXECUTE 'ALTER TABLE users DROP COLUMN nickname'; END $$");

            SchemaSnapshot after;
            try (Connection c = db.connect()) {
                after = SchemaSnapshot.read(c, List.of("public"));
            }
            assertThat(before.changesTo(after)).extracting(Object::toString).containsExactly(
                    "~ column users.id: integer not null -> bigint not null",
                    "- column users.nickname: text default 'anon'::text",
                    "- index users_email_idx: CREATE INDEX users_email_idx ON public.users USING btree (email)");
        }
    }
}
