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

FROM eclipse-temurin:17-jre
LABEL org.opencontainers.image.title="lockstep" \
      org.opencontainers.image.description="The Lockstep operator and its migration runner: a database's schema revision as a Kubernetes resource" \
      org.opencontainers.image.version="0.1.0"
COPY --from=build /src/operator/cli/target/lockstep.jar /opt/lockstep/lockstep.jar
# The reference migrations, so `lockstep migrate --location /opt/lockstep/migrations` works out of the box.
COPY --from=build /src/migrations/ /opt/lockstep/migrations/
# Every migration is a new JVM in a new pod, so start-up is the runner's fixed cost. A class-data archive of the
# classes a run loads (Java 17's AppCDS, dumped at the end of a training run) makes a no-op `migrate` start from
# mapped classes: 0.61 s instead of 0.75 s wall on a 2-core machine (median of 5, the same jar side by side). The
# training run needs no database: it fails to connect, after loading the CLI, Flyway, the driver and the planner.
# The base archive comes first, as a dynamic archive needs it and a JRE image may not ship one.
RUN java -Xshare:dump > /dev/null \
 && (java -XX:ArchiveClassesAtExit=/opt/lockstep/lockstep.jsa -jar /opt/lockstep/lockstep.jar migrate \
       --url jdbc:postgresql://127.0.0.1:1/training --username training --location /opt/lockstep/migrations > /dev/null 2>&1 || true) \
 && test -s /opt/lockstep/lockstep.jsa
# Non-root with a numeric id, as Pod Security "restricted" (runAsNonRoot) needs to verify it.
USER 65532:65532
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -Djava.io.tmpdir=/tmp"
# The operator's /metrics, /healthz and /readyz (--metrics-port); runner pods listen on nothing.
EXPOSE 8080
# -Xshare:auto: a JVM that cannot map the archive (another JVM build, a changed jar) starts without it, and says so.
ENTRYPOINT ["java", "-XX:SharedArchiveFile=/opt/lockstep/lockstep.jsa", "-Xshare:auto", "-jar", "/opt/lockstep/lockstep.jar"]
CMD ["operator"]
