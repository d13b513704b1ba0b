#!/usr/bin/env bash
# Prometheus and promtool for the observability tests: Debian 12's package (Prometheus 2.42), installed once, with
# the fonts the dashboard's picture is drawn with (a headless JVM draws no text without one).
# The tests run promtool on examples/observability/ (the alert rules and their unit tests) and a real Prometheus
# that scrapes the operator and evaluates the dashboard's queries and the alerts.
#
#   test-infra/prometheus.sh install   apt-get install prometheus (no service is started), when promtool is missing
#   test-infra/prometheus.sh check     promtool check and test the alert rules
#
# `install` needs root or sudo and Debian's package archive.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
say() { echo "[prometheus] $*" >&2; }

installed() {
  command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 \
    && command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list 2>/dev/null | head -n 1)" ]
}

case "${1:-}" in
  install)
    if installed; then exit 0; fi
    command -v apt-get >/dev/null 2>&1 || { say "ERROR: no promtool and no apt-get to install it: install Prometheus 2.x"; exit 1; }
    say "installing Debian's prometheus package (promtool and the server; no service is started)"
    export DEBIAN_FRONTEND=noninteractive
    log=$(mktemp)
    if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends prometheus fontconfig fonts-dejavu-core; } >"$log" 2>&1; then
      tail -n 20 "$log" >&2; say "ERROR: apt-get install prometheus failed"; exit 1
    fi
    # The package enables a service for systemd; here nothing starts it, and the tests run their own server.
    installed || { say "ERROR: after apt-get install, promtool, prometheus or a font is still missing"; exit 1; }
    say "$(prometheus --version 2>&1 | head -n 1)"
    ;;
  check)
    "$0" install
    cd "$here/examples/observability"
    promtool check rules lockstep-alerts.yaml
    promtool test rules lockstep-alerts.test.yaml
    ;;
  *)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
