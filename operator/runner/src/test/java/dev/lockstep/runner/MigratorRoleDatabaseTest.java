package dev.lockstep.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lockstep.runner.testing.TestDatabase;
import dev.lockstep.runner.testing.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The two roles docs/security.md gives, applied as written: the migrator migrates the reference migrations, the
 * application reads and writes rows and cannot change a table.
 */
class MigratorRoleDatabaseTest {
    private static final Path REPO = Path.of(System.getProperty("lockstep.repoDir", "../..")).toAbsolutePath().normalize();

    private final String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    private final String migrator = "accounts_migrator_" + suffix;
    private final String app = "accounts_app_" + suffix;
    private final String password = "pw-" + suffix;
    private TestDatabase db;

    @BeforeEach
    void setUp() {
        db = TestPostgres.createDatabase();
    }

    @AfterEach
    void tearDown() {
        db.execute("DROP OWNED BY " + app + ", " + migrator);
        db.close();
        try (Connection c = DriverManager.getConnection(db.url().replaceFirst("/[^/?]+(\\?|$)", "/postgres$1"), db.username(), db.password());
             Statement s = c.createStatement()) {
            s.execute("DROP ROLE IF EXISTS " + app);
            s.execute("DROP ROLE IF EXISTS " + migrator);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SQL block {@code n} (0, 1) of docs/security.md's "A migrator role apart from the application's", for this test's names. */
    private String documented(int n) throws Exception {
        String doc = Files.readString(REPO.resolve("docs/security.md"));
        int at = doc.indexOf("### A migrator role apart from the application's");
        for (int i = 0; i <= n; i++) {
            at = doc.indexOf("```sql\n", at) + "```sql\n".length();
        }
        String sql = doc.substring(at, doc.indexOf("```", at));
        return sql.replace("accounts_migrator", migrator).replace("accounts_app", app).replace("'…'", "'" + password + "'")
                .replace("DATABASE accounts", "DATABASE " + db.name());
    }

    private void run(String sql) {
        for (String statement : sql.split(";")) {
            String one = statement.lines().filter(l -> !l.strip().startsWith("--")).reduce("", (a, b) -> a + "\n" + b).strip();
            if (!one.isEmpty()) {
                db.execute(one);
            }
        }
    }

    @Test
    void theMigratorMigratesAndTheApplicationWritesRowsButChangesNoTable() throws Exception {
        run(documented(0));
        RunResult result = new MigrationRunner().migrate(MigrationSettings.connect(db.url(), migrator, password)
                .location(REPO.resolve("migrations")).target("latest").build());
        assertThat(result.outcome()).as(String.valueOf(result.error())).isEqualTo(RunResult.Outcome.SUCCEEDED);
        run(documented(1));

        try (Connection c = DriverManager.getConnection(db.url(), app, password); Statement s = c.createStatement()) {
            String table = db.column("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                    + " AND table_name <> 'flyway_schema_history' ORDER BY 1 LIMIT 1").get(0);
            s.executeQuery("SELECT count(*) FROM public." + table).close();
            s.executeUpdate("DELETE FROM public." + table + " WHERE false"); // rows are the application's
            assertThatThrownBy(() -> s.execute("ALTER TABLE public." + table + " ADD COLUMN sneaky int"))
                    .isInstanceOf(SQLException.class).satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("42501"));
            assertThatThrownBy(() -> s.execute("CREATE TABLE public.sneaky (id int)"))
                    .isInstanceOf(SQLException.class).satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("42501"));
            assertThatThrownBy(() -> s.execute("DELETE FROM public.flyway_schema_history"))
                    .as("the history is the migrator's").isInstanceOf(SQLException.class);
        }
    }
}
