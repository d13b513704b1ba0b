package dev.lockstep.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The CRD YAML under crds/ is what users apply, so it must be exactly what the crd-generator makes from the model.
 * Run with {@code -Dlockstep.updateCrds=true} to copy the generated files over the committed ones.
 */
class CommittedCrdTest {
    private static final Path GENERATED = Path.of(System.getProperty("lockstep.generatedCrdDir", "target/classes/META-INF/fabric8"));
    private static final Path COMMITTED = Path.of(System.getProperty("lockstep.committedCrdDir", "../../crds"));

    @Test
    void committedCrdsMatchTheGeneratedOnes() throws IOException {
        List<Path> generated = crdFiles(GENERATED);
        assertThat(generated).as("CRDs generated into %s", GENERATED).isNotEmpty();

        if (Boolean.getBoolean("lockstep.updateCrds")) {
            Files.createDirectories(COMMITTED);
            for (Path file : generated) {
                Files.copy(file, COMMITTED.resolve(file.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }

        for (Path file : generated) {
            Path committed = COMMITTED.resolve(file.getFileName());
            if (!Files.exists(committed)) {
                fail("%s is missing: run ./mvnw -pl operator/api verify -Dlockstep.updateCrds=true and commit crds/", committed);
            }
            assertThat(Files.readString(committed))
                    .as("%s is stale: run ./mvnw -pl operator/api verify -Dlockstep.updateCrds=true and commit crds/", committed)
                    .isEqualTo(Files.readString(file));
        }
        assertThat(crdFiles(COMMITTED).stream().map(Path::getFileName).toList())
                .as("crds/ holds only generated CRDs")
                .containsExactlyInAnyOrderElementsOf(generated.stream().map(Path::getFileName).toList());
    }

    @Test
    void crdCarriesStatusSubresourceShortNameAndPrinterColumns() throws IOException {
        String crd = Files.readString(COMMITTED.resolve("schemamigrations.lockstep.dev-v1.yml"));
        assertThat(crd).contains("- \"sm\"", "subresources:", "status: {}");
        for (String column : List.of("Current", "Target", "Phase", "Ready", "Age")) {
            assertThat(crd).contains("name: \"" + column + "\"");
        }
        assertThat(crd).contains("pattern: \"" + SchemaMigrationSpec.REVISION_PATTERN.replace("\\", "\\\\") + "\"");
        assertThat(crd).contains("- \"targetRevision\"", "- \"database\"", "- \"source\"");
    }

    private static List<Path> crdFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith("-v1.yml")).sorted().toList();
        }
    }
}
