package dev.lockstep.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.jse.JsePlatform;

/**
 * How GitOps controllers read a SchemaMigration's health: Argo CD by the Lua health script
 * (gitops/argocd/resource_customizations/lockstep.dev/SchemaMigration/health.lua), run here in a real Lua 5.1
 * interpreter as Argo CD runs it, with the object as the global {@code obj}; Flux by kstatus' generic rules.
 */
final class GitOpsHealth {
    static final Path SCRIPT = ControlPlaneExtension.REPO.resolve(
            "gitops/argocd/resource_customizations/lockstep.dev/SchemaMigration/health.lua");

    /** Argo CD's answer: a health status and its message. */
    record Argo(String status, String message) {}

    private GitOpsHealth() {}

    static Argo argo(Map<String, Object> obj) {
        String script;
        try {
            script = Files.readString(SCRIPT);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Globals globals = JsePlatform.standardGlobals();
        globals.set("obj", lua(obj));
        LuaValue result = globals.load(script, "health.lua").call();
        if (!result.istable()) {
            throw new AssertionError("health.lua returned " + result + ", not a table");
        }
        return new Argo(result.get("status").optjstring(null), result.get("message").optjstring(null));
    }

    @SuppressWarnings("unchecked")
    static LuaValue lua(Object value) {
        if (value == null) {
            return LuaValue.NIL;
        } else if (value instanceof Map<?, ?> map) {
            LuaTable table = new LuaTable();
            ((Map<String, Object>) map).forEach((k, v) -> table.set(k, lua(v)));
            return table;
        } else if (value instanceof List<?> list) {
            LuaTable table = new LuaTable();
            for (int i = 0; i < list.size(); i++) {
                table.set(i + 1, lua(list.get(i)));
            }
            return table;
        } else if (value instanceof Boolean b) {
            return LuaValue.valueOf(b);
        } else if (value instanceof Number n) {
            return n instanceof Double || n instanceof Float ? LuaValue.valueOf(n.doubleValue()) : LuaValue.valueOf(n.longValue());
        }
        return LuaValue.valueOf(value.toString());
    }

    /**
     * kstatus' result for a custom resource, by its generic rules (sigs.k8s.io/cli-utils/pkg/kstatus, what Flux's
     * health checks apply to a kind they have no rule for): Terminating when deleted; InProgress while a reported
     * observedGeneration differs from generation; InProgress while Reconciling is True; Failed while Stalled is True;
     * Current otherwise, Ready or not, and also before any status exists.
     */
    @SuppressWarnings("unchecked")
    static String kstatus(Map<String, Object> obj) {
        Map<String, Object> metadata = (Map<String, Object>) obj.getOrDefault("metadata", Map.of());
        if (metadata.get("deletionTimestamp") != null) {
            return "Terminating";
        }
        Map<String, Object> status = (Map<String, Object>) obj.get("status");
        Object generation = metadata.get("generation");
        Object observed = status == null ? null : status.get("observedGeneration");
        if (generation != null && observed != null && ((Number) observed).longValue() != ((Number) generation).longValue()) {
            return "InProgress";
        }
        List<Map<String, Object>> conditions = status == null ? List.of()
                : (List<Map<String, Object>>) status.getOrDefault("conditions", List.of());
        if (isTrue(conditions, "Reconciling")) {
            return "InProgress";
        }
        if (isTrue(conditions, "Stalled")) {
            return "Failed";
        }
        return "Current";
    }

    private static boolean isTrue(List<Map<String, Object>> conditions, String type) {
        return conditions.stream().anyMatch(c -> type.equals(c.get("type")) && Objects.equals("True", c.get("status")));
    }
}
