package dev.lockstep.testkit;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.Revisions;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Watches a run on the real control plane and checks Lockstep's three promises against what really happened:
 * <ol>
 *   <li><b>no pod is Ready while its database is below the revision it requires</b>: every time a gated pod's
 *       Ready or {@code lockstep.dev/schema-ready} condition turns True, the monitor reads the database's real
 *       revision from {@code flyway_schema_history} at once (schemas only go up in a run, so a revision read
 *       after the transition is at least the one there at the transition);</li>
 *   <li><b>no contract step while a pod that requires the old revision exists</b>: for every contract Job, no pod
 *       gated on the same SchemaMigration that requires less than the expanded revision (the highest applied
 *       non-contract version) was alive when the Job was created;</li>
 *   <li><b>the Service never selects pods that are not Ready on the required schema</b>: at every change of a
 *       blue/green Service's selector, every live pod it selects is Ready, requires no more than the database
 *       has, and the switch goes towards the side that requires the newer revision;</li>
 * </ol>
 * and, as a fourth, that a SchemaMigration never has two runner Jobs active at once.
 *
 * <p>"Alive at" and "Ready at" are decided by resourceVersion: on one etcd (as here) it is the store's global
 * revision, so a Job's creation, a pod's deletion and a Service's update are ordered exactly, with none of the
 * skew between separate watch streams. Kubernetes calls resourceVersion opaque to clients; this test harness reads
 * it only against its own single etcd.
 *
 * <p>Every observation goes to a per-namespace timeline, printed with any violation so a failure can be read
 * without re-running it.
 */
final class InvariantMonitor implements AutoCloseable {
    private static final String GATE = "lockstep.dev/schema-ready";
    private static final String SCHEMA = "lockstep.dev/schema";
    private static final String REQUIRES = "lockstep.dev/requires-revision";
    private static final String STEP = "lockstep.dev/step";
    private static final String JOB_SCHEMA_MIGRATION = "lockstep.dev/schema-migration";

    /** A SchemaMigration the monitor checks, with the database it migrates and, for blue/green, its Service. */
    private static final class Subject {
        final String namespace;
        final String schemaMigration;
        final TestDatabase database;
        final String service;
        Connection connection;

        Subject(String namespace, String schemaMigration, TestDatabase database, String service) {
            this.namespace = namespace;
            this.schemaMigration = schemaMigration;
            this.database = database;
            this.service = service;
        }
    }

    /** One observed version of a pod: Ready, and open (Ready or its schema gate True). */
    private record PodVersion(long rv, boolean ready, boolean open, Map<String, String> labels) {}

    private static final class PodHistory {
        final String namespace;
        final String name;
        final String schemaMigration;
        final String requires;
        final long createdRv;
        volatile Long deletedRv;
        final List<PodVersion> versions = new CopyOnWriteArrayList<>();

        PodHistory(Pod pod, long createdRv) {
            this.namespace = pod.getMetadata().getNamespace();
            this.name = pod.getMetadata().getName();
            this.schemaMigration = pod.getMetadata().getLabels().get(SCHEMA);
            this.requires = pod.getMetadata().getLabels().get(REQUIRES);
            this.createdRv = createdRv;
        }

        boolean aliveAt(long rv) {
            return createdRv < rv && (deletedRv == null || deletedRv > rv);
        }

        Optional<PodVersion> at(long rv) {
            PodVersion last = null;
            for (PodVersion v : versions) {
                if (v.rv() <= rv) {
                    last = v;
                }
            }
            return Optional.ofNullable(last);
        }
    }

    private static final class JobHistory {
        final String namespace;
        final String name;
        final String schemaMigration;
        final String step;
        final long createdRv;
        volatile Long endRv;
        volatile String expanded;

        JobHistory(Job job, long createdRv) {
            this.namespace = job.getMetadata().getNamespace();
            this.name = job.getMetadata().getName();
            this.schemaMigration = job.getMetadata().getLabels().get(JOB_SCHEMA_MIGRATION);
            this.step = job.getMetadata().getAnnotations() == null ? null : job.getMetadata().getAnnotations().get(STEP);
            this.createdRv = createdRv;
        }
    }

    /** A change of a Service's selector, with the database revision read when it was seen. */
    private record Switch(String namespace, String service, Map<String, String> from, Map<String, String> to, long rv, String database) {}

    private final KubernetesClient client;
    private final Instant start = Instant.now();
    private final Map<String, Subject> subjects = new ConcurrentHashMap<>();
    private final Map<String, PodHistory> pods = new ConcurrentHashMap<>();
    private final Map<String, JobHistory> jobs = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> selectors = new ConcurrentHashMap<>();
    private final List<Switch> switches = new CopyOnWriteArrayList<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final Map<String, List<String>> timelines = new ConcurrentHashMap<>();
    private final AtomicInteger readyChecks = new AtomicInteger();
    private final AtomicInteger unknownDeletions = new AtomicInteger();
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();

    InvariantMonitor(KubernetesClient client) {
        this.client = client;
    }

    InvariantMonitor start() {
        informers.add(client.pods().inAnyNamespace().withLabel(SCHEMA).inform(handler(this::onPod, this::onPodDeleted), 0));
        informers.add(client.batch().v1().jobs().inAnyNamespace().withLabel("app.kubernetes.io/managed-by", "lockstep")
                .inform(handler(this::onJob, this::onJobDeleted), 0));
        informers.add(client.services().inAnyNamespace().inform(handler(this::onService, s -> {}), 0));
        informers.add(client.resources(SchemaMigration.class).inAnyNamespace().inform(handler(this::onSchemaMigration, s -> {}), 0));
        informers.forEach(i -> {
            try {
                i.start().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("invariant monitor could not start its watches", e);
            }
        });
        return this;
    }

    /** Checks pods, Jobs and (when {@code service} is not null) the blue/green Service of this SchemaMigration. */
    void watch(String namespace, String schemaMigration, TestDatabase database, String service) {
        subjects.put(namespace + "/" + schemaMigration, new Subject(namespace, schemaMigration, database, service));
    }

    /** Stops reading this namespace's databases (before they are dropped); what was recorded stays. */
    void release(String namespace) {
        subjects.values().removeIf(s -> {
            if (!s.namespace.equals(namespace)) {
                return false;
            }
            synchronized (s) {
                closeQuietly(s.connection);
                s.connection = null;
            }
            return true;
        });
    }

    // ---- observations ----

    private void onPod(Pod pod) {
        Subject subject = subject(pod.getMetadata().getNamespace(), pod.getMetadata().getLabels().get(SCHEMA));
        if (subject == null) {
            return;
        }
        long rv = rv(pod);
        PodHistory history = pods.computeIfAbsent(pod.getMetadata().getUid(), uid -> new PodHistory(pod, rv));
        boolean ready = conditionTrue(pod, "Ready");
        boolean gateOpen = conditionTrue(pod, GATE);
        PodVersion previous = history.versions.isEmpty() ? null : history.versions.get(history.versions.size() - 1);
        boolean open = ready || gateOpen;
        history.versions.add(new PodVersion(rv, ready, open, Map.copyOf(pod.getMetadata().getLabels())));
        if (previous == null) {
            log(pod.getMetadata().getNamespace(), rv, "pod " + history.name + " created, requires " + history.requires);
        }
        boolean wasOpen = previous != null && previous.open();
        if (open && !wasOpen) {
            readyChecks.incrementAndGet();
            String database = revision(subject);
            log(subject.namespace, rv, "pod " + history.name + (ready ? " Ready" : " gate open") + " (requires " + history.requires
                    + ", database at " + database + ")");
            if (history.requires == null || database == null || Revisions.compare(database, history.requires) < 0) {
                violation(subject.namespace, "pod " + history.name + " became " + (ready ? "Ready" : "gate-open") + " at rv " + rv
                        + " while it requires " + history.requires + " and the database is at " + database);
            }
        } else if (previous != null && previous.ready() != ready) {
            log(subject.namespace, rv, "pod " + history.name + (ready ? " Ready" : " not Ready"));
        }
    }

    private void onPodDeleted(Pod pod) {
        PodHistory history = pods.get(pod.getMetadata().getUid());
        if (history != null) {
            history.deletedRv = rv(pod);
            log(history.namespace, history.deletedRv, "pod " + history.name + " deleted");
        }
    }

    private void onJob(Job job) {
        String namespace = job.getMetadata().getNamespace();
        Subject subject = subject(namespace, job.getMetadata().getLabels().get(JOB_SCHEMA_MIGRATION));
        if (subject == null) {
            return;
        }
        long rv = rv(job);
        JobHistory history = jobs.computeIfAbsent(job.getMetadata().getUid(), uid -> {
            JobHistory created = new JobHistory(job, rv);
            if ("Contract".equals(created.step)) {
                created.expanded = expandedRevision(subject);
            }
            log(namespace, rv, "job " + created.name + " created (" + created.step + ")"
                    + (created.expanded == null ? "" : ", expanded revision " + created.expanded));
            return created;
        });
        boolean ended = job.getStatus() != null && (positive(job.getStatus().getSucceeded()) || positive(job.getStatus().getFailed()));
        if (history.endRv == null && (ended || job.getMetadata().getDeletionTimestamp() != null)) {
            history.endRv = rv;
            log(namespace, rv, "job " + history.name + (ended ? (positive(job.getStatus().getSucceeded()) ? " succeeded" : " failed") : " deleting")
                    + ", database at " + revision(subject));
        }
    }

    private void onJobDeleted(Job job) {
        JobHistory history = jobs.get(job.getMetadata().getUid());
        if (history != null && history.endRv == null) {
            history.endRv = rv(job);
        }
    }

    private void onService(Service service) {
        String namespace = service.getMetadata().getNamespace();
        String key = namespace + "/" + service.getMetadata().getName();
        Map<String, String> selector = service.getSpec().getSelector() == null ? Map.of() : Map.copyOf(service.getSpec().getSelector());
        Map<String, String> before = selectors.put(key, selector);
        Optional<Subject> subject = subjects.values().stream()
                .filter(s -> s.namespace.equals(namespace) && service.getMetadata().getName().equals(s.service)).findFirst();
        if (before == null || before.equals(selector) || subject.isEmpty()) {
            return;
        }
        long rv = rv(service);
        String database = revision(subject.get());
        switches.add(new Switch(namespace, service.getMetadata().getName(), before, selector, rv, database));
        log(namespace, rv, "service " + service.getMetadata().getName() + " selector " + before + " -> " + selector + ", database at " + database);
    }

    private void onSchemaMigration(SchemaMigration sm) {
        if (subject(sm.getMetadata().getNamespace(), sm.getMetadata().getName()) == null || sm.getStatus() == null) {
            return;
        }
        var s = sm.getStatus();
        log(sm.getMetadata().getNamespace(), rv(sm), "schemamigration " + sm.getMetadata().getName() + " phase " + s.getPhase()
                + ", current " + s.getCurrentRevision() + ", target " + s.getTargetRevision()
                + (s.getHeldForContract() == null || s.getHeldForContract().isEmpty() ? "" : ", held " + s.getHeldForContract()));
    }

    // ---- the checks that need the whole history ----

    /** Every violation so far in {@code namespace}, including the checks decided by resourceVersion. */
    List<String> violations(String namespace) {
        List<String> found = new ArrayList<>();
        violations.stream().filter(v -> v.startsWith(namespace + ": ")).forEach(found::add);
        found.addAll(contractViolations(namespace));
        found.addAll(switchViolations(namespace));
        found.addAll(overlappingJobs(namespace));
        return found;
    }

    /** Every violation of the run. */
    List<String> violations() {
        return namespaces().stream().flatMap(ns -> violations(ns).stream()).toList();
    }

    private List<String> namespaces() {
        return timelines.keySet().stream().sorted().toList();
    }

    private List<String> contractViolations(String namespace) {
        List<String> found = new ArrayList<>();
        for (JobHistory job : jobs.values()) {
            if (!job.namespace.equals(namespace) || !"Contract".equals(job.step)) {
                continue;
            }
            if (job.expanded == null) {
                found.add(namespace + ": contract job " + job.name + " created on a database with no expanded revision");
                continue;
            }
            List<String> holders = pods.values().stream()
                    .filter(p -> p.namespace.equals(namespace) && Objects.equals(p.schemaMigration, job.schemaMigration))
                    .filter(p -> p.aliveAt(job.createdRv))
                    .filter(p -> p.requires == null || Revisions.compare(p.requires, job.expanded) < 0)
                    .map(p -> p.name + "=" + p.requires).sorted().toList();
            if (!holders.isEmpty()) {
                found.add(namespace + ": contract job " + job.name + " created at rv " + job.createdRv + " while pods requiring less than "
                        + job.expanded + " were alive: " + holders);
            }
        }
        return found;
    }

    private List<String> switchViolations(String namespace) {
        List<String> found = new ArrayList<>();
        for (Switch change : switches) {
            if (!change.namespace().equals(namespace)) {
                continue;
            }
            List<PodHistory> selected = selectedAt(change.namespace(), change.to(), change.rv());
            List<PodHistory> previous = selectedAt(change.namespace(), change.from(), change.rv());
            String what = namespace + ": service " + change.service() + " switched to " + change.to() + " at rv " + change.rv();
            if (selected.isEmpty()) {
                found.add(what + " selecting no live pod");
            }
            for (PodHistory pod : selected) {
                boolean ready = pod.at(change.rv()).map(PodVersion::ready).orElse(false);
                if (!ready) {
                    found.add(what + " while pod " + pod.name + " was not Ready");
                }
                if (change.database() == null || pod.requires == null || Revisions.compare(change.database(), pod.requires) < 0) {
                    found.add(what + " while pod " + pod.name + " requires " + pod.requires + " and the database was at " + change.database());
                }
            }
            Optional<String> newSide = highest(selected);
            Optional<String> oldSide = highest(previous);
            if (newSide.isPresent() && oldSide.isPresent() && Revisions.compare(newSide.get(), oldSide.get()) <= 0) {
                found.add(what + " towards pods requiring " + newSide.get() + " from pods requiring " + oldSide.get() + ": not towards the newer side");
            }
        }
        return found;
    }

    private List<String> overlappingJobs(String namespace) {
        List<String> found = new ArrayList<>();
        Map<String, List<JobHistory>> bySchemaMigration = jobs.values().stream().filter(j -> j.namespace.equals(namespace))
                .collect(Collectors.groupingBy(j -> j.schemaMigration));
        bySchemaMigration.forEach((sm, list) -> {
            List<JobHistory> ordered = list.stream().sorted(Comparator.comparingLong(j -> j.createdRv)).toList();
            for (int i = 1; i < ordered.size(); i++) {
                JobHistory earlier = ordered.get(i - 1);
                JobHistory later = ordered.get(i);
                if (earlier.endRv == null || earlier.endRv > later.createdRv) {
                    found.add(namespace + ": job " + later.name + " created at rv " + later.createdRv + " while job " + earlier.name
                            + " was still active");
                }
            }
        });
        return found;
    }

    private List<PodHistory> selectedAt(String namespace, Map<String, String> selector, long rv) {
        if (selector.isEmpty()) {
            return List.of();
        }
        return pods.values().stream().filter(p -> p.namespace.equals(namespace) && p.aliveAt(rv))
                .filter(p -> p.at(rv).map(v -> v.labels().entrySet().containsAll(selector.entrySet())).orElse(false))
                .toList();
    }

    private static Optional<String> highest(List<PodHistory> pods) {
        return pods.stream().map(p -> p.requires).filter(Objects::nonNull).filter(Revisions::isVersion).max(Revisions.ORDER);
    }

    // ---- figures and reports ----

    int readyChecks() { return readyChecks.get(); }

    int switches(String namespace) {
        return (int) switches.stream().filter(s -> s.namespace().equals(namespace)).count();
    }

    int switches() { return switches.size(); }

    int contractJobs(String namespace) {
        return (int) jobs.values().stream().filter(j -> j.namespace.equals(namespace) && "Contract".equals(j.step)).count();
    }

    int contractJobs() { return (int) jobs.values().stream().filter(j -> "Contract".equals(j.step)).count(); }

    int jobs() { return jobs.size(); }

    int podsSeen() { return pods.size(); }

    /** Deletions seen only as "final state unknown" after a relist: their resourceVersion is not the deletion's. */
    int unknownDeletions() { return unknownDeletions.get(); }

    String timeline(String namespace) {
        return String.join("\n", timelines.getOrDefault(namespace, List.of()));
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::stop);
        subjects.values().forEach(s -> closeQuietly(s.connection));
        subjects.clear();
    }

    // ---- helpers ----

    private Subject subject(String namespace, String schemaMigration) {
        return schemaMigration == null ? null : subjects.get(namespace + "/" + schemaMigration);
    }

    private void violation(String namespace, String message) {
        violations.add(namespace + ": " + message);
        log(namespace, -1, "VIOLATION " + message);
    }

    private void log(String namespace, long rv, String what) {
        Duration since = Duration.between(start, Instant.now());
        timelines.computeIfAbsent(namespace, ns -> new CopyOnWriteArrayList<>())
                .add(String.format("%8.3fs rv=%-7s %s", since.toMillis() / 1000.0, rv < 0 ? "-" : Long.toString(rv), what));
    }

    /** The database's real revision: its highest successfully applied version, or null when it has none. */
    private static String revision(Subject subject) {
        return versions(subject, false).stream().max(Revisions.ORDER).orElse(null);
    }

    /** The highest applied version that is not a contract step. */
    private static String expandedRevision(Subject subject) {
        return versions(subject, true).stream().max(Revisions.ORDER).orElse(null);
    }

    private static List<String> versions(Subject subject, boolean withoutContract) {
        synchronized (subject) {
            for (int attempt = 0; attempt < 2; attempt++) {
                try {
                    if (subject.connection == null || subject.connection.isClosed()) {
                        subject.connection = subject.database.connect();
                    }
                    try (Statement st = subject.connection.createStatement();
                         ResultSet rs = st.executeQuery("SELECT version, description FROM public.flyway_schema_history"
                                 + " WHERE success AND version IS NOT NULL")) {
                        List<String> versions = new ArrayList<>();
                        while (rs.next()) {
                            if (!withoutContract || !rs.getString(2).startsWith("contract ")) {
                                versions.add(rs.getString(1));
                            }
                        }
                        return versions;
                    }
                } catch (SQLException e) {
                    if ("42P01".equals(e.getSQLState())) {
                        return List.of(); // no history table yet: no revision
                    }
                    closeQuietly(subject.connection);
                    subject.connection = null;
                    if (attempt == 1) {
                        throw new IllegalStateException("invariant monitor cannot read " + subject.database.name() + ": " + e.getMessage(), e);
                    }
                }
            }
            throw new IllegalStateException("unreachable");
        }
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // closing a broken connection
            }
        }
    }

    private static boolean conditionTrue(Pod pod, String type) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
                .anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static boolean positive(Integer n) {
        return n != null && n > 0;
    }

    private static long rv(HasMetadata resource) {
        return Long.parseLong(resource.getMetadata().getResourceVersion());
    }

    private <T extends HasMetadata> ResourceEventHandler<T> handler(Consumer<T> onChange, Consumer<T> onDelete) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T resource) {
                guarded(onChange, resource);
            }

            @Override
            public void onUpdate(T before, T after) {
                guarded(onChange, after);
            }

            @Override
            public void onDelete(T resource, boolean finalStateUnknown) {
                if (finalStateUnknown) {
                    unknownDeletions.incrementAndGet();
                }
                guarded(onDelete, resource);
            }
        };
    }

    private <T extends HasMetadata> void guarded(Consumer<T> action, T resource) {
        try {
            action.accept(resource);
        } catch (RuntimeException e) {
            // A monitor that cannot look is not a monitor that saw nothing wrong.
            violation(resource.getMetadata().getNamespace(), "monitor could not check " + resource.getKind() + " "
                    + resource.getMetadata().getName() + ": " + e.getMessage());
        }
    }
}
