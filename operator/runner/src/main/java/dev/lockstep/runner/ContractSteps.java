package dev.lockstep.runner;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;

/**
 * Expand / contract. A contract script removes what older code still uses (a column, a table, a constraint it relies
 * on); it is named {@code V<version>__contract_<description>.sql}. Every other versioned script is an expand step.
 * With {@code --hold-contract} the runner applies expand steps up to the target but stops before the first pending
 * contract step, and reports what it held; the operator runs the rest once no pod needs the old schema.
 */
public final class ContractSteps {
    private ContractSteps() {}

    public static boolean isContract(MigrationInfo migration) {
        String description = migration.getDescription() == null ? "" : migration.getDescription().toLowerCase(Locale.ROOT);
        return description.equals("contract") || description.startsWith("contract ");
    }

    /**
     * Where an expand-only run must stop.
     *
     * @param stopAt the last version to apply (may already be applied: then nothing runs), or null when no contract
     *               step is pending within the target
     * @param held   the pending versions within the target from the first contract step on
     */
    public record Hold(String stopAt, List<String> held) {
        public boolean holds() {
            return !held.isEmpty();
        }
    }

    public static Hold of(MigrationInfoService info, String target) {
        MigrationVersion limit = MigrationSettings.LATEST.equals(target) ? MigrationVersion.LATEST : MigrationVersion.fromVersion(target);
        List<MigrationInfo> pending = Arrays.stream(info.all())
                .filter(m -> m.getVersion() != null && m.getState() == MigrationState.PENDING)
                .filter(m -> m.getVersion().compareTo(limit) <= 0)
                .sorted(Comparator.comparing(MigrationInfo::getVersion))
                .toList();
        MigrationInfo firstContract = pending.stream().filter(ContractSteps::isContract).findFirst().orElse(null);
        if (firstContract == null) {
            return new Hold(null, List.of());
        }
        MigrationVersion contract = firstContract.getVersion();
        String stopAt = Arrays.stream(info.all())
                .filter(m -> m.getVersion() != null && m.getVersion().compareTo(contract) < 0)
                .map(MigrationInfo::getVersion).max(Comparator.naturalOrder())
                .map(MigrationVersion::getVersion).orElse(null);
        List<String> held = pending.stream().filter(m -> m.getVersion().compareTo(contract) >= 0)
                .map(m -> m.getVersion().getVersion()).toList();
        return new Hold(stopAt, held);
    }
}
