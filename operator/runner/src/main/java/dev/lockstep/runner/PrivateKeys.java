package dev.lockstep.runner;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client key as the PostgreSQL driver reads it: PKCS #8, DER. Keys usually come as PEM instead (a
 * {@code kubernetes.io/tls} Secret's {@code tls.key}, cert-manager's PKCS #1 by default, openssl's SEC1 for EC keys), so
 * they are converted: PKCS #8 PEM is decoded, PKCS #1 (RSA) and SEC1 (EC) are wrapped in a PKCS #8 envelope. An
 * encrypted key is refused: the driver would need its passphrase in a URL or a callback class.
 */
public final class PrivateKeys {
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
    private static final byte[] RSA_ENCRYPTION = oid(1, 2, 840, 113549, 1, 1, 1);
    private static final byte[] EC_PUBLIC_KEY = oid(1, 2, 840, 10045, 2, 1);
    private static final byte[] NULL = {0x05, 0x00};

    private PrivateKeys() {}

    /**
     * The key in {@code file} as PKCS #8 DER, checked to be a key the JDK reads (RSA or EC).
     *
     * @throws MigrationSettings.InvalidSettingsException naming {@code option}, when it is not such a key
     */
    public static byte[] pkcs8(Path file, String option) {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new MigrationSettings.InvalidSettingsException(option + ": cannot read " + file + ": " + e.getMessage());
        }
        String text = new String(content, StandardCharsets.US_ASCII);
        byte[] der;
        if (!text.contains("-----BEGIN ")) {
            der = content; // DER already, as the driver takes it
        } else {
            Matcher pem = PEM.matcher(text);
            String found = null;
            der = null;
            while (pem.find() && der == null) {
                found = pem.group(1);
                String body = pem.group(2);
                if (body.contains("Proc-Type: 4,ENCRYPTED") || found.equals("ENCRYPTED PRIVATE KEY")) {
                    throw new MigrationSettings.InvalidSettingsException(option + ": " + file + " holds an encrypted key;"
                            + " store it unencrypted in the Secret (decrypt it with openssl pkey -in <key> -out <plain key>)");
                }
                byte[] decoded = decode(body, option, file);
                der = switch (found) {
                    case "PRIVATE KEY" -> decoded;
                    case "RSA PRIVATE KEY" -> sequence(integer(0), sequence(RSA_ENCRYPTION, NULL), octets(decoded));
                    case "EC PRIVATE KEY" -> sequence(integer(0), sequence(EC_PUBLIC_KEY, curveOf(decoded, option, file)),
                            octets(decoded));
                    default -> null; // EC PARAMETERS before the key, as openssl ecparam writes it
                };
            }
            if (der == null) {
                throw new MigrationSettings.InvalidSettingsException(option + ": " + file + " holds no private key"
                        + (found == null ? "" : " (it holds a " + found + (found.equals("CERTIFICATE")
                        ? ": is it the certificate, given where the key belongs?)" : ")")));
            }
        }
        check(der, option, file);
        return der;
    }

    /**
     * {@link #pkcs8} written to a file of its own under {@code java.io.tmpdir} (a runner pod's emptyDir), readable by
     * this user only, for the driver's {@code sslkey}; it is removed when the JVM exits.
     */
    public static Path pkcs8File(Path file, String option) {
        byte[] der = pkcs8(file, option);
        try {
            Path out = Files.createTempFile("lockstep-client-key-", ".pk8",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(out, der);
            out.toFile().deleteOnExit();
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the converted client key to " + System.getProperty("java.io.tmpdir")
                    + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(der, (byte) 0);
        }
    }

    private static byte[] decode(String body, String option, Path file) {
        try {
            return Base64.getMimeDecoder().decode(body.replaceAll("(?m)^[A-Za-z-]+: .*$", "").strip());
        } catch (IllegalArgumentException e) {
            throw new MigrationSettings.InvalidSettingsException(option + ": " + file + " is not valid PEM: " + e.getMessage());
        }
    }

    private static void check(byte[] der, String option, Path file) {
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                return;
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                // the next algorithm
            }
        }
        throw new MigrationSettings.InvalidSettingsException(option + ": " + file + " is not an RSA or EC private key the"
                + " driver can use (PEM: PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY; or PKCS #8 DER)");
    }

    /** The named curve's OID in a SEC1 ECPrivateKey: SEQUENCE { version, privateKey, [0] parameters, [1] publicKey }. */
    private static byte[] curveOf(byte[] sec1, String option, Path file) {
        try {
            int[] at = {0};
            expect(sec1, at, 0x30);
            length(sec1, at);
            skip(sec1, at); // version
            skip(sec1, at); // privateKey
            while (at[0] < sec1.length) {
                int tag = sec1[at[0]] & 0xff;
                if (tag == 0xa0) {
                    at[0]++;
                    length(sec1, at);
                    int start = at[0];
                    expect(sec1, at, 0x06);
                    int len = length(sec1, at);
                    return Arrays.copyOfRange(sec1, start, at[0] + len);
                }
                skip(sec1, at);
            }
        } catch (ArrayIndexOutOfBoundsException | IllegalArgumentException e) {
            // reported below
        }
        throw new MigrationSettings.InvalidSettingsException(option + ": " + file + " is an EC key without its named curve;"
                + " write it with the curve (openssl pkey -in <key> -out <key as PKCS #8>)");
    }

    private static void expect(byte[] der, int[] at, int tag) {
        if ((der[at[0]++] & 0xff) != tag) {
            throw new IllegalArgumentException("tag");
        }
    }

    private static void skip(byte[] der, int[] at) {
        at[0]++;
        int len = length(der, at);
        at[0] += len;
    }

    private static int length(byte[] der, int[] at) {
        int first = der[at[0]++] & 0xff;
        if (first < 0x80) {
            return first;
        }
        int len = 0;
        for (int i = 0; i < (first & 0x7f); i++) {
            len = (len << 8) | (der[at[0]++] & 0xff);
        }
        return len;
    }

    private static byte[] integer(int value) {
        return new byte[] {0x02, 0x01, (byte) value};
    }

    private static byte[] octets(byte[] content) {
        return tagged(0x04, content);
    }

    private static byte[] sequence(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            all.writeBytes(p);
        }
        return tagged(0x30, all.toByteArray());
    }

    private static byte[] tagged(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int len = content.length;
        if (len < 0x80) {
            out.write(len);
        } else {
            byte[] bytes = java.math.BigInteger.valueOf(len).toByteArray();
            int skip = bytes[0] == 0 ? 1 : 0;
            out.write(0x80 | (bytes.length - skip));
            out.write(bytes, skip, bytes.length - skip);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] oid(int... arcs) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(arcs[0] * 40 + arcs[1]);
        for (int i = 2; i < arcs.length; i++) {
            int arc = arcs[i];
            int shift = 28;
            while (shift > 0 && (arc >>> shift) == 0) {
                shift -= 7;
            }
            for (; shift > 0; shift -= 7) {
                body.write(0x80 | ((arc >>> shift) & 0x7f));
            }
            body.write(arc & 0x7f);
        }
        return tagged(0x06, body.toByteArray());
    }
}
