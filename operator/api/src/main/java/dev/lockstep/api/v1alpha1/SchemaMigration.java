package dev.lockstep.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A database schema revision as a Kubernetes object: the operator migrates the database named in
 * {@code spec.database} to {@code spec.targetRevision} by running a runner Job, and reports progress in
 * {@code status}.
 */
@Group(SchemaMigration.GROUP)
@Version(SchemaMigration.VERSION)
@ShortNames("sm")
@AdditionalPrinterColumn(name = "Current", jsonPath = ".status.currentRevision", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Target", jsonPath = ".spec.targetRevision", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class SchemaMigration extends CustomResource<SchemaMigrationSpec, SchemaMigrationStatus> implements Namespaced {
    public static final String GROUP = "lockstep.dev";
    public static final String VERSION = "v1alpha1";

    @Override
    protected SchemaMigrationStatus initStatus() {
        return new SchemaMigrationStatus();
    }
}
