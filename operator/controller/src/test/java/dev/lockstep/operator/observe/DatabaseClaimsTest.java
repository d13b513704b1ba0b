package dev.lockstep.operator.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.api.v1alpha1.SchemaMigration;
import dev.lockstep.operator.Fixtures;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Unit: which URLs name the same database schema, and which of two resources keeps it. */
class DatabaseClaimsTest {

    private static SchemaMigration migration(String namespace, String name, String url, List<String> schemas, String created) {
        SchemaMigration sm = Fixtures.migration(namespace, name, "3");
        sm.getSpec().getDatabase().setUrl(url);
        sm.getSpec().getDatabase().setSchemas(schemas);
        sm.getMetadata().setCreationTimestamp(created);
        sm.getMetadata().setUid(namespace + "-" + name);
        return sm;
    }

    static Stream<Arguments> urls() {
        return Stream.of(
                Arguments.of("jdbc:postgresql://orders-db:5432/orders", null, List.of("orders-db.shop:5432/orders/public")),
                Arguments.of("jdbc:postgresql://orders-db/orders?sslmode=require", List.of(), List.of("orders-db.shop:5432/orders/public")),
                Arguments.of("jdbc:postgresql://Orders-DB.shop.svc.cluster.local:5432/orders", null, List.of("orders-db.shop:5432/orders/public")),
                Arguments.of("jdbc:postgresql://orders-db.shop.svc:5432/orders", null, List.of("orders-db.shop:5432/orders/public")),
                Arguments.of("jdbc:postgresql://db.example.com:6432/orders", List.of("app", "audit"),
                        List.of("db.example.com:6432/orders/app", "db.example.com:6432/orders/audit")),
                Arguments.of("jdbc:postgresql://10.0.0.7:5432,10.0.0.8/orders", null,
                        List.of("10.0.0.7:5432/orders/public", "10.0.0.8:5432/orders/public")),
                Arguments.of("jdbc:postgresql://[::1]:5433/orders", null, List.of("[::1]:5433/orders/public")),
                Arguments.of("jdbc:postgresql://localhost/orders", null, List.of("localhost:5432/orders/public")),
                Arguments.of("postgres://orders-db/orders", null, List.of()));
    }

    @ParameterizedTest
    @MethodSource("urls")
    void keysNameHostPortDatabaseAndSchemaAsTheClusterResolvesThem(String url, List<String> schemas, List<String> keys) {
        assertThat(DatabaseClaims.keys(migration("shop", "orders", url, schemas, "2026-01-01T00:00:00Z"))).containsExactlyElementsOf(keys);
    }

    @Test
    void theSameServiceNameInAnotherNamespaceIsAnotherDatabase() {
        SchemaMigration shop = migration("shop", "orders", "jdbc:postgresql://orders-db/orders", null, "2026-01-01T00:00:00Z");
        SchemaMigration staging = migration("staging", "orders", "jdbc:postgresql://orders-db/orders", null, "2026-01-01T00:00:00Z");

        assertThat(DatabaseClaims.keys(shop)).doesNotContainAnyElementsOf(DatabaseClaims.keys(staging));
    }

    @Test
    void theYoungerOfTwoIsHeldByTheOlderAndTheOlderByNoOne() {
        SchemaMigration older = migration("shop", "orders", "jdbc:postgresql://orders-db/orders", null, "2026-01-01T00:00:00Z");
        SchemaMigration younger = migration("shop", "orders-copy", "jdbc:postgresql://orders-db.shop.svc/orders", null, "2026-01-02T00:00:00Z");
        SchemaMigration youngest = migration("shop", "orders-again", "jdbc:postgresql://orders-db/orders", null, "2026-01-03T00:00:00Z");
        List<SchemaMigration> all = List.of(older, younger, youngest);

        assertThat(DatabaseClaims.heldBy(older, all)).isEmpty();
        assertThat(DatabaseClaims.heldBy(younger, all)).containsSame(older);
        assertThat(DatabaseClaims.heldBy(youngest, all)).containsSame(older);
    }

    @Test
    void sameCreationTimeIsDecidedByNamespaceAndNameSoBothAgree() {
        SchemaMigration a = migration("shop", "a", "jdbc:postgresql://orders-db/orders", null, "2026-01-01T00:00:00Z");
        SchemaMigration b = migration("shop", "b", "jdbc:postgresql://orders-db/orders", null, "2026-01-01T00:00:00Z");

        assertThat(DatabaseClaims.heldBy(a, List.of(a, b))).isEmpty();
        assertThat(DatabaseClaims.heldBy(b, List.of(a, b))).containsSame(a);
    }

    @Test
    void anOwnerBeingDeletedNoLongerHoldsTheClaim() {
        SchemaMigration older = migration("shop", "orders", "jdbc:postgresql://orders-db/orders", null, "2026-01-01T00:00:00Z");
        older.getMetadata().setDeletionTimestamp("2026-01-05T00:00:00Z");
        SchemaMigration younger = migration("shop", "orders-copy", "jdbc:postgresql://orders-db/orders", null, "2026-01-02T00:00:00Z");

        assertThat(DatabaseClaims.heldBy(younger, List.of(older, younger))).isEmpty();
    }

    @Test
    void aScratchDatabaseIsComparedAsAWholeDatabaseUnderAnySpellingAndNotAtAllWhenNoDryRunUsesIt() {
        SchemaMigration orders = migration("shop", "orders", "jdbc:postgresql://orders-db/orders", List.of("app"), "2026-01-01T00:00:00Z");
        SchemaMigration careless = migration("shop", "billing", "jdbc:postgresql://billing-db/billing", List.of("public"), "2026-01-02T00:00:00Z");
        var scratch = new dev.lockstep.api.v1alpha1.DryRunDatabaseSpec();
        scratch.setUrl("jdbc:postgresql://orders-db.shop.svc.cluster.local:5432/orders?sslmode=require");
        var policy = new dev.lockstep.api.v1alpha1.PolicySpec();
        policy.setDryRunDatabase(scratch);
        careless.getSpec().setPolicy(policy);

        assertThat(DatabaseClaims.scratchDatabases(orders)).isEmpty();
        // Other schemas than the ones orders migrates: still orders' database, whose schemas a dry run could reach.
        assertThat(DatabaseClaims.scratchDatabases(careless)).containsExactly("orders-db.shop:5432/orders")
                .containsExactlyElementsOf(DatabaseClaims.databases(orders));

        policy.setDestructive(dev.lockstep.api.v1alpha1.PolicySpec.Destructive.Off);
        assertThat(DatabaseClaims.scratchDatabases(careless)).isEmpty();
    }
}
