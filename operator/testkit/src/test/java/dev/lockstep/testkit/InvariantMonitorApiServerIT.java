package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The invariant monitor catches what it is there to catch. No operator runs here: each test breaks one promise by
 * hand (a gate opened early, a contract Job under an old pod, a Service switched to pods that are not Ready, two
 * runner Jobs at once) and the monitor must name it, while the lawful steps around it pass.
 */
@ExtendWith(ControlPlaneExtension.class)
class InvariantMonitorApiServerIT {
    private static final String GATE = "lockstep.dev/schema-ready";

    /** A database whose history says it is at {@code versions}, as Flyway records it. */
    private static TestDatabase databaseAt(Cluster cluster, String... versions) {
        TestDatabase db = cluster.database();
        db.execute("CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50),"
                + " description varchar(200) NOT NULL, success boolean NOT NULL)");
        for (int i = 0; i < versions.length; i++) {
            String[] parts = versions[i].split(":", 2);
            db.execute("INSERT INTO flyway_schema_history VALUES (" + (i + 1) + ", '" + parts[0] + "', '"
                    + (parts.length > 1 ? parts[1] : "step " + parts[0]) + "', true)");
        }
        return db;
    }

    private static Pod gatedPod(Cluster cluster, String name, String requires, Map<String, String> extraLabels) {
        var template = RollingGateApiServerIT.template("items-api", "items", requires);
        template.getMetadata().getLabels().putAll(extraLabels);
        Pod pod = new PodBuilder().withMetadata(template.getMetadata()).withSpec(template.getSpec()).build();
        pod.getMetadata().setName(name);
        Pod created = cluster.client().pods().inNamespace(cluster.namespace()).resource(pod).create();
        await().atMost(Duration.ofSeconds(20)).until(() -> "Running".equals(phase(cluster, name)));
        return created;
    }

    private static String phase(Cluster cluster, String pod) {
        Pod p = cluster.client().pods().inNamespace(cluster.namespace()).withName(pod).get();
        return p == null || p.getStatus() == null ? null : p.getStatus().getPhase();
    }

    /** What the operator does when it opens a gate; here done by hand, whatever the database says. */
    private static void openGate(Cluster cluster, String pod) {
        cluster.client().pods().inNamespace(cluster.namespace()).withName(pod).editStatus(p -> {
            List<io.fabric8.kubernetes.api.model.PodCondition> conditions = new ArrayList<>(p.getStatus().getConditions());
            conditions.removeIf(c -> GATE.equals(c.getType()));
            conditions.add(new PodConditionBuilder().withType(GATE).withStatus("True").withReason("SchemaReady").build());
            p.getStatus().setConditions(conditions);
            return p;
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> cluster.client().pods().inNamespace(cluster.namespace()).withName(pod).get()
                .getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())));
    }

    private static void runnerJob(Cluster cluster, String name, String step) {
        cluster.client().batch().v1().jobs().inNamespace(cluster.namespace()).resource(new JobBuilder()
                .withNewMetadata().withName(name).addToLabels("app.kubernetes.io/managed-by", "lockstep")
                    .addToLabels("lockstep.dev/schema-migration", "items").addToAnnotations("lockstep.dev/step", step).endMetadata()
                .withNewSpec().withBackoffLimit(0).withNewTemplate().withNewSpec().withRestartPolicy("Never")
                    .addNewContainer().withName("not-a-runner").withImage("busybox").endContainer()
                .endSpec().endTemplate().endSpec().build()).create();
    }

    @Test
    void catchesAPodMadeReadyBelowTheRevisionItRequires(Cluster cluster) {
        TestDatabase db = databaseAt(cluster, "1");
        try (InvariantMonitor monitor = new InvariantMonitor(cluster.client()).start()) {
            monitor.watch(cluster.namespace(), "items", db, null);
            gatedPod(cluster, "on-one", "1", Map.of());
            gatedPod(cluster, "on-two", "2", Map.of());

            openGate(cluster, "on-one");
            openGate(cluster, "on-two");

            await().atMost(Duration.ofSeconds(10)).until(() -> !monitor.violations(cluster.namespace()).isEmpty());
            assertThat(monitor.violations(cluster.namespace())).singleElement().asString()
                    .contains("pod on-two became", "requires 2 and the database is at 1");
            assertThat(monitor.readyChecks()).isEqualTo(2);
        }
    }

    @Test
    void catchesAContractJobCreatedWhileAPodOnTheOldRevisionRuns(Cluster cluster) {
        TestDatabase db = databaseAt(cluster, "1", "2", "3:contract drop legacy");
        try (InvariantMonitor monitor = new InvariantMonitor(cluster.client()).start()) {
            monitor.watch(cluster.namespace(), "items", db, null);
            gatedPod(cluster, "on-two", "2", Map.of());
            runnerJob(cluster, "items-3-lawful", "Contract");
            assertThat(monitor.violations(cluster.namespace())).isEmpty();

            gatedPod(cluster, "on-one", "1", Map.of());
            runnerJob(cluster, "items-3-early", "Contract");

            await().atMost(Duration.ofSeconds(10)).until(() -> monitor.contractJobs(cluster.namespace()) == 2);
            assertThat(monitor.violations(cluster.namespace())).anySatisfy(v -> assertThat(v)
                    .contains("contract job items-3-early", "pods requiring less than 2 were alive: [on-one=1]"));
            assertThat(monitor.violations(cluster.namespace())).noneSatisfy(v -> assertThat(v).contains("items-3-lawful created"));
        }
    }

    @Test
    void catchesAServiceSwitchedToPodsThatAreNotReadyAndASwitchBackwards(Cluster cluster) {
        TestDatabase db = databaseAt(cluster, "1", "2");
        try (InvariantMonitor monitor = new InvariantMonitor(cluster.client()).start()) {
            monitor.watch(cluster.namespace(), "items", db, "items-api");
            cluster.client().services().inNamespace(cluster.namespace()).resource(new ServiceBuilder()
                    .withNewMetadata().withName("items-api").endMetadata()
                    .withNewSpec().addToSelector("app", "items-api").addToSelector("lockstep.dev/color", "blue")
                        .addNewPort().withPort(80).endPort().endSpec().build()).create();
            gatedPod(cluster, "blue-1", "1", Map.of("lockstep.dev/color", "blue"));
            openGate(cluster, "blue-1");
            gatedPod(cluster, "green-1", "2", Map.of("lockstep.dev/color", "green"));

            switchTo(cluster, "green");
            await().atMost(Duration.ofSeconds(10)).until(() -> monitor.switches(cluster.namespace()) == 1);
            assertThat(monitor.violations(cluster.namespace())).singleElement().asString()
                    .contains("switched to", "green", "while pod green-1 was not Ready");

            openGate(cluster, "green-1");
            switchTo(cluster, "blue");
            await().atMost(Duration.ofSeconds(10)).until(() -> monitor.switches(cluster.namespace()) == 2);
            assertThat(monitor.violations(cluster.namespace())).hasSize(2).anySatisfy(v -> assertThat(v)
                    .contains("towards pods requiring 1 from pods requiring 2: not towards the newer side"));
        }
    }

    @Test
    void catchesTwoRunnerJobsActiveAtOnce(Cluster cluster) {
        TestDatabase db = databaseAt(cluster, "1");
        try (InvariantMonitor monitor = new InvariantMonitor(cluster.client()).start()) {
            monitor.watch(cluster.namespace(), "items", db, null);

            runnerJob(cluster, "items-2-first", "Expand");
            runnerJob(cluster, "items-2-second", "Expand");

            await().atMost(Duration.ofSeconds(10)).until(() -> monitor.jobs() == 2);
            assertThat(monitor.violations(cluster.namespace())).singleElement().asString()
                    .contains("job items-2-second created", "while job items-2-first was still active");
        }
    }

    private static void switchTo(Cluster cluster, String color) {
        cluster.client().services().inNamespace(cluster.namespace()).withName("items-api")
                .edit(s -> { s.getSpec().getSelector().put("lockstep.dev/color", color); return s; });
    }
}
