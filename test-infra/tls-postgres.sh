#!/usr/bin/env bash
# A PostgreSQL of the tests' own that refuses plain connections: a second cluster of the machine's PostgreSQL
# (Debian's pg_createcluster), with ssl=on, a server certificate from a CA made here, and pg_hba.conf lines that are
# all hostssl:
#   - tls_cert_user logs in with a client certificate (auth method cert: the certificate's CN is the user);
#   - every other user logs in with a scram-sha-256 password;
#   - a connection without TLS is refused (no pg_hba.conf entry ... no encryption).
# The server certificate names localhost only (no IP address), so verify-full to 127.0.0.1 fails on the host name.
#
#   test-infra/tls-postgres.sh up     # creates and starts it (once); prints the path of its info file
#   test-infra/tls-postgres.sh down   # stops and drops it, and removes its files
#
# The info file holds key=value lines: port, the admin's user and password, and the certificate files:
#   ca.crt (the CA), other-ca.crt (a CA that signed nothing here), client.crt with client.key (PKCS#8 PEM),
#   client-rsa.key (the same key as PKCS#1 PEM, as cert-manager writes it), client-ec.crt with client-ec.key
#   (an EC key in SEC1 PEM).
# Needs root (pg_createcluster and the postgres user) and openssl. LOCKSTEP_TLS_PG_PORT and LOCKSTEP_TLS_PG_DIR
# change the port (55432) and the directory (/tmp/lockstep-tls-postgres).
set -euo pipefail

port=${LOCKSTEP_TLS_PG_PORT:-55432}
dir=${LOCKSTEP_TLS_PG_DIR:-/tmp/lockstep-tls-postgres}
name=lockstep_tls
log() { echo "[tls-postgres] $*" >&2; }

version() {
  local v
  v=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
  [[ -n "$v" ]] || { log "no PostgreSQL server under /usr/lib/postgresql: apt-get install postgresql"; exit 1; }
  echo "$v"
}

running() {
  pg_lsclusters -h 2>/dev/null | awk -v n="$name" '$2 == n && $4 == "online" { found = 1 } END { exit !found }'
}

certificates() {
  local c="$dir/certs"
  mkdir -p "$c"
  cd "$c"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Lockstep test CA" \
    -keyout ca.key -out ca.crt -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Another CA" \
    -keyout other-ca.key -out other-ca.crt -addext basicConstraints=critical,CA:TRUE 2>/dev/null
  sign() { # name subject extensions
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
    printf '%s\n' "$3" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -out "$1.crt" -extfile "$1.ext" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
  }
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out server.key 2>/dev/null
  sign server "/CN=localhost" "subjectAltName=DNS:localhost
extendedKeyUsage=serverAuth"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out client.key 2>/dev/null
  sign client "/CN=tls_cert_user" "extendedKeyUsage=clientAuth"
  openssl rsa -in client.key -traditional -out client-rsa.key 2>/dev/null
  openssl ecparam -name prime256v1 -genkey -noout -out client-ec.key 2>/dev/null
  sign client-ec "/CN=tls_cert_user" "extendedKeyUsage=clientAuth"
  chmod 0644 ./*.crt
  chmod 0600 ./*.key
  cd - >/dev/null
}

up() {
  if running && [[ -f "$dir/info" ]]; then
    echo "$dir/info"
    return
  fi
  [[ $(id -u) -eq 0 ]] || { log "needs root: pg_createcluster and the postgres user"; exit 1; }
  command -v openssl >/dev/null || { log "needs openssl: apt-get install openssl"; exit 1; }
  local v conf data password
  v=$(version)
  pg_dropcluster --stop "$v" "$name" >/dev/null 2>&1 || true
  rm -rf "$dir"
  mkdir -p "$dir"
  certificates
  log "creating cluster $v/$name on port $port"
  pg_createcluster "$v" "$name" -p "$port" -- --auth-local=trust --auth-host=reject >/dev/null
  conf=/etc/postgresql/$v/$name
  data=$(pg_conftool -s "$v" "$name" show data_directory)
  install -o postgres -g postgres -m 0600 "$dir/certs/server.key" "$data/server.key"
  install -o postgres -g postgres -m 0644 "$dir/certs/server.crt" "$data/server.crt"
  install -o postgres -g postgres -m 0644 "$dir/certs/ca.crt" "$data/client-ca.crt"
  pg_conftool "$v" "$name" set ssl on
  pg_conftool "$v" "$name" set ssl_cert_file "$data/server.crt"
  pg_conftool "$v" "$name" set ssl_key_file "$data/server.key"
  pg_conftool "$v" "$name" set ssl_ca_file "$data/client-ca.crt"
  pg_conftool "$v" "$name" set listen_addresses localhost
  pg_conftool "$v" "$name" set password_encryption scram-sha-256
  cat > "$conf/pg_hba.conf" <<'EOF'
# Unix socket: the script's own setup. Over TCP, TLS only: no "host" line, so a plain connection is refused.
local   all  all                          trust
hostssl all  tls_cert_user  127.0.0.1/32  cert
hostssl all  tls_cert_user  ::1/128       cert
hostssl all  all            127.0.0.1/32  scram-sha-256
hostssl all  all            ::1/128       scram-sha-256
EOF
  pg_ctlcluster --skip-systemctl-redirect "$v" "$name" start
  password=$(openssl rand -hex 16)
  runuser -u postgres -- psql -q -p "$port" -v ON_ERROR_STOP=1 -d postgres \
    -c "CREATE ROLE lockstep_admin SUPERUSER LOGIN PASSWORD '$password'" \
    -c "CREATE ROLE tls_cert_user LOGIN CREATEDB"
  cat > "$dir/info" <<EOF
port=$port
adminUser=lockstep_admin
adminPassword=$password
certUser=tls_cert_user
ca=$dir/certs/ca.crt
otherCa=$dir/certs/other-ca.crt
clientCert=$dir/certs/client.crt
clientKey=$dir/certs/client.key
clientKeyRsa=$dir/certs/client-rsa.key
clientCertEc=$dir/certs/client-ec.crt
clientKeyEc=$dir/certs/client-ec.key
EOF
  log "up: TLS only on localhost:$port"
  echo "$dir/info"
}

down() {
  local v
  v=$(version)
  pg_dropcluster --stop "$v" "$name" >/dev/null 2>&1 || true
  rm -rf "$dir"
  log "down"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
