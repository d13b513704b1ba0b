package dev.lockstep.operator.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.api.v1alpha1.BaselineSpec;
import dev.lockstep.api.v1alpha1.DryRunDatabaseSpec;
import dev.lockstep.api.v1alpha1.PolicySpec;
import dev.lockstep.api.v1alpha1.RunnerSpec;
import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.api.v1alpha1.SecretKeysReference;
import dev.lockstep.api.v1alpha1.TlsSpec;
import dev.lockstep.operator.Fixtures;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Unit: every invalid spec names its field and says what to do. */
class SpecValidatorTest {
    @Test
    void validSpecPasses() {
        assertThat(SpecValidator.validate(Fixtures.migration("ns", "orders", "7").getSpec())).isEmpty();
        assertThat(SpecValidator.validate(Fixtures.migration("ns", "orders", "latest").getSpec())).isEmpty();
    }

    static TlsSpec tls(String mode, String caConfigMap, String clientSecret) {
        TlsSpec tls = new TlsSpec();
        tls.setMode(mode);
        if (caConfigMap != null) {
            tls.setCa(new TlsSpec.KeyReference());
            tls.getCa().setConfigMapKeyRef(new TlsSpec.NamedKey(caConfigMap, "ca.crt"));
        }
        if (clientSecret != null) {
            tls.setClientCertificate(new TlsSpec.ClientCertificateSpec());
            tls.getClientCertificate().setSecretName(clientSecret);
        }
        return tls;
    }

    @Test
    void tlsSpecsThatCanWorkPass() {
        for (TlsSpec tls : List.of(tls(null, "db-ca", null), tls("verify-ca", "db-ca", "orders-client"), tls("require", null, null),
                tls("disable", null, null))) {
            SchemaMigration sm = Fixtures.migration("ns", "orders", "7");
            sm.getSpec().getDatabase().setTls(tls);
            assertThat(SpecValidator.validate(sm.getSpec())).as("mode %s", tls.getMode()).isEmpty();
        }
    }

    static Stream<Arguments> invalidSpecs() {
        return Stream.of(
                invalid("spec.targetRevision", "neither \"latest\" nor a version", s -> s.getSpec().setTargetRevision("v7")),
                invalid("spec.database", "is missing", s -> s.getSpec().setDatabase(null)),
                invalid("spec.driftCheckInterval", "not a duration such as 30m", s -> s.getSpec().setDriftCheckInterval("1 hour")),
                invalid("spec.driftCheckInterval", "at least 10s", s -> s.getSpec().setDriftCheckInterval("5s")),
                invalid("spec.database.url", "jdbc:postgresql://host:5432/dbname", s -> s.getSpec().getDatabase().setUrl("postgres://db/orders")),
                invalid("spec.database.url", "must not carry password", s -> s.getSpec().getDatabase().setUrl("jdbc:postgresql://db:5432/orders?password=x")),
                invalid("spec.database.url", "has parameter sslMode that the PostgreSQL driver does not know",
                        s -> s.getSpec().getDatabase().setUrl("jdbc:postgresql://db:5432/orders?sslMode=verify-full")),
                invalid("spec.database.credentialsSecretRef.name", "is required", s -> s.getSpec().getDatabase().getCredentialsSecretRef().setName("")),
                invalid("spec.database.credentialsSecretRef.delivery", "'Volume' is neither Env nor Files",
                        s -> s.getSpec().getDatabase().getCredentialsSecretRef().setDelivery("Volume")),
                invalid("spec.database.credentialsSecretRef.passwordFile", "must be an absolute path of a file in a volume",
                        s -> s.getSpec().getDatabase().getCredentialsSecretRef().setPasswordFile("/lockstep/credentials/password")),
                invalid("spec.database.credentialsSecretRef.passwordFile", "must be an absolute path",
                        s -> s.getSpec().getDatabase().getCredentialsSecretRef().setPasswordFile("secrets/pw")),
                invalid("spec.database.url", "carries sslrootcert, a path in the runner's file system",
                        s -> s.getSpec().getDatabase().setUrl("jdbc:postgresql://db:5432/orders?sslmode=verify-full&sslrootcert=/ca.crt")),
                invalid("spec.database.url", "carries sslmode while spec.database.tls is set", s -> {
                    s.getSpec().getDatabase().setUrl("jdbc:postgresql://db:5432/orders?sslmode=require");
                    s.getSpec().getDatabase().setTls(tls(null, "db-ca", null));
                }),
                invalid("spec.database.tls.mode", "'verify' is not one of", s -> s.getSpec().getDatabase().setTls(tls("verify", "db-ca", null))),
                invalid("spec.database.tls.ca", "is required by mode verify-full", s -> s.getSpec().getDatabase().setTls(tls(null, null, null))),
                invalid("spec.database.tls.ca", "set exactly one of configMapKeyRef and secretKeyRef", s -> {
                    var tls = tls(null, "db-ca", null);
                    tls.getCa().setSecretKeyRef(new TlsSpec.NamedKey("db-tls", "ca.crt"));
                    s.getSpec().getDatabase().setTls(tls);
                }),
                invalid("spec.database.tls.ca.configMapKeyRef.key", "is not a valid key", s -> {
                    var tls = tls(null, "db-ca", null);
                    tls.getCa().getConfigMapKeyRef().setKey("ca/crt");
                    s.getSpec().getDatabase().setTls(tls);
                }),
                invalid("spec.database.tls", "mode disable with ca or clientCertificate", s -> s.getSpec().getDatabase().setTls(tls("disable", "db-ca", null))),
                invalid("spec.database.tls.clientCertificate.secretName", "is required", s -> s.getSpec().getDatabase().setTls(tls(null, "db-ca", ""))),
                invalid("spec.database.schemas[1]", "not a plain lower-case", s -> s.getSpec().getDatabase().setSchemas(List.of("public", "Orders;drop"))),
                invalid("spec.source", "sets neither", s -> s.getSpec().getSource().setConfigMapRef(null)),
                invalid("spec.source", "sets both", s -> s.getSpec().getSource().setImage("img:1")),
                invalid("spec.source.path", "applies to spec.source.image only", s -> s.getSpec().getSource().setPath("/x")),
                invalid("spec.baseline.version", "is above spec.targetRevision", s -> {
                    BaselineSpec b = new BaselineSpec();
                    b.setVersion("9");
                    s.getSpec().setBaseline(b);
                }),
                invalid("spec.policy.dryRunDatabase.url", "a database of its own",
                        s -> dryRunOn(s, s.getSpec().getDatabase().getUrl(), "scratch")),
                invalid("spec.policy.dryRunDatabase.url", "jdbc:postgresql://host:5432/dbname_scratch",
                        s -> dryRunOn(s, "postgres://db/orders_scratch", "scratch")),
                invalid("spec.policy.dryRunDatabase.url", "must not carry user",
                        s -> dryRunOn(s, "jdbc:postgresql://db:5432/orders_scratch?user=x", "scratch")),
                invalid("spec.policy.dryRunDatabase.credentialsSecretRef.name", "is required",
                        s -> dryRunOn(s, "jdbc:postgresql://db:5432/orders_scratch", null)),
                invalid("spec.database.schemas", "lockstep_scratch is where", s -> {
                    dryRunOn(s, "jdbc:postgresql://db:5432/orders_scratch", "scratch");
                    s.getSpec().getDatabase().setSchemas(List.of("lockstep_scratch"));
                }),
                invalid("spec.runner.backoffLimit", "between 0 and 10", s -> {
                    RunnerSpec r = new RunnerSpec();
                    r.setBackoffLimit(11);
                    s.getSpec().setRunner(r);
                }));
    }

    /** Each property the driver's catalogue marks as secret-bearing, in any case, is refused; and the login itself. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"password", "sslpassword", "SSLPASSWORD", "user", "sslfactoryarg",
            "socketFactoryArg", "connectExecutorArg"})
    void aSecretBearingPropertyInTheUrlIsRefusedAndItsValueNeverQuoted(String property) {
        SchemaMigration sm = Fixtures.migration("ns", "orders", "7");
        sm.getSpec().getDatabase().setUrl("jdbc:postgresql://db:5432/orders?sslmode=require&" + property + "=hunter22");

        SpecProblem problem = SpecValidator.validate(sm.getSpec()).orElseThrow();

        assertThat(problem.field()).isEqualTo("spec.database.url");
        assertThat(problem.message()).contains("must not carry " + property, "runner Job's spec",
                "spec.database.credentialsSecretRef").doesNotContain("hunter22");
    }

    @Test
    void theDriverDecidesWhichPropertiesCarrySecrets() {
        assertThat(ConnectionProperties.SECRET_BEARING)
                .contains("password", "sslpassword", "user", "sslfactoryarg", "socketFactoryArg")
                .doesNotContain("sslmode", "sslrootcert", "ApplicationName", "currentSchema", "sslpasswordcallback");
    }

    @Test
    void ordinaryConnectionPropertiesPass() {
        SchemaMigration sm = Fixtures.migration("ns", "orders", "7");
        sm.getSpec().getDatabase().setUrl("jdbc:postgresql://db-a:5432,db-b:5432/orders?sslmode=verify-full"
                + "&ApplicationName=orders-migrations&targetServerType=primary&connectTimeout=10");

        assertThat(SpecValidator.validate(sm.getSpec())).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"host=other-db", "PGHOST=other-db", "dbname=other", "Port=6432"})
    void anAddressInTheParametersIsRefused(String parameter) {
        SchemaMigration sm = Fixtures.migration("ns", "orders", "7");
        sm.getSpec().getDatabase().setUrl("jdbc:postgresql://db:5432/orders?" + parameter);

        assertThat(SpecValidator.validate(sm.getSpec()).orElseThrow().message())
                .contains("spec.database.url: sets " + parameter.substring(0, parameter.indexOf('=')), "jdbc:postgresql://host:5432/dbname");
    }

    @Test
    void aNearMissOfAPropertyNameSaysWhichOneWasMeant() {
        SchemaMigration sm = Fixtures.migration("ns", "orders", "7");
        sm.getSpec().getDatabase().setUrl("jdbc:postgresql://db:5432/orders?applicationname=x&ssl_mode=require");

        assertThat(SpecValidator.validate(sm.getSpec()).orElseThrow().message())
                .contains("applicationname: did you mean ApplicationName?", "ssl_mode: did you mean sslmode?");
    }

    private static void dryRunOn(SchemaMigration sm, String url, String secret) {
        DryRunDatabaseSpec scratch = new DryRunDatabaseSpec();
        scratch.setUrl(url);
        if (secret != null) {
            SecretKeysReference ref = new SecretKeysReference();
            ref.setName(secret);
            scratch.setCredentialsSecretRef(ref);
        }
        PolicySpec policy = new PolicySpec();
        policy.setDryRunDatabase(scratch);
        sm.getSpec().setPolicy(policy);
    }

    @Test
    void aScratchDatabaseOfItsOwnPasses() {
        SchemaMigration sm = Fixtures.migration("ns", "orders", "7");
        dryRunOn(sm, "jdbc:postgresql://db:5432/orders_scratch", "scratch");
        assertThat(SpecValidator.validate(sm.getSpec())).isEmpty();
    }

    private static Arguments invalid(String field, String hint, Consumer<SchemaMigration> breakIt) {
        return Arguments.of(field, hint, breakIt);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidSpecs")
    void invalidSpecNamesTheFieldAndTheFix(String field, String hint, Consumer<SchemaMigration> breakIt) {
        SchemaMigration sm = Fixtures.migration("ns", "orders", "7");
        breakIt.accept(sm);

        SpecProblem problem = SpecValidator.validate(sm.getSpec()).orElseThrow();

        assertThat(problem.field()).isEqualTo(field);
        assertThat(problem.message()).startsWith(field + ": ").contains(hint);
    }
}
