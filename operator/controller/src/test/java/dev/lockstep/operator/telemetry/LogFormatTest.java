package dev.lockstep.operator.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogFormatTest {
    @Test
    void aJsonLineHasTheMessageAsReadAndTheReconciledResourceInItsMdc() throws Exception {
        LoggerContext context = new LoggerContext();
        var encoder = LogFormat.encoder(context);
        LoggingEvent event = new LoggingEvent("x", context.getLogger("dev.lockstep.operator.act.Actions"), Level.INFO,
                "created runner Job {}/{} ({}) for revision {}", null, new Object[] {"shop", "orders-6-abc", "Expand", "6"});
        event.setMDCPropertyMap(Map.of("resource.namespace", "shop", "resource.name", "orders", LogFormat.REVISION, "6"));
        String line = new String(encoder.encode(event), StandardCharsets.UTF_8);

        assertThat(line).endsWith("\n").doesNotContain("\n\n");
        JsonNode json = new ObjectMapper().readTree(line);
        assertThat(json.get("level").asText()).isEqualTo("INFO");
        assertThat(json.get("loggerName").asText()).isEqualTo("dev.lockstep.operator.act.Actions");
        assertThat(json.get("formattedMessage").asText()).isEqualTo("created runner Job shop/orders-6-abc (Expand) for revision 6");
        assertThat(json.has("message")).as("the pattern is not repeated").isFalse();
        assertThat(json.get("mdc").get("resource.namespace").asText()).isEqualTo("shop");
        assertThat(json.get("mdc").get("resource.name").asText()).isEqualTo("orders");
        assertThat(json.get("mdc").get(LogFormat.REVISION).asText()).isEqualTo("6");
        assertThat(json.get("timestamp").asLong()).isPositive();
    }

    @Test
    void aFormatOtherThanTextOrJsonIsRefusedByName() {
        assertThat(LogFormat.of(" JSON ")).isEqualTo(LogFormat.json);
        assertThatThrownBy(() -> LogFormat.of("yaml")).hasMessage("--log-format must be text or json, not yaml");
    }
}
