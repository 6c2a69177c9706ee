#!/usr/bin/env bash
# Idle memory of a provider: starts the release `greeter-provider` on loopback, makes one
# call of each kind through `greeter-consumer` (so every lazily made part exists), lets it
# sit, and prints its resident set (VmRSS) and peak (VmHWM) from /proc.
#
#   bash scripts/idle-rss.sh            # plain provider, direct (no registry)
#   bash scripts/idle-rss.sh --full     # with the embedded registry, [metrics] and [qos] on
#
# The figures are recorded in BENCHMARKS.md ("Idle provider memory").
set -euo pipefail
cd "$(dirname "$0")/.."

full=false
[[ "${1:-}" == "--full" ]] && full=true

cargo build -q --release -p oxidubbo-examples --bin greeter-provider --bin greeter-consumer

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

if $full; then
  ports=$(python3 -c 'import socket
ss=[socket.socket() for _ in range(2)]
[s.bind(("127.0.0.1", 0)) for s in ss]
print(" ".join(str(s.getsockname()[1]) for s in ss))')
  read -r metrics_port qos_port <<<"$ports"
  cat >"$work/provider.toml" <<EOF
[application]
name = "greeter-provider"
[registries.default]
address = "memory://"
[protocols.dubbo]
host = "127.0.0.1"
port = $port
[services.greeter]
interface = "org.apache.dubbo.samples.api.GreeterService"
version = "1.0.0"
[metrics]
enabled = true
port = $metrics_port
[qos]
enabled = true
port = $qos_port
EOF
  ./target/release/greeter-provider --config "$work/provider.toml" >"$work/log" 2>&1 &
else
  ./target/release/greeter-provider --port "$port" >"$work/log" 2>&1 &
fi
pid=$!

for _ in $(seq 1 100); do
  grep -q '^READY' "$work/log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/log"; echo "idle-rss: the provider exited" >&2; exit 1; }
  sleep 0.1
done
grep -q '^READY' "$work/log" || { cat "$work/log"; echo "idle-rss: the provider did not start" >&2; exit 1; }

./target/release/greeter-consumer --url "dubbo://127.0.0.1:$port" >"$work/consumer.log" 2>&1 \
  || { cat "$work/consumer.log"; echo "idle-rss: the consumer's calls failed" >&2; exit 1; }
if $full; then
  curl -sf "http://127.0.0.1:$metrics_port/metrics" >/dev/null
  curl -sf "http://127.0.0.1:$qos_port/ls" >/dev/null
fi
sleep 3
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
threads=$(awk '/^Threads/ {print $2}' "/proc/$pid/status")
anon=$(awk '/^Anonymous/ {print $2}' "/proc/$pid/smaps_rollup")
echo "idle provider ($($full && echo 'registry, metrics, qos' || echo plain)): rss_kib=$rss anon_kib=$anon file_kib=$((rss - anon)) peak_kib=$hwm threads=$threads"
