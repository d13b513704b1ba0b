#!/usr/bin/env bash
# The local demo: a real control plane on loopback, the Lockstep operator and a local kubelet against it, the
# local PostgreSQL (or an embedded one), and examples/accounts (the SchemaMigration and the Deployment whose pods
# wait for it) applied. Leaves everything up to explore.
#
#   test-infra/demo.sh up      start (builds what is missing first) and watch the SchemaMigration reach Ready
#   test-infra/demo.sh down    stop everything the demo started
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export LOCKSTEP_K8S_DIR=${LOCKSTEP_DEMO_DIR:-/tmp/lockstep-demo-$(id -u)}
state=$LOCKSTEP_K8S_DIR.demo
cache=${LOCKSTEP_K8S_CACHE:-$HOME/.cache/lockstep/k8s-1.20}
kubectl="$cache/bin/kubectl"
say() { echo "[demo] $*" >&2; }
# Running, and not a zombie that no init has reaped yet (kill -0 succeeds on one).
alive() { local stat; stat=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$stat" ] && [ "${stat#Z}" = "$stat" ]; }

up() {
  if [ -f "$state/demo.pid" ] && alive "$(cat "$state/demo.pid")"; then
    say "already running; stop it with: test-infra/demo.sh down"; exit 0
  fi
  "$repo/test-infra/control-plane.sh" build
  if [ ! -f "$repo/operator/testkit/target/demo-classpath.txt" ] || \
     [ -n "$(find "$repo/operator" "$repo/pom.xml" -newer "$repo/operator/testkit/target/demo-classpath.txt" \
            \( -name '*.java' -o -name 'pom.xml' \) -not -path '*/target/*' 2>/dev/null | head -n 1)" ]; then
    say "building Lockstep (once) ..."
    (cd "$repo" && ./mvnw -B -q -DskipTests install) >&2
    touch "$repo/operator/testkit/target/demo-classpath.txt"   # the build leaves it alone when unchanged
  fi
  local kubeconfig
  kubeconfig=$("$repo/test-infra/control-plane.sh" up)
  # Pod sandboxes (runner logs, pids, exit codes) stay: a restarted local kubelet finds a runner that still runs.
  mkdir -p "$state"; rm -f "$state/demo.log" "$state/demo.pid"
  nohup java -cp "$repo/operator/testkit/target/classes:$(cat "$repo/operator/testkit/target/demo-classpath.txt")" \
    dev.lockstep.testkit.Demo "$repo" "$kubeconfig" "$state/pods" >"$state/demo.log" 2>&1 &
  echo $! >"$state/demo.pid"
  say "operator and local kubelet started (log: $state/demo.log); applying examples/accounts ..."
  for _ in $(seq 1 300); do
    "$kubectl" --kubeconfig "$kubeconfig" -n demo get sm accounts >/dev/null 2>&1 && break
    alive "$(cat "$state/demo.pid")" || { tail -20 "$state/demo.log" >&2; say "the demo process died"; exit 1; }
    sleep 0.2
  done
  # kubectl get -w, until the SchemaMigration is Ready (or two minutes pass).
  "$kubectl" --kubeconfig "$kubeconfig" -n demo get sm -w &
  local watch=$!
  "$kubectl" --kubeconfig "$kubeconfig" -n demo wait --for=condition=Ready sm/accounts --timeout=120s >/dev/null || true
  sleep 0.5; kill "$watch" 2>/dev/null || true; wait "$watch" 2>/dev/null || true
  local port; port=$(cat "$state/metrics-port" 2>/dev/null || echo "?")
  cat >&2 <<TEXT

The demo is up. Explore it:
  export KUBECONFIG=$kubeconfig
  $kubectl -n demo get sm,jobs,pods
  $kubectl -n demo get pods -l app=accounts-api -L lockstep.dev/requires-revision     (gated on the schema)
  $kubectl -n demo describe sm accounts
  $kubectl -n demo logs job/\$($kubectl -n demo get sm accounts -o jsonpath='{.status.lastRun.job}')   (the runner's output)
  psql -h 127.0.0.1 -U postgres lockstep_demo -c '\\dt'      (when the local PostgreSQL is used)
  curl -s http://127.0.0.1:$port/metrics | grep ^lockstep     (the operator's metrics; /healthz, /readyz too)
Try: $kubectl -n demo patch sm accounts --type merge -p '{"spec":{"targetRevision":"9"}}'   (an InvalidSpec)
Stop it with: test-infra/demo.sh down
TEXT
}

down() {
  if [ -f "$state/demo.pid" ]; then
    kill "$(cat "$state/demo.pid")" 2>/dev/null || true
  fi
  rm -rf "$state"
  "$repo/test-infra/control-plane.sh" down
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
