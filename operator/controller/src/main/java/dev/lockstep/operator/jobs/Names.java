package dev.lockstep.operator.jobs;

import dev.lockstep.common.Sha256;

/**
 * Names and label values made from a resource's name, which may be up to 253 characters: a label value holds 63, a
 * Job's name 63 (it becomes its pods' {@code job-name} label), any object's name 253. When the whole does not fit, the
 * name is cut and a hash of the whole name follows it, so the result is deterministic (a restarted operator makes the
 * same one) and still unique (two long names that share their start differ in the hash).
 */
public final class Names {
    /** The longest label value, and so the longest Job name. */
    public static final int LABEL_VALUE = 63;
    /** The longest object name (a DNS subdomain), e.g. an Event's. */
    public static final int OBJECT_NAME = 253;
    private static final int HASH = 10;

    private Names() {}

    /** {@code name + suffix} when it fits in {@code max} characters, else {@code <name cut>-<hash of name><suffix>}. */
    public static String fit(String name, String suffix, int max) {
        if (name.length() + suffix.length() <= max) {
            return name + suffix;
        }
        int keep = max - suffix.length() - HASH - 1;
        if (keep < 1) {
            throw new IllegalArgumentException("a suffix of " + suffix.length() + " characters leaves no room in " + max);
        }
        String cut = name.substring(0, keep);
        while (!cut.isEmpty() && !Character.isLetterOrDigit(cut.charAt(cut.length() - 1))) {
            cut = cut.substring(0, cut.length() - 1); // a label value and a DNS label end in a letter or digit
        }
        return cut + "-" + Sha256.hex(name).substring(0, HASH) + suffix;
    }

    /** The resource's name as a label value. */
    public static String labelValue(String name) {
        return fit(name, "", LABEL_VALUE);
    }

    /** Whether {@code name} is a valid object name (a DNS subdomain: lower-case letters, digits, '-' and '.'). */
    public static boolean isDnsSubdomain(String name) {
        return name.length() <= OBJECT_NAME && name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    }
}
