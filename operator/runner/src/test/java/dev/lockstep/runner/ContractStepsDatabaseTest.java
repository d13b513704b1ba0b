package dev.lockstep.runner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.runner.testing.TestDatabase;
import dev.lockstep.runner.testing.TestPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Database layer: --hold-contract applies expand steps and stops before the first contract step. */
class ContractStepsDatabaseTest {
    private final MigrationRunner runner = new MigrationRunner();
    private TestDatabase db;
    @TempDir
    Path scripts;

    @BeforeEach
    void setUp() throws IOException {
        db = TestPostgres.createDatabase();
        Files.writeString(scripts.resolve("V1__create_users.sql"), "CREATE TABLE users (id bigint PRIMARY KEY, name text);");
        Files.writeString(scripts.resolve("V2__add_display_name.sql"), "ALTER TABLE users ADD COLUMN display_name text;");
        Files.writeString(scripts.resolve("V3__contract_drop_name.sql"), "ALTER TABLE users DROP COLUMN name;");
        Files.writeString(scripts.resolve("V4__add_locale.sql"), "ALTER TABLE users ADD COLUMN locale text;");
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    private MigrationSettings settings(String target, boolean hold) {
        return MigrationSettings.connect(db.url(), db.username(), db.password()).location(scripts).target(target)
                .lockTimeout(Duration.ofSeconds(5)).holdContract(hold).build();
    }

    private List<String> columns() {
        return db.column("SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY 1");
    }

    @Test
    void holdingAppliesExpandStepsAndReportsTheContractStepAndWhatFollowsIt() {
        RunResult expand = runner.migrate(settings("latest", true));

        assertThat(expand.error()).isNull();
        assertThat(expand.applied()).extracting(RunResult.Applied::version).containsExactly("1", "2");
        assertThat(expand.toRevision()).isEqualTo("2");
        assertThat(expand.held()).containsExactly("3", "4");
        assertThat(columns()).containsExactly("display_name", "id", "name");

        RunResult again = runner.migrate(settings("latest", true));
        assertThat(again.applied()).isEmpty();
        assertThat(again.held()).containsExactly("3", "4");
        assertThat(again.outcome()).isEqualTo(RunResult.Outcome.SUCCEEDED);

        RunResult contract = runner.migrate(settings("latest", false));
        assertThat(contract.applied()).extracting(RunResult.Applied::version).containsExactly("3", "4");
        assertThat(contract.held()).isNull();
        assertThat(columns()).containsExactly("display_name", "id", "locale");
    }

    @Test
    void targetBelowTheContractStepHoldsNothing() {
        RunResult result = runner.migrate(settings("2", true));

        assertThat(result.applied()).extracting(RunResult.Applied::version).containsExactly("1", "2");
        assertThat(result.held()).isNull();
    }

    @Test
    void heldVersionsSurviveTheResultJson() {
        RunResult expand = runner.migrate(settings("latest", true));

        assertThat(ResultJson.read(ResultJson.write(expand)).held()).containsExactly("3", "4");
    }
}
