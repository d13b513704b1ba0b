package dev.lockstep.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.api.v1alpha1.Reason;
import dev.lockstep.operator.act.EventRecorder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Events as Kubernetes' own recorder keeps them, on the real API server: one object per resource, reason and series,
 * counted up for a new fact, left alone for a fact it already holds, by any number of recorders at once.
 */
@ExtendWith(ControlPlaneExtension.class)
class EventRecorderApiServerIT {
    private static ConfigMap subject(Cluster cluster, String name) {
        return cluster.client().configMaps().inNamespace(cluster.namespace())
                .resource(new ConfigMapBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    }

    @Test
    void theSameFactIsOneEventAndANewFactCountsUpTheSameObject(Cluster cluster) {
        ConfigMap about = subject(cluster, "accounts");
        EventRecorder first = new EventRecorder(cluster.client(), Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC));
        EventRecorder later = new EventRecorder(cluster.client(), Clock.fixed(Instant.parse("2026-12-01T10:05:00Z"), ZoneOffset.UTC));

        first.record(about, true, Reason.DatabaseUnavailable, "attempt 1 could not connect", "run abc Expand", "job-1");
        // The same fact again, as a reconcile repeating a transition or another replica would record it.
        later.record(about, true, Reason.DatabaseUnavailable, "attempt 1 could not connect", "run abc Expand", "job-1");
        assertThat(cluster.events("accounts")).singleElement().satisfies(e -> {
            assertThat(e.getCount()).isEqualTo(1);
            assertThat(e.getLastTimestamp()).isEqualTo("2026-12-01T10:00:00Z");
        });

        later.record(about, true, Reason.DatabaseUnavailable, "attempt 2 could not connect", "run abc Expand", "job-2");
        Event counted = cluster.events("accounts").get(0);
        assertThat(cluster.events("accounts")).hasSize(1);
        assertThat(counted.getCount()).isEqualTo(2);
        assertThat(counted.getFirstTimestamp()).isEqualTo("2026-12-01T10:00:00Z");
        assertThat(counted.getLastTimestamp()).isEqualTo("2026-12-01T10:05:00Z");
        assertThat(counted.getMessage()).isEqualTo("attempt 2 could not connect");
        assertThat(counted.getType()).isEqualTo("Warning");
        assertThat(counted.getReason()).isEqualTo("DatabaseUnavailable");
        assertThat(counted.getInvolvedObject().getUid()).isEqualTo(about.getMetadata().getUid());

        // Another reason, or another run, is another object.
        first.record(about, false, Reason.MigrationSucceeded, "at revision 6", "run abc Expand", "Ready");
        first.record(about, true, Reason.DatabaseUnavailable, "attempt 1 could not connect", "run def Expand", "job-1");
        assertThat(cluster.events("accounts")).hasSize(3)
                .extracting(Event::getCount).containsOnly(1, 2, 1);
    }

    @Test
    void recordersRacingOnOneEventCountEveryFactAndLoseNone(Cluster cluster) throws Exception {
        ConfigMap about = subject(cluster, "orders");
        EventRecorder events = new EventRecorder(cluster.client(), Clock.systemUTC());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            // 4 recorders at once, 12 different facts, then each fact once more: 12 counts, however they interleave.
            List<Future<?>> done = IntStream.range(0, 12).<Future<?>>mapToObj(i -> pool.submit(() ->
                    events.record(about, true, Reason.ApiRequestFailed, "fact " + i, "generation 1", "fact " + i))).toList();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        List<Event> recorded = cluster.events("orders");
        assertThat(recorded).hasSize(1);
        assertThat(recorded.get(0).getCount()).isEqualTo(12);
        String last = recorded.get(0).getMessage();
        events.record(about, true, Reason.ApiRequestFailed, last, "generation 1", last);
        assertThat(cluster.events("orders").get(0).getCount()).as("the fact it holds, again").isEqualTo(12);
    }

    @Test
    void aLongMessageIsCutToWhatAnEventHoldsAndALongNameStillFits(Cluster cluster) {
        String name = "orders." + "y".repeat(240) + "-final";
        ConfigMap about = subject(cluster, name);
        new EventRecorder(cluster.client(), Clock.systemUTC())
                .record(about, false, Reason.MigrationSucceeded, "x".repeat(5000), "generation 1", "Ready");
        Event event = cluster.events(name).get(0);
        assertThat(event.getMessage()).hasSize(1024).endsWith("...");
        assertThat(event.getMetadata().getName()).hasSizeLessThanOrEqualTo(253);
    }
}
