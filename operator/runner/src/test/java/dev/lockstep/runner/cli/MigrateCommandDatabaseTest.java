package dev.lockstep.runner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.runner.ResultJson;
import dev.lockstep.runner.RunResult;
import dev.lockstep.runner.testing.TestDatabase;
import dev.lockstep.runner.testing.TestPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Database layer: the migrate/info/validate commands as a runner pod invokes them. */
class MigrateCommandDatabaseTest {
    private static final Path MIGRATIONS = Path.of(System.getProperty("lockstep.migrationsDir", "../../migrations"));
    private TestDatabase db;
    @TempDir
    Path tmp;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void createDatabase() {
        db = TestPostgres.createDatabase();
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    private int run(Object command, String... args) {
        CommandLine cli = new CommandLine(command);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void migrateWritesSummaryAndResultFileWithoutTheSecret() throws Exception {
        Path passwordFile = tmp.resolve("password");
        // Trust auth ignores it, but it must never be echoed anywhere.
        Files.writeString(passwordFile, "not-a-real-secret-42\n");
        Path resultFile = tmp.resolve("termination-log");

        int exit = run(new MigrateCommand(), "--url", db.url(), "--username", db.username(),
                "--password-file", passwordFile.toString(), "--location", MIGRATIONS.toString(),
                "--target", "4", "--result-file", resultFile.toString());

        assertThat(exit).as(out + "\n" + err).isZero();
        assertThat(out.toString()).contains("applied 4 create api keys", "ok: database at revision 4 (was none)", "pending: 5, 6");
        RunResult result = ResultJson.read(Files.readString(resultFile));
        assertThat(result.toRevision()).isEqualTo("4");
        assertThat(result.applied()).hasSize(4);
        assertThat(out.toString() + err + Files.readString(resultFile)).doesNotContain("not-a-real-secret-42");
    }

    @Test
    void sqlFailureExitsWithFiveAndNamesTheScript() throws Exception {
        Path scripts = Files.createDirectory(tmp.resolve("scripts"));
        Files.writeString(scripts.resolve("V1__broken.sql"), "CREATE TABLE t (id bigint PRIMARY KEY;");
        Path resultFile = tmp.resolve("termination-log");

        int exit = run(new MigrateCommand(), "--url", db.url(), "--username", db.username(),
                "--location", scripts.toString(), "--result-file", resultFile.toString());

        assertThat(exit).isEqualTo(5);
        assertThat(out.toString()).contains("FAILED (SQL, exit 5) in V1__broken.sql", "SQLSTATE 42601");
        assertThat(ResultJson.read(Files.readString(resultFile)).error().sqlState()).isEqualTo("42601");
    }

    @Test
    void aFailureInTheMiddleOfManyVersionsPrintsTheRevisionOfTheHistoryTableAndTheAppliedInOrder() throws Exception {
        Path scripts = Files.createDirectory(tmp.resolve("scripts"));
        for (int v = 1; v <= 24; v++) {
            Files.writeString(scripts.resolve("V" + v + "__step_" + v + ".sql"),
                    v == 13 ? "SELECT * FROM no_such_table;" : "CREATE TABLE t_" + v + " (id int PRIMARY KEY);");
        }
        Path resultFile = tmp.resolve("termination-log");

        int exit = run(new MigrateCommand(), "--url", db.url(), "--username", db.username(),
                "--location", scripts.toString(), "--result-file", resultFile.toString());

        assertThat(exit).isEqualTo(5);
        assertThat(db.column("SELECT max(version::int) FROM flyway_schema_history WHERE success")).containsExactly("12");
        String printed = out.toString();
        assertThat(printed).contains("database at revision 12", "pending: 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24");
        List<String> appliedLines = printed.lines().filter(l -> l.startsWith("  applied ")).map(l -> l.split(" ")[3]).toList();
        assertThat(appliedLines).containsExactly("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12");
        // The plan is not printed again step by step after its steps ran: the applied lines said it.
        assertThat(printed).contains(" (24 steps)").doesNotContain("Expand 1 step 1");
        RunResult result = ResultJson.read(Files.readString(resultFile));
        assertThat(result.toRevision()).isEqualTo("12");
        assertThat(result.pending()).first().isEqualTo("13");
        assertThat(result.applied()).extracting(RunResult.Applied::version).endsWith("11", "12");
    }

    @Test
    void badArgumentsExitWithTwo() {
        assertThat(run(new MigrateCommand(), "--url", db.url(), "--username", db.username(), "--lock-timeout", "soon"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("soon");
        assertThat(run(new MigrateCommand(), "--url", "jdbc:mysql://x/y", "--username", "u",
                "--location", MIGRATIONS.toString())).isEqualTo(2);
        assertThat(out.toString()).contains("--url must be a PostgreSQL JDBC URL");

        out.getBuffer().setLength(0);
        assertThat(run(new PlanCommand(), "--username", "u", "--location", MIGRATIONS.toString())).isEqualTo(2);
        assertThat(out.toString()).startsWith("lockstep plan: (no --url) schemas public").doesNotContain("null")
                .contains("--url (or LOCKSTEP_DB_URL) is required");
    }

    @Test
    void unreachableDatabaseExitsWithThree() {
        assertThat(run(new MigrateCommand(), "--url", "jdbc:postgresql://127.0.0.1:1/none", "--username", "u",
                "--location", MIGRATIONS.toString())).isEqualTo(3);
    }

    @Test
    void infoAndValidateChangeNothing() {
        assertThat(run(new InfoCommand(), "--url", db.url(), "--username", db.username(),
                "--location", MIGRATIONS.toString())).isZero();
        assertThat(out.toString()).contains("database at revision none", "pending: 1, 2, 3, 4, 5, 6");
        assertThat(run(new ValidateCommand(), "--url", db.url(), "--username", db.username(),
                "--location", MIGRATIONS.toString())).isZero();
        assertThat(db.tables("public")).doesNotContain("users");
    }
}
