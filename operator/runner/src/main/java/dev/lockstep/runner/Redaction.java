package dev.lockstep.runner;

import java.util.regex.Pattern;

/** Removes credentials from text that leaves the process: stdout, logs, the result JSON. */
public final class Redaction {
    private static final Pattern USER_INFO = Pattern.compile("(//)[^/@\\s]+@");
    private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)(password=)[^&\\s]*");

    private Redaction() {}

    /** The URL with any user-info and password parameter replaced by ***. */
    public static String url(String url) {
        if (url == null) {
            return null;
        }
        return PASSWORD_PARAMETER.matcher(USER_INFO.matcher(url).replaceAll("$1***@")).replaceAll("$1***");
    }

    /** The text with every occurrence of the secret, and any credentials in URLs, replaced by ***. */
    public static String text(String text, String secret) {
        if (text == null) {
            return null;
        }
        String redacted = url(text);
        if (secret != null && secret.length() >= 3) {
            redacted = redacted.replace(secret, "***");
        }
        return redacted;
    }
}
