package dev.lockstep.runner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.flywaydb.core.api.MigrationVersion;

/**
 * A directory of migration scripts, split into what Flyway reads and the undo scripts Lockstep runs itself.
 *
 * <p>{@code U<version>__<description>.sql} undoes {@code V<version>__…}: Flyway's community edition has no undo
 * and rejects such names, so Flyway is pointed at a copy of the directory without them (checksums are of the
 * content, so the copy changes nothing Flyway records). Undo scripts always run in a transaction together with
 * the removal of their history row; a {@code .conf} next to one is refused rather than half honoured.
 */
public final class MigrationSource implements AutoCloseable {
    private static final Pattern UNDO = Pattern.compile("U([0-9]+(?:[._][0-9]+)*)__(.+)\\.sql");

    /** One undo script. */
    public record UndoScript(MigrationVersion version, String description, Path file) {
        public String script() {
            return file.getFileName().toString();
        }
    }

    private final Path flywayLocation;
    private final Map<MigrationVersion, UndoScript> undo;
    private final Path copy;

    private MigrationSource(Path flywayLocation, Map<MigrationVersion, UndoScript> undo, Path copy) {
        this.flywayLocation = flywayLocation;
        this.undo = undo;
        this.copy = copy;
    }

    /**
     * Reads {@code location}; throws {@link MigrationSettings.InvalidSettingsException} naming a bad undo script.
     */
    public static MigrationSource open(Path location) {
        Map<MigrationVersion, UndoScript> undo = new TreeMap<>();
        List<Path> others = new ArrayList<>();
        try (Stream<Path> files = Files.list(location)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                if (name.startsWith("U") && name.endsWith(".sql.conf")) {
                    throw new MigrationSettings.InvalidSettingsException(name + ": undo scripts always run in a transaction"
                            + " with the removal of their history row; remove the .conf (a non-transactional undo, such as"
                            + " DROP INDEX CONCURRENTLY, has to be done by hand)");
                }
                Matcher m = UNDO.matcher(name);
                if (m.matches() && Files.isRegularFile(file)) {
                    MigrationVersion version = MigrationVersion.fromVersion(m.group(1).replace('_', '.'));
                    UndoScript previous = undo.put(version, new UndoScript(version, m.group(2).replace('_', ' '), file));
                    if (previous != null) {
                        throw new MigrationSettings.InvalidSettingsException("two undo scripts for version " + version + ": "
                                + previous.script() + " and " + name + "; keep one");
                    }
                } else if (name.startsWith("U") && name.endsWith(".sql")) {
                    throw new MigrationSettings.InvalidSettingsException(name + ": an undo script is named U<version>__<description>.sql,"
                            + " e.g. U7__add_email.sql");
                } else {
                    others.add(file);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + location + ": " + e.getMessage(), e);
        }
        if (undo.isEmpty()) {
            return new MigrationSource(location, Map.of(), null);
        }
        try {
            Path copy = Files.createTempDirectory("lockstep-migrations-");
            for (Path file : others) {
                if (Files.isRegularFile(file)) {
                    Files.copy(file, copy.resolve(file.getFileName().toString()));
                }
            }
            return new MigrationSource(copy, Map.copyOf(undo), copy);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage the migrations of " + location + ": " + e.getMessage(), e);
        }
    }

    /** The directory Flyway reads: the source without its undo scripts. */
    public Path flywayLocation() {
        return flywayLocation;
    }

    public Map<MigrationVersion, UndoScript> undoScripts() {
        return undo;
    }

    @Override
    public void close() {
        if (copy == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(copy)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + copy + ": " + e.getMessage(), e);
        }
    }
}
