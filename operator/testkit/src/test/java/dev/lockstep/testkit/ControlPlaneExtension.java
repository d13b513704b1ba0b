package dev.lockstep.testkit;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.opentest4j.TestAbortedException;

/**
 * One real control plane per test run (started on first use, stopped when the run ends), the CRDs from crds/
 * installed, a {@link LocalKubelet} running pods, and a fresh namespace per test. Tests take a {@link Cluster}.
 *
 * <p>With {@code -Dlockstep.apiserver.skip=true} the tier is skipped, loudly; CI never sets it. Without the flag,
 * a control plane that cannot be built or started fails every test of the tier.
 */
public final class ControlPlaneExtension implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {
    private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(ControlPlaneExtension.class);
    static final Path REPO = Path.of(System.getProperty("lockstep.repoDir", "../..")).toAbsolutePath().normalize();

    @Override
    public void beforeAll(ExtensionContext context) {
        if (Boolean.getBoolean("lockstep.apiserver.skip")) {
            String banner = "\n*** SKIPPED: the API-server tier (-Dlockstep.apiserver.skip=true). Nothing in "
                    + context.getDisplayName() + " ran against a real kube-apiserver. ***\n";
            System.err.println(banner);
            throw new TestAbortedException(banner.strip());
        }
        shared(context);
    }

    /** Namespaces whose pods the shared kubelet leaves to a kubelet the test starts itself. */
    static final String OWN_KUBELET = "own-kubelet-";

    /** The run-wide control plane, client and kubelet; closed by JUnit at the end of the run. */
    static Shared shared(ExtensionContext context) {
        return context.getRoot().getStore(STORE).getOrComputeIfAbsent(Shared.class, k -> Shared.start(), Shared.class);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        Shared shared = shared(context);
        String method = context.getRequiredTestMethod().getName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        String namespace = "t-" + method.substring(0, Math.min(30, method.length())) + "-" + UUID.randomUUID().toString().substring(0, 6);
        createNamespace(shared.client(), namespace);
        context.getStore(STORE).put(Cluster.class, new Cluster(shared, namespace));
    }

    /** A namespace that accepts pods: the API server refuses them until its default ServiceAccount has a token. */
    static void createNamespace(KubernetesClient client, String namespace) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
        client.serviceAccounts().inNamespace(namespace).withName("default").waitUntilCondition(
                sa -> sa != null && sa.getSecrets() != null && !sa.getSecrets().isEmpty(), 30, TimeUnit.SECONDS);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Cluster cluster = context.getStore(STORE).remove(Cluster.class, Cluster.class);
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Cluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getStore(STORE).get(Cluster.class, Cluster.class);
    }

    /** What every test of the run shares. */
    record Shared(ControlPlane controlPlane, KubernetesClient client, LocalKubelet kubelet, Path workDir)
            implements AutoCloseable {

        static Shared start() {
            try {
                Path workDir = Files.createDirectories(REPO.resolve("operator/testkit/target/apiserver-it"));
                ControlPlane controlPlane = ControlPlane.start(REPO, workDir.resolve("control-plane"));
                KubernetesClient client = controlPlane.client();
                controlPlane.installCrds(client);
                LocalKubelet kubelet = new LocalKubelet(client, LocalKubelet.sameJvmCommand(), workDir.resolve("pods"))
                        .ignoring(p -> p.getMetadata().getNamespace().startsWith(OWN_KUBELET)).start();
                String figures = "control plane started in " + controlPlane.startTime().toMillis() + " ms; resident memory MiB "
                        + controlPlane.residentMemoryMiB();
                System.out.println("[apiserver-it] " + figures);
                Files.writeString(workDir.resolve("figures.txt"), figures + "\n");
                return new Shared(controlPlane, client, kubelet, workDir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() throws IOException {
            String figures = "resident memory MiB at the end of the run " + controlPlane.residentMemoryMiB();
            System.out.println("[apiserver-it] " + figures);
            Files.writeString(workDir.resolve("figures.txt"), figures + "\n", java.nio.file.StandardOpenOption.APPEND);
            kubelet.close();
            client.close();
            controlPlane.close();
        }
    }
}
