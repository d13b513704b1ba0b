-- Argo CD health of a Lockstep SchemaMigration (lockstep.dev/SchemaMigration).
-- Install: argocd-cm, key resource.customizations.health.lockstep.dev_SchemaMigration (docs/gitops.md).
--
-- Progressing  the operator has not reported on this spec yet (no status, or status.observedGeneration below
--              metadata.generation: a spec Git just changed is never Healthy on the old one's status), or a run
--              is under way
-- Healthy      Ready; or the schema is where the workloads need it and the rest waits for them: Releasing (at
--              the target, pods that need a later revision held) and ContractWaitingForPods (expand steps
--              applied; the contract step waits for the old pods, which only the workload's rollout removes,
--              so a sync wave must not wait for it)
-- Suspended    spec.suspend, or contract steps waiting for spec.contract.approvedRevision
-- Degraded     Stalled: it needs a person; the message says what to do
local hs = {}

local function condition(conditions, type)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

if obj.status == nil or obj.status.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Lockstep operator to report on this SchemaMigration"
  return hs
end
if obj.metadata.generation ~= nil and obj.status.observedGeneration < obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the Lockstep operator to observe generation " .. obj.metadata.generation
    .. " (status is of generation " .. obj.status.observedGeneration .. ")"
  return hs
end

local ready = condition(obj.status.conditions, "Ready")
local stalled = condition(obj.status.conditions, "Stalled")
local reconciling = condition(obj.status.conditions, "Reconciling")
local phase = obj.status.phase

if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = (stalled.reason or "Stalled") .. ": " .. (stalled.message or "")
  return hs
end
if phase == "Suspended" then
  hs.status = "Suspended"
  hs.message = ready ~= nil and ready.message or "spec.suspend is true"
  return hs
end
if phase == "AwaitingApproval" then
  hs.status = "Suspended"
  hs.message = reconciling ~= nil and reconciling.message or "contract steps wait for spec.contract.approvedRevision"
  return hs
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or "Ready"
  return hs
end
if phase == "Releasing" then
  hs.status = "Healthy"
  hs.message = ready ~= nil and ready.message or "database at the target; held pods wait for a later revision"
  return hs
end
if phase == "Contracting" and reconciling ~= nil and reconciling.reason == "ContractWaitingForPods" then
  hs.status = "Healthy"
  hs.message = reconciling.message
  return hs
end
hs.status = "Progressing"
if reconciling ~= nil and reconciling.status == "True" then
  hs.message = (reconciling.reason or "Reconciling") .. ": " .. (reconciling.message or "")
elseif ready ~= nil then
  hs.message = (ready.reason or "NotReady") .. ": " .. (ready.message or "")
else
  hs.message = "Waiting for the Lockstep operator"
end
return hs
