package dev.lockstep.common;

/** Messages shortened for one line of status, an Event or a plan's note. */
public final class Text {
    private Text() {}

    /** The first line that is not blank, stripped: the statement a note quotes, the headline of an error. */
    public static String firstLine(String text) {
        if (text == null) {
            return "";
        }
        return text.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse("");
    }

    /**
     * A whole message on one line: its lines stripped and joined with a space, leaving out blank lines and Flyway's
     * {@code ----} rules, so PostgreSQL's "Detail:" and "Where:" stay with the error.
     */
    public static String oneLine(String text) {
        if (text == null) {
            return "";
        }
        return text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("-"))
                .reduce((a, b) -> a + " " + b).orElse(text.strip());
    }

    /** A PostgreSQL identifier in double quotes, embedded quotes doubled: safe for any schema or table name. */
    public static String quoteIdentifier(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
