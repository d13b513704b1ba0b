package dev.lockstep.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.observe.SpecValidator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Unit: the manifests users copy are valid and grant the operator what it uses, and no Secrets. */
class ExamplesTest {
    private static final Path REPO = Path.of(System.getProperty("lockstep.repoDir", "../.."));

    private static List<HasMetadata> load(Path file) throws IOException {
        List<HasMetadata> resources = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            Object parsed = Serialization.unmarshal(in);
            if (parsed instanceof KubernetesList list) {
                resources.addAll(list.getItems());
            } else if (parsed instanceof List<?> list) {
                list.forEach(o -> resources.add((HasMetadata) o));
            } else {
                resources.add((HasMetadata) parsed);
            }
        }
        return resources;
    }

    @Test
    void everyExampleSchemaMigrationIsValid() throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(REPO.resolve("examples"))) {
            // examples/observability holds Prometheus rules, not Kubernetes manifests
            files = walk.filter(f -> f.toString().endsWith(".yaml"))
                    .filter(f -> !f.startsWith(REPO.resolve("examples/observability"))).toList();
        }
        List<SchemaMigration> migrations = new ArrayList<>();
        for (Path file : files) {
            for (HasMetadata r : load(file)) {
                if ("SchemaMigration".equals(r.getKind())) {
                    migrations.add(Serialization.unmarshal(Serialization.asYaml(r), SchemaMigration.class));
                }
            }
        }
        assertThat(migrations).hasSizeGreaterThanOrEqualTo(2);
        assertThat(migrations).allSatisfy(sm -> assertThat(SpecValidator.validate(sm.getSpec()))
                .as(sm.getMetadata().getName()).isEmpty());
    }

    @Test
    void operatorRbacGrantsWhatTheReconcilerUsesAndNoSecrets() throws IOException {
        List<HasMetadata> install = load(REPO.resolve("examples/install/operator.yaml"));
        List<PolicyRule> rules = new ArrayList<>();
        install.stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast).forEach(r -> rules.addAll(r.getRules()));
        install.stream().filter(Role.class::isInstance).map(Role.class::cast).forEach(r -> rules.addAll(r.getRules()));

        assertThat(rules).noneSatisfy(r -> assertThat(r.getResources()).anyMatch(res -> res.equals("secrets") || res.equals("*")));
        assertGranted(rules, "lockstep.dev", "schemamigrations", "watch");
        assertGranted(rules, "lockstep.dev", "schemamigrations/status", "patch");
        assertGranted(rules, "batch", "jobs", "create");
        assertGranted(rules, "batch", "jobs", "watch");
        assertGranted(rules, "batch", "jobs", "delete");
        assertGranted(rules, "", "pods", "watch");
        assertGranted(rules, "", "pods/status", "patch");
        assertGranted(rules, "", "configmaps", "watch");
        assertGranted(rules, "", "services", "patch");
        assertGranted(rules, "", "events", "create");
        assertGranted(rules, "", "events", "get"); // EventRecorder counts an Event up: get, then update
        assertGranted(rules, "", "events", "update");
        assertGranted(rules, "coordination.k8s.io", "leases", "update");
        assertGranted(rules, "coordination.k8s.io", "leases", "patch"); // the leader's renewals
    }

    @Test
    void operatorDeploymentProbesTheHealthServerOnItsDefaultPort() throws IOException {
        var deployment = load(REPO.resolve("examples/install/operator.yaml")).stream()
                .filter(io.fabric8.kubernetes.api.model.apps.Deployment.class::isInstance)
                .map(io.fabric8.kubernetes.api.model.apps.Deployment.class::cast).findFirst().orElseThrow();
        var container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        int defaultPort = Integer.parseInt(new picocli.CommandLine(new OperatorCommand()).getCommandSpec()
                .findOption("--metrics-port").defaultValue().replaceAll(".*:-(\\d+)}", "$1"));
        assertThat(container.getPorts()).singleElement().satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(defaultPort));
        assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(container.getStartupProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    }

    private static void assertGranted(List<PolicyRule> rules, String group, String resource, String verb) {
        assertThat(rules).as("%s %s/%s", verb, group, resource).anySatisfy(r -> {
            assertThat(r.getApiGroups()).contains(group);
            assertThat(r.getResources()).contains(resource);
            assertThat(r.getVerbs()).contains(verb);
        });
    }
}
