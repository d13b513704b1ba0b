# One image runs both the operator (`lockstep operator`, the default) and the runner (`lockstep migrate`, which the
# operator's Jobs invoke with their own args and this entrypoint).
#   docker build -t lockstep:0.1.0 .
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
COPY operator/ operator/
COPY crds/ crds/
COPY migrations/ migrations/
RUN ./mvnw -B -q -DskipTests package -pl operator/cli -am

# The runtime is Java 25 (the code is compiled for 17 and tested there): every migration is a new JVM in a new pod,
# so start-up is the runner's fixed cost, and Java 25's AOT cache (JEP 483/514, written at the end of a training run)
# starts a no-op `migrate` from classes already loaded and linked. `bench/run startup` measures it side by side
# (docs/performance.md): on a 2-core machine, median of 5, a whole no-op run takes 0.89 s with Java 25 and this cache,
# 1.18 s with Java 25 and no cache, 0.85 s with Java 17 and an AppCDS archive. The training run needs no database: it
# fails to connect, after loading the CLI, Flyway, the driver and the planner. (Trained on a real no-op run the cache
# gives 0.73 s; that needs a PostgreSQL during the build.)
FROM eclipse-temurin:25-jre
LABEL org.opencontainers.image.title="lockstep" \
      org.opencontainers.image.description="The Lockstep operator and its migration runner: a database's schema revision as a Kubernetes resource" \
      org.opencontainers.image.version="0.1.0"
COPY --from=build /src/operator/cli/target/lockstep.jar /opt/lockstep/lockstep.jar
# The reference migrations, so `lockstep migrate --location /opt/lockstep/migrations` works out of the box.
COPY --from=build /src/migrations/ /opt/lockstep/migrations/
# Runner pods are given the same JAVA_TOOL_OPTIONS by the operator; the training runs with them, so the cache fits.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -Djava.io.tmpdir=/tmp"
RUN (java -XX:AOTCacheOutput=/opt/lockstep/lockstep.aot -jar /opt/lockstep/lockstep.jar migrate \
       --url jdbc:postgresql://127.0.0.1:1/training --username training --location /opt/lockstep/migrations > /dev/null 2>&1 || true) \
 && test -s /opt/lockstep/lockstep.aot
# Non-root with a numeric id, as Pod Security "restricted" (runAsNonRoot) needs to verify it.
USER 65532:65532
# The operator's /metrics, /healthz and /readyz (--metrics-port); runner pods listen on nothing.
EXPOSE 8080
# A JVM that cannot use the cache (another JVM build, a changed jar, other GC flags) starts without it.
ENTRYPOINT ["java", "-XX:AOTCache=/opt/lockstep/lockstep.aot", "-jar", "/opt/lockstep/lockstep.jar"]
CMD ["operator"]
