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
        // built and tested on 17 (the code's release), run on Java 25 for its AOT cache
        assertThat(from).containsExactly("FROM eclipse-temurin:17-jdk AS build", "FROM eclipse-temurin:25-jre");
        List<String> runtime = runtimeStage();
        assertThat(runtime).contains("USER 65532:65532", "EXPOSE 8080", "CMD [\"operator\"]");
        assertThat(runtime).anyMatch(i -> i.startsWith("COPY --from=build /src/operator/cli/target/lockstep.jar /opt/lockstep/lockstep.jar"));
        assertThat(runtime).anyMatch(i -> i.startsWith("LABEL ") && i.contains("org.opencontainers.image.title=\"lockstep\"")
                && i.contains("org.opencontainers.image.version="));
        // the user comes after every step that writes into the image
        assertThat(runtime.indexOf("USER 65532:65532")).isGreaterThan(indexOf(runtime, "RUN "));
    }

    @Test
    void theEntrypointStartsFromTheCacheTheImageTrained() throws IOException {
        List<String> runtime = runtimeStage();
        String run = runtime.get(indexOf(runtime, "RUN "));
        assertThat(run).contains("-XX:AOTCacheOutput=/opt/lockstep/lockstep.aot", "-jar /opt/lockstep/lockstep.jar migrate",
                "test -s /opt/lockstep/lockstep.aot");
        String entrypoint = runtime.get(indexOf(runtime, "ENTRYPOINT "));
        assertThat(entrypoint).isEqualTo("ENTRYPOINT [\"java\", \"-XX:AOTCache=/opt/lockstep/lockstep.aot\","
                + " \"-jar\", \"/opt/lockstep/lockstep.jar\"]");
        // the training runs with the JAVA_TOOL_OPTIONS runner pods get, so the cache fits the JVMs that use it
        String tool = runtime.get(indexOf(runtime, "ENV JAVA_TOOL_OPTIONS"));
        assertThat(indexOf(runtime, "ENV JAVA_TOOL_OPTIONS")).isLessThan(indexOf(runtime, "RUN "));
        assertThat(tool).contains("-XX:MaxRAMPercentage=75 -Djava.io.tmpdir=/tmp");
    }

    /** The operator gives runner pods JAVA_TOOL_OPTIONS; they must be the image's, or the cache would not fit them. */
    @Test
    void runnerPodsGetTheJavaOptionsTheCacheWasTrainedWith() throws IOException {
        var sm = new dev.lockstep.api.v1alpha1.SchemaMigration();
        sm.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("orders").withNamespace("shop").withUid("u").build());
        var spec = new dev.lockstep.api.v1alpha1.SchemaMigrationSpec();
        spec.setTargetRevision("1");
        var db = new dev.lockstep.api.v1alpha1.DatabaseSpec();
        db.setUrl("jdbc:postgresql://orders-db:5432/orders");
        var secret = new dev.lockstep.api.v1alpha1.SecretKeysReference();
        secret.setName("orders-db");
        db.setCredentialsSecretRef(secret);
        spec.setDatabase(db);
        var source = new dev.lockstep.api.v1alpha1.SourceSpec();
        source.setConfigMapRef(new io.fabric8.kubernetes.api.model.LocalObjectReference("orders-migrations"));
        spec.setSource(source);
        sm.setSpec(spec);
        var job = new dev.lockstep.operator.jobs.RunnerJobFactory(new dev.lockstep.operator.OperatorSettings("lockstep:0.1.0", null))
                .create(sm, "orders-1-abc", "abc");
        String podOptions = job.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getName().equals("JAVA_TOOL_OPTIONS")).findFirst().orElseThrow().getValue();
        List<String> runtime = runtimeStage();
        assertThat(runtime.get(indexOf(runtime, "ENV JAVA_TOOL_OPTIONS"))).isEqualTo("ENV JAVA_TOOL_OPTIONS=\"" + podOptions + "\"");
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
