package dev.lockstep.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Database layer, on a PostgreSQL this test owns (an embedded one, so it can be stopped): the server going away in the
 * middle of a script is a lost connection, reported with the revision the run reached, not a failed script.
 */
class OutageDatabaseTest {
    @TempDir
    Path scripts;

    @Test
    void aServerStoppedMidScriptIsALostConnectionWithTheRevisionReached() throws Exception {
        Files.writeString(scripts.resolve("V1__create_orders.sql"), "CREATE TABLE orders (id bigint PRIMARY KEY);");
        Files.writeString(scripts.resolve("V2__slow.sql"), "ALTER TABLE orders ADD COLUMN note text;\nSELECT pg_sleep(60);");
        EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
        try {
            MigrationSettings settings = MigrationSettings.connect("jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres", "postgres", null)
                    .location(scripts).lockTimeout(Duration.ofSeconds(5)).build();
            CompletableFuture<RunResult> running = CompletableFuture.supplyAsync(() -> new MigrationRunner().migrate(settings));
            await().atMost(Duration.ofSeconds(30)).until(() -> running.isDone() || sleeping(pg));
            assertThat(running).as("the run is in V2 when the server stops").isNotDone();

            pg.close(); // a fast shutdown: the running session gets 57P01, then nothing answers

            RunResult result = running.get(60, TimeUnit.SECONDS);
            assertThat(result.exitCode()).as(String.valueOf(result.error())).isEqualTo(ExitCode.CONNECTION);
            assertThat(result.error().script()).isEqualTo("V2__slow.sql");
            assertThat(result.error().message()).contains("connection to the database was lost while the script ran",
                    "nothing of V2__slow.sql stayed");
            assertThat(result.toRevision()).isEqualTo("1");
            assertThat(result.applied()).extracting(RunResult.Applied::version).containsExactly("1");
            assertThat(result.pending()).containsExactly("2");
            assertThat(result.error().retryable()).as("V2 ran in a transaction the server rolled back").isTrue();

            RunResult whileDown = new MigrationRunner().migrate(settings);
            assertThat(whileDown.exitCode()).isEqualTo(ExitCode.CONNECTION);
            assertThat(whileDown.error().retryable()).as("a run that cannot connect changed nothing").isTrue();
        } finally {
            pg.close();
        }
    }

    private static boolean sleeping(EmbeddedPostgres pg) throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%'"
                     + " AND pid <> pg_backend_pid()")) {
            return rs.next() && rs.getInt(1) == 1;
        }
    }
}
