package dev.lockstep.runner.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import javax.sql.DataSource;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.callback.BaseCallback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;

/**
 * Spans from inside Flyway: the wait for its lock on the history table (from the start of migrate to the first
 * script, which includes reading the history under the lock), and each script applied, named by its file. Only
 * installed when the runner traces. Attributes name versions and scripts; never SQL text or connection details.
 */
public final class FlywaySpans extends BaseCallback {
    private Span lockWait;
    private Span script;

    @Override
    public boolean supports(Event event, Context context) {
        return switch (event) {
            case BEFORE_MIGRATE, BEFORE_EACH_MIGRATE, AFTER_EACH_MIGRATE, AFTER_EACH_MIGRATE_ERROR, AFTER_MIGRATE,
                    AFTER_MIGRATE_ERROR -> true;
            default -> false;
        };
    }

    @Override
    public boolean canHandleInTransaction(Event event, Context context) {
        return true; // it touches no connection
    }

    @Override
    public void handle(Event event, Context context) {
        switch (event) {
            case BEFORE_MIGRATE -> lockWait = RunnerTracing.tracer().spanBuilder("lock wait")
                    .setAttribute("lockstep.lock", "flyway_schema_history").startSpan();
            case BEFORE_EACH_MIGRATE -> {
                endLockWait();
                MigrationInfo m = context.getMigrationInfo();
                script = RunnerTracing.tracer().spanBuilder("apply " + (m == null || m.getScript() == null ? "script" : m.getScript()))
                        .setAttribute("lockstep.version", m == null || m.getVersion() == null ? "" : m.getVersion().getVersion())
                        .startSpan();
            }
            case AFTER_EACH_MIGRATE -> endScript(false);
            case AFTER_EACH_MIGRATE_ERROR -> endScript(true);
            case AFTER_MIGRATE, AFTER_MIGRATE_ERROR -> {
                endLockWait();
                endScript(event == Event.AFTER_MIGRATE_ERROR);
            }
            default -> { }
        }
    }

    private void endLockWait() {
        if (lockWait != null) {
            lockWait.end();
            lockWait = null;
        }
    }

    private void endScript(boolean failed) {
        if (script != null) {
            if (failed) {
                script.setStatus(StatusCode.ERROR);
            }
            script.end();
            script = null;
        }
    }

    @Override
    public String getCallbackName() {
        return "lockstep-spans";
    }

    /** {@code dataSource} with a "connect" span around each connection it opens. */
    public static DataSource connectSpans(DataSource dataSource) {
        return (DataSource) Proxy.newProxyInstance(FlywaySpans.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    if (!method.getName().equals("getConnection")) {
                        return invoke(method, dataSource, args);
                    }
                    Span span = RunnerTracing.tracer().spanBuilder("connect").setAttribute("db.system.name", "postgresql").startSpan();
                    try {
                        return invoke(method, dataSource, args);
                    } catch (Throwable e) {
                        span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
                        throw e;
                    } finally {
                        span.end();
                    }
                });
    }

    private static Object invoke(java.lang.reflect.Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
