package dev.lockstep.cli;

import dev.lockstep.runner.AppQueries;
import dev.lockstep.runner.MigrationSettings;
import dev.lockstep.runner.RoundTrip;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Checks that every revision of a migrations directory can be taken back, on a scratch database made for the run
 * and dropped after it: on the PostgreSQL named by --host/--port (the local one by default), or on a throwaway
 * embedded PostgreSQL when none answers, so it runs in any CI.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Prove that every revision round-trips: on a scratch database, for each version up one, down one"
                + " (its U<version>__*.sql), up one, comparing the catalog (tables, columns, types, defaults, constraints,"
                + " indexes, views, sequences, functions) after each down with the one before the up; then from the head"
                + " down to nothing. Reports the first revision that does not round-trip, with the difference.",
                "The scratch database is created on --host:--port (a user that may create databases) and dropped"
                + " afterwards; an embedded PostgreSQL is started when none answers there."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:every revision round-trips",
            "1:internal error",
            "2:bad arguments (no scripts, a badly named undo script)",
            "3:PostgreSQL unreachable",
            "4:a revision does not round-trip, or an undo script is missing",
            "5:a script failed",
            "6:an expand step is destructive (with --destructive block)"})
public class VerifyCommand implements Callable<Integer> {
    @Option(names = {"--location", "-l"}, defaultValue = "migrations", description = "Migration scripts. Default: ${DEFAULT-VALUE}.")
    Path location;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "PostgreSQL host. Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--port", defaultValue = "5432", description = "PostgreSQL port. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--user", defaultValue = "postgres",
            description = "A user that may create databases; its password from LOCKSTEP_DB_PASSWORD. Default: ${DEFAULT-VALUE}.")
    String user;

    @Option(names = "--schemas", split = ",", defaultValue = "public", description = "Schemas the scripts use. Default: ${DEFAULT-VALUE}.")
    List<String> schemas;

    @Option(names = "--destructive", defaultValue = "warn", converter = DestructiveOption.class,
            description = "An expand step (not V<version>__contract_*) whose catalog change would break code written for the"
                    + " revision before it (a dropped, renamed or narrowed column, NOT NULL without default, a dropped index or"
                    + " constraint): warn lists it on its revision's line, block fails verify (exit 6). Default: ${DEFAULT-VALUE}.")
    MigrationSettings.Destructive destructive;

    @Option(names = "--queries",
            description = "The application's queries (-- name: / -- requires: <version> / optional -- until: <version>, then the"
                    + " SQL), each run, rolled back, at every revision from the one it requires: old code keeps running while"
                    + " newer expand steps are applied. E.g. examples/accounts/queries.sql.")
    Path queries;

    @Spec
    CommandSpec spec;

    /** block or warn (off is warn here: the snapshots are taken anyway). */
    static final class DestructiveOption implements picocli.CommandLine.ITypeConverter<MigrationSettings.Destructive> {
        @Override
        public MigrationSettings.Destructive convert(String value) {
            return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "block" -> MigrationSettings.Destructive.BLOCK;
                case "warn", "off" -> MigrationSettings.Destructive.WARN;
                default -> throw new picocli.CommandLine.TypeConversionException("must be block or warn, not '" + value + "'");
            };
        }
    }

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        AppQueries appQueries;
        try {
            appQueries = queries == null ? AppQueries.none() : AppQueries.read(queries);
        } catch (MigrationSettings.InvalidSettingsException | java.io.UncheckedIOException e) {
            err.println("lockstep verify: --queries " + e.getMessage());
            err.flush();
            return dev.lockstep.runner.ExitCode.ARGUMENTS.code();
        }
        try (LocalPostgres pg = LocalPostgres.findOrStart(host, port, user, System.getenv("LOCKSTEP_DB_PASSWORD"))) {
            String scratch = "lockstep_verify_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            pg.createDatabaseIfMissing(scratch);
            // A CI timeout stops verify with SIGTERM: the scratch database goes with it, not left behind on the server.
            // (An embedded PostgreSQL is thrown away whole by its own hook.)
            Thread dropOnSignal = new Thread(() -> dropQuietly(pg, scratch, err), "lockstep-verify-cleanup");
            if (!pg.embedded()) {
                Runtime.getRuntime().addShutdownHook(dropOnSignal);
            }
            try {
                out.println("lockstep verify: " + location + " on a scratch database " + scratch + " at " + pg.host() + ":" + pg.port()
                        + (pg.embedded() ? " (embedded PostgreSQL)" : ""));
                MigrationSettings settings = MigrationSettings.connect(pg.url(scratch), pg.user(), pg.password())
                        .schemas(schemas).location(location).build()
                        .withPlanPolicy(new MigrationSettings.PlanPolicy(destructive, false, null));
                RoundTrip.Report report = new RoundTrip().verify(settings, appQueries, line -> {
                    out.println("  " + line);
                    out.flush();
                });
                if (report.passed()) {
                    out.println("  ok: every revision round-trips");
                } else {
                    err.println("  FAILED" + (report.failedRevision() == null ? "" : " at revision " + report.failedRevision())
                            + " (exit " + report.exitCode().code() + "): " + report.failure());
                }
                out.flush();
                err.flush();
                return report.exitCode().code();
            } finally {
                pg.dropDatabase(scratch);
                try {
                    if (!pg.embedded()) {
                        Runtime.getRuntime().removeShutdownHook(dropOnSignal);
                    }
                } catch (IllegalStateException shuttingDown) {
                    // Already shutting down: the hook runs and finds the database gone.
                }
            }
        }
    }

    private static void dropQuietly(LocalPostgres pg, String scratch, java.io.PrintWriter err) {
        try {
            pg.dropDatabase(scratch);
            err.println("lockstep verify: stopped; dropped the scratch database " + scratch);
        } catch (java.sql.SQLException | RuntimeException e) {
            err.println("lockstep verify: stopped; could not drop the scratch database " + scratch + " (" + e.getMessage()
                    + "): drop it with DROP DATABASE " + scratch + " WITH (FORCE)");
        }
        err.flush();
    }
}
