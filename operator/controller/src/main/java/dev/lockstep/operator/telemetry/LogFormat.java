package dev.lockstep.operator.telemetry;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * {@code --log-format}: plain text lines (the default, as logback.xml writes them) or one JSON object a line, with
 * Logback's own encoder, for a log pipeline to parse. Either way a reconcile's lines carry the SchemaMigration's
 * namespace and name ({@code resource.namespace}, {@code resource.name}, from the framework) and the revision it
 * works towards ({@value #REVISION}) in the MDC; the JSON line has them under {@code mdc}.
 */
public enum LogFormat {
    text,
    json;

    /** The MDC key of the target revision during a reconcile. */
    public static final String REVISION = "lockstep.revision";
    static final String APPENDER = "lockstep-json";

    public static LogFormat of(String value) {
        try {
            return valueOf(value.strip().toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("--log-format must be text or json, not " + value);
        }
    }

    /** Makes the root logger write this format to stderr; text leaves the configuration as it is. */
    public void apply() {
        if (this == text || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (root.getAppender(APPENDER) != null) {
            return;
        }
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName(APPENDER);
        appender.setTarget("System.err");
        appender.setEncoder(encoder(context));
        appender.start();
        root.detachAndStopAllAppenders();
        root.addAppender(appender);
    }

    static JsonEncoder encoder(LoggerContext context) {
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        // The message as read, not its pattern and arguments; no logger-context or sequence noise.
        encoder.setWithFormattedMessage(true);
        encoder.setWithMessage(false);
        encoder.setWithArguments(false);
        encoder.setWithContext(false);
        encoder.setWithSequenceNumber(false);
        encoder.setWithNanoseconds(false);
        encoder.start();
        return encoder;
    }
}
