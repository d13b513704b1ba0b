package dev.lockstep.operator.gate;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.common.Durations;
import dev.lockstep.operator.Revisions;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * `lockstep await`: an init container that blocks until a SchemaMigration reports the revision the app needs, for
 * apps that must not even start early. Needs only get/watch on schemamigrations in its namespace.
 */
@Command(name = "await", mixinStandardHelpOptions = true,
        description = "Block until a SchemaMigration reports the database at a revision or above (for init containers).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the revision is there", "2:bad arguments", "3:the API server refused or is unreachable",
            "4:timed out", "5:no such SchemaMigration (without --wait-for-creation)"})
public class AwaitCommand implements Callable<Integer> {
    @Option(names = "--schema", defaultValue = "${env:LOCKSTEP_SCHEMA}",
            description = "Name of the SchemaMigration. Env: LOCKSTEP_SCHEMA.")
    String schema;

    @Option(names = "--revision", defaultValue = "${env:LOCKSTEP_REQUIRES_REVISION}",
            description = "The revision to wait for, e.g. 7. Env: LOCKSTEP_REQUIRES_REVISION.")
    String revision;

    @Option(names = "--namespace", defaultValue = "${env:POD_NAMESPACE}",
            description = "Namespace of the SchemaMigration. Default: the pod's own (env POD_NAMESPACE, else the service account's).")
    String namespace;

    @Option(names = "--timeout", defaultValue = "0",
            description = "Give up after this long: 90s, 5m, 1h30m, or a number of seconds; 0 waits forever. Default: ${DEFAULT-VALUE}.")
    String timeout;

    @Option(names = "--wait-for-creation",
            description = "Wait for the SchemaMigration to be created (it is applied with the app, in any order);"
                    + " without it, one that does not exist fails at once (exit 5).")
    boolean waitForCreation;

    @Option(names = "--kubeconfig", description = "Kubeconfig to use outside a cluster. Default: in-cluster, else ~/.kube/config.")
    Path kubeconfig;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (schema == null || schema.isBlank()) {
            err.println("lockstep await: --schema (or LOCKSTEP_SCHEMA) is required: the SchemaMigration's name");
            return 2;
        }
        if (!Revisions.isVersion(revision)) {
            err.println("lockstep await: --revision must be a version such as 7, got '" + revision + "'");
            return 2;
        }
        java.util.Optional<java.time.Duration> limit = timeout(timeout);
        if (limit.isEmpty()) {
            err.println("lockstep await: --timeout must be a duration such as 90s, 5m or 1h30m (or a number of seconds), got '"
                    + timeout + "'");
            return 2;
        }
        try (KubernetesClient client = client()) {
            String ns = namespace != null && !namespace.isBlank() ? namespace : client.getNamespace();
            if (ns == null) {
                err.println("lockstep await: no namespace: pass --namespace or set POD_NAMESPACE");
                return 2;
            }
            var resource = client.resources(SchemaMigration.class).inNamespace(ns).withName(schema);
            long seconds = limit.get().isZero() ? TimeUnit.DAYS.toSeconds(3650) : limit.get().toSeconds();
            try {
                if (!waitForCreation && resource.get() == null) {
                    err.println("lockstep await: SchemaMigration " + ns + "/" + schema + " does not exist: check --schema"
                            + " (LOCKSTEP_SCHEMA) and --namespace, or pass --wait-for-creation to wait until it is applied");
                    return 5;
                }
                out.println("lockstep await: waiting for SchemaMigration " + ns + "/" + schema + " to reach revision " + revision);
                out.flush();
                SchemaMigration reached = resource.waitUntilCondition(sm -> sm != null && reached(sm), seconds, TimeUnit.SECONDS);
                out.println("lockstep await: database at revision " + reached.getStatus().getCurrentRevision() + "; go");
                return 0;
            } catch (KubernetesClientException e) {
                if (e.getCause() instanceof java.util.concurrent.TimeoutException || e.getMessage().contains("Timed out")) {
                    SchemaMigration now = resource.get();
                    err.println("lockstep await: revision " + revision + " not reached after " + timeout + (timeout.matches("[0-9]+") ? " s" : "")
                            + (now == null ? ": SchemaMigration " + ns + "/" + schema + " does not exist"
                            : now.getStatus() == null || now.getStatus().getPhase() == null ? ": the SchemaMigration has no status yet (is the operator running?)"
                            : ": the database is at revision " + java.util.Objects.requireNonNullElse(now.getStatus().getCurrentRevision(), "none")
                            + ", phase " + now.getStatus().getPhase()));
                    return 4;
                }
                err.println("lockstep await: " + e.getMessage() + (e.getCode() == 403
                        ? " (the pod's service account needs get and watch on schemamigrations.lockstep.dev)" : ""));
                return 3;
            }
        }
    }

    /** A duration as the other flags and the spec write it (a bare number is seconds). */
    private static java.util.Optional<java.time.Duration> timeout(String text) {
        return Durations.parse(text);
    }

    private boolean reached(SchemaMigration sm) {
        String current = sm.getStatus() == null ? null : sm.getStatus().getCurrentRevision();
        return current != null && Revisions.isVersion(current) && Revisions.compare(current, revision) >= 0;
    }

    private KubernetesClient client() throws IOException {
        if (kubeconfig == null) {
            return new KubernetesClientBuilder().build();
        }
        Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
        return new KubernetesClientBuilder().withConfig(new ConfigBuilder(config).build()).build();
    }

}
