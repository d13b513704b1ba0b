package dev.lockstep.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Unit: the one binary offers the operator and the runner commands. */
class LockstepCommandTest {
    @Test
    void helpListsEverySubcommand() {
        StringWriter out = new StringWriter();
        CommandLine cli = Lockstep.commandLine();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("--help")).isZero();
        assertThat(out.toString()).contains("operator", "migrate", "info", "validate", "await", "demo");
    }

    @Test
    void postgresNoticesThatFlywayLogsAsWarningsAreQuietByDefault() {
        // "DB: relation x already exists, skipping" once per script, printed before the summary of every run.
        assertThat(org.slf4j.LoggerFactory.getLogger("org.flywaydb.core.internal.proprietaryStubs.ErrorOverridesSupportStub")
                .isWarnEnabled()).isFalse();
        assertThat(org.slf4j.LoggerFactory.getLogger("org.flywaydb.core.internal.command.DbMigrate").isWarnEnabled()).isTrue();
    }

    @Test
    void operatorWithoutARunnerImageIsABadArgument() {
        StringWriter err = new StringWriter();
        CommandLine cli = Lockstep.commandLine();
        cli.setErr(new PrintWriter(err));
        if (System.getenv("LOCKSTEP_RUNNER_IMAGE") == null) {
            assertThat(cli.execute("operator")).isEqualTo(2);
            assertThat(err.toString()).contains("--runner-image");
        }
    }
}
