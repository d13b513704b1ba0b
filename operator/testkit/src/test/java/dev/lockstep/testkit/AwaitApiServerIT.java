package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.operator.gate.AwaitCommand;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

/** `lockstep await` as an init container runs it: with a service account that may only read SchemaMigrations. */
@ExtendWith(ControlPlaneExtension.class)
class AwaitApiServerIT {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int runAwait(Path kubeconfig, String namespace, String... args) {
        CommandLine cli = new CommandLine(new AwaitCommand());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 4];
        all[0] = "--kubeconfig";
        all[1] = kubeconfig.toString();
        all[2] = "--namespace";
        all[3] = namespace;
        System.arraycopy(args, 0, all, 4, args.length);
        return cli.execute(all);
    }

    /** A kubeconfig for a service account of the test namespace, optionally allowed to read SchemaMigrations. */
    private static Path serviceAccountKubeconfig(Cluster cluster, String name, boolean mayRead) throws Exception {
        var client = cluster.client();
        String ns = cluster.namespace();
        client.serviceAccounts().inNamespace(ns).resource(new ServiceAccountBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
        if (mayRead) {
            client.rbac().roles().inNamespace(ns).resource(new RoleBuilder().withNewMetadata().withName(name).endMetadata()
                    .addNewRule().withApiGroups("lockstep.dev").withResources("schemamigrations").withVerbs("get", "list", "watch").endRule()
                    .build()).create();
            client.rbac().roleBindings().inNamespace(ns).resource(new RoleBindingBuilder().withNewMetadata().withName(name).endMetadata()
                    .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName(name).endRoleRef()
                    .addNewSubject().withKind("ServiceAccount").withName(name).withNamespace(ns).endSubject().build()).create();
        }
        ServiceAccount sa = client.serviceAccounts().inNamespace(ns).withName(name)
                .waitUntilCondition(s -> s.getSecrets() != null && !s.getSecrets().isEmpty(), 30, TimeUnit.SECONDS);
        Secret token = client.secrets().inNamespace(ns).withName(sa.getSecrets().get(0).getName()).get();
        String admin = Files.readString(cluster.controlPlane().kubeconfig());
        String server = admin.replaceAll("(?s).*server: \"([^\"]+)\".*", "$1");
        String ca = admin.replaceAll("(?s).*certificate-authority: \"([^\"]+)\".*", "$1");
        Path file = Files.createTempFile("sa-", ".kubeconfig");
        Files.writeString(file, "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"" + server
                + "\", certificate-authority: \"" + ca + "\"}\nusers:\n- name: u\n  user: {token: \""
                + new String(Base64.getDecoder().decode(token.getData().get("token")), StandardCharsets.UTF_8)
                + "\"}\ncontexts:\n- name: c\n  context: {cluster: c, user: u, namespace: " + ns + "}\ncurrent-context: c\n");
        return file;
    }

    @Test
    void blocksUntilTheRevisionIsReportedWithReadOnlyAccessToSchemaMigrations(Cluster cluster) throws Exception {
        TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
        cluster.kubelet().delayStart(LocalKubelet.inNamespace(cluster.namespace()), Duration.ofSeconds(3));
        Path kubeconfig = serviceAccountKubeconfig(cluster, "accounts-api", true);
        cluster.startOperator();
        cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations"));

        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() ->
                runAwait(kubeconfig, cluster.namespace(), "--schema", "accounts", "--revision", "5", "--timeout", "120"));

        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> !waiting.isDone()
                && cluster.get("accounts").getStatus().getCurrentRevision() == null);
        assertThat(waiting.get(120, TimeUnit.SECONDS)).as(out + "\n" + err).isZero();
        assertThat(cluster.get("accounts").getStatus().getCurrentRevision()).isEqualTo("6");
        assertThat(out.toString()).contains("waiting for SchemaMigration", "database at revision 6; go");
    }

    @Test
    void withoutReadAccessItSaysWhichPermissionIsMissing(Cluster cluster) throws Exception {
        Path kubeconfig = serviceAccountKubeconfig(cluster, "no-access", false);

        int exit = runAwait(kubeconfig, cluster.namespace(), "--schema", "accounts", "--revision", "6", "--timeout", "10");

        assertThat(exit).isEqualTo(3);
        assertThat(err.toString()).contains("get and watch on schemamigrations.lockstep.dev");
    }

    @Test
    void givesUpAtItsTimeoutSayingWhereTheDatabaseIs(Cluster cluster) throws Exception {
        TestDatabase db = cluster.database();
        Path kubeconfig = serviceAccountKubeconfig(cluster, "impatient", true);
        cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations")); // no operator

        int exit = runAwait(kubeconfig, cluster.namespace(), "--schema", "accounts", "--revision", "6", "--timeout", "2");

        assertThat(exit).isEqualTo(4);
        assertThat(err.toString()).contains("not reached after 2 s", "no status yet (is the operator running?)");
    }

    @Test
    void aSchemaMigrationThatDoesNotExistIsNamedAtOnceUnlessToldToWaitForIt(Cluster cluster) throws Exception {
        Path kubeconfig = serviceAccountKubeconfig(cluster, "early", true);

        long started = System.nanoTime();
        int missing = runAwait(kubeconfig, cluster.namespace(), "--schema", "acounts", "--revision", "6");

        assertThat(missing).isEqualTo(5);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
        assertThat(err.toString()).contains("SchemaMigration " + cluster.namespace() + "/acounts does not exist", "--wait-for-creation");

        int waited = runAwait(kubeconfig, cluster.namespace(), "--schema", "acounts", "--revision", "6", "--wait-for-creation",
                "--timeout", "2s");
        assertThat(waited).isEqualTo(4);
        assertThat(err.toString()).contains("not reached after 2s: SchemaMigration " + cluster.namespace() + "/acounts does not exist");
    }

    @Test
    void aTimeoutThatIsNotADurationIsABadArgument(Cluster cluster) throws Exception {
        Path kubeconfig = serviceAccountKubeconfig(cluster, "typo", true);

        assertThat(runAwait(kubeconfig, cluster.namespace(), "--schema", "accounts", "--revision", "6", "--timeout", "5 minutes"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--timeout must be a duration such as 90s, 5m or 1h30m", "'5 minutes'");
    }
}
