#!/usr/bin/env bash
# Runs all of oxidubbo's tests, with the real peers the integration tests use.
#
#   bash scripts/test.sh                 # cargo test --workspace --all-targets
#   bash scripts/test.sh -- --nocapture  # extra args go to cargo test
#   bash scripts/test.sh -p oxidubbo-hessian2   # -p/--package replaces --workspace
#
# Steps: install the peers (scripts/install-peers.sh), start a fresh ZooKeeper
# and a fresh etcd on 127.0.0.1 (scripts/zookeeper.sh, scripts/etcd.sh), export
#   OXIDUBBO_ZK=127.0.0.1:<port>
#   OXIDUBBO_ETCD=127.0.0.1:<port>
#   OXIDUBBO_SOFA_DIR=<repo>/integration-tests/peers/sofa
#   OXIDUBBO_GRPC_DIR=<repo>/integration-tests/peers/grpc
#   OXIDUBBO_REQUIRE_PEERS=1   (tests must fail, not skip, when a peer is missing)
# run cargo test (then the doc tests and a short run of every fuzz target,
# scripts/fuzz.sh), stop ZooKeeper and etcd (also on failure or interrupt) and exit
# with cargo's status. Time limits (seconds): OXIDUBBO_TEST_TIMEOUT for cargo test
# (default 4800), ZK_READY_TIMEOUT for ZooKeeper's start (default 30),
# ETCD_READY_TIMEOUT for etcd's (default 30).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TEST_TIMEOUT="${OXIDUBBO_TEST_TIMEOUT:-4800}"

log() { echo "[test.sh] $*" >&2; }

# The build needs about 7 GB of disk (target/ and fuzz/target/): say what there is, so that
# a run that fills the disk says so at its start.
if avail_kb="$(df -Pk . 2>/dev/null | awk 'NR == 2 {print $4}')" && [ -n "$avail_kb" ]; then
  log "free disk: $((avail_kb / 1024 / 1024)) GiB"
  [ "$avail_kb" -ge $((7 * 1024 * 1024)) ] || log "warning: less than 7 GiB free; the build may fill the disk"
fi

# --- peers -----------------------------------------------------------------
bash "$ROOT/scripts/install-peers.sh"

# --- ZooKeeper ---------------------------------------------------------------
# A state dir of its own: never reuses (nor stops) a ZooKeeper started by
# hand with scripts/zookeeper.sh.
export OXIDUBBO_ZK_STATE_DIR="${OXIDUBBO_TEST_ZK_STATE_DIR:-$ROOT/target/zookeeper-test}"
export OXIDUBBO_ETCD_STATE_DIR="${OXIDUBBO_TEST_ETCD_STATE_DIR:-$ROOT/target/etcd-test}"

child=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  bash "$ROOT/scripts/zookeeper.sh" stop || true
  bash "$ROOT/scripts/etcd.sh" stop || true
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# Stale state from an interrupted run (pid gone or still running): stop it.
bash "$ROOT/scripts/zookeeper.sh" stop >/dev/null 2>&1 || true
zk_line="$(bash "$ROOT/scripts/zookeeper.sh" start)"
case "$zk_line" in
  "export OXIDUBBO_ZK="*) OXIDUBBO_ZK="${zk_line#export OXIDUBBO_ZK=}" ;;
  *) log "unexpected output from zookeeper.sh start: $zk_line"; exit 1 ;;
esac
export OXIDUBBO_ZK

# --- etcd ----------------------------------------------------------------------
bash "$ROOT/scripts/etcd.sh" stop >/dev/null 2>&1 || true
etcd_line="$(bash "$ROOT/scripts/etcd.sh" start)"
case "$etcd_line" in
  "export OXIDUBBO_ETCD="*) OXIDUBBO_ETCD="${etcd_line#export OXIDUBBO_ETCD=}" ;;
  *) log "unexpected output from etcd.sh start: $etcd_line"; exit 1 ;;
esac
export OXIDUBBO_ETCD
export OXIDUBBO_SOFA_DIR="$ROOT/integration-tests/peers/sofa"
export OXIDUBBO_GRPC_DIR="$ROOT/integration-tests/peers/grpc"
export OXIDUBBO_REQUIRE_PEERS=1
log "OXIDUBBO_ZK=$OXIDUBBO_ZK"
log "OXIDUBBO_ETCD=$OXIDUBBO_ETCD"
log "OXIDUBBO_SOFA_DIR=$OXIDUBBO_SOFA_DIR"

# --- cargo test ----------------------------------------------------------------
cargo_args=(test --all-targets)
selects_packages=0
for a in "$@"; do
  [ "$a" = "--" ] && break
  case "$a" in
    -p|--package|-p?*|--package=*) selects_packages=1 ;;
  esac
done
[ "$selects_packages" -eq 1 ] || cargo_args+=(--workspace)
cargo_args+=("$@")

# Runs cargo in the background + wait, so that an interrupt reaches our trap at
# once; timeout(1) passes TERM on to cargo and its test processes.
run_cargo() {
  log "cargo $* (time limit ${TEST_TIMEOUT}s)"
  local rc=0
  if command -v timeout >/dev/null 2>&1; then
    timeout --kill-after=30 "$TEST_TIMEOUT" cargo "$@" &
  else
    cargo "$@" &
  fi
  child=$!
  wait "$child" || rc=$?
  child=""
  [ "$rc" -ne 124 ] || log "cargo $1 exceeded ${TEST_TIMEOUT}s"
  return "$rc"
}

status=0
run_cargo "${cargo_args[@]}" || status=$?
# `--all-targets` leaves out doc tests; the crate docs' examples run here (full runs only).
if [ "$status" -eq 0 ] && [ "$#" -eq 0 ]; then
  run_cargo test --workspace --doc || status=$?
fi
# A short run of every fuzz target (full runs only; OXIDUBBO_FUZZ_SECONDS per target,
# default 60, 0 to leave out).
FUZZ_SECONDS="${OXIDUBBO_FUZZ_SECONDS:-60}"
if [ "$status" -eq 0 ] && [ "$#" -eq 0 ] && [ "$FUZZ_SECONDS" -gt 0 ]; then
  bash "$ROOT/scripts/fuzz.sh" "$FUZZ_SECONDS" || status=$?
fi
exit "$status"
