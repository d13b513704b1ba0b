package dev.lockstep.operator.gate;

import dev.lockstep.api.v1alpha1.SchemaMigration;
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
            "4:timed out"})
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

    @Option(names = "--timeout", defaultValue = "0", description = "Give up after this many seconds; 0 waits forever. Default: ${DEFAULT-VALUE}.")
    long timeoutSeconds;

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
        try (KubernetesClient client = client()) {
            String ns = namespace != null && !namespace.isBlank() ? namespace : client.getNamespace();
            if (ns == null) {
                err.println("lockstep await: no namespace: pass --namespace or set POD_NAMESPACE");
                return 2;
            }
            out.println("lockstep await: waiting for SchemaMigration " + ns + "/" + schema + " to reach revision " + revision);
            out.flush();
            long limit = timeoutSeconds > 0 ? timeoutSeconds : TimeUnit.DAYS.toSeconds(3650);
            try {
                SchemaMigration reached = client.resources(SchemaMigration.class).inNamespace(ns).withName(schema)
                        .waitUntilCondition(sm -> sm != null && reached(sm), limit, TimeUnit.SECONDS);
                out.println("lockstep await: database at revision " + reached.getStatus().getCurrentRevision() + "; go");
                return 0;
            } catch (KubernetesClientException e) {
                if (e.getCause() instanceof java.util.concurrent.TimeoutException || e.getMessage().contains("Timed out")) {
                    err.println("lockstep await: revision " + revision + " not reached after " + timeoutSeconds + " s");
                    return 4;
                }
                err.println("lockstep await: " + e.getMessage() + (e.getCode() == 403
                        ? " (the pod's service account needs get and watch on schemamigrations.lockstep.dev)" : ""));
                return 3;
            }
        }
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
