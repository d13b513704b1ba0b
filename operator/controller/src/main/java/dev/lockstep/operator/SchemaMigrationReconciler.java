package dev.lockstep.operator;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.api.v1alpha1.SchemaMigrationSpec;
import dev.lockstep.operator.act.Actions;
import dev.lockstep.operator.act.EventRecorder;
import dev.lockstep.operator.act.StatusWriter;
import dev.lockstep.operator.decide.Decision;
import dev.lockstep.operator.decide.PhaseMachine;
import dev.lockstep.operator.gate.PodGate;
import dev.lockstep.operator.jobs.RunnerJobFactory;
import dev.lockstep.operator.jobs.RunnerJobs;
import dev.lockstep.operator.observe.DatabaseClaims;
import dev.lockstep.operator.observe.Observation;
import dev.lockstep.operator.observe.RunnerObserver;
import dev.lockstep.operator.observe.SpecProblem;
import dev.lockstep.operator.observe.SpecValidator;
import dev.lockstep.operator.telemetry.LogFormat;
import dev.lockstep.operator.telemetry.ResourceGauges;
import dev.lockstep.operator.telemetry.Telemetry;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Reconciles a SchemaMigration: <em>observe</em> (read the resource, its ConfigMap, Jobs, pods, claims and Service
 * once, into an {@link Observation}), <em>decide</em> (the pure {@link PhaseMachine}: the next status, the actions,
 * the Events), <em>act</em> ({@link Actions}: Jobs, the Service, Events), <em>report</em> (the status patch). It never
 * connects to the database and never reads a Secret; everything it knows about the database comes from the runner
 * pod's termination message.
 */
@ControllerConfiguration(
        name = SchemaMigrationReconciler.NAME,
        // Annotation-only changes (the retry annotation) must reach reconcile; see SpecOrRetryChanged.
        generationAwareEventProcessing = false,
        informer = @Informer(onUpdateFilter = SchemaMigrationReconciler.SpecOrRetryChanged.class))
public class SchemaMigrationReconciler implements Reconciler<SchemaMigration> {
    private static final Logger LOG = LoggerFactory.getLogger(SchemaMigrationReconciler.class);
    public static final String NAME = "schemamigration";
    static final String CONFIG_MAP_INDEX = "lockstep.dev/configmap";
    static final String SERVICE_ACCOUNT_INDEX = "lockstep.dev/serviceaccount";
    static final String RUNNER_PODS = "runner-pods";
    static final String GATED_PODS = "gated-pods";
    /** Decisions per reconcile: the first, and one more from a fresh read when its status write lost a conflict. */
    private static final int MAX_ATTEMPTS = 2;

    private final OperatorSettings settings;
    private final RunnerJobFactory jobs;
    private final PhaseMachine machine;
    private final Clock clock;
    private final Telemetry telemetry;
    private final BooleanSupplier leading;
    private Actions actions;
    private ResourceGauges gauges;

    public SchemaMigrationReconciler(OperatorSettings settings, Clock clock) {
        this(settings, clock, Telemetry.disabled(), () -> true);
    }

    /**
     * @param telemetry where run metrics, gauges and run spans go
     * @param leading whether this replica does the work (the gauges are reported by the leader only)
     */
    public SchemaMigrationReconciler(OperatorSettings settings, Clock clock, Telemetry telemetry, BooleanSupplier leading) {
        this.settings = settings;
        this.jobs = new RunnerJobFactory(settings, telemetry.runnerEnvironment());
        this.machine = new PhaseMachine(settings.databaseRetry());
        this.clock = clock;
        this.telemetry = telemetry;
        this.leading = leading;
    }

    @Override
    public List<EventSource<?, SchemaMigration>> prepareEventSources(EventSourceContext<SchemaMigration> context) {
        this.actions = new Actions(jobs, new EventRecorder(context.getClient(), clock));
        var cache = context.getPrimaryCache();
        if (gauges != null) {
            gauges.close();
        }
        this.gauges = new ResourceGauges(telemetry.meter(), () -> cache.list().toList(), leading, clock);
        context.getPrimaryCache().addIndexer(CONFIG_MAP_INDEX, sm -> configMapName(sm)
                .map(name -> List.of(sm.getMetadata().getNamespace() + "/" + name)).orElse(List.of()));
        context.getPrimaryCache().addIndexer(DatabaseClaims.DATABASE_INDEX, sm -> List.copyOf(DatabaseClaims.keys(sm)));
        context.getPrimaryCache().addIndexer(DatabaseClaims.DATABASE_NAME_INDEX, sm -> List.copyOf(DatabaseClaims.databases(sm)));
        context.getPrimaryCache().addIndexer(DatabaseClaims.DRY_RUN_INDEX, sm -> List.copyOf(DatabaseClaims.scratchDatabases(sm)));

        var jobSource = new InformerEventSource<>(InformerEventSourceConfiguration.from(Job.class, SchemaMigration.class)
                .withName("runner-jobs")
                .withLabelSelector(RunnerJobs.RUNNER_SELECTOR)
                .withSecondaryToPrimaryMapper(SchemaMigrationReconciler::byMigrationLabel)
                .build(), context);
        var podSource = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, SchemaMigration.class)
                .withName(RUNNER_PODS)
                .withLabelSelector(RunnerJobs.RUNNER_SELECTOR)
                .withSecondaryToPrimaryMapper(SchemaMigrationReconciler::byMigrationLabel)
                .build(), context);
        var configMapSource = new InformerEventSource<>(InformerEventSourceConfiguration.from(ConfigMap.class, SchemaMigration.class)
                .withName("migration-configmaps")
                .withSecondaryToPrimaryMapper(cm -> context.getPrimaryCache()
                        .byIndex(CONFIG_MAP_INDEX, cm.getMetadata().getNamespace() + "/" + cm.getMetadata().getName())
                        .stream().map(ResourceID::fromResource).collect(Collectors.toSet()))
                .withPrimaryToSecondaryMapper((SchemaMigration sm) -> configMapName(sm)
                        .map(name -> Set.of(new ResourceID(name, sm.getMetadata().getNamespace()))).orElse(Set.of()))
                .build(), context);
        context.getPrimaryCache().addIndexer(SERVICE_ACCOUNT_INDEX, sm -> runnerAccountName(sm)
                .map(name -> List.of(sm.getMetadata().getNamespace() + "/" + name)).orElse(List.of()));
        var serviceAccountSource = new InformerEventSource<>(InformerEventSourceConfiguration.from(ServiceAccount.class, SchemaMigration.class)
                .withName("runner-service-accounts")
                .withSecondaryToPrimaryMapper(account -> context.getPrimaryCache()
                        .byIndex(SERVICE_ACCOUNT_INDEX, account.getMetadata().getNamespace() + "/" + account.getMetadata().getName())
                        .stream().map(ResourceID::fromResource).collect(Collectors.toSet()))
                .withPrimaryToSecondaryMapper((SchemaMigration sm) -> runnerAccountName(sm)
                        .map(name -> Set.of(new ResourceID(name, sm.getMetadata().getNamespace()))).orElse(Set.of()))
                .build(), context);
        var gatedPodSource = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, SchemaMigration.class)
                .withName(GATED_PODS)
                .withLabelSelector(PodGate.SCHEMA_LABEL)
                .withSecondaryToPrimaryMapper(pod -> PodGate.schemaName(pod)
                        .map(name -> Set.of(new ResourceID(name, pod.getMetadata().getNamespace()))).orElse(Set.of()))
                .build(), context);
        return List.of(jobSource, podSource, configMapSource, serviceAccountSource, gatedPodSource);
    }

    /**
     * Observe, decide, act, then write the status under the optimistic lock of the version observed (see
     * {@link StatusWriter}), and only then count finished runs and record Events: an Event never tells of a transition
     * that status does not hold. A status write that loses a conflict (the resource changed meanwhile) is decided
     * again at once from the resource as it is now; a second conflict goes to the framework's retry.
     */
    @Override
    public UpdateControl<SchemaMigration> reconcile(SchemaMigration sm, Context<SchemaMigration> context) {
        try (var revision = MDC.putCloseable(LogFormat.REVISION, revision(sm))) {
            SchemaMigration current = sm;
            for (int attempt = 1; ; attempt++) {
                Decision decision = machine.decide(observe(current, context));
                actions.perform(current, decision, context.getClient());
                try {
                    StatusWriter.write(current, decision.status(), context);
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 409 || attempt == MAX_ATTEMPTS) {
                        throw e;
                    }
                    LOG.debug("status of {}/{} changed since it was read; deciding again", sm.getMetadata().getNamespace(),
                            sm.getMetadata().getName());
                    current = context.getClient().resources(SchemaMigration.class).inNamespace(sm.getMetadata().getNamespace())
                            .withName(sm.getMetadata().getName()).get();
                    if (current == null) {
                        return UpdateControl.noUpdate(); // deleted meanwhile
                    }
                    continue;
                }
                telemetry.runs().recorded(current, decision.finished());
                actions.announce(current, decision);
                UpdateControl<SchemaMigration> control = UpdateControl.noUpdate();
                return decision.recheckAfter() == null ? control : control.rescheduleAfter(decision.recheckAfter());
            }
        }
    }

    /**
     * An exception from reconcile, reported in status (see {@link PhaseMachine#decideError}), its Event recorded once
     * that is written; a conflict is only retried.
     */
    @Override
    public ErrorStatusUpdateControl<SchemaMigration> updateErrorStatus(SchemaMigration sm, Context<SchemaMigration> context, Exception e) {
        try (var revision = MDC.putCloseable(LogFormat.REVISION, revision(sm))) {
            Optional<Decision> decision = PhaseMachine.decideError(sm, e, clock.instant());
            if (decision.isEmpty()) {
                return ErrorStatusUpdateControl.noStatusUpdate();
            }
            try {
                StatusWriter.write(sm, decision.get().status(), context);
            } catch (KubernetesClientException failed) {
                // The API server that failed the reconcile fails this too, or the resource moved on: the retry reports it.
                LOG.debug("could not report the failed reconcile of {}/{} in status: {}", sm.getMetadata().getNamespace(),
                        sm.getMetadata().getName(), failed.getMessage());
                return ErrorStatusUpdateControl.noStatusUpdate();
            }
            if (actions != null) {
                actions.announce(sm, decision.get());
            }
            return ErrorStatusUpdateControl.noStatusUpdate();
        }
    }

    private static String revision(SchemaMigration sm) {
        return sm.getSpec() == null || sm.getSpec().getTargetRevision() == null ? "" : sm.getSpec().getTargetRevision();
    }

    /** Everything this reconcile needs, read once from the caches (and the blue/green Service from the API server). */
    private Observation observe(SchemaMigration sm, Context<SchemaMigration> context) {
        Optional<SpecProblem> problem = SpecValidator.validate(sm.getSpec());
        Optional<Observation.Claim> claim = problem.isPresent() ? Optional.empty()
                : DatabaseClaims.claim(sm, (index, key) -> context.getPrimaryCache().byIndex(index, key));
        var blueGreen = problem.isPresent() || sm.getSpec().getRollout() == null || !sm.getSpec().getRollout().blueGreen()
                ? null : sm.getSpec().getRollout().getBlueGreen();
        Optional<Service> service = blueGreen == null ? Optional.empty() : Optional.ofNullable(context.getClient().services()
                .inNamespace(sm.getMetadata().getNamespace()).withName(blueGreen.getService()).get());
        Optional<Observation.RunnerAccount> account = problem.isPresent() ? Optional.empty()
                : runnerAccountName(sm).map(name -> new Observation.RunnerAccount(name, name.equals(ownAccountName(sm)),
                        context.getSecondaryResource(ServiceAccount.class).isPresent()));
        Set<Pod> runnerPods = pods(context, RUNNER_PODS, sm);
        return new Observation(sm, problem, claim, context.getSecondaryResource(ConfigMap.class), account,
                List.copyOf(context.getSecondaryResources(Job.class)), runnerPods, mountFailures(context, runnerPods),
                pods(context, GATED_PODS, sm), service, clock.instant());
    }

    /**
     * The newest FailedMount Event of each runner pod still waiting to start: the only place a kubelet says a volume
     * (a TLS Secret, a key of it) is missing. Read from the API server, for such pods only, and looked at again shortly
     * (see {@link PhaseMachine}), since Events wake no reconcile.
     */
    private static Map<String, String> mountFailures(Context<SchemaMigration> context, Set<Pod> runnerPods) {
        Map<String, String> failures = new java.util.HashMap<>();
        for (Pod pod : runnerPods) {
            if (!RunnerObserver.waitingToStart(pod) || pod.getMetadata().getUid() == null) {
                continue;
            }
            try {
                context.getClient().v1().events().inNamespace(pod.getMetadata().getNamespace())
                        .withField("involvedObject.uid", pod.getMetadata().getUid()).withField("reason", "FailedMount")
                        .list().getItems().stream()
                        .max(java.util.Comparator.comparing(e -> e.getLastTimestamp() == null ? "" : e.getLastTimestamp()))
                        .ifPresent(e -> failures.put(pod.getMetadata().getName(), e.getMessage()));
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                // Without them the pod still starts once its volumes are there; only the cause goes unnamed. An install
                // whose RBAC lacks "list" on events (older than this operator) must not stall every reconcile.
                LOG.warn("cannot read the Events of runner pod {}/{} ({}): a volume it cannot mount goes unnamed in status;"
                        + " grant list on events", pod.getMetadata().getNamespace(), pod.getMetadata().getName(), e.getCode());
            }
        }
        return failures;
    }

    private static Set<Pod> pods(Context<SchemaMigration> context, String source, SchemaMigration sm) {
        return context.eventSourceRetriever().<Pod>getEventSourceFor(Pod.class, source).getSecondaryResources(sm);
    }

    /** The ServiceAccount the resource's runner pods run as, when one is named (else the namespace's default). */
    private Optional<String> runnerAccountName(SchemaMigration sm) {
        return sm.getSpec() == null ? Optional.empty()
                : Optional.ofNullable(RunnerJobFactory.serviceAccountName(sm.getSpec(), settings.runnerPod()));
    }

    private static String ownAccountName(SchemaMigration sm) {
        return sm.getSpec().getRunner() == null ? null : sm.getSpec().getRunner().getServiceAccountName();
    }

    static Optional<String> configMapName(SchemaMigration sm) {
        return Optional.ofNullable(sm.getSpec()).map(SchemaMigrationSpec::getSource)
                .map(s -> s.getConfigMapRef()).map(r -> r.getName());
    }

    /** The SchemaMigration a runner Job or pod belongs to: its full name from the annotation (the label may be hashed). */
    private static Set<ResourceID> byMigrationLabel(io.fabric8.kubernetes.api.model.HasMetadata resource) {
        Map<String, String> annotations = resource.getMetadata().getAnnotations();
        Map<String, String> labels = resource.getMetadata().getLabels();
        String owner = annotations != null && annotations.get(RunnerJobs.ANNOTATION_SCHEMA_MIGRATION) != null
                ? annotations.get(RunnerJobs.ANNOTATION_SCHEMA_MIGRATION)
                : labels == null ? null : labels.get(RunnerJobs.LABEL_SCHEMA_MIGRATION); // made before the annotation
        return owner == null ? Set.of() : Set.of(new ResourceID(owner, resource.getMetadata().getNamespace()));
    }

    /** Reconcile on spec changes, on the retry annotation, and on deletion; not on our own status writes. */
    public static final class SpecOrRetryChanged implements OnUpdateFilter<SchemaMigration> {
        @Override
        public boolean accept(SchemaMigration newResource, SchemaMigration oldResource) {
            return !Objects.equals(newResource.getMetadata().getGeneration(), oldResource.getMetadata().getGeneration())
                    || !Objects.equals(retry(newResource), retry(oldResource))
                    || newResource.isMarkedForDeletion();
        }

        private static String retry(SchemaMigration sm) {
            var annotations = sm.getMetadata().getAnnotations();
            return annotations == null ? null : annotations.get(RunnerJobs.RETRY_ANNOTATION);
        }
    }

}
