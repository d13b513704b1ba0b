package dev.lockstep.operator;

import dev.lockstep.operator.telemetry.HealthServer;
import dev.lockstep.operator.telemetry.OperatorHealth;
import dev.lockstep.operator.telemetry.ReconcileMetrics;
import dev.lockstep.operator.telemetry.Telemetry;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator as `lockstep operator` runs it: the controllers, its telemetry, and the HTTP server with
 * {@code /metrics}, {@code /healthz} and {@code /readyz}, which answers (live, not ready) while the informers sync.
 * Closing it stops all three, in the order a pod's shutdown needs: not live, no reconcile, last spans sent.
 */
public final class RunningOperator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunningOperator.class);

    private final Operator operator;
    private final OperatorHealth health;
    private final HealthServer server;
    private final Telemetry telemetry;

    private RunningOperator(Operator operator, OperatorHealth health, HealthServer server, Telemetry telemetry) {
        this.operator = operator;
        this.health = health;
        this.server = server;
        this.telemetry = telemetry;
    }

    /** @param port of the HTTP server; 0 for any free one (see {@link #port()}) */
    public static RunningOperator start(KubernetesClient client, OperatorSettings settings, List<String> namespaces,
                                        LeaderElectionConfiguration leaderElection, Telemetry telemetry, String address, int port) {
        OperatorHealth health = new OperatorHealth();
        LeaderElectionConfiguration tracked = health.tracking(leaderElection);
        HealthServer server;
        try {
            server = HealthServer.start(address, port, telemetry, health);
        } catch (IOException e) {
            telemetry.close();
            throw new UncheckedIOException("cannot listen on " + address + ":" + port + " (--metrics-port, --metrics-address): "
                    + e.getMessage(), e);
        }
        try {
            var reconciler = new SchemaMigrationReconciler(settings, Clock.systemUTC(), telemetry, health::leading);
            Operator operator = OperatorCommand.start(client, reconciler, namespaces, tracked, true,
                    new ReconcileMetrics(telemetry.meter()));
            health.started(operator);
            return new RunningOperator(operator, health, server, telemetry);
        } catch (RuntimeException e) {
            health.stopped();
            server.close();
            telemetry.close();
            throw e;
        }
    }

    public Operator operator() {
        return operator;
    }

    public OperatorHealth health() {
        return health;
    }

    public Telemetry telemetry() {
        return telemetry;
    }

    /** The port of /metrics, /healthz and /readyz. */
    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        health.stopped();
        try {
            operator.stop();
        } catch (RuntimeException e) {
            LOG.warn("stopping the operator: {}", e.toString());
        }
        telemetry.close();
        server.close();
    }
}
