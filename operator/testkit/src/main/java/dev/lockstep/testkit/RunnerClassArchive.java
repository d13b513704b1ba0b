package dev.lockstep.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A class-data archive (the JVM's AppCDS) of the runner's classes: the first runner a kubelet starts writes it as it
 * exits, and every later runner starts from it, in about three quarters of the CPU time (measured side by side on
 * `lockstep migrate` of migrations/: 1.43 vs 1.90 CPU-seconds, median of 8). The API-server tier starts hundreds of
 * runners on two cores, so this is time off every scenario. It changes nothing a runner does: a runner that cannot
 * use the archive (another JVM, a jar changed) starts as before, silently ({@code -Xshare:auto}).
 *
 * <p>The JVM archives jars only, never a directory: the caller's own classes (this module's {@code target/classes}
 * and {@code target/test-classes}, which runners do not need) are left off the runner's classpath; with any other
 * directory on it there is no archive.
 */
final class RunnerClassArchive {
    private static final Logger LOG = LoggerFactory.getLogger(RunnerClassArchive.class);
    private static final List<String> QUIET = List.of("-Xlog:cds=off", "-Xlog:cds+dynamic=off");

    private final Path archive;
    private final Path writing;
    private final AtomicBoolean training = new AtomicBoolean();
    private volatile boolean ready;

    private RunnerClassArchive(Path dir) {
        this.archive = dir.resolve("runner.jsa");
        this.writing = dir.resolve("runner.jsa.writing");
    }

    /**
     * An archive for runners on {@code classpath}, or empty when it holds a directory the runner may need, or when the
     * system property {@code lockstep.runner.classArchive} is {@code false} (to compare, or to rule it out).
     */
    static Optional<RunnerClassArchive> forClasspath(List<String> classpath) {
        if (!Boolean.parseBoolean(System.getProperty("lockstep.runner.classArchive", "true"))) {
            return Optional.empty();
        }
        if (classpath.isEmpty() || !classpath.stream().allMatch(e -> e.endsWith(".jar") && Files.isRegularFile(Path.of(e)))) {
            return Optional.empty();
        }
        try {
            Path dir = Files.createTempDirectory("lockstep-runner-classes");
            dir.toFile().deleteOnExit();
            RunnerClassArchive archive = new RunnerClassArchive(dir);
            // Deleted in the reverse order of these calls: the files, then their directory.
            archive.writing.toFile().deleteOnExit();
            archive.archive.toFile().deleteOnExit();
            return Optional.of(archive);
        } catch (IOException e) {
            LOG.info("no class-data archive for runners ({}): they start without one", e.getMessage());
            return Optional.empty();
        }
    }

    /** The runner's classpath: {@code classpath} without the caller's own class directories. */
    static List<String> runnerClasspath(String classpath) {
        return Arrays.stream(classpath.split(File.pathSeparator)).filter(e -> !e.isEmpty())
                .filter(e -> !(Files.isDirectory(Path.of(e)) && (e.endsWith("testkit" + File.separator + "target" + File.separator + "classes")
                        || e.endsWith("testkit" + File.separator + "target" + File.separator + "test-classes"))))
                .toList();
    }

    /** A runner about to start: the JVM flags it takes, and whether it is the one that writes the archive. */
    record Use(List<String> flags, boolean writes) {}

    Use next() {
        if (ready) {
            return new Use(concat(List.of("-XX:SharedArchiveFile=" + archive), QUIET), false);
        }
        if (training.compareAndSet(false, true)) {
            return new Use(concat(List.of("-XX:ArchiveClassesAtExit=" + writing), QUIET), true);
        }
        return new Use(List.of(), false); // the first runner is still writing it
    }

    /** The runner that was to write the archive has ended: use what it wrote, or let the next one try. */
    void written() {
        try {
            if (Files.isRegularFile(writing) && Files.size(writing) > 0) {
                Files.move(writing, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                ready = true;
                LOG.info("runners start from the class-data archive {} ({} MiB)", archive, Files.size(archive) >> 20);
                return;
            }
        } catch (IOException e) {
            LOG.info("class-data archive for runners not kept: {}", e.getMessage());
        }
        training.set(false); // killed before it could write (a fault a test injects): the next runner writes it
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
