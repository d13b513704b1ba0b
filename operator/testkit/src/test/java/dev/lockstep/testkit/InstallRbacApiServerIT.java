package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.lockstep.operator.OperatorCommand;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * The shipped install's RBAC (examples/install/operator.yaml) is what the operator needs: the operator runs as its
 * ServiceAccount (the admin impersonates it), takes its Lease, migrates, releases gated pods and records Events, and
 * nothing it tried was refused; kubectl auth can-i says it cannot read Secrets.
 */
@ExtendWith(ControlPlaneExtension.class)
class InstallRbacApiServerIT {
    private static final String SYSTEM = "lockstep-system";
    private static final String ACCOUNT = "lockstep"; // the chart's ServiceAccount: the release's name
    private static final String RUNNER_ACCOUNT = "lockstep-runner";

    @Test
    void theOperatorRunsAsTheInstallsServiceAccountAndIsRefusedNothing(Cluster cluster) throws Exception {
        KubernetesClient admin = cluster.client();
        List<HasMetadata> install;
        try (InputStream in = Files.newInputStream(ControlPlaneExtension.REPO.resolve("examples/install/operator.yaml"))) {
            install = admin.load(in).items();
        }
        for (HasMetadata r : install) {
            // everything but the Deployment and its Service: the operator runs here, in this JVM, as the ServiceAccount
            if (r instanceof Namespace || r instanceof ServiceAccount || r instanceof ClusterRole || r instanceof ClusterRoleBinding
                    || r instanceof Role || r instanceof RoleBinding) {
                admin.resource(r).createOr(existing -> existing.update());
            }
        }
        String as = "--as=system:serviceaccount:" + SYSTEM + ":" + ACCOUNT;
        for (String verb : List.of("get", "list", "watch")) {
            assertThat(cluster.controlPlane().kubectl("auth", "can-i", verb, "secrets", "-n", cluster.namespace(), as).stdout().strip())
                    .as("%s secrets", verb).isEqualTo("no");
        }
        assertThat(cluster.controlPlane().kubectl("auth", "can-i", "create", "jobs.batch", "-n", cluster.namespace(), as).stdout().strip())
                .isEqualTo("yes");

        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs.start();
        root.addAppender(logs);
        KubernetesClient operatorClient = cluster.controlPlane().clientAs(SYSTEM, ACCOUNT);
        Operator operator = null;
        try {
            TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
            operator = OperatorCommand.start(operatorClient, Cluster.SETTINGS, List.of(cluster.namespace()),
                    new LeaderElectionConfiguration("lockstep-operator-" + cluster.namespace(), SYSTEM, Duration.ofSeconds(4),
                            Duration.ofSeconds(3), Duration.ofMillis(500), "rbac-test", null, false));
            admin.apps().deployments().inNamespace(cluster.namespace())
                    .resource(RollingGateApiServerIT.deployment("accounts-api", "accounts", "6", 2)).create();
            cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations"));
            cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
            await().atMost(Duration.ofSeconds(30)).until(() -> Integer.valueOf(2).equals(admin.apps().deployments()
                    .inNamespace(cluster.namespace()).withName("accounts-api").get().getStatus().getReadyReplicas()));
            await().atMost(Duration.ofSeconds(10)).until(() -> cluster.events("accounts").stream()
                    .anyMatch(e -> "MigrationSucceeded".equals(e.getReason())));
            assertThat(cluster.events("accounts")).extracting(e -> e.getReason()).contains("MigrationPending", "MigrationSucceeded");
        } finally {
            if (operator != null) {
                operator.stop();
            }
            operatorClient.close();
            root.detachAppender(logs);
        }
        assertThat(logs.list).as("what the operator logged as warnings and errors")
                .filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .noneMatch(e -> refused(e.getFormattedMessage() + " " + causes(e.getThrowableProxy())));
    }

    /**
     * watch.mode release: the chart rendered into the test's namespace, the operator as its ServiceAccount there, with
     * the flags of the chart's Deployment; a SchemaMigration in another namespace is neither reconciled nor readable to
     * it. Runner pods run as the chart's runner ServiceAccount, which may do nothing; until it exists, the
     * SchemaMigration says so and no Job is made.
     */
    @Test
    void inTheReleaseNamespaceModeTheOperatorMigratesThereAndCannotSeeAnotherNamespace(Cluster cluster) throws Exception {
        KubernetesClient admin = cluster.client();
        String ns = cluster.namespace();
        java.nio.file.Path values = java.nio.file.Files.createTempFile("release-values", ".yaml");
        java.nio.file.Files.writeString(values, "watch:\n  mode: release\ncrds:\n  enabled: false\n");
        List<HasMetadata> render = ChartTest.render(values, ns);
        ServiceAccount runnerAccount = null;
        for (HasMetadata r : render) {
            if (r instanceof ServiceAccount a && a.getMetadata().getName().equals(RUNNER_ACCOUNT)) {
                runnerAccount = a; // created once the operator has said it is missing
            } else if (r instanceof ServiceAccount || r instanceof Role || r instanceof RoleBinding) {
                admin.resource(r).inNamespace(ns).create();
            }
            assertThat(r).as("a release-namespace install has no cluster-wide RBAC").isNotInstanceOfAny(ClusterRole.class,
                    ClusterRoleBinding.class);
        }
        assertThat(runnerAccount).as("the chart's runner ServiceAccount").isNotNull();
        String runnerAs = "--as=system:serviceaccount:" + ns + ":" + RUNNER_ACCOUNT;
        for (String[] request : List.of(new String[] {"get", "secrets"}, new String[] {"list", "pods"},
                new String[] {"get", "configmaps"}, new String[] {"create", "jobs.batch"},
                new String[] {"get", "schemamigrations.lockstep.dev"})) {
            assertThat(cluster.controlPlane().kubectl("auth", "can-i", request[0], request[1], "-n", ns, runnerAs).stdout().strip())
                    .as("the runner may %s %s", request[0], request[1]).isEqualTo("no");
        }
        String other = "other-" + ns.substring(0, Math.min(ns.length(), 40));
        admin.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName(other)
                .endMetadata().build()).create();
        String as = "--as=system:serviceaccount:" + ns + ":" + ACCOUNT;
        assertThat(cluster.controlPlane().kubectl("auth", "can-i", "list", "schemamigrations.lockstep.dev", "-n", other, as)
                .stdout().strip()).isEqualTo("no");
        assertThat(cluster.controlPlane().kubectl("auth", "can-i", "get", "secrets", "-n", ns, as).stdout().strip()).isEqualTo("no");
        assertThat(cluster.controlPlane().kubectl("auth", "can-i", "create", "jobs.batch", "-n", ns, as).stdout().strip()).isEqualTo("yes");

        KubernetesClient operatorClient = cluster.controlPlane().clientAs(ns, ACCOUNT);
        Operator operator = null;
        try {
            TestDatabase db = cluster.databaseWithScripts("accounts-db", "accounts-migrations", Cluster.MIGRATIONS);
            operator = OperatorCommand.start(operatorClient, ChartTest.settingsOf(ChartTest.one(render,
                            io.fabric8.kubernetes.api.model.apps.Deployment.class)), List.of(ns),
                    new LeaderElectionConfiguration("lockstep-operator", ns, Duration.ofSeconds(4),
                            Duration.ofSeconds(3), Duration.ofMillis(500), "release-mode", null, false));
            var elsewhere = Migrations.fromConfigMap("elsewhere", "6", db, "accounts-db", "accounts-migrations");
            elsewhere.getMetadata().setNamespace(other);
            admin.resource(elsewhere).create();
            cluster.apply(Migrations.fromConfigMap("accounts", "6", db, "accounts-db", "accounts-migrations"));
            var missing = Cluster.condition(cluster.awaitCondition("accounts", "Stalled", "True", "ServiceAccountNotFound"),
                    "Stalled").orElseThrow();
            assertThat(missing.getMessage()).contains("ServiceAccount " + RUNNER_ACCOUNT, "--runner-service-account",
                    "kubectl create serviceaccount " + RUNNER_ACCOUNT + " -n " + ns);
            assertThat(admin.batch().v1().jobs().inNamespace(ns).list().getItems()).as("no Job without its ServiceAccount").isEmpty();

            admin.resource(runnerAccount).inNamespace(ns).create(); // its arrival wakes the SchemaMigration
            cluster.awaitCondition("accounts", "Ready", "True", "MigrationSucceeded");
            assertThat(admin.pods().inNamespace(ns).withLabel(dev.lockstep.operator.jobs.RunnerJobs.LABEL_SCHEMA_MIGRATION, "accounts")
                    .list().getItems()).isNotEmpty().allSatisfy(p -> {
                assertThat(p.getSpec().getServiceAccountName()).isEqualTo(RUNNER_ACCOUNT);
                assertThat(p.getSpec().getSecurityContext().getRunAsUser()).isEqualTo(65532L);
                assertThat(p.getSpec().getVolumes()).noneMatch(v -> v.getProjected() != null || v.getSecret() != null);
            });
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> untouched(admin.resources(
                    dev.lockstep.api.v1alpha1.SchemaMigration.class).inNamespace(other).withName("elsewhere").get()));
            assertThat(admin.batch().v1().jobs().inNamespace(other).list().getItems()).isEmpty();
        } finally {
            if (operator != null) {
                operator.stop();
            }
            operatorClient.close();
            admin.namespaces().withName(other).delete();
            java.nio.file.Files.deleteIfExists(values);
        }
    }

    /** No operator has written a status for it. */
    private static boolean untouched(dev.lockstep.api.v1alpha1.SchemaMigration sm) {
        return sm.getStatus() == null || (sm.getStatus().getObservedGeneration() == null && sm.getStatus().getPhase() == null);
    }

    private static boolean refused(String text) {
        return text.contains("403") || text.toLowerCase(java.util.Locale.ROOT).contains("forbidden");
    }

    private static String causes(ch.qos.logback.classic.spi.IThrowableProxy t) {
        StringBuilder all = new StringBuilder();
        for (; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append(' ');
        }
        return all.toString();
    }
}
