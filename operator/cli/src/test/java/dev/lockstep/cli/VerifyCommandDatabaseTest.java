package dev.lockstep.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.runner.testing.TestDatabase;
import dev.lockstep.runner.testing.TestPostgres;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Database layer: {@code lockstep verify} as a CI job runs it, in a process of its own: it prints each revision as it
 * is known, and a SIGTERM (what a CI timeout sends) leaves no scratch database behind.
 */
class VerifyCommandDatabaseTest {
    private static final Pattern SCRATCH = Pattern.compile("on a scratch database (lockstep_verify_[a-z0-9]+) at");

    @TempDir
    Path scripts;

    @Test
    void printsEachRevisionWhileItRunsAndDropsItsScratchDatabaseOnSigterm() throws Exception {
        for (int v = 1; v <= 60; v++) {
            Files.writeString(scripts.resolve("V" + v + "__table_" + v + ".sql"), "CREATE TABLE t_" + v + " (id int PRIMARY KEY);");
            Files.writeString(scripts.resolve("U" + v + "__table_" + v + ".sql"), "DROP TABLE t_" + v + ";");
        }
        TestPostgres.Server server = TestPostgres.server();
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Lockstep.class.getName(),
                "verify", "-l", scripts.toString(), "--host", server.host(), "--port", Integer.toString(server.port()),
                "--user", server.user());
        if (server.password() != null) {
            builder.environment().put("LOCKSTEP_DB_PASSWORD", server.password());
        }
        Process verify = builder.redirectErrorStream(true).start();
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(verify.getInputStream(), StandardCharsets.UTF_8))) {
                r.lines().forEach(lines::add);
            } catch (java.io.IOException ignored) {
                // the process ended
            }
        });
        reader.start();

        List<String> seen = new ArrayList<>();
        String scratch = null;
        String line;
        while ((line = lines.poll(60, TimeUnit.SECONDS)) != null) {
            seen.add(line);
            Matcher m = SCRATCH.matcher(line);
            if (m.find()) {
                scratch = m.group(1);
            }
            if (line.startsWith("  2: up, down, up")) {
                break;
            }
        }
        assertThat(line).as("the second revision's line, printed while verify runs: %s", seen).isNotNull();
        assertThat(verify.isAlive()).as("verify still running when revision 2 was printed: %s", seen).isTrue();
        assertThat(scratch).as("the scratch database named in %s", seen).isNotNull();
        String database = scratch;

        verify.toHandle().destroy(); // SIGTERM, as a CI timeout sends it (Process.destroy would also close our end of its output)
        assertThat(verify.waitFor(60, TimeUnit.SECONDS)).isTrue();
        reader.join(10_000);
        List<String> rest = new ArrayList<>();
        lines.drainTo(rest);
        assertThat(rest).as("after SIGTERM (exit %d): %s", verify.exitValue(), seen).anyMatch(l -> l.contains("dropped the scratch database " + database));
        try (TestDatabase db = TestPostgres.createDatabase()) {
            assertThat(db.column("SELECT count(*) FROM pg_database WHERE datname = '" + database + "'")).containsExactly("0");
        }
    }
}
