package dev.lockstep.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Dockerfile read as text: its stages, user, archive and entrypoint. Static, because no Docker engine runs
 * where the tests run; the image itself is built elsewhere.
 */
class DockerfileStaticTest {
    private static final Path REPO = Path.of(System.getProperty("lockstep.repoDir", "../..")).toAbsolutePath().normalize();

    /** The Dockerfile's instructions, continuation lines joined, comments left out. */
    private static List<String> instructions() throws IOException {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(REPO.resolve("Dockerfile"))) {
            if (line.isBlank() || line.stripLeading().startsWith("#")) {
                continue;
            }
            String text = line.strip();
            if (text.endsWith("\\")) {
                current.append(text, 0, text.length() - 1).append(' ');
                continue;
            }
            out.add(current.append(text).toString());
            current.setLength(0);
        }
        return out;
    }

    @Test
    void twoStagesTheRuntimeOnAJreAsANumericNonRootUser() throws IOException {
        List<String> from = instructions().stream().filter(i -> i.startsWith("FROM ")).toList();
        assertThat(from).containsExactly("FROM eclipse-temurin:17-jdk AS build", "FROM eclipse-temurin:17-jre");
        List<String> runtime = runtimeStage();
        assertThat(runtime).contains("USER 65532:65532", "EXPOSE 8080", "CMD [\"operator\"]");
        assertThat(runtime).anyMatch(i -> i.startsWith("COPY --from=build /src/operator/cli/target/lockstep.jar /opt/lockstep/lockstep.jar"));
        assertThat(runtime).anyMatch(i -> i.startsWith("LABEL ") && i.contains("org.opencontainers.image.title=\"lockstep\"")
                && i.contains("org.opencontainers.image.version="));
        // the user comes after every step that writes into the image
        assertThat(runtime.indexOf("USER 65532:65532")).isGreaterThan(indexOf(runtime, "RUN "));
    }

    @Test
    void theEntrypointStartsFromTheArchiveTheImageTrained() throws IOException {
        List<String> runtime = runtimeStage();
        String run = runtime.get(indexOf(runtime, "RUN "));
        assertThat(run).contains("java -Xshare:dump", "-XX:ArchiveClassesAtExit=/opt/lockstep/lockstep.jsa",
                "-jar /opt/lockstep/lockstep.jar migrate", "test -s /opt/lockstep/lockstep.jsa");
        String entrypoint = runtime.get(indexOf(runtime, "ENTRYPOINT "));
        assertThat(entrypoint).isEqualTo("ENTRYPOINT [\"java\", \"-XX:SharedArchiveFile=/opt/lockstep/lockstep.jsa\", \"-Xshare:auto\","
                + " \"-jar\", \"/opt/lockstep/lockstep.jar\"]");
        // the archive is written before JAVA_TOOL_OPTIONS is set, so the training JVM runs as the archive's users do
        assertThat(indexOf(runtime, "ENV JAVA_TOOL_OPTIONS")).isGreaterThan(indexOf(runtime, "RUN "));
    }

    private List<String> runtimeStage() throws IOException {
        List<String> all = instructions();
        int last = 0;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).startsWith("FROM ")) {
                last = i;
            }
        }
        return all.subList(last, all.size());
    }

    private static int indexOf(List<String> instructions, String prefix) {
        for (int i = 0; i < instructions.size(); i++) {
            if (instructions.get(i).startsWith(prefix)) {
                return i;
            }
        }
        throw new AssertionError("no " + prefix + "instruction in " + instructions);
    }
}
