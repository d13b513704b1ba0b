package dev.lockstep.testkit;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.cli.LocalPostgres;
import dev.lockstep.operator.OperatorSettings;
import dev.lockstep.operator.RunningOperator;
import dev.lockstep.operator.telemetry.Telemetry;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local demo's long-running half (test-infra/demo.sh starts it): the operator and a local kubelet against the
 * demo control plane, PostgreSQL (the local service, or an embedded one), and examples/accounts applied to it.
 * Runs until killed.
 */
public final class Demo {
    private static final Logger LOG = LoggerFactory.getLogger(Demo.class);
    static final String NAMESPACE = "demo";
    static final String DATABASE = "lockstep_demo";

    static final String INSTALL_NAMESPACE = "lockstep-system";
    static final String SERVICE_ACCOUNT = "lockstep";

    private Demo() {}

    /** The namespace, ServiceAccount and RBAC objects of the install, applied as an admin would. */
    static void installRbac(KubernetesClient admin, Path install) throws java.io.IOException {
        try (InputStream in = Files.newInputStream(install)) {
            for (io.fabric8.kubernetes.api.model.HasMetadata r : admin.load(in).items()) {
                if (java.util.Set.of("Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
                        .contains(r.getKind())) {
                    admin.resource(r).createOr(existing -> existing.update());
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Path kubeconfig = Path.of(args.length > 1 ? args[1] : System.getenv("KUBECONFIG"));
        Path workDir = Files.createDirectories(Path.of(args.length > 2 ? args[2] : "/tmp/lockstep-demo-pods"));

        LocalPostgres pg = LocalPostgres.findOrStart("127.0.0.1", 5432, "postgres", null);
        if (pg.embedded()) {
            LOG.info("no PostgreSQL answers on 127.0.0.1:5432; started an embedded one for the demo");
        }
        pg.createDatabaseIfMissing(DATABASE);
        String url = pg.url(DATABASE);

        Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        ControlPlane.installCrds(client, repo);
        LocalKubelet kubelet = new LocalKubelet(client, LocalKubelet.sameJvmCommand(), workDir).start();
        // What users install: the chart's default render's namespace, ServiceAccount and RBAC (its Deployment is this
        // process), and the operator acting as that ServiceAccount, so the demo runs on the RBAC users get.
        installRbac(client, repo.resolve("examples/install/operator.yaml"));
        KubernetesClient operatorClient = ControlPlane.clientAs(kubeconfig, INSTALL_NAMESPACE, SERVICE_ACCOUNT);
        // As `lockstep operator` runs: telemetry from OTEL_*, /metrics, /healthz and /readyz on a free port.
        RunningOperator operator = RunningOperator.start(operatorClient, new OperatorSettings("lockstep:0.1.0", "IfNotPresent"),
                List.of(), null, Telemetry.autoConfigured(), "127.0.0.1", 0);
        Files.writeString(workDir.toAbsolutePath().getParent().resolve("metrics-port"), operator.port() + "\n");

        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
                .createOr(existing -> existing.update());
        client.serviceAccounts().inNamespace(NAMESPACE).withName("default").waitUntilCondition(
                sa -> sa != null && sa.getSecrets() != null && !sa.getSecrets().isEmpty(), 60, TimeUnit.SECONDS);
        client.secrets().inNamespace(NAMESPACE).resource(new SecretBuilder()
                .withNewMetadata().withName("accounts-db-migrator").endMetadata()
                .addToStringData("username", "postgres").addToStringData("password", "unused-with-trust-auth")
                .build()).createOr(existing -> existing.update());
        Map<String, String> scripts = Scripts.read(repo.resolve("migrations"));
        client.configMaps().inNamespace(NAMESPACE).resource(new ConfigMapBuilder()
                .withNewMetadata().withName("accounts-migrations").endMetadata().withData(scripts).build())
                .createOr(existing -> existing.update());

        // examples/accounts/schemamigration.yaml as written, pointed at the demo's database.
        SchemaMigration sm;
        try (InputStream in = Files.newInputStream(repo.resolve("examples/accounts/schemamigration.yaml"))) {
            sm = client.getKubernetesSerialization().unmarshal(in, SchemaMigration.class);
        }
        sm.getMetadata().setNamespace(NAMESPACE);
        sm.getSpec().getDatabase().setUrl(url);
        client.resource(sm).inNamespace(NAMESPACE).createOr(existing -> existing.update());
        // ...and the application, whose pods wait for the schema (examples/accounts/deployment.yaml).
        try (InputStream in = Files.newInputStream(repo.resolve("examples/accounts/deployment.yaml"))) {
            client.resource(client.getKubernetesSerialization().unmarshal(in, io.fabric8.kubernetes.api.model.apps.Deployment.class))
                    .inNamespace(NAMESPACE).createOr(existing -> existing.update());
        }
        LOG.info("demo running: SchemaMigration {}/{} against {}", NAMESPACE, sm.getMetadata().getName(), url);

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            operator.close();
            operatorClient.close();
            kubelet.close();
            client.close();
            try {
                pg.close();
            } catch (Exception e) {
                LOG.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
            }
        }, "demo-stop"));
        new CountDownLatch(1).await();
    }
}
