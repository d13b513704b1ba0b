package dev.lockstep.operator.decide;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.api.v1alpha1.BlueGreenSpec;
import dev.lockstep.api.v1alpha1.ConditionType;
import dev.lockstep.api.v1alpha1.ContractSpec;
import dev.lockstep.api.v1alpha1.Phase;
import dev.lockstep.api.v1alpha1.PolicySpec;
import dev.lockstep.api.v1alpha1.Reason;
import dev.lockstep.api.v1alpha1.RolloutSpec;
import dev.lockstep.api.v1alpha1.RunStep;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.api.v1alpha1.SchemaMigrationStatus;
import dev.lockstep.operator.Fixtures;
import dev.lockstep.operator.jobs.RunnerJobFactory;
import dev.lockstep.operator.jobs.RunnerJobs;
import dev.lockstep.operator.observe.Observation;
import dev.lockstep.operator.observe.SpecValidator;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The phase machine as a table, with no API server: each row is a world the operator may observe (the resource, its
 * scripts, its runner Jobs and their pods, the pods gated on it, its claims and Service) and what {@link PhaseMachine}
 * decides from it: the phase, the condition that says why (Stalled, Reconciling or Ready, with its reason), the
 * actions and the Events. Worlds further along are reached by stepping: the status one decision wrote is what the next
 * world's resource carries, with the Job it asked for, as the API server would hand them back.
 *
 * <p>The API-server tier proves the same transitions against the real control plane; this table shows them all at once,
 * and {@link #everyReasonDocumentedInStatusMdHasARow} fails when docs/status.md names a reason no row reaches.
 */
class PhaseMachineTest {
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    private static final PhaseMachine MACHINE = new PhaseMachine(DatabaseRetry.DEFAULT);
    private static final KubernetesSerialization JSON = new KubernetesSerialization();
    /** Every reason a row saw, in a condition or an Event; checked against docs/status.md at the end. */
    private static final Set<Reason> REACHED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** What the operator observes; each row builds one. */
    static final class World {
        SchemaMigration sm = Fixtures.migration("shop", "orders", "6");
        Map<String, String> scripts = new LinkedHashMap<>(Map.of(
                "V1__create_accounts.sql", "CREATE TABLE accounts (id bigint);",
                "V2__add_email.sql", "ALTER TABLE accounts ADD COLUMN email text;",
                "V3__index_email.sql", "CREATE INDEX ON accounts (email);",
                "V4__add_name.sql", "ALTER TABLE accounts ADD COLUMN name text;",
                "V5__add_created.sql", "ALTER TABLE accounts ADD COLUMN created timestamptz;",
                "V6__add_status.sql", "ALTER TABLE accounts ADD COLUMN status text;"));
        boolean configMap = true;
        Optional<Observation.Claim> claim = Optional.empty();
        Optional<Observation.RunnerAccount> runnerAccount = Optional.empty();
        List<Job> jobs = new ArrayList<>();
        Set<Pod> runnerPods = new HashSet<>();
        Map<String, String> mountFailures = new LinkedHashMap<>();
        boolean scheduled = true;
        Set<Pod> gatedPods = new HashSet<>();
        Optional<Service> service = Optional.empty();
        Instant now = NOW;

        World() {
            sm.getMetadata().setUid("sm-uid");
            sm.getMetadata().setGeneration(1L);
            sm.getMetadata().setCreationTimestamp("2026-12-01T11:00:00Z");
        }

        World spec(Consumer<SchemaMigration> change) {
            change.accept(sm);
            return this;
        }

        World status(Consumer<SchemaMigrationStatus> change) {
            if (sm.getStatus() == null) {
                sm.setStatus(new SchemaMigrationStatus());
            }
            change.accept(sm.getStatus());
            return this;
        }

        Observation observe() {
            Optional<ConfigMap> cm = configMap ? Optional.of(new ConfigMapBuilder().withNewMetadata().withName(Fixtures.CONFIG_MAP)
                    .withNamespace("shop").endMetadata().withData(scripts).build()) : Optional.empty();
            return new Observation(JSON.clone(sm), SpecValidator.validate(sm.getSpec()), claim, cm, runnerAccount, jobs,
                    runnerPods, mountFailures, gatedPods, service, now);
        }

        Decision decide() {
            return MACHINE.decide(observe());
        }

        /** The world after {@code decision}: its status written, the Job it made there (with no pod yet). */
        World after(Decision decision) {
            sm.setStatus(JSON.clone(decision.status()));
            for (Decision.Action action : decision.actions()) {
                if (action instanceof Decision.CreateJob create) {
                    jobs.add(job(create.name(), create.step(), null, null));
                }
            }
            return this;
        }

        /** The world after its own decision, stepped {@code times} times. */
        World stepped(int times) {
            for (int i = 0; i < times; i++) {
                after(decide());
            }
            return this;
        }

        String currentJob() {
            return sm.getStatus().getLastRun().getJob();
        }

        /** The current Job's pod now shows {@code runner}; the Job shows {@code condition} (null: active). */
        World jobIs(String condition, String jobReason, String podPhase, ContainerStatus runner) {
            String name = currentJob();
            RunStep step = sm.getStatus().getLastRun().getStep();
            jobs.removeIf(j -> j.getMetadata().getName().equals(name));
            jobs.add(job(name, step, condition, jobReason));
            runnerPods.removeIf(p -> name.equals(p.getMetadata().getLabels().get("job-name")));
            runnerPods.add(new PodBuilder().withNewMetadata().withName(name + "-x7k2p").withNamespace("shop")
                    .withCreationTimestamp("2026-12-01T11:59:00Z").addToLabels("job-name", name).addToLabels("controller-uid", name + "-uid")
                    .endMetadata().withNewSpec().withNodeName(scheduled ? "node-1" : null).endSpec()
                    .withNewStatus().withPhase(podPhase).withContainerStatuses(runner).endStatus().build());
            return this;
        }

        /** The next runner pod {@link #jobIs} shows is still waiting for a node. */
        World unscheduled() {
            scheduled = false;
            return this;
        }

        World succeeded(String report) {
            return jobIs("Complete", null, "Succeeded", terminated(0, "Completed", report));
        }

        World failed(String report) {
            return jobIs("Failed", "BackoffLimitExceeded", "Failed", terminated(1, "Error", report));
        }

        /** The ServiceAccount runner pods run as does not exist; named by the spec, or by the operator's flag. */
        World withoutAccount(boolean fromSpec) {
            runnerAccount = Optional.of(new Observation.RunnerAccount("orders-migrator", fromSpec, false));
            return this;
        }

        World gated(String name, String requires, boolean ready) {
            gatedPods.add(new PodBuilder().withNewMetadata().withName(name).withNamespace("shop")
                    .addToLabels("app", "orders-api")
                    .addToLabels(dev.lockstep.operator.gate.PodGate.SCHEMA_LABEL, "orders")
                    .addToLabels(dev.lockstep.operator.gate.PodGate.REQUIRES_REVISION, requires)
                    .addToLabels("color", requires.compareTo("6") >= 0 ? "green" : "blue").endMetadata()
                    .withNewSpec().addNewReadinessGate().withConditionType(dev.lockstep.operator.gate.PodGate.CONDITION).endReadinessGate()
                    .endSpec()
                    .withNewStatus().withPhase("Running")
                        .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition().endStatus()
                    .build());
            return this;
        }
    }

    static Job job(String name, RunStep step, String condition, String reason) {
        JobBuilder job = new JobBuilder().withNewMetadata().withName(name).withNamespace("shop").withUid(name + "-uid")
                .withCreationTimestamp("2026-12-01T11:59:00Z")
                .addToAnnotations(RunnerJobs.STEP_ANNOTATION, step.name()).addToAnnotations(RunnerJobs.TARGET_ANNOTATION, "6")
                .endMetadata();
        if (condition != null) {
            job.withNewStatus().addNewCondition().withType(condition).withStatus("True").withReason(reason).endCondition().endStatus();
        }
        return job.build();
    }

    static ContainerStatus running() {
        return new ContainerStatusBuilder().withName(RunnerJobFactory.RUNNER_CONTAINER)
                .withNewState().withNewRunning().withStartedAt("2026-12-01T11:59:01Z").endRunning().endState().build();
    }

    static ContainerStatus waiting(String reason, String message) {
        return new ContainerStatusBuilder().withName(RunnerJobFactory.RUNNER_CONTAINER)
                .withNewState().withNewWaiting().withReason(reason).withMessage(message).endWaiting().endState().build();
    }

    static ContainerStatus terminated(int exitCode, String reason, String message) {
        return new ContainerStatusBuilder().withName(RunnerJobFactory.RUNNER_CONTAINER)
                .withNewState().withNewTerminated().withExitCode(exitCode).withReason(reason).withMessage(message).endTerminated()
                .endState().build();
    }

    static String reached(String to, String held, String plan) {
        return "{\"command\":\"migrate\",\"outcome\":\"SUCCEEDED\",\"targetRevision\":\"6\",\"fromRevision\":null,\"toRevision\":\""
                + to + "\",\"applied\":[{\"version\":\"" + to + "\",\"description\":\"x\",\"script\":\"V" + to + "__x.sql\","
                + "\"durationMillis\":12}],\"pending\":[]" + (held == null ? "" : ",\"held\":[\"" + held + "\"]")
                + (plan == null ? "" : ",\"plan\":" + plan) + "}";
    }

    static String failure(String category, boolean retryable) {
        return "{\"command\":\"migrate\",\"outcome\":\"FAILED\",\"targetRevision\":\"6\",\"fromRevision\":\"5\",\"toRevision\":\"5\","
                + "\"error\":{\"category\":\"" + category + "\",\"sqlState\":\"42703\",\"script\":\"V6__add_status.sql\",\"line\":1,"
                + "\"message\":\"boom\"" + (retryable ? ",\"retryable\":true" : "") + "}}";
    }

    static final String DESTRUCTIVE_PLAN = "{\"digest\":\"sha256:abc\",\"from\":\"5\",\"steps\":[{\"version\":\"6\","
            + "\"description\":\"drop name\",\"script\":\"V6__x.sql\",\"kind\":\"Expand\",\"checksum\":1,\"destructive\":true,"
            + "\"findings\":[\"drops column name\"]}]}";

    static World fresh() {
        return new World();
    }

    /** A run of the expand Job that reached 6: Ready, the Job kept. */
    static World ready() {
        World w = fresh().stepped(1);
        return w.succeeded(reached("6", null, null)).stepped(1);
    }

    static World contractHeld() {
        World w = fresh().stepped(1);
        return w.succeeded(reached("5", "6", null));
    }

    static World blueGreen(World w) {
        return w.spec(sm -> {
            RolloutSpec rollout = new RolloutSpec();
            rollout.setStrategy(RolloutSpec.Strategy.BlueGreen);
            BlueGreenSpec blueGreen = new BlueGreenSpec();
            blueGreen.setService("orders-api");
            blueGreen.setColorLabel("color");
            rollout.setBlueGreen(blueGreen);
            sm.getSpec().setRollout(rollout);
        });
    }

    static Service service(String color) {
        return new ServiceBuilder().withNewMetadata().withName("orders-api").withNamespace("shop").endMetadata()
                .withNewSpec().addToSelector("app", "orders-api").addToSelector("color", color).endSpec().build();
    }

    /** A row: the world, and what the machine must decide from it. */
    record Row(Supplier<World> world, Phase phase, String holds, Reason reason, String actions, String events) {}

    private static Arguments row(String name, Supplier<World> world, Phase phase, String holds, Reason reason, String actions, String events) {
        return Arguments.of(Named.of(name, new Row(world, phase, holds, reason, actions, events)));
    }

    static Stream<Arguments> rows() {
        return Stream.of(
                // --- before any run
                row("a new resource creates its expand Job", PhaseMachineTest::fresh,
                        Phase.Migrating, "Reconciling", Reason.MigrationPending, "create Expand", "MigrationPending"),
                row("a spec error stalls before anything runs", () -> fresh().spec(sm -> sm.getSpec().setTargetRevision("six")),
                        Phase.Failed, "Stalled", Reason.InvalidSpec, "", "InvalidSpec"),
                row("another resource owns the schema", () -> { World w = fresh(); w.claim = Optional.of(new Observation.Claim(
                                Reason.DatabaseClaimed, "schema public is already migrated by shop/accounts")); return w; },
                        Phase.Pending, "Stalled", Reason.DatabaseClaimed, "", "DatabaseClaimed"),
                row("the scratch database is migrated by someone", () -> { World w = fresh(); w.claim = Optional.of(new Observation.Claim(
                                Reason.DryRunDatabaseInUse, "database scratch is migrated by shop/other")); return w; },
                        Phase.Pending, "Stalled", Reason.DryRunDatabaseInUse, "", "DryRunDatabaseInUse"),
                row("the scripts' ConfigMap does not exist", () -> { World w = fresh(); w.configMap = false; return w; },
                        Phase.Pending, "Stalled", Reason.ConfigMapNotFound, "", "ConfigMapNotFound"),
                row("the runner's ServiceAccount (spec.runner) does not exist: no Job", () -> fresh().withoutAccount(true),
                        Phase.Pending, "Stalled", Reason.ServiceAccountNotFound, "", "ServiceAccountNotFound"),
                row("the operator's runner ServiceAccount is not in the namespace: no Job", () -> fresh().withoutAccount(false),
                        Phase.Pending, "Stalled", Reason.ServiceAccountNotFound, "", "ServiceAccountNotFound"),
                row("the ServiceAccount exists: the Job", () -> { World w = fresh(); w.runnerAccount = Optional.of(
                                new Observation.RunnerAccount("orders-migrator", true, true)); return w; },
                        Phase.Migrating, "Reconciling", Reason.MigrationPending, "create Expand", "MigrationPending"),
                row("the ConfigMap holds no scripts", () -> { World w = fresh(); w.scripts = Map.of("README", "x"); return w; },
                        Phase.Failed, "Stalled", Reason.InvalidSpec, "", "InvalidSpec"),
                row("the target is not a version in the ConfigMap", () -> fresh().spec(sm -> sm.getSpec().setTargetRevision("9")),
                        Phase.Failed, "Stalled", Reason.InvalidSpec, "", "InvalidSpec"),
                row("suspended, no Job is made", () -> fresh().spec(sm -> sm.getSpec().setSuspend(true)),
                        Phase.Suspended, "none", Reason.Suspended, "", "Suspended"),
                // --- the expand run
                row("the Job made, its pod not yet", () -> fresh().stepped(1),
                        Phase.Migrating, "Reconciling", Reason.MigrationPending, "", ""),
                row("the runner runs", () -> { World w = fresh().stepped(1); return w.jobIs(null, null, "Running", running()); },
                        Phase.Migrating, "Reconciling", Reason.MigrationRunning, "", "MigrationRunning"),
                row("the runner's Secret is missing", () -> { World w = fresh().stepped(1); return w.jobIs(null, null, "Pending",
                                waiting("CreateContainerConfigError", "secret \"orders-db\" not found")); },
                        Phase.Pending, "Stalled", Reason.SecretNotFound, "", "SecretNotFound"),
                row("the runner's Secret lacks a key", () -> { World w = fresh().stepped(1); return w.jobIs(null, null, "Pending",
                                waiting("CreateContainerConfigError", "couldn't find key password in Secret shop/orders-db")); },
                        Phase.Pending, "Stalled", Reason.SecretKeyNotFound, "", "SecretKeyNotFound"),
                row("the TLS client Secret cannot be mounted", () -> { World w = fresh().stepped(1);
                            w.jobIs(null, null, "Pending", waiting("ContainerCreating", null));
                            w.mountFailures.put(w.currentJob() + "-x7k2p", "MountVolume.SetUp failed for volume \"tls-client\" :"
                                    + " secret \"orders-client\" not found");
                            return w; },
                        Phase.Pending, "Stalled", Reason.SecretNotFound, "", "SecretNotFound"),
                row("the TLS CA ConfigMap lacks its key", () -> { World w = fresh().stepped(1);
                            w.jobIs(null, null, "Pending", waiting("ContainerCreating", null));
                            w.mountFailures.put(w.currentJob() + "-x7k2p", "MountVolume.SetUp failed for volume \"tls-ca\" :"
                                    + " configmap references non-existent config key: ca.crt");
                            return w; },
                        Phase.Pending, "Stalled", Reason.ConfigMapKeyNotFound, "", "ConfigMapKeyNotFound"),
                row("the runner image cannot be pulled", () -> { World w = fresh().stepped(1); return w.jobIs(null, null, "Pending",
                                waiting("ImagePullBackOff", "Back-off pulling image")); },
                        Phase.Pending, "Stalled", Reason.ImagePullFailed, "", "ImagePullFailed"),
                row("a Job that expired before its pod could start is replaced", () -> {
                            World w = fresh().stepped(1);
                            w.jobIs(null, null, "Pending", waiting("CreateContainerConfigError", "secret \"orders-db\" not found")).stepped(1);
                            return w.jobIs("Failed", "DeadlineExceeded", "Failed", waiting("CreateContainerConfigError", "secret not found")); },
                        Phase.Pending, "Reconciling", Reason.MigrationPending, "create Expand", "MigrationPending"),
                row("a Job that expired waiting for a ServiceAccount since deleted is not replaced", () -> {
                            World w = fresh().stepped(1);
                            w.jobIs(null, null, "Pending", waiting("CreateContainerConfigError", "secret \"orders-db\" not found")).stepped(1);
                            return w.jobIs("Failed", "DeadlineExceeded", "Failed", waiting("CreateContainerConfigError", "secret not found"))
                                    .withoutAccount(true); },
                        Phase.Pending, "Stalled", Reason.ServiceAccountNotFound, "", "ServiceAccountNotFound"),
                row("the run succeeded: Ready", () -> fresh().stepped(1).succeeded(reached("6", null, null)),
                        Phase.Ready, "none", Reason.MigrationSucceeded, "", "MigrationSucceeded"),
                row("Ready again: nothing to do, nothing to say", PhaseMachineTest::ready,
                        Phase.Ready, "none", Reason.MigrationSucceeded, "", ""),
                row("a destructive expand step let through by Warn is a Warning Event",
                        () -> fresh().spec(sm -> { PolicySpec p = new PolicySpec(); p.setDestructive(PolicySpec.Destructive.Warn);
                                sm.getSpec().setPolicy(p); }).stepped(1).succeeded(reached("6", null, DESTRUCTIVE_PLAN)),
                        Phase.Ready, "none", Reason.MigrationSucceeded, "", "DestructiveChangeWarned, MigrationSucceeded"),
                row("a script failed", () -> fresh().stepped(1).failed(failure("SQL", false)),
                        Phase.Failed, "Stalled", Reason.MigrationFailed, "", "MigrationFailed"),
                row("the runner could not log in", () -> fresh().stepped(1).failed(failure("CONNECTION", false)),
                        Phase.Failed, "Stalled", Reason.MigrationFailed, "", "MigrationFailed"),
                row("the server's certificate is not the CA's", () -> fresh().stepped(1).failed(failure("TLS_UNTRUSTED", false)),
                        Phase.Failed, "Stalled", Reason.DatabaseCertificateUntrusted, "", "DatabaseCertificateUntrusted"),
                row("the server's certificate names another host", () -> fresh().stepped(1).failed(failure("TLS_HOSTNAME", false)),
                        Phase.Failed, "Stalled", Reason.DatabaseHostnameMismatch, "", "DatabaseHostnameMismatch"),
                row("the server wants a client certificate", () -> fresh().stepped(1).failed(failure("TLS_CLIENT_CERTIFICATE", false)),
                        Phase.Failed, "Stalled", Reason.DatabaseClientCertificateRejected, "", "DatabaseClientCertificateRejected"),
                row("the server takes TLS only", () -> fresh().stepped(1).failed(failure("TLS_REQUIRED", false)),
                        Phase.Failed, "Stalled", Reason.DatabaseTlsRequired, "", "DatabaseTlsRequired"),
                row("another TLS failure", () -> fresh().stepped(1).failed(failure("TLS", false)),
                        Phase.Failed, "Stalled", Reason.DatabaseTlsFailed, "", "DatabaseTlsFailed"),
                row("the runner found drift", () -> fresh().stepped(1).failed(failure("DRIFT", false)),
                        Phase.Failed, "Stalled", Reason.DriftDetected, "", "DriftDetected"),
                row("the dry run found a destructive change", () -> fresh().stepped(1).failed(failure("DESTRUCTIVE", false)),
                        Phase.Failed, "Stalled", Reason.DestructiveChangeBlocked, "", "DestructiveChangeBlocked"),
                row("the dry run could not get a lock", () -> fresh().stepped(1).failed(failure("LOCK", false)),
                        Phase.Failed, "Stalled", Reason.DryRunLockContention, "", "DryRunLockContention"),
                row("the runner refused the scratch database", () -> fresh().stepped(1).failed(failure("DRY_RUN_DATABASE", false)),
                        Phase.Failed, "Stalled", Reason.DryRunDatabaseInUse, "", "DryRunDatabaseInUse"),
                row("the plan waits for approval", () -> fresh().stepped(1).failed(failure("APPROVAL", false)),
                        Phase.AwaitingApproval, "Reconciling", Reason.PlanAwaitingApproval, "", "PlanAwaitingApproval"),
                row("a category this version does not know is a failed migration", () -> fresh().stepped(1).failed(failure("QUOTA", false)),
                        Phase.Failed, "Stalled", Reason.MigrationFailed, "", "MigrationFailed"),
                row("the runner pod died without a result", () -> fresh().stepped(1)
                                .jobIs("Failed", "BackoffLimitExceeded", "Failed", terminated(137, "OOMKilled", "")),
                        Phase.Failed, "Stalled", Reason.RunnerFailed, "", "RunnerFailed"),
                row("the database was unavailable: a retry is scheduled", () -> fresh().stepped(1).failed(failure("CONNECTION", true)),
                        Phase.Migrating, "Reconciling", Reason.DatabaseUnavailable, "", "DatabaseUnavailable"),
                row("the retry is due: the next attempt's Job", () -> {
                            World w = fresh().stepped(1).failed(failure("CONNECTION", true)).stepped(1);
                            w.now = NOW.plus(Duration.ofMinutes(1));
                            return w; },
                        Phase.Migrating, "Reconciling", Reason.MigrationPending, "create Expand", "MigrationPending"),
                row("unavailable after the limit: a person must look", () -> fresh().stepped(1).failed(failure("CONNECTION", true))
                                .status(s -> s.getLastRun().setUnavailableAttempts(DatabaseRetry.DEFAULT.limit())),
                        Phase.Failed, "Stalled", Reason.DatabaseUnavailable, "", "DatabaseUnavailable"),
                row("a failed run stays failed: no second Job", () -> fresh().stepped(1).failed(failure("SQL", false)).stepped(1),
                        Phase.Failed, "Stalled", Reason.MigrationFailed, "", ""),
                row("another spec's Job still runs: wait for it", () -> {
                            World w = fresh().stepped(1).jobIs(null, null, "Running", running());
                            return w.spec(sm -> sm.getSpec().setTargetRevision("5")); },
                        Phase.Migrating, "Reconciling", Reason.MigrationPending, "", ""),
                // --- going down
                row("a lower target without allowDown", () -> ready().spec(sm -> sm.getSpec().setTargetRevision("4")),
                        Phase.Failed, "Stalled", Reason.DownNotAllowed, "", "DownNotAllowed"),
                row("going down without the undo scripts", () -> ready().spec(sm -> { sm.getSpec().setTargetRevision("4");
                            PolicySpec p = new PolicySpec(); p.setAllowDown(true); sm.getSpec().setPolicy(p); }),
                        Phase.Failed, "Stalled", Reason.UndoScriptMissing, "", "UndoScriptMissing"),
                row("going down waits for pods that need more", () -> { World w = ready().spec(sm -> { sm.getSpec().setTargetRevision("4");
                            PolicySpec p = new PolicySpec(); p.setAllowDown(true); sm.getSpec().setPolicy(p); });
                            w.scripts.put("U5__x.sql", "ALTER TABLE accounts DROP COLUMN created;");
                            w.scripts.put("U6__x.sql", "ALTER TABLE accounts DROP COLUMN status;");
                            return w.gated("orders-api-6", "6", true); },
                        Phase.Migrating, "Reconciling", Reason.DownWaitingForPods, "", "DownWaitingForPods"),
                row("going down with its undo scripts and no pod above", () -> { World w = ready().spec(sm -> { sm.getSpec().setTargetRevision("4");
                            PolicySpec p = new PolicySpec(); p.setAllowDown(true); sm.getSpec().setPolicy(p); });
                            w.scripts.put("U5__x.sql", "ALTER TABLE accounts DROP COLUMN created;");
                            w.scripts.put("U6__x.sql", "ALTER TABLE accounts DROP COLUMN status;");
                            return w; },
                        Phase.Migrating, "Reconciling", Reason.MigrationPending, "create Expand", "MigrationPending"),
                // --- contract steps
                row("contract steps wait for pods on the old revision", () -> contractHeld().gated("orders-api-old", "4", true),
                        Phase.Contracting, "Reconciling", Reason.ContractWaitingForPods, "", "ContractWaitingForPods"),
                row("no old pod: the contract Job", PhaseMachineTest::contractHeld,
                        Phase.Contracting, "Reconciling", Reason.ContractRunning, "create Contract", "ContractRunning"),
                row("the contract Job waits for the runner's ServiceAccount", () -> contractHeld().withoutAccount(true),
                        Phase.Pending, "Stalled", Reason.ServiceAccountNotFound, "", "ServiceAccountNotFound"),
                row("contract steps wait for their approval", () -> contractHeld().spec(sm -> { ContractSpec c = new ContractSpec();
                            c.setRequireApproval(true); sm.getSpec().setContract(c); }),
                        Phase.AwaitingApproval, "Reconciling", Reason.ContractAwaitingApproval, "", "ContractAwaitingApproval"),
                row("the contract run succeeded: Ready", () -> contractHeld().stepped(1).succeeded(reached("6", null, null)),
                        Phase.Ready, "none", Reason.MigrationSucceeded, "", "MigrationSucceeded"),
                // --- workloads
                row("gated pods wait for the schema: Migrating, held", () -> fresh().gated("orders-api-6", "6", false),
                        Phase.Migrating, "Reconciling", Reason.MigrationPending, "create Expand", "MigrationPending"),
                row("at the target with a pod that needs more: Releasing", () -> ready().gated("orders-api-7", "7", false),
                        Phase.Releasing, "none", Reason.WorkloadsHeld, "", "WorkloadsHeld"),
                // --- drift checks
                row("a drift check is due: its Job", () -> ready().spec(sm -> sm.getSpec().setDriftCheckInterval("1h"))
                                .status(s -> s.setDriftCheck(null)),
                        Phase.Ready, "none", Reason.MigrationSucceeded, "create Check", ""),
                row("a drift check is due without the runner's ServiceAccount: none, still Ready",
                        () -> ready().spec(sm -> sm.getSpec().setDriftCheckInterval("1h")).status(s -> s.setDriftCheck(null))
                                .withoutAccount(false),
                        Phase.Ready, "none", Reason.MigrationSucceeded, "", ""),
                row("a drift check found drift", () -> driftChecked("{\"command\":\"validate\",\"outcome\":\"FAILED\","
                                + "\"error\":{\"category\":\"DRIFT\",\"message\":\"V3 changed after it was applied\"}}"),
                        Phase.Failed, "Stalled", Reason.DriftDetected, "", "DriftDetected"),
                row("a drift check could not run", () -> driftChecked("{\"command\":\"validate\",\"outcome\":\"FAILED\","
                                + "\"error\":{\"category\":\"CONNECTION\",\"message\":\"connection refused\"}}"),
                        Phase.Ready, "none", Reason.MigrationSucceeded, "", "DriftCheckFailed"),
                // --- blue/green
                row("blue/green without its Service", () -> blueGreen(ready()),
                        Phase.Failed, "Stalled", Reason.InvalidSpec, "", "InvalidSpec"),
                row("blue/green: green Ready on 6 switches the Service", () -> { World w = blueGreen(ready())
                                .gated("orders-api-blue", "5", true).gated("orders-api-green", "6", true);
                            w.service = Optional.of(service("blue")); return w; },
                        // pods now name the schema: WorkloadsReleased's reason changes, which is no new result of the run
                        Phase.Ready, "none", Reason.MigrationSucceeded, "switch green", ""));
    }

    /** Ready with a drift check Job that has just ended with {@code result}. */
    static World driftChecked(String result) {
        World w = ready().spec(sm -> sm.getSpec().setDriftCheckInterval("1h")).status(s -> s.setDriftCheck(null));
        w.after(w.decide());
        String check = w.sm.getStatus().getDriftCheck().getJob();
        w.jobs.removeIf(j -> j.getMetadata().getName().equals(check));
        w.jobs.add(job(check, RunStep.Check, result.contains("SUCCEEDED") ? "Complete" : "Failed", "BackoffLimitExceeded"));
        w.runnerPods.add(new PodBuilder().withNewMetadata().withName(check + "-p").withNamespace("shop")
                .withCreationTimestamp("2026-12-01T11:59:30Z").addToLabels("job-name", check).endMetadata()
                .withNewStatus().withPhase("Failed").withContainerStatuses(terminated(1, "Error", result)).endStatus().build());
        return w;
    }

    @Test
    void aRunnerPodOnANodeThatHasNotStartedIsLookedAtAgainForItsMountEventsAndOneWithoutANodeIsNot() {
        World onNode = fresh().stepped(1);
        onNode.jobIs(null, null, "Pending", waiting("ContainerCreating", null));
        assertThat(onNode.decide().recheckAfter()).as("the kubelet's FailedMount Event wakes nothing").isEqualTo(PhaseMachine.STARTING_RECHECK);

        World waitingForANode = fresh().stepped(1).unscheduled();
        waitingForANode.jobIs(null, null, "Pending", null);
        Decision decision = waitingForANode.decide();
        assertThat(decision.recheckAfter()).as("being scheduled changes the pod, which wakes the reconcile").isNull();
        assertThat(decision.status().getPhase()).isEqualTo(Phase.Migrating);
        assertThat(condition(decision.status(), ConditionType.Reconciling).getMessage()).contains("is Pending");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void decides(Row row) {
        World world = row.world().get();
        Decision decision = world.decide();
        SchemaMigrationStatus status = decision.status();

        assertThat(status.getPhase()).as("phase").isEqualTo(row.phase());
        Condition ready = condition(status, ConditionType.Ready);
        assertThat(ready.getReason()).as("Ready's reason").isEqualTo(row.reason().name());
        assertThat(ready.getMessage()).as("Ready's message").isNotBlank();
        assertThat(ready.getStatus()).isEqualTo(row.phase() == Phase.Ready ? "True" : "False");
        String holds = "True".equals(condition(status, ConditionType.Stalled).getStatus()) ? "Stalled"
                : "True".equals(condition(status, ConditionType.Reconciling).getStatus()) ? "Reconciling" : "none";
        assertThat(holds).as("the condition that is True besides Ready").isEqualTo(row.holds());
        if (!"none".equals(row.holds())) {
            assertThat(condition(status, ConditionType.valueOf(row.holds())).getReason()).isEqualTo(row.reason().name());
        }
        assertThat(actions(decision)).as("actions").isEqualTo(row.actions());
        assertThat(decision.announcements().stream().map(a -> a.reason().name()).sorted().collect(Collectors.joining(", ")))
                .as("Events").isEqualTo(row.events());
        assertThat(decision.announcements()).allSatisfy(a -> assertThat(a.message()).isNotBlank());
        assertThat(status.getObservedGeneration()).isEqualTo(1L);

        // Pure: the observed resource is as it was, and the same world decides the same again.
        SchemaMigration observed = JSON.clone(world.sm);
        Decision again = world.decide();
        assertThat(JSON.asJson(world.sm)).isEqualTo(JSON.asJson(observed));
        assertThat(JSON.asJson(again.status())).isEqualTo(JSON.asJson(decision.status()));
        assertThat(again.actions()).isEqualTo(decision.actions());

        REACHED.add(row.reason());
        decision.announcements().forEach(a -> REACHED.add(a.reason()));
    }

    private static Condition condition(SchemaMigrationStatus status, ConditionType type) {
        return status.getConditions().stream().filter(c -> type.name().equals(c.getType())).findFirst().orElseThrow();
    }

    private static String actions(Decision decision) {
        return decision.actions().stream().map(a -> {
            if (a instanceof Decision.CreateJob c) {
                return "create " + c.step();
            } else if (a instanceof Decision.DeleteJobs d) {
                return "delete " + d.names().size();
            } else if (a instanceof Decision.SwitchService s) {
                return "switch " + s.flip().color();
            }
            return a.toString();
        }).collect(Collectors.joining(", "));
    }

    static Stream<Arguments> finishedRuns() {
        return Stream.of(
                Arguments.of(Named.of("an expand run that succeeded", (Supplier<World>) () -> fresh().stepped(1)
                        .succeeded(reached("6", null, null))), "expand success - applied 1 undone 0"),
                Arguments.of(Named.of("an expand run whose script failed", (Supplier<World>) () -> fresh().stepped(1)
                        .failed(failure("SQL", false))), "expand failure sql applied 0 undone 0"),
                Arguments.of(Named.of("a run that found the database unavailable", (Supplier<World>) () -> fresh().stepped(1)
                        .failed(failure("CONNECTION", true))), "expand failure connection applied 0 undone 0"),
                Arguments.of(Named.of("a runner pod that ended without a result", (Supplier<World>) () -> fresh().stepped(1)
                        .failed("OOMKilled")), "expand failure pod applied 0 undone 0"),
                Arguments.of(Named.of("an expand run that held contract steps", (Supplier<World>) PhaseMachineTest::contractHeld),
                        "expand success - applied 1 undone 0"),
                Arguments.of(Named.of("the contract run", (Supplier<World>) () -> contractHeld().stepped(1).succeeded(reached("6", null, null))),
                        "contract success - applied 1 undone 0"),
                Arguments.of(Named.of("a drift check that found drift", (Supplier<World>) () -> driftChecked("{\"command\":\"validate\","
                        + "\"outcome\":\"FAILED\",\"error\":{\"category\":\"DRIFT\",\"message\":\"V3 changed\"}}")),
                        "check failure drift applied 0 undone 0"),
                Arguments.of(Named.of("a drift check that could not connect", (Supplier<World>) () -> driftChecked("{\"command\":"
                        + "\"validate\",\"outcome\":\"FAILED\",\"error\":{\"category\":\"CONNECTION\",\"message\":\"refused\"}}")),
                        "check failure connection applied 0 undone 0"));
    }

    /**
     * A run is counted when its result is first recorded in status, and not by the next pass, which finds it there
     * (as a restarted operator does).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("finishedRuns")
    void aRunIsFinishedOnceWhenItsResultIsFirstRecorded(Supplier<World> world, String expected) {
        World w = world.get();
        Decision decision = w.decide();
        assertThat(decision.finished()).singleElement().satisfies(run -> {
            assertThat(run.step() + " " + (run.succeeded() ? "success" : "failure") + " " + (run.category() == null ? "-" : run.category())
                    + " applied " + run.applied() + " undone " + run.undone()).isEqualTo(expected);
            assertThat(run.finishedAt()).isEqualTo(w.now);
            assertThat(run.startedAt()).as("from the Job's creation or status.lastRun.startedAt").isNotNull();
            assertThat(run.duration()).hasValueSatisfying(d -> assertThat(d.isNegative()).isFalse());
        });
        assertThat(w.decide().finished()).as("the same observation decided again").hasSize(1);
        w.after(decision);
        assertThat(w.decide().finished()).as("once status holds the result").isEmpty();
    }

    @Test
    void aRunThatIsNotFinishedIsNotCounted() {
        assertThat(fresh().decide().finished()).isEmpty();
        assertThat(fresh().stepped(1).jobIs(null, null, "Running", running()).decide().finished()).isEmpty();
        assertThat(ready().decide().finished()).isEmpty();
    }

    /** The same transition observed twice (a status write lost, a lagging cache) is the same Event fact: counted once. */
    @Test
    void aTransitionSeenAgainFromTheSameStateIsTheSameFact() {
        World running = fresh().stepped(1).succeeded(reached("6", null, null));
        Decision first = running.decide();
        Decision again = running.decide();
        assertThat(first.announcements()).singleElement().satisfies(a -> {
            assertThat(a.reason()).isEqualTo(Reason.MigrationSucceeded);
            assertThat(a.series()).startsWith("run ");
        });
        assertThat(again.announcements()).singleElement().isEqualTo(first.announcements().get(0));
    }

    /** The next attempt of a run is another fact of the same series: one Event object, counted up. */
    @Test
    void eachAttemptOfARunIsAnotherFactOfTheSameSeries() {
        World w = fresh().stepped(1).failed(failure("CONNECTION", true));
        Decision first = w.decide();
        w.after(first);
        w.now = NOW.plus(Duration.ofMinutes(1));
        w.after(w.decide()).failed(failure("CONNECTION", true));
        Decision second = w.decide();
        Decision.Announcement a = first.announcements().get(0);
        Decision.Announcement b = second.announcements().get(0);
        assertThat(b.reason()).isEqualTo(a.reason()).isEqualTo(Reason.DatabaseUnavailable);
        assertThat(b.series()).isEqualTo(a.series());
        assertThat(b.fact()).isNotEqualTo(a.fact());
        assertThat(second.status().getLastRun().getUnavailableAttempts()).isEqualTo(2);
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                Arguments.of(Named.of("a 403 from the API server", new KubernetesClientException("forbidden", 403, null)),
                        Phase.Failed, "Stalled", Reason.ApiRequestRefused),
                Arguments.of(Named.of("a 500 from the API server", new KubernetesClientException("etcd timeout", 500, null)),
                        Phase.Pending, "Reconciling", Reason.ApiRequestFailed),
                Arguments.of(Named.of("a 429 from the API server", new KubernetesClientException("slow down", 429, null)),
                        Phase.Pending, "Reconciling", Reason.ApiRequestFailed),
                Arguments.of(Named.of("a defect in the operator", new IllegalStateException("no such state")),
                        Phase.Pending, "Reconciling", Reason.ReconcileFailed));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errors")
    void anErrorWhileActingIsReportedInStatus(Exception error, Phase phase, String holds, Reason reason) {
        SchemaMigration sm = fresh().sm;
        Decision decision = PhaseMachine.decideError(sm, error, NOW).orElseThrow();
        assertThat(decision.status().getPhase()).isEqualTo(phase);
        assertThat(condition(decision.status(), ConditionType.valueOf(holds)).getStatus()).isEqualTo("True");
        assertThat(condition(decision.status(), ConditionType.valueOf(holds)).getReason()).isEqualTo(reason.name());
        assertThat(condition(decision.status(), ConditionType.Ready).getMessage()).contains(error.getMessage());
        assertThat(decision.announcements()).extracting(Decision.Announcement::reason).containsExactly(reason);
        assertThat(JSON.asJson(sm)).as("the observed resource is not changed").isEqualTo(JSON.asJson(fresh().sm));
        REACHED.add(reason);
    }

    @Test
    void aConflictIsRetriedWithoutAReport() {
        assertThat(PhaseMachine.decideError(fresh().sm, new KubernetesClientException("the object has been modified", 409, null), NOW))
                .isEmpty();
    }

    @Test
    void everyReasonDocumentedInStatusMdHasARow() throws IOException {
        // Run the rows first when this test runs alone or first.
        rows().forEach(a -> decides((Row) ((Named<?>) a.get()[0]).getPayload()));
        errors().forEach(a -> anErrorWhileActingIsReportedInStatus((Exception) ((Named<?>) a.get()[0]).getPayload(),
                (Phase) a.get()[1], (String) a.get()[2], (Reason) a.get()[3]));
        String doc = Files.readString(Path.of("../../docs/status.md"));
        String table = doc.substring(doc.indexOf("| reason | on |"), doc.indexOf("\n\n", doc.indexOf("| reason | on |")));
        Set<String> documented = new TreeSet<>();
        for (String line : table.lines().skip(2).toList()) {
            Matcher m = Pattern.compile("`([A-Z][A-Za-z]+)`").matcher(line.split("\\|")[1]); // the reason column
            while (m.find()) {
                documented.add(m.group(1));
            }
        }
        assertThat(documented).as("reasons in docs/status.md").hasSizeGreaterThan(25);
        Set<String> reached = REACHED.stream().map(Reason::name).collect(Collectors.toCollection(TreeSet::new));
        assertThat(reached).as("reasons the table reaches").containsAll(documented);
        for (String reason : documented) {
            assertThat(Reason.valueOf(reason)).as(reason + " is a Reason").isNotNull();
        }
    }
}
