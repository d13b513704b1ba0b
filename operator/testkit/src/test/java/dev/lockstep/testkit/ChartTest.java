package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import dev.lockstep.operator.OperatorCommand;
import dev.lockstep.operator.OperatorSettings;
import dev.lockstep.operator.jobs.RunnerJobs;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Helm chart (helm/lockstep) with Helm's own engine, in-process: lint and template for every values file in
 * helm/lockstep/ci, the rendered objects parsed into fabric8's types and checked, bad values refused with a clear
 * message, and the chart's copies of the CRD, the alerts and the dashboard, and examples/install/operator.yaml (the
 * chart's default render), in step with their sources. -Dlockstep.updateChart=true rewrites the copies and the render.
 */
class ChartTest {
    static final Path REPO = ControlPlaneExtension.REPO;
    static final Path CHART = REPO.resolve("helm/lockstep");
    static final String NAMESPACE = "lockstep-system";
    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    static Stream<Path> valuesFiles() throws IOException {
        try (Stream<Path> files = Files.list(CHART.resolve("ci"))) {
            return files.filter(f -> f.toString().endsWith("-values.yaml")).sorted().toList().stream();
        }
    }

    /** Helm's template of the chart with {@code values} (a file of overrides), as typed objects. */
    static List<HasMetadata> render(Path values) {
        return render(values, NAMESPACE);
    }

    static List<HasMetadata> render(Path values, String namespace) {
        String yaml = new Helm(CHART).template().withName("lockstep").withNamespace(namespace).withValuesFile(values).call();
        return parse(yaml);
    }

    static List<HasMetadata> parse(String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            if (doc.lines().anyMatch(l -> l.startsWith("kind:"))) {
                objects.add(JSON.unmarshal(new ByteArrayInputStream(doc.getBytes(StandardCharsets.UTF_8))));
            }
        }
        return objects;
    }

    /**
     * What the chart's Deployment tells the operator, parsed by the operator's own command line; the runner image is
     * the one the local kubelet runs, not the chart's.
     */
    static OperatorSettings settingsOf(Deployment deployment) {
        return settingsOf(deployment, List.of());
    }

    /** As above, with the render's runner pod template ConfigMap standing in for the file the operator pod mounts. */
    static OperatorSettings settingsOf(Deployment deployment, List<HasMetadata> render) {
        List<String> args = new ArrayList<>(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs());
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).startsWith("--runner-pod-template=")) {
                var cm = all(render, io.fabric8.kubernetes.api.model.ConfigMap.class).stream()
                        .filter(c -> c.getMetadata().getName().endsWith("-runner-pod-template")).findFirst().orElseThrow();
                try {
                    Path file = Files.createTempFile("runner-pod-template", ".yaml");
                    Files.writeString(file, cm.getData().get("runner-pod-template.yaml"));
                    file.toFile().deleteOnExit();
                    args.set(i, "--runner-pod-template=" + file);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }
        assertThat(args.get(0)).isEqualTo("operator");
        OperatorCommand command = new OperatorCommand();
        var parsed = new picocli.CommandLine(command).parseArgs(args.subList(1, args.size()).toArray(String[]::new));
        assertThat(parsed.unmatched()).as("flags the operator does not take").isEmpty();
        OperatorSettings chart = command.settings();
        return new OperatorSettings(Cluster.SETTINGS.runnerImage(), Cluster.SETTINGS.runnerImagePullPolicy(),
                Cluster.SETTINGS.databaseRetry(), chart.runnerPodAnnotations(), chart.runnerPod());
    }

    static <T extends HasMetadata> List<T> all(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type) {
        List<T> found = all(objects, type);
        assertThat(found).as(type.getSimpleName()).hasSize(1);
        return found.get(0);
    }

    private static Path values(Path dir, String yaml) throws IOException {
        Path file = dir.resolve("values-" + Math.abs(yaml.hashCode()) + ".yaml");
        Files.writeString(file, yaml);
        return file;
    }

    /**
     * Helm's lint of the chart as installed with {@code values}: the library's lint reads the chart's own values, so
     * the chart is copied with the overrides merged into its values.yaml.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("valuesFiles")
    void lintPassesStrictlyForEveryValuesFile(Path valuesFile, @TempDir Path dir) throws IOException {
        Path chart = dir.resolve("lockstep");
        try (Stream<Path> files = Files.walk(CHART)) {
            for (Path f : files.toList()) {
                Path to = chart.resolve(CHART.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        Map<String, Object> merged = merge(JSON.unmarshal(Files.readString(CHART.resolve("values.yaml")), Map.class),
                JSON.unmarshal(Files.readString(valuesFile), Map.class));
        Files.writeString(chart.resolve("values.yaml"), JSON.asYaml(merged));
        LintResult lint = new Helm(chart).lint().strict().call();
        assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
        assertThat(render(valuesFile)).isNotEmpty();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> over) {
        Map<String, Object> out = new LinkedHashMap<>(base == null ? Map.of() : base);
        if (over != null) {
            over.forEach((k, v) -> out.put(k, v instanceof Map<?, ?> m && out.get(k) instanceof Map<?, ?> b
                    ? merge((Map<String, Object>) b, (Map<String, Object>) m) : v));
        }
        return out;
    }

    @Test
    void theDefaultRenderIsPodSecurityRestrictedAndProbesTheHealthServer() {
        List<HasMetadata> objects = render(CHART.resolve("ci/default-values.yaml"));
        Deployment deployment = one(objects, Deployment.class);
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        Container operator = pod.getContainers().get(0);
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(65532L);
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(operator.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(operator.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(operator.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(operator.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
        assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getEmptyDir()).isNotNull());
        assertThat(operator.getImage()).isEqualTo("lockstep:0.1.0");
        assertThat(operator.getArgs()).contains("operator", "--runner-image=lockstep:0.1.0", "--leader-election",
                "--metrics-port=8080", "--runner-pod-annotation=sidecar.istio.io/inject=false",
                "--runner-pod-annotation=linkerd.io/inject=disabled", "--runner-run-as-user=65532", "--runner-run-as-group=65532",
                "--runner-fs-group=none", "--runner-seccomp-profile=RuntimeDefault")
                .noneMatch(a -> a.startsWith("--namespaces"))
                .as("every namespace, none listed: each namespace's default ServiceAccount")
                .noneMatch(a -> a.startsWith("--runner-service-account"));
        assertThat(all(objects, ServiceAccount.class)).extracting(a -> a.getMetadata().getName()).containsExactly("lockstep");
        assertThat(operator.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("POD_NAMESPACE");
            assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.namespace");
        });
        assertThat(operator.getEnv()).as("the operator's heap bound, below its memory limit").anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("JAVA_TOOL_OPTIONS");
            assertThat(e.getValue()).isEqualTo("-Xmx256m -Djava.io.tmpdir=/tmp");
        });
        assertThat(operator.getResources().getLimits().get("memory").toString()).isEqualTo("512Mi");
        assertThat(operator.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(operator.getStartupProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(operator.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(pod.getServiceAccountName()).isEqualTo("lockstep");

        Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(podLabels).containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(podLabels).containsAllEntriesOf(one(objects, Service.class).getSpec().getSelector());
        var pdb = objects.stream().filter(o -> o.getKind().equals("PodDisruptionBudget")).findFirst().orElseThrow();
        assertThat(pdb.getApiVersion()).isEqualTo("policy/v1");

        var crd = objects.stream().filter(o -> o.getKind().equals("CustomResourceDefinition")).findFirst().orElseThrow();
        assertThat(crd.getMetadata().getAnnotations()).containsEntry("helm.sh/resource-policy", "keep");
        assertThat(crd.getMetadata().getName()).isEqualTo("schemamigrations.lockstep.dev");
    }

    @Test
    void everyNamespaceIsAClusterRoleThatCannotReadSecrets() {
        List<HasMetadata> objects = render(CHART.resolve("ci/default-values.yaml"));
        ClusterRole role = one(objects, ClusterRole.class);
        assertLeastPrivilege(role.getRules());
        assertThat(all(objects, Role.class)).extracting(r -> r.getMetadata().getName()).containsExactly("lockstep-leader-election");
        Role lease = one(objects, Role.class);
        assertThat(lease.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(lease.getRules()).singleElement().satisfies(r -> assertThat(r.getVerbs()).contains("get", "create", "update", "patch"));
    }

    @Test
    void listedNamespacesAreARoleInEachAndNoClusterRole() {
        List<HasMetadata> objects = render(CHART.resolve("ci/namespaces-values.yaml"));
        assertThat(all(objects, ClusterRole.class)).isEmpty();
        List<Role> roles = all(objects, Role.class).stream().filter(r -> !r.getMetadata().getName().endsWith("leader-election")).toList();
        assertThat(roles).extracting(r -> r.getMetadata().getNamespace()).containsExactlyInAnyOrder("team-a", "team-b");
        roles.forEach(r -> assertLeastPrivilege(r.getRules()));
        assertThat(all(objects, RoleBinding.class)).allSatisfy(b -> assertThat(b.getSubjects()).singleElement().satisfies(s -> {
            assertThat(s.getName()).isEqualTo("lockstep");
            assertThat(s.getNamespace()).isEqualTo(NAMESPACE);
        }));
        assertThat(one(objects, Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
                .contains("--namespaces=team-a,team-b", "--runner-service-account=lockstep-runner");
        assertRunnerAccounts(objects, "lockstep-runner", "team-a", "team-b");
    }

    /** The runners' ServiceAccount in each namespace: no token mounted, and no Role or ClusterRole binds it. */
    private static void assertRunnerAccounts(List<HasMetadata> objects, String name, String... namespaces) {
        List<ServiceAccount> runners = all(objects, ServiceAccount.class).stream()
                .filter(a -> a.getMetadata().getName().equals(name)).toList();
        assertThat(runners).extracting(a -> a.getMetadata().getNamespace()).containsExactlyInAnyOrder(namespaces);
        assertThat(runners).allSatisfy(a -> assertThat(a.getAutomountServiceAccountToken()).isFalse());
        assertThat(all(objects, RoleBinding.class)).flatExtracting(RoleBinding::getSubjects).extracting(Subject::getName)
                .doesNotContain(name);
        assertThat(all(objects, ClusterRoleBinding.class)).flatExtracting(ClusterRoleBinding::getSubjects)
                .extracting(Subject::getName).doesNotContain(name);
    }

    @Test
    void theReleaseNamespaceOnlyIsOneRoleThere() {
        List<HasMetadata> objects = render(CHART.resolve("ci/release-values.yaml"));
        assertThat(all(objects, ClusterRole.class)).isEmpty();
        Role role = one(objects, Role.class);
        assertThat(role.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertLeastPrivilege(role.getRules());
        assertThat(objects).noneMatch(o -> o.getKind().equals("CustomResourceDefinition") || o.getKind().equals("PodDisruptionBudget"));
        assertThat(one(objects, Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
                .contains("--namespaces=" + NAMESPACE, "--no-leader-election", "--runner-service-account=lockstep-runner");
        assertRunnerAccounts(objects, "lockstep-runner", NAMESPACE);
    }

    @Test
    void everyOptionRenders() {
        List<HasMetadata> objects = render(CHART.resolve("ci/full-values.yaml"));
        Container operator = one(objects, Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
        String image = "registry.example.com/platform/lockstep@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assertThat(operator.getImage()).isEqualTo(image);
        assertThat(operator.getArgs()).contains("--runner-image=" + image, "--log-format=json");
        assertThat(operator.getEnv()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("OTEL_EXPORTER_OTLP_ENDPOINT"));
        assertThat(operator.getEnv()).anySatisfy(e -> assertThat(e.getValue())
                .isEqualTo("-Xmx1g -Djava.io.tmpdir=/tmp -XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath=/tmp"));
        assertThat(objects).extracting(HasMetadata::getKind)
                .contains("ServiceMonitor", "PrometheusRule", "ConfigMap", "NetworkPolicy", "PodDisruptionBudget");
        var dashboard = objects.stream().filter(o -> o.getKind().equals("ConfigMap")).findFirst().orElseThrow();
        assertThat(dashboard.getMetadata().getNamespace()).isEqualTo("monitoring");
        assertThat(((io.fabric8.kubernetes.api.model.ConfigMap) dashboard).getData().get("lockstep.json")).contains("\"uid\": \"lockstep-operator\"");
        var rule = objects.stream().filter(o -> o.getKind().equals("PrometheusRule")).findFirst().orElseThrow();
        assertThat(JSON.asYaml(rule)).contains("LockstepMigrationFailed", "LockstepPodsGated");

        // runner pods as OpenShift's restricted-v2 wants them: user and group left to the cluster; a large fsGroup
        // stays an integer (Helm reads numbers as floats)
        assertThat(operator.getArgs()).contains("--runner-service-account=lockstep-runner", "--runner-run-as-user=auto",
                "--runner-run-as-group=auto", "--runner-fs-group=1000680000",
                "--runner-seccomp-profile=Localhost/profiles/lockstep-runner.json",
                "--runner-pod-annotation=example.com/cost-centre=4711");
        assertRunnerAccounts(objects, "lockstep-runner", "shop", "billing");
        assertThat(all(objects, ServiceAccount.class)).filteredOn(a -> a.getMetadata().getName().equals("lockstep-runner"))
                .allSatisfy(a -> assertThat(a.getMetadata().getAnnotations()).containsKey("eks.amazonaws.com/role-arn"));
        List<NetworkPolicy> runnerPolicies = all(objects, NetworkPolicy.class).stream()
                .filter(p -> p.getMetadata().getName().equals("lockstep-runner")).toList();
        assertThat(runnerPolicies).extracting(p -> p.getMetadata().getNamespace()).containsExactlyInAnyOrder("shop", "billing");
        assertThat(runnerPolicies).allSatisfy(p -> {
            assertThat(p.getSpec().getPodSelector().getMatchLabels()).containsEntry(RunnerJobs.LABEL_COMPONENT, RunnerJobs.COMPONENT_RUNNER)
                    .containsEntry(RunnerJobs.LABEL_MANAGED_BY, RunnerJobs.MANAGED_BY);
            assertThat(p.getSpec().getIngress()).as("nothing connects to a runner").isEmpty();
            assertThat(p.getSpec().getEgress()).extracting(e -> e.getPorts().get(0).getPort().getIntVal()).containsExactly(53, 5432);
            assertThat(p.getSpec().getEgress().get(1).getTo()).singleElement()
                    .satisfies(t -> assertThat(t.getIpBlock().getCidr()).isEqualTo("10.20.0.0/16"));
        });
    }

    /** The operator flags the chart writes are ones the operator takes, and produce the runner pods the chart says. */
    @Test
    void theRunnerFlagsTheChartWritesAreTheOperatorsAndReachTheRunnerPod() {
        List<HasMetadata> full = render(CHART.resolve("ci/full-values.yaml"));
        Deployment deployment = one(full, Deployment.class);
        assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
                .contains("--runner-pod-template=/etc/lockstep/runner-pod-template.yaml");
        assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations()).containsKey("lockstep.dev/runner-pod-template");
        OperatorSettings settings = settingsOf(deployment, full);
        assertThat(settings.runnerPod().template().getTolerations()).extracting(t -> t.getKey()).containsExactly("dedicated");
        assertThat(settings.runnerPodAnnotations()).containsEntry("example.com/cost-centre", "4711")
                .containsEntry("sidecar.istio.io/inject", "false");
        var sm = Migrations.fromConfigMap("orders", "6", "jdbc:postgresql://db/orders", "orders-db", "orders-migrations");
        sm.getMetadata().setNamespace("shop");
        sm.getMetadata().setUid("uid");
        PodSpec pod = new dev.lockstep.operator.jobs.RunnerJobFactory(settings).create(sm, "orders-6-abc", "abc")
                .getSpec().getTemplate().getSpec();
        assertThat(pod.getServiceAccountName()).isEqualTo("lockstep-runner");
        assertThat(pod.getSecurityContext().getRunAsUser()).isNull();
        assertThat(pod.getSecurityContext().getFsGroup()).isEqualTo(1000680000L);
        assertThat(pod.getSecurityContext().getSeccompProfile().getLocalhostProfile()).isEqualTo("profiles/lockstep-runner.json");
        assertThat(pod.getTolerations()).extracting(t -> t.getKey()).containsExactly("dedicated");
        assertThat(pod.getNodeSelector()).containsEntry("pool", "migrations");
    }

    private static void assertLeastPrivilege(List<PolicyRule> rules) {
        assertThat(rules).noneSatisfy(r -> assertThat(r.getResources()).anyMatch(x -> x.equals("secrets") || x.equals("*")));
        assertThat(rules).noneSatisfy(r -> assertThat(r.getVerbs()).contains("*"));
        assertThat(rules).anySatisfy(r -> {
            assertThat(r.getResources()).contains("events");
            assertThat(r.getVerbs()).contains("get", "create", "update");
        });
    }

    @Test
    void badValuesAreRefusedWithTheFieldAndTheFix(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> render(values(dir, "replicaCount: two\n"))).hasMessageContaining("replicaCount")
                .hasMessageContaining("integer");
        assertThatThrownBy(() -> render(values(dir, "replicas: 2\n"))).hasMessageContaining("replicas")
                .hasMessageContaining("not allowed");
        assertThatThrownBy(() -> render(values(dir, "leaderElection:\n  enabled: false\n")))
                .hasMessageContaining("replicaCount 2 needs leaderElection.enabled: true");
        assertThatThrownBy(() -> render(values(dir, "watch:\n  mode: namespaces\n")))
                .hasMessageContaining("watch.mode namespaces needs watch.namespaces");
        assertThatThrownBy(() -> render(values(dir, "image:\n  digest: latest\n"))).hasMessageContaining("digest");
        assertThatThrownBy(() -> render(values(dir, "logFormat: yaml\n"))).hasMessageContaining("logFormat");
        assertThatThrownBy(() -> render(values(dir, "jvm:\n  maxHeap: \"256\"\n"))).hasMessageContaining("maxHeap")
                .hasMessageContaining("pattern");
        assertThatThrownBy(() -> render(values(dir, "runner:\n  podSecurityContext:\n    runAsUser: 0\n")))
                .hasMessageContaining("runAsUser");
        assertThatThrownBy(() -> render(values(dir, "runner:\n  podSecurityContext:\n    seccompProfile: Unconfined\n")))
                .hasMessageContaining("seccompProfile");
        assertThatThrownBy(() -> render(values(dir, "runner:\n  podAnnotations:\n    lockstep.dev/x: \"1\"\n")))
                .hasMessageContaining("runner.podAnnotations lockstep.dev/x: keys under lockstep.dev/ are the operator's own");
        assertThatThrownBy(() -> render(values(dir, "watch:\n  mode: release\nrunner:\n  serviceAccount:\n    namespaces: [shop]\n")))
                .hasMessageContaining("runner.serviceAccount.namespaces is only read with watch.mode all");
        assertThatThrownBy(() -> render(values(dir, "runner:\n  serviceAccount:\n    name: migrator\n")))
                .hasMessageContaining("runner.serviceAccount.name migrator with create: true and watch.mode all needs"
                        + " runner.serviceAccount.namespaces");
        assertThatThrownBy(() -> settingsOf(one(render(values(dir, "runner:\n  podTemplate:\n    env:\n      - name: LOCKSTEP_DB_URL\n"
                + "        value: jdbc:postgresql://elsewhere/db\n")), Deployment.class), render(values(dir, "runner:\n  podTemplate:\n"
                + "    env:\n      - name: LOCKSTEP_DB_URL\n        value: jdbc:postgresql://elsewhere/db\n"))))
                .as("the operator refuses it at start, naming the field").hasMessageContaining("podTemplate.env[0]: LOCKSTEP_DB_URL");
        assertThatThrownBy(() -> render(values(dir, "networkPolicy:\n  runner:\n    enabled: true\n")))
                .hasMessageContaining("networkPolicy.runner.enabled needs namespaces");
    }

    /** The chart carries copies of files whose source is elsewhere in the repository: they must not drift. */
    @Test
    void theChartsCopiesAndTheInstallRenderAreInStepWithTheirSources() throws IOException {
        Map<Path, String> expected = new LinkedHashMap<>();
        try (Stream<Path> crds = Files.list(REPO.resolve("crds"))) {
            for (Path crd : crds.sorted().toList()) {
                expected.put(CHART.resolve("files/crds").resolve(crd.getFileName()), Files.readString(crd));
            }
        }
        expected.put(CHART.resolve("files/lockstep-alerts.yaml"), Files.readString(REPO.resolve("examples/observability/lockstep-alerts.yaml")));
        expected.put(CHART.resolve("files/grafana-dashboard.json"), Files.readString(REPO.resolve("examples/observability/grafana-dashboard.json")));
        boolean update = Boolean.getBoolean("lockstep.updateChart");
        List<String> stale = new ArrayList<>();
        if (update) {
            // the render reads the chart's copies: write them before rendering, or the render would hold the old ones
            for (var e : expected.entrySet()) {
                if (!Files.exists(e.getKey()) || !e.getValue().equals(Files.readString(e.getKey()))) {
                    Files.writeString(e.getKey(), e.getValue());
                }
            }
        }
        expected.put(REPO.resolve("examples/install/operator.yaml"), installRender());
        for (var e : expected.entrySet()) {
            String now = Files.exists(e.getKey()) ? Files.readString(e.getKey()) : null;
            if (!e.getValue().equals(now)) {
                if (update) {
                    Files.writeString(e.getKey(), e.getValue());
                } else {
                    stale.add(REPO.relativize(e.getKey()).toString());
                }
            }
        }
        assertThat(stale).as("out of step with their sources: run ./mvnw -B test -pl operator/testkit -Dtest=ChartTest "
                + "-Dlockstep.updateChart=true and commit the result").isEmpty();
    }

    /** examples/install/operator.yaml: the chart's default render, with the namespace it goes in. */
    static String installRender() {
        String render = new Helm(CHART).template().withName("lockstep").withNamespace(NAMESPACE).call();
        return "# Generated from helm/lockstep by ChartTest (-Dlockstep.updateChart=true): the chart's default render, for\n"
                + "# clusters without Helm. It installs the CRD too, and the operator in namespace " + NAMESPACE + ", watching every\n"
                + "# namespace:\n"
                + "#   kubectl apply -f examples/install/operator.yaml\n"
                + "# The operator needs no access to Secrets: database credentials reach runner pods by reference only.\n"
                + "# Kubernetes 1.20 serves PodDisruptionBudget as policy/v1beta1 only: there, install with Helm, which picks it.\n"
                + "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + NAMESPACE + "\n" + render;
    }
}
