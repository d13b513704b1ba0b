#!/usr/bin/env bash
# A real Kubernetes control plane on loopback for Lockstep's API-server tests and local demo:
# etcd + kube-apiserver + kube-controller-manager (Kubernetes 1.20), built from Debian 12's source package.
# There is no kubelet and no scheduler: tests run their own in-process kubelet (dev.lockstep.testkit.LocalKubelet).
#
#   test-infra/control-plane.sh build    install build deps (apt), build the binaries once into the cache
#   test-infra/control-plane.sh up       start on random loopback ports; prints the admin kubeconfig path
#   test-infra/control-plane.sh down     stop and remove the state directory
#   test-infra/control-plane.sh status   what runs, where, and its memory
#   test-infra/control-plane.sh versions the versions of go, etcd and the built binaries
#
# Environment:
#   LOCKSTEP_K8S_CACHE  binaries (default ~/.cache/lockstep/k8s-1.20); ~240 MB
#   LOCKSTEP_K8S_DIR    state: pki, etcd data, logs, kubeconfig (default /tmp/lockstep-k8s-$UID)
# `build` prints a line per phase with the time since it started; apt-get's and the Go build's output go to
# $LOCKSTEP_K8S_CACHE/build.log, whose last lines are printed when a phase fails.
# `build` needs root or sudo (apt-get) and Debian's package archive; nothing else from the network.
set -euo pipefail

CACHE=${LOCKSTEP_K8S_CACHE:-$HOME/.cache/lockstep/k8s-1.20}
DIR=${LOCKSTEP_K8S_DIR:-/tmp/lockstep-k8s-$(id -u)}
BIN=$CACHE/bin
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
DEB_SRC=/etc/apt/sources.list.d/lockstep-k8s-src.sources

say() { echo "[control-plane] $*" >&2; }
fail() { say "ERROR: $*"; exit 1; }

built() { [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kube-controller-manager" ] && [ -x "$BIN/kubectl" ]; }

drop_deb_src() {
  if [ -f "$DEB_SRC" ]; then $SUDO rm -f "$DEB_SRC"; $SUDO apt-get update -qq >>"$LOG" 2>&1 || true; fi
}

LOG=$CACHE/build.log
PHASE=""
BUILD_STARTED=$SECONDS
elapsed() { local s=$((SECONDS - BUILD_STARTED)); printf '%d:%02d' $((s / 60)) $((s % 60)); }
phase() { PHASE=$1; say "[$(elapsed)] $1"; echo "=== [$(elapsed)] $1" >>"$LOG"; }

# On any exit of a build that did not finish: say which phase failed, show the log's tail, and leave no sources
# (about 2 GB) or half-written binaries behind, so the next build starts clean.
build_exited() {
  local code=$1
  drop_deb_src
  [ "$code" -eq 0 ] && return 0
  say "ERROR: the build failed while ${PHASE:-starting} (exit $code, after $(elapsed)); the last lines of $LOG:"
  tail -n 25 "$LOG" >&2 || true
  rm -rf "$CACHE/src" "$BIN/VERSIONS.tmp"
  rm -f "$BIN/kube-apiserver" "$BIN/kube-controller-manager" "$BIN/kubectl"
  say "the whole log: $LOG; run the build again once the cause is fixed"
}

build() {
  if built; then say "binaries present in $BIN"; return 0; fi
  command -v apt-get >/dev/null || fail "building needs apt-get (Debian 12); or set LOCKSTEP_K8S_CACHE to a directory with bin/ already built"
  mkdir -p "$CACHE"; : >"$LOG"
  trap 'build_exited $?' EXIT
  say "building the Kubernetes 1.20 control plane once into $CACHE (about 5 minutes on 2 cores); log: $LOG"
  export DEBIAN_FRONTEND=noninteractive
  phase "installing the build tools (apt-get: go, etcd, build-essential)"
  $SUDO apt-get update -qq >>"$LOG" 2>&1
  $SUDO apt-get install -y -qq golang-go etcd-server rsync build-essential dpkg-dev openssl curl >>"$LOG" 2>&1
  # The kubernetes source package needs a deb-src entry; add one (a copy of the deb entry) only for the fetch.
  if ! apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Package: kubernetes'; then
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | $SUDO tee "$DEB_SRC" >/dev/null
    else
      sed -nE 's/^deb\s+(\[[^]]*\]\s+)?(\S+)\s+(\S+)\s+(.*)$/Types: deb-src\nURIs: \2\nSuites: \3\nComponents: \4\n/p' \
        /etc/apt/sources.list | $SUDO tee "$DEB_SRC" >/dev/null
    fi
    $SUDO apt-get update -qq >>"$LOG" 2>&1
  fi
  local work=$CACHE/src
  rm -rf "$work"; mkdir -p "$work" "$BIN"
  phase "fetching Debian's kubernetes source package"
  (
    cd "$work"
    apt-get source -qq kubernetes >>"$LOG" 2>&1
    apt-get download -qq kubernetes-client golang-github-modern-go-reflect2-dev >>"$LOG" 2>&1
  )
  drop_deb_src
  local src
  # -quit rather than `| head`: under pipefail, head closing the pipe first can kill the writer with SIGPIPE.
  src=$(find "$work" -maxdepth 1 -type d -name 'kubernetes-1.20.*' -print -quit)
  [ -n "$src" ] || fail "the kubernetes source package is not 1.20.x; this harness is pinned to it"
  # kubectl of the same version, from the binary package (extracted, so no other kubectl package is disturbed).
  dpkg-deb -x "$work"/kubernetes-client_*.deb "$work/client"
  cp "$work/client/usr/bin/kubectl" "$BIN/kubectl"
  # Kubernetes 1.20 vendors reflect2 1.0.1, which crashes under Go >= 1.18 on the first custom-resource write.
  dpkg-deb -x "$work"/golang-github-modern-go-reflect2-dev_*.deb "$work/reflect2"
  rm -f "$src"/vendor/github.com/modern-go/reflect2/*.go "$src"/vendor/github.com/modern-go/reflect2/*.s
  cp "$work"/reflect2/usr/share/gocode/src/github.com/modern-go/reflect2/*.{go,s} "$src/vendor/github.com/modern-go/reflect2/"
  mkdir -p "$src/.go/src/k8s.io" "$work/home"
  ln -sfn ../../.. "$src/.go/src/k8s.io/kubernetes"
  phase "compiling kube-apiserver and kube-controller-manager (the long part: 4-5 minutes)"
  (cd "$src" && env GOPATH="$src/.go" CGO_ENABLED=0 HOME="$work/home" PATH="/usr/lib/go/bin:$PATH" \
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >>"$LOG" 2>&1) &
  local make_pid=$! last=$SECONDS
  while kill -0 "$make_pid" 2>/dev/null; do
    sleep 1
    if [ $((SECONDS - last)) -ge 30 ]; then say "[$(elapsed)] still compiling"; last=$SECONDS; fi
  done
  wait "$make_pid"
  phase "installing the binaries into $BIN"
  cp "$src/_output/bin/kube-apiserver" "$src/_output/bin/kube-controller-manager" "$BIN/"
  { echo "source: $(basename "$src")"; versions; } >"$BIN/VERSIONS.tmp"
  mv "$BIN/VERSIONS.tmp" "$BIN/VERSIONS"
  rm -rf "$work"
  trap - EXIT
  say "[$(elapsed)] built"; cat "$BIN/VERSIONS" >&2
}

# Reads each version in full (sed, not head): a writer whose reader exits first dies of SIGPIPE under pipefail.
versions() {
  go version
  etcd --version | sed -n 1p
  "$BIN/kube-apiserver" --version
}

random_ports() {  # N free loopback ports, below the kernel's ephemeral range
  # A port in the ephemeral range can be handed to an outgoing connection (etcd's own, a test's) between the
  # check below and the bind; ports under it are only ever taken by listeners, which the check sees.
  local wanted=$1 picked="" port low=32768
  [ -r /proc/sys/net/ipv4/ip_local_port_range ] && read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  [ "$low" -gt 12000 ] || low=32768
  while [ "$(wc -w <<<"$picked")" -lt "$wanted" ]; do
    port=$((10000 + RANDOM % (low - 10000)))
    case " $picked " in *" $port "*) continue ;; esac
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
    picked="$picked $port"
  done
  echo $picked
}

await_healthy() {  # what url seconds [curl options]; $what.pid names the process, when launch made it
  local what=$1 url=$2 tries=$(($3 * 10)) pidfile; shift 3
  pidfile="$DIR/${what#kube-}.pid"
  for _ in $(seq 1 "$tries"); do
    curl -fsk --max-time 1 "$@" "$url" >/dev/null 2>&1 && return 0
    if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      fail "$what exited before it was healthy: $(tail -n 3 "$DIR/logs/${what#kube-}.log" 2>/dev/null | tr '\n' ' ')"
    fi
    sleep 0.1
  done
  fail "$what is not healthy at $url after $(($tries / 10)) s; logs: $DIR/logs/"
}

launch() {  # name command...
  local name=$1; shift
  nohup "$@" >"$DIR/logs/$name.log" 2>&1 &
  echo $! >"$DIR/$name.pid"
}

write_kubeconfig() {  # file port token user
  cat >"$1" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: lockstep-test
  cluster: {server: "https://127.0.0.1:$2", certificate-authority: "$DIR/pki/ca.crt"}
users:
- name: $4
  user: {token: "$3"}
contexts:
- name: lockstep-test
  context: {cluster: lockstep-test, user: $4, namespace: default}
current-context: lockstep-test
KUBECONFIG
  chmod 600 "$1"
}

up() {
  built || fail "no control plane binaries in $BIN: run $0 build"
  command -v etcd >/dev/null || fail "etcd is not installed: apt-get install etcd-server (or run $0 build)"
  if [ -f "$DIR/apiserver.pid" ] && kill -0 "$(cat "$DIR/apiserver.pid")" 2>/dev/null; then
    say "already up"; echo "$DIR/admin.kubeconfig"; return 0
  fi
  rm -rf "$DIR"
  local started=$SECONDS pki=$DIR/pki
  mkdir -p "$DIR/logs" "$pki" "$DIR/etcd" "$DIR/certs" "$DIR/flexvolume"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 365 -subj /CN=lockstep-test-ca 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr" -subj /CN=kube-apiserver 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >"$pki/san.cnf"
  openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -out "$pki/apiserver.crt" -days 365 -extfile "$pki/san.cnf" 2>/dev/null
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  local admin_token kcm_token
  admin_token=$(openssl rand -hex 24); kcm_token=$(openssl rand -hex 24)
  # The controller manager uses its own identity for every controller, so it needs full rights.
  printf '%s,admin,admin,"system:masters"\n%s,system:kube-controller-manager,kcm,"system:masters"\n' \
    "$admin_token" "$kcm_token" >"$pki/tokens.csv"
  chmod 600 "$pki"/*.key "$pki/tokens.csv"

  local etcd_port peer_port api_port kcm_port
  read -r etcd_port peer_port api_port kcm_port < <(random_ports 4)
  launch etcd etcd --name lockstep --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "lockstep=http://127.0.0.1:$peer_port"
  await_healthy etcd "http://127.0.0.1:$etcd_port/health" 30

  # --endpoint-reconciler-type=none: a loopback advertise address is refused for the `kubernetes` Endpoints.
  launch apiserver "$BIN/kube-apiserver" --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" --insecure-port=0 \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" --cert-dir="$DIR/certs" \
    --client-ca-file="$pki/ca.crt" --token-auth-file="$pki/tokens.csv" --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$pki/sa.pub" \
    --service-account-signing-key-file="$pki/sa.key" --service-cluster-ip-range=10.0.0.0/24 \
    --endpoint-reconciler-type=none
  await_healthy kube-apiserver "https://127.0.0.1:$api_port/readyz" 120 --cacert "$pki/ca.crt"
  write_kubeconfig "$DIR/admin.kubeconfig" "$api_port" "$admin_token" admin
  write_kubeconfig "$DIR/kcm.kubeconfig" "$api_port" "$kcm_token" kcm

  # No node controllers: there are no real nodes, and they would taint or evict test pods.
  launch controller-manager "$BIN/kube-controller-manager" --kubeconfig="$DIR/kcm.kubeconfig" \
    --authentication-kubeconfig="$DIR/kcm.kubeconfig" --authorization-kubeconfig="$DIR/kcm.kubeconfig" \
    --authentication-skip-lookup=true --bind-address=127.0.0.1 --secure-port="$kcm_port" --port=0 \
    --cert-dir="$DIR/certs" --leader-elect=false --controllers='*,-nodeipam,-nodelifecycle' \
    --flex-volume-plugin-dir="$DIR/flexvolume" --service-account-private-key-file="$pki/sa.key" \
    --root-ca-file="$pki/ca.crt" --use-service-account-credentials=false
  await_healthy kube-controller-manager "https://127.0.0.1:$kcm_port/healthz" 60

  # The API server refuses pods until the namespace's default ServiceAccount has its token Secret.
  for _ in $(seq 1 600); do
    curl -fs --cacert "$pki/ca.crt" -H "Authorization: Bearer $admin_token" \
      "https://127.0.0.1:$api_port/api/v1/namespaces/default/serviceaccounts/default" 2>/dev/null | grep -q '"secrets"' && break
    sleep 0.1
  done
  say "up in $((SECONDS - started)) s: https://127.0.0.1:$api_port (etcd :$etcd_port); logs in $DIR/logs"
  say "kubectl: $BIN/kubectl --kubeconfig $DIR/admin.kubeconfig get ns"
  echo "$DIR/admin.kubeconfig"
}

down() {
  local name pid
  for name in controller-manager apiserver etcd; do
    [ -f "$DIR/$name.pid" ] || continue
    pid=$(cat "$DIR/$name.pid")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$DIR"
  say "stopped"
}

status() {
  local name pid
  for name in etcd apiserver controller-manager; do
    if [ -f "$DIR/$name.pid" ] && pid=$(cat "$DIR/$name.pid") && kill -0 "$pid" 2>/dev/null; then
      echo "$name: pid $pid, RSS $(($(awk '/VmRSS/ {print $2}' "/proc/$pid/status") / 1024)) MiB"
    else
      echo "$name: not running"
    fi
  done
  [ -f "$DIR/admin.kubeconfig" ] && echo "kubeconfig: $DIR/admin.kubeconfig"
  return 0
}

case "${1:-}" in
  build) build ;;
  up) up ;;
  down) down ;;
  status) status ;;
  versions) versions ;;
  *) echo "usage: $0 build|up|down|status|versions" >&2; exit 2 ;;
esac
