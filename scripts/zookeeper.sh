#!/usr/bin/env bash
# Starts or stops a throw-away ZooKeeper for the integration tests.
#
#   bash scripts/zookeeper.sh start   # prints: export OXIDUBBO_ZK=127.0.0.1:<port>
#   bash scripts/zookeeper.sh stop
#   bash scripts/zookeeper.sh status  # prints the address and exits 0 if running
#
# Binds 127.0.0.1 only, uses a fresh data folder per start, port 2181 if free
# (else another free port; ZK_PORT=N forces one). State (pid, port, data dir,
# log) lives in $OXIDUBBO_ZK_STATE_DIR, default <repo>/target/zookeeper.
# "start" while one is already running just prints its address again.
# Needs: java, /usr/share/java/zookeeper.jar, nc (scripts/install-peers.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${OXIDUBBO_ZK_STATE_DIR:-$ROOT/target/zookeeper}"
ZK_JAR="${ZK_JAR:-/usr/share/java/zookeeper.jar}"
READY_TIMEOUT="${ZK_READY_TIMEOUT:-30}"
HOST=127.0.0.1

log() { echo "[zookeeper] $*" >&2; }
die() { echo "[zookeeper] ERROR: $*" >&2; exit 1; }

# 0 if something accepts connections on HOST:$1.
port_in_use() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# Prints the reply to a ZooKeeper four-letter word, bounded in time.
four_letter() {
  local word=$1 port=$2
  if command -v timeout >/dev/null 2>&1; then
    echo "$word" | timeout 3 nc -q1 "$HOST" "$port" 2>/dev/null || true
  else
    echo "$word" | nc -q1 -w2 "$HOST" "$port" 2>/dev/null || true
  fi
}

running_pid() {
  local pid
  [ -f "$STATE_DIR/pid" ] || return 1
  pid="$(cat "$STATE_DIR/pid")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # Make sure the pid is still our ZooKeeper and not a reused number.
  if [ -r "/proc/$pid/cmdline" ]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q ZooKeeperServerMain || return 1
  fi
  echo "$pid"
}

pick_port() {
  if [ -n "${ZK_PORT:-}" ]; then
    port_in_use "$ZK_PORT" && die "ZK_PORT=$ZK_PORT is already in use"
    echo "$ZK_PORT"
    return
  fi
  if ! port_in_use 2181; then
    echo 2181
    return
  fi
  # Below Linux's ephemeral range (32768 and up), as free_port() in the tests: a port
  # there may be held by a TIME-WAIT socket of some outgoing connection, which makes
  # ZooKeeper's bind fail although nothing listens on it.
  local p i
  for i in $(seq 1 50); do
    p=$((10000 + RANDOM % 20000))
    if ! port_in_use "$p"; then
      echo "$p"
      return
    fi
  done
  die "no free port found"
}

print_env() {
  echo "export OXIDUBBO_ZK=$HOST:$(cat "$STATE_DIR/port")"
}

cmd_start() {
  if running_pid >/dev/null; then
    log "already running (pid $(cat "$STATE_DIR/pid"))"
    print_env
    return 0
  fi
  # Leftovers of a previous run (killed without "stop").
  cleanup_state

  [ -f "$ZK_JAR" ] || die "$ZK_JAR missing: run scripts/install-peers.sh"
  command -v java >/dev/null 2>&1 || die "java not found"
  command -v nc >/dev/null 2>&1 || die "nc not found: run scripts/install-peers.sh"

  mkdir -p "$STATE_DIR"
  local data_dir conf_dir port pid
  data_dir="$(mktemp -d "${TMPDIR:-/tmp}/oxidubbo-zk-data.XXXXXX")"
  conf_dir="$STATE_DIR/conf"
  mkdir -p "$conf_dir"
  port="$(pick_port)"
  cat >"$conf_dir/zoo.cfg" <<EOF
tickTime=2000
dataDir=$data_dir
clientPort=$port
clientPortAddress=$HOST
admin.enableServer=false
4lw.commands.whitelist=ruok,stat,srvr,mntr,wchs
EOF
  echo "$data_dir" >"$STATE_DIR/datadir"
  echo "$port" >"$STATE_DIR/port"

  # setsid: its own process group, so an interrupt of the caller's terminal
  # does not kill it halfway; "stop" kills it by pid.
  setsid java -Xmx256m -Dzookeeper.admin.enableServer=false \
    -cp "$conf_dir:$ZK_JAR" org.apache.zookeeper.server.ZooKeeperServerMain "$conf_dir/zoo.cfg" \
    >"$STATE_DIR/zookeeper.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$STATE_DIR/pid"

  local deadline=$((SECONDS + READY_TIMEOUT))
  while :; do
    if [ "$(four_letter ruok "$port")" = "imok" ]; then
      break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "ZooKeeper exited during startup; last log lines:"
      tail -n 30 "$STATE_DIR/zookeeper.log" >&2 || true
      cleanup_state
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "ZooKeeper not ready after ${READY_TIMEOUT}s; last log lines:"
      tail -n 30 "$STATE_DIR/zookeeper.log" >&2 || true
      cmd_stop
      exit 1
    fi
    sleep 0.2
  done
  log "ready on $HOST:$port (pid $pid, data $data_dir)"
  print_env
}

cleanup_state() {
  if [ -f "$STATE_DIR/datadir" ]; then
    local d
    d="$(cat "$STATE_DIR/datadir")"
    case "$d" in
      */oxidubbo-zk-data.*) rm -rf -- "$d" ;;
    esac
  fi
  rm -f "$STATE_DIR/pid" "$STATE_DIR/port" "$STATE_DIR/datadir"
}

cmd_stop() {
  local pid
  if pid="$(running_pid)"; then
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid did not stop after 5 s, killing"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped (pid $pid)"
  else
    log "not running"
  fi
  cleanup_state
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
  status) cmd_status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
