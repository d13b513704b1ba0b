package dev.lockstep.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unit: client keys in the forms a Secret holds, made into the PKCS #8 DER the driver reads. */
class PrivateKeysTest {
    @TempDir
    Path dir;

    private static byte[] rsaPkcs8() throws NoSuchAlgorithmException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair().getPrivate().getEncoded();
    }

    private Path pem(String type, byte[] der) throws IOException {
        Path file = dir.resolve(type.replace(' ', '-') + ".pem");
        Files.writeString(file, "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n");
        return file;
    }

    /** PKCS #1 is the OCTET STRING at the end of an RSA key's PKCS #8 envelope (its last {@code length} bytes). */
    private static byte[] pkcs1Of(byte[] pkcs8) {
        // SEQUENCE { INTEGER 0, SEQUENCE { OID, NULL } (15 bytes), OCTET STRING (tag, 3 length bytes) }
        int header = 4 + 3 + 15;
        return Arrays.copyOfRange(pkcs8, header + 4, pkcs8.length);
    }

    @Test
    void pkcs8PemPkcs1PemAndDerAllBecomeTheSamePkcs8() throws Exception {
        byte[] pkcs8 = rsaPkcs8();
        Path der = dir.resolve("key.der");
        Files.write(der, pkcs8);
        assertThat(PrivateKeys.pkcs8(pem("PRIVATE KEY", pkcs8), "--ssl-key")).isEqualTo(pkcs8);
        assertThat(PrivateKeys.pkcs8(pem("RSA PRIVATE KEY", pkcs1Of(pkcs8)), "--ssl-key")).isEqualTo(pkcs8);
        assertThat(PrivateKeys.pkcs8(der, "--ssl-key")).isEqualTo(pkcs8);
    }

    @Test
    void theConvertedFileIsTheOwnersAloneAndEndsInPk8ForTheDriver() throws Exception {
        Path out = PrivateKeys.pkcs8File(pem("PRIVATE KEY", rsaPkcs8()), "--ssl-key");
        assertThat(out.getFileName().toString()).endsWith(".pk8");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rw-------");
    }

    @Test
    void encryptedKeysCertificatesAndNonsenseAreRefusedNamingTheOption() throws Exception {
        assertThatThrownBy(() -> PrivateKeys.pkcs8(pem("ENCRYPTED PRIVATE KEY", new byte[] {1, 2, 3}), "--ssl-key"))
                .hasMessageContaining("--ssl-key").hasMessageContaining("holds an encrypted key");
        Path legacy = dir.resolve("legacy.pem");
        Files.writeString(legacy, "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n"
                + "-----END RSA PRIVATE KEY-----\n");
        assertThatThrownBy(() -> PrivateKeys.pkcs8(legacy, "--ssl-key")).hasMessageContaining("holds an encrypted key");
        assertThatThrownBy(() -> PrivateKeys.pkcs8(pem("CERTIFICATE", new byte[] {0x30, 0x00}), "--ssl-key"))
                .hasMessageContaining("holds no private key (it holds a CERTIFICATE: is it the certificate");
        Path garbage = dir.resolve("garbage.der");
        Files.write(garbage, new byte[] {0x30, 0x03, 0x02, 0x01, 0x00});
        assertThatThrownBy(() -> PrivateKeys.pkcs8(garbage, "--ssl-key")).hasMessageContaining("is not an RSA or EC private key");
        assertThatThrownBy(() -> PrivateKeys.pkcs8(dir.resolve("missing.pem"), "--ssl-key")).hasMessageContaining("cannot read");
    }
}
