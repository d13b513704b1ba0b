package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.OperatorCommand;
import dev.lockstep.runner.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/quickstart.md, run: every command of its {@code sh} blocks from step 2 on, in order, on the real control plane.
 * {@code helm install} and {@code helm upgrade} go through Helm's own library with the same release, chart, namespace
 * and values (there is no helm command here); kubectl is the control plane's own, run from the repository's root in
 * the test's namespace.
 * Only what the page itself says differs here, differs: step 1 (a container runtime) is not run; the operator's
 * pods are the local kubelet's placeholders, and the operator runs in this JVM as the chart's ServiceAccount with the
 * args of the Deployment Helm made; the SchemaMigration's URL names the test's database.
 */
@ExtendWith(ControlPlaneExtension.class)
class QuickstartApiServerIT {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(QuickstartApiServerIT.class);
    private static final Path PAGE = ControlPlaneExtension.REPO.resolve("docs/quickstart.md");
    private static final String EXAMPLE_URL = "jdbc:postgresql://accounts-db:5432/accounts";

    /** One command of the page, with the step (its "## N." heading) it is in. */
    record Command(int step, List<String> words) {
        String line() {
            return String.join(" ", words);
        }
    }

    @Test
    void theQuickstartRunsAsWrittenFromTheHelmInstallOn(Cluster cluster, @TempDir Path tmp) throws Exception {
        List<Command> commands = commands(Files.readString(PAGE));
        assertThat(commands).as("docker is needed in step 1 only").filteredOn(c -> c.words().get(0).equals("docker"))
                .isNotEmpty().allSatisfy(c -> assertThat(c.step()).isEqualTo(1));
        assertThat(commands).extracting(c -> c.words().get(0)).containsOnly("docker", "helm", "kubectl");

        KubernetesClient admin = cluster.client();
        TestDatabase db = cluster.database();
        // The Secret of step 3 holds accounts_migrator's login; the server trusts local connections, so the role is all
        // this database needs. It owns the database, and so (PostgreSQL 15) the public schema.
        db.execute("DO $$ BEGIN CREATE ROLE accounts_migrator LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
        db.execute("ALTER DATABASE \"" + db.name() + "\" OWNER TO accounts_migrator");

        String release = null;
        String releaseNamespace = null;
        Operator operator = null;
        KubernetesClient operatorClient = null;
        List<String> ran = new ArrayList<>();
        try {
            for (Command command : commands) {
                List<String> words = command.words();
                if (command.step() == 1) {
                    continue; // docker build and push: no container runtime here
                }
                LOG.info("quickstart step {}: {}", command.step(), command.line());
                if (words.subList(0, 2).equals(List.of("helm", "upgrade"))) {
                    upgrade(cluster, helmCommand(words), ControlPlaneExtension.REPO.resolve(helmCommand(words).get("chart")));
                    ran.add(command.line());
                    continue;
                }
                if (words.get(0).equals("helm")) {
                    Map<String, String> helm = helmCommand(words);
                    release = helm.get("name");
                    releaseNamespace = helm.get("namespace");
                    adoptWhatTheSharedControlPlaneAlreadyHas(admin, helm, tmp);
                    InstallCommand install = new Helm(ControlPlaneExtension.REPO.resolve(helm.get("chart"))).install()
                            .withName(release).withNamespace(releaseNamespace)
                            .withKubeConfig(cluster.controlPlane().kubeconfig());
                    if (helm.containsKey("create-namespace")) {
                        install.createNamespace();
                    }
                    sets(helm).forEach(install::set);
                    var installed = install.call();
                    assertThat(installed.getStatus()).isEqualTo("deployed");

                    Deployment deployment = admin.apps().deployments().inNamespace(releaseNamespace).withName(release).get();
                    assertThat(deployment).as("the operator's Deployment").isNotNull();
                    List<String> args = deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
                    assertThat(args).contains("--runner-image=registry.example/lockstep:0.1.0");
                    String account = deployment.getSpec().getTemplate().getSpec().getServiceAccountName();
                    operatorClient = cluster.controlPlane().clientAs(releaseNamespace, account);
                    String lease = args.stream().filter(a -> a.startsWith("--lease-name=")).findFirst().orElseThrow()
                            .substring("--lease-name=".length());
                    operator = OperatorCommand.start(operatorClient, ChartTest.settingsOf(deployment), List.of(),
                            new LeaderElectionConfiguration(lease, releaseNamespace, Duration.ofSeconds(4),
                                    Duration.ofSeconds(3), Duration.ofMillis(500), "quickstart", null, false));
                    assertThat(admin.resources(io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget.class)
                            .inNamespace(releaseNamespace).withName(release).get())
                            .as("Helm picked policy/v1beta1, all 1.20 serves").isNotNull();
                    ran.add(command.line());
                    continue;
                }
                List<String> kubectl = new ArrayList<>(words.subList(1, words.size()));
                if (kubectl.equals(List.of("apply", "-f", "examples/accounts/schemamigration.yaml"))) {
                    Path copy = tmp.resolve("schemamigration.yaml");
                    String example = Files.readString(ControlPlaneExtension.REPO.resolve(kubectl.get(2)));
                    assertThat(example).contains(EXAMPLE_URL);
                    Files.writeString(copy, example.replace(EXAMPLE_URL, db.url()));
                    kubectl.set(2, copy.toString());
                }
                if (!kubectl.contains("-n") && !kubectl.contains("--namespace")) {
                    kubectl.addAll(0, List.of("-n", cluster.namespace()));
                }
                if (kubectl.contains("jsonpath={.status.conditions[?(@.type==\"Stalled\")].message}")) {
                    // the patch before it was accepted; the page's reader looks once the operator has seen it
                    cluster.awaitCondition("accounts", "Stalled", "True", "DownNotAllowed");
                }
                var result = cluster.controlPlane().kubectlIn(ControlPlaneExtension.REPO, kubectl.toArray(String[]::new));
                assertThat(result.exit()).as("%s\n%s", command.line(), result.output()).isZero();
                LOG.info("{}", result.stdout().strip());
                check(command, result.stdout());
                ran.add(command.line());
            }
            assertThat(ran).as("every command of steps 2 to 7 ran").hasSize((int) commands.stream().filter(c -> c.step() > 1).count());

            SchemaMigration sm = cluster.get("accounts");
            assertThat(sm.getStatus().getCurrentRevision()).isEqualTo("6");
            assertThat(db.tables("public")).contains("flyway_schema_history");
        } finally {
            if (operator != null) {
                operator.stop();
            }
            if (operatorClient != null) {
                operatorClient.close();
            }
        }
        // Removing it: the operator and its RBAC go, the CRD and every SchemaMigration stay.
        assertThat(release).isNotNull();
        Helm.uninstall(release).withNamespace(releaseNamespace).withKubeConfig(cluster.controlPlane().kubeconfig()).call();
        assertThat(admin.apps().deployments().inNamespace(releaseNamespace).withName(release).get()).isNull();
        assertThat(admin.rbac().clusterRoles().withName(release).get()).isNull();
        assertThat(admin.apiextensions().v1().customResourceDefinitions().withName("schemamigrations.lockstep.dev").get())
                .as("kept: helm.sh/resource-policy keep").isNotNull();
        assertThat(cluster.get("accounts").getStatus().getCurrentRevision()).isEqualTo("6");
    }

    /** What a command's output must show, where the page says what it shows. */
    private static void check(Command command, String stdout) {
        String line = command.line();
        if (line.startsWith("kubectl get sm accounts") && !line.contains("jsonpath")) {
            assertThat(stdout).as(line).containsPattern("accounts\\s+\\S+\\s+6\\s+True\\s+6");
        } else if (line.contains("jsonpath")) {
            assertThat(stdout).as(line).contains("allowDown");
        } else if (line.startsWith("kubectl get pods -l app=accounts-api")) {
            assertThat(stdout.lines().filter(l -> l.startsWith("accounts-api-")).toList()).as(line).hasSize(2)
                    .allSatisfy(l -> assertThat(l).contains("1/1", "Running").endsWith("6"));
        }
    }

    /**
     * The shared control plane has the CRD (every API-server test needs it) and may have the install's RBAC from
     * another test, which Helm would refuse to overwrite. Each is marked as the release's, which is how Helm takes
     * over an object it did not create.
     */
    private static void adoptWhatTheSharedControlPlaneAlreadyHas(KubernetesClient admin, Map<String, String> helm, Path tmp)
            throws IOException {
        Path values = tmp.resolve("values.yaml");
        Files.writeString(values, "{}\n");
        List<HasMetadata> render = ChartTest.parse(new Helm(ControlPlaneExtension.REPO.resolve(helm.get("chart"))).template()
                .withName(helm.get("name")).withNamespace(helm.get("namespace")).withValuesFile(values).call());
        for (HasMetadata object : render) {
            var existing = admin.resource(object).get();
            if (existing != null) {
                var meta = existing.getMetadata();
                meta.setAnnotations(meta.getAnnotations() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(meta.getAnnotations()));
                meta.getAnnotations().put("meta.helm.sh/release-name", helm.get("name"));
                meta.getAnnotations().put("meta.helm.sh/release-namespace", helm.get("namespace"));
                meta.setLabels(meta.getLabels() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(meta.getLabels()));
                meta.getLabels().put("app.kubernetes.io/managed-by", "Helm");
                admin.resource(existing).update();
            }
        }
    }

    /**
     * The page's {@code helm upgrade}, from a chart whose CRD is an older one (no Phase column): the upgrade brings the
     * CRD up to date, because the chart renders it from its templates (Helm never upgrades a chart's crds/).
     */
    @Test
    void helmUpgradeUpdatesTheCrd(Cluster cluster, @TempDir Path tmp) throws Exception {
        List<Command> upgrades = commands(Files.readString(PAGE)).stream()
                .filter(c -> c.words().subList(0, 2).equals(List.of("helm", "upgrade"))).toList();
        assertThat(upgrades).hasSize(1);
        Map<String, String> install = helmCommand(commands(Files.readString(PAGE)).stream()
                .filter(c -> c.words().subList(0, 2).equals(List.of("helm", "install"))).findFirst().orElseThrow().words());
        Map<String, String> upgrade = helmCommand(upgrades.get(0).words());
        assertThat(upgrade.get("name")).isEqualTo(install.get("name"));

        Path older = tmp.resolve("older-chart");
        copy(ControlPlaneExtension.REPO.resolve(install.get("chart")), older);
        Path crd = older.resolve("files/crds/schemamigrations.lockstep.dev-v1.yml");
        String column = "    - jsonPath: \".status.phase\"\n      name: \"Phase\"\n      priority: 0\n      type: \"string\"\n";
        assertThat(Files.readString(crd)).contains(column);
        Files.writeString(crd, Files.readString(crd).replace(column, ""));

        KubernetesClient admin = cluster.client();
        adoptWhatTheSharedControlPlaneAlreadyHas(admin, install, tmp);
        InstallCommand first = new Helm(older).install().withName(install.get("name")).withNamespace(install.get("namespace"))
                .createNamespace().withKubeConfig(cluster.controlPlane().kubeconfig());
        sets(install).forEach(first::set);
        first.call();
        try {
            assertThat(phaseColumn(admin)).as("the older chart's CRD").isFalse();
            upgrade(cluster, upgrade, ControlPlaneExtension.REPO.resolve(upgrade.get("chart")));
            assertThat(phaseColumn(admin)).as("after the page's helm upgrade").isTrue();
        } finally {
            Helm.uninstall(install.get("name")).withNamespace(install.get("namespace"))
                    .withKubeConfig(cluster.controlPlane().kubeconfig()).call();
        }
        assertThat(phaseColumn(admin)).as("kept by helm uninstall, as it was").isTrue();
    }

    private static boolean phaseColumn(KubernetesClient admin) {
        return admin.apiextensions().v1().customResourceDefinitions().withName("schemamigrations.lockstep.dev").get()
                .getSpec().getVersions().get(0).getAdditionalPrinterColumns().stream().anyMatch(c -> c.getName().equals("Phase"));
    }

    private static void upgrade(Cluster cluster, Map<String, String> helm, Path chart) {
        var upgrade = new Helm(chart).upgrade().withName(helm.get("name")).withNamespace(helm.get("namespace"))
                .withKubeConfig(cluster.controlPlane().kubeconfig());
        if (helm.containsKey("reuse-values")) {
            upgrade.reuseValues();
        }
        if (helm.containsKey("reset-then-reuse-values")) {
            upgrade.resetThenReuseValues();
        }
        sets(helm).forEach(upgrade::set);
        assertThat(upgrade.call().getStatus()).isEqualTo("deployed");
    }

    private static void copy(Path from, Path to) throws IOException {
        try (var files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }

    /** helm install's or upgrade's release, chart and flags; {@code set:<key>} for each --set. */
    static Map<String, String> helmCommand(List<String> words) {
        assertThat(words.get(0)).isEqualTo("helm");
        assertThat(words.get(1)).as("the page's helm command").isIn("install", "upgrade");
        Map<String, String> parsed = new LinkedHashMap<>();
        List<String> positional = new ArrayList<>();
        for (int i = 2; i < words.size(); i++) {
            String w = words.get(i);
            switch (w) {
                case "--namespace", "-n" -> parsed.put("namespace", words.get(++i));
                case "--create-namespace" -> parsed.put("create-namespace", "true");
                case "--reuse-values" -> parsed.put("reuse-values", "true");
                case "--reset-then-reuse-values" -> parsed.put("reset-then-reuse-values", "true");
                case "--set" -> {
                    String[] kv = words.get(++i).split("=", 2);
                    parsed.put("set:" + kv[0], kv[1]);
                }
                default -> {
                    assertThat(w).as("a helm flag this test knows").doesNotStartWith("-");
                    positional.add(w);
                }
            }
        }
        assertThat(positional).hasSize(2);
        parsed.put("name", positional.get(0));
        parsed.put("chart", positional.get(1));
        return parsed;
    }

    private static Map<String, String> sets(Map<String, String> helm) {
        Map<String, String> sets = new LinkedHashMap<>();
        helm.forEach((k, v) -> {
            if (k.startsWith("set:")) {
                sets.put(k.substring(4), v);
            }
        });
        return sets;
    }

    /** The commands of the page's sh blocks, split into words as a shell would (quotes, backslash-newline). */
    static List<Command> commands(String page) {
        List<Command> commands = new ArrayList<>();
        Pattern heading = Pattern.compile("^## (\\d+)\\.");
        int step = 0;
        boolean inBlock = false;
        StringBuilder pending = new StringBuilder();
        for (String line : page.split("\n", -1)) {
            Matcher m = heading.matcher(line);
            if (!inBlock && m.find()) {
                step = Integer.parseInt(m.group(1));
            } else if (!inBlock && line.equals("```sh")) {
                inBlock = true;
            } else if (inBlock && line.equals("```")) {
                inBlock = false;
            } else if (inBlock) {
                String code = line.replaceFirst("\\s+#.*$", "");
                if (code.endsWith("\\")) {
                    pending.append(code, 0, code.length() - 1).append(' ');
                    continue;
                }
                pending.append(code);
                if (!pending.toString().isBlank()) {
                    commands.add(new Command(step, words(pending.toString())));
                }
                pending.setLength(0);
            }
        }
        return commands;
    }

    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (char c : line.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }
}
