#!/usr/bin/env bash
# Installs what the integration tests need besides the Rust toolchain:
#   - protoc and the protobuf well-known types (Debian packages protobuf-compiler and
#     libprotobuf-dev): the etcd client crate (etcd-client) compiles etcd's protobuf API
#     with them when the workspace is built
#   - ZooKeeper (Debian package) and netcat-openbsd, for scripts/zookeeper.sh
#   - a JDK (Debian package default-jdk-headless, when javac is missing): ZooKeeper's JRE
#     and javac; and Caucho Hessian (Debian package libhessian-java): both for the Java type
#     vectors of oxidubbo-hessian2 (scripts/java-hessian-vectors.sh, hessian2/tests/java_types.rs)
#   - etcd and etcdctl (Debian packages etcd-server and etcd-client, etcd 3.4), for
#     scripts/etcd.sh and the etcd registry tests
#     and Node.js (Debian packages) when the machine has none
#   - curl (Debian package), the HTTP client of the Triple HTTP-unary (JSON) tests
#   - Prometheus (Debian package `prometheus`), which the metrics test starts on loopback
#     to scrape an oxidubbo provider and consumer (integration-tests/tests/metrics_prometheus.rs)
#   - the Node.js packages of the sofa-rpc-node peers (integration-tests/peers/sofa)
#   - the Triple (gRPC) peers (integration-tests/peers/grpc): grpcio in a Python venv
#     (.venv there, from requirements.txt) and @grpc/grpc-js (npm, package.json); the
#     same venv has opentelemetry-proto for the OTLP receiver (otlp_receiver.py)
# Idempotent: does nothing when everything is already there. Fails loudly.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SOFA_DIR="$ROOT/integration-tests/peers/sofa"
GRPC_DIR="$ROOT/integration-tests/peers/grpc"
ZK_JAR=/usr/share/java/zookeeper.jar
HESSIAN_JAR=/usr/share/java/hessian.jar

log() { echo "[install-peers] $*" >&2; }
die() { echo "[install-peers] ERROR: $*" >&2; exit 1; }

# Run a command with a time limit when coreutils' timeout is available.
bounded() {
  local secs=$1; shift
  if command -v timeout >/dev/null 2>&1; then
    timeout --kill-after=10 "$secs" "$@"
  else
    "$@"
  fi
}

# Prefix for commands that need root.
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    SUDO=(false)  # reported below if an install is needed
  fi
fi

# --- apt packages: protoc, ZooKeeper, etcd, netcat, and a JRE / Node.js when the machine lacks them ---
packages=()
[ -f "$ZK_JAR" ] || packages+=(zookeeper)
command -v protoc >/dev/null 2>&1 || packages+=(protobuf-compiler)
[ -f /usr/include/google/protobuf/descriptor.proto ] || packages+=(libprotobuf-dev)
command -v etcd >/dev/null 2>&1 || packages+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || packages+=(etcd-client)
command -v nc >/dev/null 2>&1 || packages+=(netcat-openbsd)
# a JDK (it brings the JRE that ZooKeeper needs)
command -v javac >/dev/null 2>&1 || packages+=(default-jdk-headless)
[ -f "$HESSIAN_JAR" ] || packages+=(libhessian-java)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
command -v curl >/dev/null 2>&1 || packages+=(curl)
command -v prometheus >/dev/null 2>&1 || packages+=(prometheus)
if [ "${#packages[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install by hand: ${packages[*]}"
  [ "${SUDO[*]-}" != false ] || die "need root or sudo to apt-get install ${packages[*]}"
  log "installing ${packages[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  bounded 600 "${SUDO[@]}" apt-get update -q || die "apt-get update failed"
  bounded 1200 "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}" \
    || die "apt-get install ${packages[*]} failed"
fi
[ -f "$ZK_JAR" ] || die "$ZK_JAR still missing after install"
command -v java >/dev/null 2>&1 || die "java not found (ZooKeeper needs a JRE)"
command -v javac >/dev/null 2>&1 || die "javac not found after install (the Java type vectors need a JDK)"
[ -f "$HESSIAN_JAR" ] || die "$HESSIAN_JAR still missing after install"
command -v nc >/dev/null 2>&1 || die "nc not found after install"
command -v curl >/dev/null 2>&1 || die "curl not found after install"
command -v prometheus >/dev/null 2>&1 || die "prometheus not found after install"
command -v protoc >/dev/null 2>&1 || die "protoc not found after install"
[ -f /usr/include/google/protobuf/descriptor.proto ] || die "protobuf well-known types missing after install"
command -v etcd >/dev/null 2>&1 || die "etcd not found after install"
command -v etcdctl >/dev/null 2>&1 || die "etcdctl not found after install"

# --- sofa-rpc-node peers ---------------------------------------------------
command -v node >/dev/null 2>&1 || die "node not found (Node.js >= 18 is needed for the sofa peers)"
command -v npm >/dev/null 2>&1 || die "npm not found"

# npm install in $1 unless its node_modules is newer than its package.json.
npm_install() {
  local dir=$1
  if [ -f "$dir/node_modules/.oxidubbo-installed" ] \
    && [ ! "$dir/package.json" -nt "$dir/node_modules/.oxidubbo-installed" ]; then
    return 0
  fi
  log "npm install in ${dir#"$ROOT"/}"
  (
    cd "$dir"
    bounded 900 npm install --no-package-lock --no-audit --no-fund --loglevel=error
  ) || die "npm install failed in $dir"
  touch "$dir/node_modules/.oxidubbo-installed"
}

npm_install "$SOFA_DIR"
(cd "$SOFA_DIR" && node -e "require('sofa-rpc-node'); require('dubbo-remoting'); require('js-to-java'); require('node-zookeeper-client')") \
  || die "sofa peer packages do not load; remove $SOFA_DIR/node_modules and retry"

# --- Triple (gRPC) peers ------------------------------------------------------
npm_install "$GRPC_DIR"
(cd "$GRPC_DIR" && node -e "require('@grpc/grpc-js'); require('@grpc/proto-loader')") \
  || die "grpc-js peer packages do not load; remove $GRPC_DIR/node_modules and retry"

VENV="$GRPC_DIR/.venv"
if [ ! -f "$VENV/.oxidubbo-installed" ] || [ "$GRPC_DIR/requirements.txt" -nt "$VENV/.oxidubbo-installed" ]; then
  PY="${OXIDUBBO_PYTHON:-python3}"
  command -v "$PY" >/dev/null 2>&1 || die "$PY not found (Python >= 3.9 is needed for the grpcio peer)"
  log "python venv with grpcio in ${VENV#"$ROOT"/}"
  rm -rf "$VENV"
  bounded 300 "$PY" -m venv "$VENV" || die "could not make a venv with $PY (Debian: apt-get install python3-venv)"
  bounded 900 "$VENV/bin/pip" install -q --disable-pip-version-check -r "$GRPC_DIR/requirements.txt" \
    || die "pip install -r requirements.txt failed in $GRPC_DIR"
  touch "$VENV/.oxidubbo-installed"
fi
"$VENV/bin/python" -c "import grpc, grpc_tools.protoc, opentelemetry.proto.collector.trace.v1.trace_service_pb2" || die "grpcio or opentelemetry-proto does not load from $VENV; remove it and retry"

log "ok"
