package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What the operator observed and did. Written by the operator only. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SchemaMigrationStatus {
    @JsonPropertyDescription("The metadata.generation this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("The revision the database was last seen at (the highest applied Flyway version).")
    private String currentRevision;

    @JsonPropertyDescription("The revision being worked towards: spec.targetRevision as last observed.")
    private String targetRevision;

    @JsonPropertyDescription("Where the resource is in its life cycle.")
    private Phase phase;

    @JsonPropertyDescription("Versions between currentRevision and targetRevision that are not applied yet, when known.")
    private List<String> pendingVersions;

    @JsonPropertyDescription("Versions held for the contract phase: the first is a contract step (V<version>__contract_*.sql); they run once no gated pod requires a revision below currentRevision.")
    private List<String> heldForContract;

    @JsonPropertyDescription("The latest runner Job and what it did.")
    private LastRun lastRun;

    @JsonPropertyDescription("What the latest expand run planned before it applied anything: steps, destructive findings, digest.")
    private PlanStatus plan;

    @JsonPropertyDescription("The periodic drift check of the Ready database, with spec.driftCheckInterval.")
    private DriftCheckStatus driftCheck;

    @JsonPropertyDescription("The blue/green rollout, with strategy BlueGreen.")
    private BlueGreenStatus blueGreen;

    @JsonPropertyDescription("Pods gated on this schema revision (see WorkloadsReleased).")
    private WorkloadsStatus workloads;

    @JsonPropertyDescription("Ready, Reconciling, Stalled, SchemaAtTarget and WorkloadsReleased, in the kstatus convention.")
    private List<Condition> conditions = new ArrayList<>();

    public Long getObservedGeneration() { return observedGeneration; }
    public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
    public String getCurrentRevision() { return currentRevision; }
    public void setCurrentRevision(String currentRevision) { this.currentRevision = currentRevision; }
    public String getTargetRevision() { return targetRevision; }
    public void setTargetRevision(String targetRevision) { this.targetRevision = targetRevision; }
    public Phase getPhase() { return phase; }
    public void setPhase(Phase phase) { this.phase = phase; }
    public List<String> getPendingVersions() { return pendingVersions; }
    public void setPendingVersions(List<String> pendingVersions) { this.pendingVersions = pendingVersions; }
    public List<String> getHeldForContract() { return heldForContract; }
    public void setHeldForContract(List<String> heldForContract) { this.heldForContract = heldForContract; }
    public DriftCheckStatus getDriftCheck() { return driftCheck; }
    public void setDriftCheck(DriftCheckStatus driftCheck) { this.driftCheck = driftCheck; }
    public PlanStatus getPlan() { return plan; }
    public void setPlan(PlanStatus plan) { this.plan = plan; }
    public LastRun getLastRun() { return lastRun; }
    public void setLastRun(LastRun lastRun) { this.lastRun = lastRun; }
    public BlueGreenStatus getBlueGreen() { return blueGreen; }
    public void setBlueGreen(BlueGreenStatus blueGreen) { this.blueGreen = blueGreen; }
    public WorkloadsStatus getWorkloads() { return workloads; }
    public void setWorkloads(WorkloadsStatus workloads) { this.workloads = workloads; }
    public List<Condition> getConditions() { return conditions; }
    public void setConditions(List<Condition> conditions) { this.conditions = conditions; }
}
