# One image runs both the operator (`lockstep operator`, the default) and the runner (`lockstep migrate`, which the
# operator's Jobs invoke with their own args).
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
COPY --from=build /src/operator/cli/target/lockstep.jar /opt/lockstep/lockstep.jar
# The reference migrations, so `lockstep migrate --location /opt/lockstep/migrations` works out of the box.
COPY --from=build /src/migrations/ /opt/lockstep/migrations/
# Non-root with a numeric id, as Pod Security "restricted" (runAsNonRoot) needs to verify it.
USER 65532:65532
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -Djava.io.tmpdir=/tmp"
# The operator's /metrics, /healthz and /readyz (--metrics-port); runner pods listen on nothing.
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/opt/lockstep/lockstep.jar"]
CMD ["operator"]
