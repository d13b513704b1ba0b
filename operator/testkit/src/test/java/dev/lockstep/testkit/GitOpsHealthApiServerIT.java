package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.api.v1alpha1.ContractSpec;
import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.Operator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Argo CD health script and kstatus' rules, on SchemaMigrations in every state a GitOps controller meets, made
 * by real runs on the real control plane and read back from the API server: each object is written to
 * target/gitops-health/ with what both said.
 */
@ExtendWith(ControlPlaneExtension.class)
class GitOpsHealthApiServerIT {
    private static final KubernetesSerialization JSON = new KubernetesSerialization();
    private static final Map<String, String> TWO = Map.of("V1__a.sql", "CREATE TABLE a (id int);", "V2__b.sql", "CREATE TABLE b (id int);");
    private static final Map<String, String> BROKEN = Map.of("V1__a.sql", "CREATE TABLE a (id int);",
            "V2__b.sql", "ALTER TABLE nowhere ADD COLUMN x int;");

    record Expected(String argo, String kstatus) {}

    @Test
    void argoCdsHealthAndKstatusReadEveryStateAsAGitOpsControllerShould(Cluster cluster) throws Exception {
        Map<String, TestDatabase> dbs = new LinkedHashMap<>();
        for (String name : new String[] {"ready", "migrating", "suspended", "releasing", "new"}) {
            dbs.put(name, cluster.databaseWithScripts(name + "-db", name + "-scripts", TWO));
        }
        dbs.put("failed", cluster.databaseWithScripts("failed-db", "failed-scripts", BROKEN));
        dbs.put("approval", cluster.databaseWithScripts("approval-db", "approval-scripts", Migrations.USERS_WITH_CONTRACT));
        dbs.put("contracting", cluster.databaseWithScripts("contracting-db", "contracting-scripts", Migrations.USERS_WITH_CONTRACT));
        String ns = cluster.namespace();
        cluster.kubelet().delayStart(p -> ns.equals(p.getMetadata().getNamespace())
                && p.getMetadata().getName().startsWith("migrating-"), Duration.ofMinutes(2));
        // a worker on revision 1 keeps the contract step waiting; a pod that needs 3 holds Releasing (the target is 2)
        oldPod(cluster, "old-worker", "contracting", "1");
        oldPod(cluster, "early-pod", "releasing", "3");

        Operator operator = cluster.startOperator();
        Map<String, Map<String, Object>> seen = new LinkedHashMap<>();
        apply(cluster, dbs.get("ready"), "ready", "latest", sm -> true);
        apply(cluster, dbs.get("migrating"), "migrating", "latest", sm -> true);
        apply(cluster, dbs.get("failed"), "failed", "2", sm -> true);
        apply(cluster, dbs.get("suspended"), "suspended", "latest", sm -> { sm.getSpec().setSuspend(true); return true; });
        apply(cluster, dbs.get("approval"), "approval", "3", sm -> { ContractSpec c = new ContractSpec(); c.setRequireApproval(true); sm.getSpec().setContract(c); return true; });
        apply(cluster, dbs.get("contracting"), "contracting", "latest", sm -> true);
        apply(cluster, dbs.get("releasing"), "releasing", "2", sm -> true);
        seen.put("ready", awaitPhase(cluster, "ready", Phase.Ready));
        seen.put("migrating", awaitPhase(cluster, "migrating", Phase.Migrating));
        seen.put("failed", awaitPhase(cluster, "failed", Phase.Failed));
        seen.put("suspended", awaitPhase(cluster, "suspended", Phase.Suspended));
        seen.put("awaiting approval", awaitPhase(cluster, "approval", Phase.AwaitingApproval));
        seen.put("contract waiting for old pods", awaitPhase(cluster, "contracting", Phase.Contracting));
        seen.put("releasing", awaitPhase(cluster, "releasing", Phase.Releasing));

        // The operator stops; Git changes a spec it has not seen, and adds a SchemaMigration it has never reported on.
        cluster.stop(operator);
        cluster.editMigration("ready", sm -> sm.getSpec().setTargetRevision("1"));
        seen.put("a spec the operator has not seen yet", object(cluster, "ready"));
        apply(cluster, dbs.get("new"), "new", "latest", sm -> true);
        seen.put("no status yet", object(cluster, "new"));

        Map<String, Expected> expected = new LinkedHashMap<>();
        expected.put("ready", new Expected("Healthy", "Current"));
        expected.put("migrating", new Expected("Progressing", "InProgress"));
        expected.put("failed", new Expected("Degraded", "Failed"));
        expected.put("suspended", new Expected("Suspended", "Current"));
        expected.put("awaiting approval", new Expected("Suspended", "InProgress"));
        expected.put("contract waiting for old pods", new Expected("Healthy", "InProgress"));
        expected.put("releasing", new Expected("Healthy", "Current"));
        expected.put("a spec the operator has not seen yet", new Expected("Progressing", "InProgress"));
        expected.put("no status yet", new Expected("Progressing", "Current"));

        Path out = Files.createDirectories(ControlPlaneExtension.REPO.resolve("operator/testkit/target/gitops-health"));
        Map<String, Expected> actual = new LinkedHashMap<>();
        for (var e : seen.entrySet()) {
            GitOpsHealth.Argo argo = GitOpsHealth.argo(e.getValue());
            String kstatus = GitOpsHealth.kstatus(e.getValue());
            actual.put(e.getKey(), new Expected(argo.status(), kstatus));
            assertThat(argo.message()).as("Argo CD's message for %s", e.getKey()).isNotBlank();
            Files.writeString(out.resolve(e.getKey().replace(' ', '-') + ".json"), JSON.asJson(Map.of("object", e.getValue(),
                    "argocd", Map.of("status", argo.status(), "message", argo.message()), "kstatus", kstatus)));
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(GitOpsHealth.argo(seen.get("failed")).message()).startsWith("MigrationFailed: ");
        assertThat(GitOpsHealth.argo(seen.get("awaiting approval")).message()).contains("spec.contract.approvedRevision");
        assertThat(GitOpsHealth.argo(seen.get("a spec the operator has not seen yet")).message()).contains("generation 2");
    }

    private static void oldPod(Cluster cluster, String name, String schema, String requires) {
        var template = RollingGateApiServerIT.template(name, schema, requires);
        cluster.client().pods().inNamespace(cluster.namespace()).resource(new PodBuilder().withMetadata(template.getMetadata())
                .withSpec(template.getSpec()).editMetadata().withName(name).endMetadata().build()).create();
    }

    /** A SchemaMigration on its own database, Secret {@code <name>-db} and ConfigMap {@code <name>-scripts}. */
    private static void apply(Cluster cluster, TestDatabase db, String name, String target, Predicate<SchemaMigration> change) {
        SchemaMigration sm = Migrations.fromConfigMap(name, target, db, name + "-db", name + "-scripts");
        change.test(sm);
        cluster.apply(sm);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Cluster cluster, String name) {
        return JSON.unmarshal(JSON.asJson(cluster.get(name)), Map.class);
    }

    private static Map<String, Object> awaitPhase(Cluster cluster, String name, Phase phase) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> cluster.get(name).getStatus() != null && cluster.get(name).getStatus().getPhase() == phase);
        return object(cluster, name);
    }
}
