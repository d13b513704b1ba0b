package dev.lockstep.testkit;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.OperatorCommand;
import dev.lockstep.operator.OperatorSettings;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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

    private Demo() {}

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Path kubeconfig = Path.of(args.length > 1 ? args[1] : System.getenv("KUBECONFIG"));
        Path workDir = Files.createDirectories(Path.of(args.length > 2 ? args[2] : "/tmp/lockstep-demo-pods"));

        String host = "127.0.0.1";
        int port = 5432;
        EmbeddedPostgres embedded = null;
        if (!answers(host, port)) {
            LOG.info("no PostgreSQL answers on {}:{}; starting an embedded one for the demo", host, port);
            embedded = EmbeddedPostgres.builder().start();
            port = embedded.getPort();
        }
        createDatabase(host, port);
        String url = "jdbc:postgresql://" + host + ":" + port + "/" + DATABASE;

        Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        ControlPlane.installCrds(client, repo);
        LocalKubelet kubelet = new LocalKubelet(client, LocalKubelet.sameJvmCommand(), workDir).start();
        Operator operator = OperatorCommand.start(client, new OperatorSettings("lockstep:0.1.0", "IfNotPresent"),
                List.of(), null);

        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
                .createOr(existing -> existing.update());
        client.serviceAccounts().inNamespace(NAMESPACE).withName("default").waitUntilCondition(
                sa -> sa != null && sa.getSecrets() != null && !sa.getSecrets().isEmpty(), 60, TimeUnit.SECONDS);
        client.secrets().inNamespace(NAMESPACE).resource(new SecretBuilder()
                .withNewMetadata().withName("accounts-db-migrator").endMetadata()
                .addToStringData("username", "postgres").addToStringData("password", "unused-with-trust-auth")
                .build()).createOr(existing -> existing.update());
        Map<String, String> scripts = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(repo.resolve("migrations"))) {
            for (Path f : files.sorted().toList()) {
                scripts.put(f.getFileName().toString(), Files.readString(f));
            }
        }
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
        LOG.info("demo running: SchemaMigration {}/{} against {}", NAMESPACE, sm.getMetadata().getName(), url);

        EmbeddedPostgres pg = embedded;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            operator.stop();
            kubelet.close();
            client.close();
            if (pg != null) {
                try {
                    pg.close();
                } catch (Exception e) {
                    LOG.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
                }
            }
        }, "demo-stop"));
        new CountDownLatch(1).await();
    }

    private static boolean answers(String host, int port) {
        try (Connection ignored = connect(host, port, "postgres")) {
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static void createDatabase(String host, int port) throws Exception {
        try (Connection c = connect(host, port, "postgres"); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'")) {
            if (!rs.next()) {
                st.execute("CREATE DATABASE " + DATABASE);
            }
        }
    }

    private static Connection connect(String host, int port, String db) throws Exception {
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("connectTimeout", "3");
        return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + db, props);
    }
}
