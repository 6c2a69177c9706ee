#!/usr/bin/env bash
# Starts or stops a throw-away etcd (v3 API) for the integration tests.
#
#   bash scripts/etcd.sh start    # prints: export OXIDUBBO_ETCD=127.0.0.1:<port>
#   bash scripts/etcd.sh stop     # stops it and removes its data
#   bash scripts/etcd.sh kill     # SIGKILL, data kept: "start" brings it back with its data
#   bash scripts/etcd.sh status   # prints the address and exits 0 if running
#
# Binds 127.0.0.1 only: a client port (2379 if free, else another free port; ETCD_PORT=N
# forces one) and a peer port (ETCD_PEER_PORT=N forces one). State (pid, ports, log) and
# the data dir live in $OXIDUBBO_ETCD_STATE_DIR, default <repo>/target/etcd. "start" while
# one is running just prints its address again; "start" after "kill" reuses the ports and
# the data (an etcd that crashed and came back).
# Needs: etcd and etcdctl (Debian etcd-server, etcd-client; scripts/install-peers.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${OXIDUBBO_ETCD_STATE_DIR:-$ROOT/target/etcd}"
READY_TIMEOUT="${ETCD_READY_TIMEOUT:-30}"
HOST=127.0.0.1

log() { echo "[etcd] $*" >&2; }
die() { echo "[etcd] ERROR: $*" >&2; exit 1; }

# 0 if something accepts connections on HOST:$1.
port_in_use() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

running_pid() {
  local pid
  [ -f "$STATE_DIR/pid" ] || return 1
  pid="$(cat "$STATE_DIR/pid")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # Make sure the pid is still our etcd and not a reused number.
  if [ -r "/proc/$pid/cmdline" ]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--data-dir $STATE_DIR/data" || return 1
  fi
  echo "$pid"
}

# A free port: $1 if given (must be free), else $2 if free, else a random one below
# Linux's ephemeral range (as free_port() in the tests), other than $3.
pick_port() {
  local forced=$1 preferred=$2 avoid=$3
  if [ -n "$forced" ]; then
    port_in_use "$forced" && die "port $forced is already in use"
    echo "$forced"
    return
  fi
  if [ -n "$preferred" ] && [ "$preferred" != "$avoid" ] && ! port_in_use "$preferred"; then
    echo "$preferred"
    return
  fi
  local p i
  for i in $(seq 1 50); do
    p=$((10000 + RANDOM % 20000))
    if [ "$p" != "$avoid" ] && ! port_in_use "$p"; then
      echo "$p"
      return
    fi
  done
  die "no free port found"
}

print_env() {
  echo "export OXIDUBBO_ETCD=$HOST:$(cat "$STATE_DIR/port")"
}

healthy() {
  local port=$1
  if command -v timeout >/dev/null 2>&1; then
    timeout 5 etcdctl --endpoints="$HOST:$port" --dial-timeout=2s --command-timeout=2s \
      endpoint health >/dev/null 2>&1
  else
    etcdctl --endpoints="$HOST:$port" --dial-timeout=2s --command-timeout=2s \
      endpoint health >/dev/null 2>&1
  fi
}

cmd_start() {
  if running_pid >/dev/null; then
    log "already running (pid $(cat "$STATE_DIR/pid"))"
    print_env
    return 0
  fi
  command -v etcd >/dev/null 2>&1 || die "etcd not found: run scripts/install-peers.sh"
  command -v etcdctl >/dev/null 2>&1 || die "etcdctl not found: run scripts/install-peers.sh"
  mkdir -p "$STATE_DIR"
  local port peer pid
  if [ -d "$STATE_DIR/data" ] && [ -f "$STATE_DIR/port" ] && [ -f "$STATE_DIR/peer-port" ]; then
    # Back after "kill": same ports, same data.
    port="$(cat "$STATE_DIR/port")"
    peer="$(cat "$STATE_DIR/peer-port")"
    log "restarting with the data in $STATE_DIR/data"
  else
    rm -rf -- "$STATE_DIR/data"
    port="$(pick_port "${ETCD_PORT:-}" 2379 "")"
    peer="$(pick_port "${ETCD_PEER_PORT:-}" "" "$port")"
  fi
  echo "$port" >"$STATE_DIR/port"
  echo "$peer" >"$STATE_DIR/peer-port"

  # setsid: its own process group, so an interrupt of the caller's terminal does not kill
  # it halfway; "stop" kills it by pid.
  setsid etcd --name oxidubbo-test --data-dir "$STATE_DIR/data" \
    --listen-client-urls "http://$HOST:$port" --advertise-client-urls "http://$HOST:$port" \
    --listen-peer-urls "http://$HOST:$peer" --initial-advertise-peer-urls "http://$HOST:$peer" \
    --initial-cluster "oxidubbo-test=http://$HOST:$peer" \
    --logger zap --log-level warn \
    >>"$STATE_DIR/etcd.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$STATE_DIR/pid"

  local deadline=$((SECONDS + READY_TIMEOUT))
  while ! healthy "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "etcd exited during startup; last log lines:"
      tail -n 30 "$STATE_DIR/etcd.log" >&2 || true
      rm -f "$STATE_DIR/pid"
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "etcd not healthy after ${READY_TIMEOUT}s; last log lines:"
      tail -n 30 "$STATE_DIR/etcd.log" >&2 || true
      cmd_stop
      exit 1
    fi
    sleep 0.2
  done
  log "ready on $HOST:$port (pid $pid, data $STATE_DIR/data)"
  print_env
}

# Stops the running etcd with signal $1, waiting at most 5 s before SIGKILL.
stop_pid() {
  local signal=$1 pid
  if pid="$(running_pid)"; then
    kill "-$signal" "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid did not stop after 5 s, killing"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped (pid $pid, SIG$signal)"
  else
    log "not running"
  fi
  rm -f "$STATE_DIR/pid"
}

cmd_stop() {
  stop_pid TERM
  rm -rf -- "$STATE_DIR/data"
  rm -f "$STATE_DIR/port" "$STATE_DIR/peer-port"
}

cmd_kill() {
  stop_pid KILL
}

cmd_status() {
  if running_pid >/dev/null; then
    print_env
    return 0
  fi
  log "not running"
  return 1
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  kill) cmd_kill ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 start|stop|kill|status" >&2
    exit 2
    ;;
esac
