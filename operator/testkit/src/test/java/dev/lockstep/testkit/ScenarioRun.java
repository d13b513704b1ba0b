package dev.lockstep.testkit;

import dev.lockstep.api.v1alpha1.BlueGreenPhase;
import dev.lockstep.api.v1alpha1.BlueGreenSpec;
import dev.lockstep.api.v1alpha1.ContractSpec;
import dev.lockstep.api.v1alpha1.RolloutSpec;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.runner.testing.TestDatabase;
import dev.lockstep.runner.testing.TestPostgres;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.RollableScalableResource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * Plays one {@link Scenario} in a namespace of its own, against the shared operator, as a platform team would:
 * the application on its base revision, then one change that moves the schema and the code, then whatever the
 * scenario says goes wrong and its fix, until the rollout is done. It asserts what the user sees (the final
 * revision, the columns, which pods serve); the {@link InvariantMonitor} asserts what must never happen on the way.
 */
final class ScenarioRun {
    static final String NAME = "items";
    private static final String APP = "items-api";
    private static final String SERVICE = "items-api";
    private static final String SECRET = "items-db";
    private static final String CONFIG_MAP = "items-migrations";
    private static final String COLOR = "lockstep.dev/color";
    private static final Duration PHASE_TIMEOUT = Duration.ofSeconds(180);
    /** Sixteen scenarios polling every half second already keep the API server busy; faster says nothing more. */
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Predicate<Pod> RUNNER = p -> "runner".equals(p.getMetadata().getLabels().get("app.kubernetes.io/component"));

    /** What came of one scenario. */
    record Outcome(Scenario scenario, String namespace, Duration took, String failure, List<String> violations, String timeline) {
        boolean passed() {
            return failure == null && violations.isEmpty();
        }
    }

    private final Cluster cluster;
    private final KubernetesClient client;
    private final InvariantMonitor monitor;
    private final Scenario scenario;
    private final String namespace;
    private TestDatabase db;

    ScenarioRun(Cluster cluster, InvariantMonitor monitor, Scenario scenario) {
        this.cluster = cluster;
        this.client = cluster.client();
        this.monitor = monitor;
        this.scenario = scenario;
        this.namespace = "s" + scenario.index() + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    Outcome run() {
        Instant started = Instant.now();
        String failure = null;
        try {
            setUp();
            roll();
            if (scenario.failure() != Scenario.Failure.NONE) {
                failThenFix();
            }
            finish();
            verify();
        } catch (Throwable e) {
            failure = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        List<String> violations = monitor.violations(namespace);
        String timeline = monitor.timeline(namespace);
        monitor.release(namespace);
        try {
            client.namespaces().withName(namespace).delete();
        } catch (RuntimeException ignored) {
            // the control plane goes away at the end of the run anyway
        }
        if (db != null) {
            db.close();
        }
        return new Outcome(scenario, namespace, Duration.between(started, Instant.now()), failure, violations, timeline);
    }

    // ---- the steps ----

    private void setUp() {
        ControlPlaneExtension.createNamespace(client, namespace);
        db = TestPostgres.createDatabase();
        boolean blueGreen = scenario.strategy() == Scenario.Strategy.BlueGreen;
        monitor.watch(namespace, NAME, db, blueGreen ? SERVICE : null);
        client.secrets().inNamespace(namespace).resource(new SecretBuilder().withNewMetadata().withName(SECRET).endMetadata()
                .addToStringData("username", db.username())
                .addToStringData("password", db.password() == null ? "unused-with-trust-auth" : db.password()).build()).create();
        scripts(scenario.baseScripts());
        SchemaMigration sm = Migrations.fromConfigMap(NAME, Integer.toString(scenario.base()), db, SECRET, CONFIG_MAP);
        sm.getMetadata().setNamespace(namespace);
        if (blueGreen) {
            RolloutSpec rollout = new RolloutSpec();
            rollout.setStrategy(RolloutSpec.Strategy.BlueGreen);
            BlueGreenSpec spec = new BlueGreenSpec();
            spec.setService(SERVICE);
            rollout.setBlueGreen(spec);
            sm.getSpec().setRollout(rollout);
            client.services().inNamespace(namespace).resource(new ServiceBuilder().withNewMetadata().withName(SERVICE).endMetadata()
                    .withNewSpec().addToSelector("app", APP).addToSelector(COLOR, "blue")
                        .addNewPort().withPort(80).withNewTargetPort(8080).endPort().endSpec().build()).create();
        }
        if (scenario.requireApproval()) {
            ContractSpec contract = new ContractSpec();
            contract.setRequireApproval(true);
            sm.getSpec().setContract(contract);
        }
        client.resource(sm).inNamespace(namespace).create();
        deployments().resource(blueGreen ? side("blue", scenario.base()) : rolling(scenario.base())).create();

        String base = Integer.toString(scenario.base());
        until("the base revision is Ready with every pod serving", () -> {
            SchemaMigration now = schemaMigration();
            return ready(now) && base.equals(now.getStatus().getCurrentRevision()) && serving(scenario.base());
        });
    }

    /** One change to the schema and the code, in the scenario's order. */
    private void roll() throws InterruptedException {
        if (!scenario.runnerDelay().isZero()) {
            cluster.kubelet().delayStart(LocalKubelet.inNamespace(namespace).and(RUNNER), scenario.runnerDelay());
        }
        if (scenario.failure() == Scenario.Failure.RUNNER_OOM_THEN_RETRY) {
            // The first runner pod of the rollout is killed; the retry's pod is not.
            AtomicReference<String> victim = new AtomicReference<>();
            cluster.kubelet().inject(LocalKubelet.inNamespace(namespace).and(RUNNER).and(p -> {
                String uid = p.getMetadata().getUid();
                return victim.compareAndSet(null, uid) || uid.equals(victim.get());
            }), LocalKubelet.Fault.OOM_KILLED);
        }
        Runnable schema = () -> {
            scripts(scenario.rolloutScripts(true));
            patch(Map.of("spec", Map.of("targetRevision", Integer.toString(scenario.target()))));
        };
        Runnable code = () -> {
            if (scenario.strategy() == Scenario.Strategy.BlueGreen) {
                deployments().resource(side("green", scenario.expanded())).create();
            } else {
                String patch = client.getKubernetesSerialization().asJson(Map.of("spec", Map.of("template", template(APP, scenario.expanded()))));
                deployments().withName(APP).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
            }
        };
        switch (scenario.order()) {
            case SCHEMA_FIRST -> {
                schema.run();
                Thread.sleep(scenario.gap().toMillis());
                code.run();
            }
            case APPLICATION_FIRST -> {
                code.run();
                Thread.sleep(scenario.gap().toMillis());
                schema.run();
            }
            case TOGETHER -> {
                schema.run();
                code.run();
            }
        }
    }

    /** The rollout stalls; the old code keeps serving; the fix a user would make; the rollout goes on. */
    private void failThenFix() {
        until("the SchemaMigration is Stalled by the failure", () -> Cluster.condition(schemaMigration(), "Stalled")
                .filter(c -> "True".equals(c.getStatus()) && List.of("MigrationFailed", "RunnerFailed").contains(c.getReason()))
                .isPresent());
        check(serving(scenario.base()), "the old code keeps serving while the migration is failed");
        check(pods().stream().filter(p -> requires(p) == scenario.expanded()).noneMatch(ScenarioRun::ready),
                "no pod on the new code is Ready while the migration is failed");
        if (scenario.strategy() == Scenario.Strategy.BlueGreen) {
            check("blue".equals(selectedColor()), "the Service still selects blue while the migration is failed");
        }
        switch (scenario.failure()) {
            case BAD_SQL_FIXED_IN_SCRIPT -> scripts(scenario.rolloutScripts(false));
            case MISSING_OBJECT_THEN_RETRY -> {
                db.execute("CREATE TABLE rollout_audit (note text)");
                retry();
            }
            case RUNNER_OOM_THEN_RETRY -> retry();
            case NONE -> throw new IllegalStateException("no failure to fix");
        }
    }

    /** Approves the contract step and drains blue when the operator asks for it, until the rollout is done. */
    private void finish() {
        String target = Integer.toString(scenario.target());
        until("the rollout is done", () -> {
            SchemaMigration sm = schemaMigration();
            if (scenario.requireApproval() && sm.getStatus() != null && "AwaitingApproval".equals(String.valueOf(sm.getStatus().getPhase()))
                    && sm.getSpec().getContract().getApprovedRevision() == null) {
                patch(Map.of("spec", Map.of("contract", Map.of("approvedRevision", target))));
            }
            if (scenario.strategy() == Scenario.Strategy.BlueGreen && "green".equals(selectedColor())) {
                Deployment blue = deployments().withName(APP + "-blue").get();
                if (blue.getSpec().getReplicas() != 0) {
                    deployments().withName(APP + "-blue").scale(0);
                }
            }
            boolean done = ready(sm) && target.equals(sm.getStatus().getCurrentRevision()) && serving(scenario.expanded());
            if (scenario.strategy() == Scenario.Strategy.BlueGreen) {
                done = done && "green".equals(selectedColor()) && sm.getStatus().getBlueGreen() != null
                        && BlueGreenPhase.Idle == sm.getStatus().getBlueGreen().getState();
            }
            return done;
        });
    }

    private void verify() {
        List<String> columns = db.column("SELECT column_name FROM information_schema.columns WHERE table_name = 'items'");
        for (int v = scenario.base() + 1; v <= scenario.expanded(); v++) {
            check(columns.contains("attribute_" + v), "column attribute_" + v + " exists, found " + columns);
        }
        check(columns.contains("legacy_code") != scenario.contract(), (scenario.contract() ? "the contract step dropped" : "no step dropped")
                + " legacy_code, found " + columns);
        List<String> applied = db.column("SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL");
        check(applied.contains(Integer.toString(scenario.target())) && applied.size() == scenario.target(),
                "versions 1.." + scenario.target() + " applied, found " + applied);
        check(monitor.contractJobs(namespace) == (scenario.contract() ? 1 : 0),
                "contract Jobs: " + monitor.contractJobs(namespace));
        check(monitor.switches(namespace) == (scenario.strategy() == Scenario.Strategy.BlueGreen ? 1 : 0),
                "Service switches: " + monitor.switches(namespace));
    }

    // ---- the cluster, as the scenario sees it ----

    private static PodTemplateSpec template(String app, int requires) {
        return RollingGateApiServerIT.template(app, NAME, Integer.toString(requires));
    }

    private Deployment rolling(int requires) {
        return new DeploymentBuilder().withNewMetadata().withName(APP).endMetadata()
                .withNewSpec().withReplicas(scenario.replicas())
                    .withNewSelector().addToMatchLabels("app", APP).endSelector()
                    .withNewStrategy().withType("RollingUpdate").withNewRollingUpdate()
                        .withNewMaxUnavailable(0).withNewMaxSurge(scenario.maxSurge()).endRollingUpdate().endStrategy()
                    .withTemplate(template(APP, requires))
                .endSpec().build();
    }

    private Deployment side(String color, int requires) {
        PodTemplateSpec template = template(APP, requires);
        template.getMetadata().getLabels().put(COLOR, color);
        return new DeploymentBuilder().withNewMetadata().withName(APP + "-" + color).endMetadata()
                .withNewSpec().withReplicas(scenario.replicas())
                    .withNewSelector().addToMatchLabels("app", APP).addToMatchLabels(COLOR, color).endSelector()
                    .withTemplate(template)
                .endSpec().build();
    }

    private NonNamespaceOperation<Deployment, DeploymentList, RollableScalableResource<Deployment>> deployments() {
        return client.apps().deployments().inNamespace(namespace);
    }

    private void scripts(Map<String, String> scripts) {
        client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder().withNewMetadata().withName(CONFIG_MAP).endMetadata()
                .withData(scripts).build()).createOr(existing -> existing.update());
    }

    private Resource<SchemaMigration> schemaMigrationResource() {
        return client.resources(SchemaMigration.class).inNamespace(namespace).withName(NAME);
    }

    private SchemaMigration schemaMigration() {
        return schemaMigrationResource().get();
    }

    /** A merge patch, as `kubectl patch` or a GitOps sync makes it: no resourceVersion, so no conflict with status writes. */
    private void patch(Map<String, Object> change) {
        schemaMigrationResource().patch(PatchContext.of(PatchType.JSON_MERGE), client.getKubernetesSerialization().asJson(change));
    }

    private void retry() {
        patch(Map.of("metadata", Map.of("annotations", Map.of("lockstep.dev/retry",
                "after-" + scenario.failure().name().toLowerCase(java.util.Locale.ROOT)))));
    }

    private List<Pod> pods() {
        return client.pods().inNamespace(namespace).withLabel("app", APP).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    /** Exactly {@code replicas} application pods, all on code that requires {@code revision}, all Ready. */
    private boolean serving(int revision) {
        List<Pod> pods = pods();
        List<Pod> serving = pods.stream().filter(p -> requires(p) == revision).toList();
        boolean others = pods.stream().anyMatch(p -> requires(p) != revision);
        return serving.size() == scenario.replicas() && serving.stream().allMatch(ScenarioRun::ready)
                && (!others || revision == scenario.base());
    }

    private String selectedColor() {
        return Optional.ofNullable(client.services().inNamespace(namespace).withName(SERVICE).get())
                .map(s -> s.getSpec().getSelector().get(COLOR)).orElse(null);
    }

    private static int requires(Pod pod) {
        return Integer.parseInt(pod.getMetadata().getLabels().get("lockstep.dev/requires-revision"));
    }

    private static boolean ready(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static boolean ready(SchemaMigration sm) {
        return Cluster.condition(sm, "Ready").filter(c -> "True".equals(c.getStatus())).isPresent();
    }

    private void until(String what, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(PHASE_TIMEOUT);
        List<String> errors = new ArrayList<>();
        while (Instant.now().isBefore(deadline)) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                // An API call that failed (a conflict, a restart) says nothing either way; the next poll asks again.
                if (errors.size() < 3) {
                    errors.add(e.getMessage());
                }
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting until " + what);
            }
        }
        SchemaMigration sm = schemaMigration();
        throw new IllegalStateException("not within " + PHASE_TIMEOUT.toSeconds() + " s: " + what + "; SchemaMigration phase "
                + (sm == null || sm.getStatus() == null ? "none" : sm.getStatus().getPhase() + ", current " + sm.getStatus().getCurrentRevision()
                + ", conditions " + sm.getStatus().getConditions().stream().map(c -> c.getType() + "=" + c.getStatus() + "/" + c.getReason()
                + ": " + c.getMessage()).toList())
                + "; pods " + pods().stream().map(p -> p.getMetadata().getName() + " requires " + requires(p) + (ready(p) ? " Ready" : " not Ready")).toList()
                + (errors.isEmpty() ? "" : "; errors while polling " + errors));
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }

    @Override
    public String toString() {
        return Objects.toString(scenario) + " in " + namespace;
    }
}
