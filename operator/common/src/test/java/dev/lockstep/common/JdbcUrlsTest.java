package dev.lockstep.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Unit: the ssl* parameters of a JDBC URL, as the operator and the runner both read them. */
class JdbcUrlsTest {
    @Test
    void sslParametersAndTlsFilesAreFoundWhereverTheyStandInTheQuery() {
        assertThat(JdbcUrls.sslParameter("jdbc:postgresql://db:5432/orders")).isEmpty();
        assertThat(JdbcUrls.sslParameter("jdbc:postgresql://db:5432/orders?connectTimeout=5&sslmode=require")).contains("sslmode");
        assertThat(JdbcUrls.sslParameter("jdbc:postgresql://db:5432/orders?SSLMODE=require")).contains("SSLMODE");
        assertThat(JdbcUrls.sslParameter("jdbc:postgresql://db:5432/orders?ssl")).contains("ssl");
        assertThat(JdbcUrls.sslParameter("jdbc:postgresql://ssl-db:5432/sslorders")).as("host and database names").isEmpty();
        assertThat(JdbcUrls.sslFileParameter("jdbc:postgresql://db:5432/orders?sslmode=verify-full")).isEmpty();
        assertThat(JdbcUrls.sslFileParameter("jdbc:postgresql://db:5432/orders?sslmode=verify-full&sslrootcert=/ca.crt"))
                .contains("sslrootcert");
        assertThat(JdbcUrls.sslFileParameter("jdbc:postgresql://db:5432/orders?sslkey=/k.pk8")).contains("sslkey");
        assertThat(JdbcUrls.sslFileParameter(null)).isEmpty();
    }
}
