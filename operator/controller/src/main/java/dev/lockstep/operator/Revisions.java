package dev.lockstep.operator;

import java.util.Comparator;
import java.util.regex.Pattern;

/** Flyway-style versions compared numerically part by part: 1.10 is above 1.9, and 2 equals 2.0. */
public final class Revisions {
    public static final String LATEST = "latest";
    private static final Pattern VERSION = Pattern.compile("[0-9]+(\\.[0-9]+)*");
    public static final Comparator<String> ORDER = Revisions::compare;

    private Revisions() {}

    public static boolean isVersion(String s) {
        return s != null && VERSION.matcher(s).matches();
    }

    public static int compare(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            java.math.BigInteger p = i < x.length ? new java.math.BigInteger(x[i]) : java.math.BigInteger.ZERO;
            java.math.BigInteger q = i < y.length ? new java.math.BigInteger(y[i]) : java.math.BigInteger.ZERO;
            int c = p.compareTo(q);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    /** Version of a Flyway script file name such as V7__add_email.sql or V2_1__x.sql, or null if it is not one. */
    public static String ofScript(String fileName) {
        return ofPrefixed(fileName, "V");
    }

    /** Version of an undo script such as U7__add_email.sql, or null if it is not one. */
    public static String ofUndoScript(String fileName) {
        return ofPrefixed(fileName, "U");
    }

    private static String ofPrefixed(String fileName, String prefix) {
        if (!fileName.startsWith(prefix) || !fileName.endsWith(".sql")) {
            return null;
        }
        int separator = fileName.indexOf("__");
        if (separator < 2) {
            return null;
        }
        String version = fileName.substring(1, separator).replace('_', '.');
        return isVersion(version) ? version : null;
    }
}
