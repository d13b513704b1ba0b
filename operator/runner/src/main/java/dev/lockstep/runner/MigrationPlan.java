package dev.lockstep.runner;

import dev.lockstep.common.Sha256;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What a run will do before it does anything: the versions it applies or undoes, each with its kind, its checksum and
 * whether it breaks code written for the schema before it, and a digest over all of that. Approving a plan means
 * writing its digest into the spec (a reviewed commit); the runner applies only a plan whose digest matches.
 *
 * @param digest {@code sha256:<hex>} over the starting revision and every step's version, kind and checksum, in order:
 *               over what will run, not over what the dry run could see, so the same source and database always give
 *               the same digest (a dry run that could not take a lock does not change it)
 * @param from   the revision the plan starts at
 * @param steps  in the order they run
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MigrationPlan(String digest, String from, List<Step> steps) {

    public enum Kind { Expand, Contract, Undo }

    /**
     * One step.
     *
     * @param findings destructive changes the dry run found, as {@code script:line: change}
     * @param note     why a step was not dry-run (it runs outside a transaction, a lock was busy), when it was not
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Step(String version, String description, String script, Kind kind, Integer checksum, boolean destructive,
                       List<String> findings, String note) {
        /** The version, or the script of a repeatable migration, which has none. */
        @com.fasterxml.jackson.annotation.JsonIgnore
        public String label() {
            return version == null ? script : version;
        }

        Step withLint(List<String> newFindings, String newNote) {
            return new Step(version, description, script, kind, checksum, destructive || !newFindings.isEmpty(),
                    newFindings.isEmpty() ? null : List.copyOf(newFindings), newNote);
        }
    }

    static MigrationPlan of(String from, List<Step> steps) {
        return new MigrationPlan(digest(from, steps), from, List.copyOf(steps));
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isEmpty() {
        return steps == null || steps.isEmpty();
    }

    /** Expand steps whose dry run found destructive changes. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public List<Step> destructiveExpandSteps() {
        return steps.stream().filter(s -> s.kind() == Kind.Expand && s.findings() != null && !s.findings().isEmpty()).toList();
    }

    static String digest(String from, List<Step> steps) {
        StringBuilder canonical = new StringBuilder("from=").append(from == null ? "" : from).append('\n');
        for (Step s : steps) {
            canonical.append(s.version() == null ? "R:" + s.script() : s.version()).append('|').append(s.kind()).append('|').append(s.checksum()).append('\n');
        }
        return "sha256:" + Sha256.hex(canonical.toString());
    }
}
