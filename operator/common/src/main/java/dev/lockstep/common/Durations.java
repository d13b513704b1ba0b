package dev.lockstep.common;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one grammar of every duration a user writes, in a SchemaMigration's spec and in every flag: Kubernetes' own
 * (Flux's {@code interval}, kubectl's {@code --timeout}), a sequence of whole amounts with units {@code h}, {@code m},
 * {@code s} and {@code ms}, largest first: {@code 500ms}, {@code 30s}, {@code 15m}, {@code 1h30m}, {@code 1m30s}. A
 * bare number is seconds ({@code 0} turns a timeout off where a flag says so).
 */
public final class Durations {
    /** What the messages show as examples. */
    public static final String EXAMPLES = "500ms, 30s, 15m or 1h30m";
    private static final Pattern FORMAT = Pattern.compile("(?:([0-9]+)h)?(?:([0-9]+)m(?!s))?(?:([0-9]+)s)?(?:([0-9]+)ms)?");
    private static final Pattern SECONDS = Pattern.compile("[0-9]{1,12}");

    private Durations() {}

    /** The duration {@code text} writes, or empty when it is not one (blank, a unit missing or unknown, a sign, a fraction). */
    public static Optional<Duration> parse(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        String written = text.strip();
        if (SECONDS.matcher(written).matches()) {
            return Optional.of(Duration.ofSeconds(Long.parseLong(written)));
        }
        Matcher m = FORMAT.matcher(written);
        if (!m.matches() || (m.group(1) == null && m.group(2) == null && m.group(3) == null && m.group(4) == null)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Duration.ofHours(part(m.group(1))).plusMinutes(part(m.group(2))).plusSeconds(part(m.group(3)))
                    .plusMillis(part(m.group(4))));
        } catch (ArithmeticException | NumberFormatException e) {
            return Optional.empty(); // beyond what a Duration holds
        }
    }

    /** As {@link #parse}, or the reason it is not a duration, naming {@code what} (a field or a flag). */
    public static Duration require(String what, String text) {
        return parse(text).orElseThrow(() -> new IllegalArgumentException(what + ": '" + text + "' is not a duration such as "
                + EXAMPLES));
    }

    private static long part(String digits) {
        return digits == null ? 0 : Long.parseLong(digits);
    }
}
