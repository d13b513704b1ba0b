package dev.lockstep.runner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.runner.ExitCode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Unit: each runner command's help lists every exit code it can return, so scripts can branch on them. */
class RunnerCommandHelpTest {
    private static String help(Object command) {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(command);
        cli.setOut(new PrintWriter(out, true));
        assertThat(cli.execute("--help")).isZero();
        return out.toString();
    }

    private static List<String> listed(String help) {
        String codes = help.substring(help.indexOf("Exit codes:"));
        return Arrays.stream(ExitCode.values()).map(c -> Integer.toString(c.code()))
                .filter(code -> codes.lines().anyMatch(l -> l.strip().startsWith(code + " "))).toList();
    }

    private static List<String> codes(ExitCode... codes) {
        return Arrays.stream(codes).map(c -> Integer.toString(c.code())).toList();
    }

    @Test
    void migrateListsEveryExitCode() {
        assertThat(listed(help(new MigrateCommand()))).isEqualTo(codes(ExitCode.values()));
    }

    @Test
    void planListsEveryExitCodeButApproval() {
        assertThat(listed(help(new PlanCommand()))).isEqualTo(codes(ExitCode.OK, ExitCode.INTERNAL, ExitCode.ARGUMENTS,
                ExitCode.CONNECTION, ExitCode.VALIDATION, ExitCode.SQL, ExitCode.DESTRUCTIVE, ExitCode.LOCKED));
    }

    @Test
    void infoAndValidateListTheFailedRow() {
        List<String> upToSql = codes(ExitCode.OK, ExitCode.INTERNAL, ExitCode.ARGUMENTS, ExitCode.CONNECTION, ExitCode.VALIDATION,
                ExitCode.SQL);
        assertThat(listed(help(new InfoCommand()))).isEqualTo(upToSql);
        assertThat(listed(help(new ValidateCommand()))).isEqualTo(upToSql);
    }
}
