package dev.lockstep.operator.observe;

import dev.lockstep.api.v1alpha1.Reason;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything one reconcile of a SchemaMigration knows, read once before anything is decided: the resource as the
 * cache holds it (never changed), what is wrong with its spec, whether another resource claims its database, its
 * scripts' ConfigMap, the ServiceAccount its runner pods run as, its runner Jobs and their pods, the pods gated on it,
 * the blue/green Service, and the time.
 *
 * @param claim   a stall the database claims call for (another SchemaMigration owns the schema, a scratch database in use)
 * @param runnerAccount the ServiceAccount runner pods run as, when one is named; empty for the namespace's default
 * @param mountFailures the newest FailedMount Event's message of each runner pod waiting in ContainerCreating, by pod
 *                      name: a volume the kubelet cannot mount shows nowhere else
 * @param service the Service of spec.rollout.blueGreen, when that is set and the Service exists
 */
public record Observation(SchemaMigration resource, Optional<SpecProblem> problem, Optional<Claim> claim,
                   Optional<ConfigMap> configMap, Optional<RunnerAccount> runnerAccount, List<Job> jobs, Set<Pod> runnerPods,
                   Map<String, String> mountFailures, Set<Pod> gatedPods, Optional<Service> service, Instant now) {

    /**
     * The ServiceAccount runner pods run as and whether it exists: a Job whose ServiceAccount is missing gets no pod at
     * all (its controller only records an Event), so the operator checks before it creates one.
     *
     * @param fromSpec named by spec.runner.serviceAccountName, rather than by the operator's --runner-service-account
     */
    public record RunnerAccount(String name, boolean fromSpec, boolean exists) {}

    /** Why this resource may not start a runner while another resource holds its database (see {@link DatabaseClaims}). */
    public record Claim(Reason reason, String message) {}

    public Observation {
        jobs = List.copyOf(jobs);
        runnerPods = Set.copyOf(runnerPods);
        mountFailures = Map.copyOf(mountFailures);
        gatedPods = Set.copyOf(gatedPods);
    }

    /** The ServiceAccount runner pods would run as, when one is named and does not exist. */
    public Optional<RunnerAccount> missingRunnerAccount() {
        return runnerAccount.filter(a -> !a.exists());
    }

    public Optional<Job> job(String name) {
        return jobs.stream().filter(j -> name.equals(j.getMetadata().getName())).findFirst();
    }
}
