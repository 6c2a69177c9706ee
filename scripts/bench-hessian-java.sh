#!/usr/bin/env bash
# oxidubbo-hessian2 against Caucho Hessian on the JVM, on the same dubbo2 request bodies,
# in one run: builds benches' hessian-bench (release) and benches/java (javac against
# Debian's libhessian-java), has the Rust side write its bodies, then alternates the two
# processes for ROUNDS rounds (each: the JVM warms up for WARMUP seconds, then each side
# measures every case for SECONDS, three times) and prints, per case, the medians and
# rust_speedup=<java_ns/rust_ns>.
#
#   bash scripts/bench-hessian-java.sh [ROUNDS] [SECONDS] [WARMUP]   # default 3 2 5
#
# HESSIAN_JAR overrides the jar's location. Exit status 3 when javac, java or the jar is
# missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="${HESSIAN_JAR:-/usr/share/java/hessian.jar}"
ROUNDS="${1:-3}"
SECONDS_PER_CASE="${2:-2}"
WARMUP="${3:-5}"

die() { echo "[bench-hessian-java] ERROR: $1" >&2; exit "${2:-1}"; }
command -v javac >/dev/null 2>&1 || die "javac not found (install a JDK, e.g. default-jdk-headless)" 3
command -v java >/dev/null 2>&1 || die "java not found" 3
[ -f "$JAR" ] || die "$JAR not found (Debian: apt-get install libhessian-java)" 3

cd "$ROOT"
cargo build --release -q -p oxidubbo-benches --bin hessian-bench
RUST="$ROOT/target/release/hessian-bench"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mapfile -t sources < <(find "$ROOT/benches/java/src" -name '*.java' | sort)
javac -nowarn -encoding UTF-8 -d "$work/classes" -cp "$JAR" "${sources[@]}"
"$RUST" --write-bodies "$work"

java_version="$(java -version 2>&1 | head -n 1)"
echo "java: $java_version, $(basename "$(readlink -f "$JAR")")"
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r: rust"
  "$RUST" --warmup 1 --seconds "$SECONDS_PER_CASE" --rounds 3 | tee -a "$work/rust.out"
  echo "round $r: java"
  # Caucho's serializer factory reflects on JDK classes (StackTraceElement): open them.
  java --add-opens java.base/java.lang=ALL-UNNAMED \
    --add-opens java.base/java.util=ALL-UNNAMED \
    -cp "$JAR:$work/classes" org.oxidubbo.bench.HessianBench \
    "$WARMUP" "$SECONDS_PER_CASE" 3 "$work/hello.bin" "$work/pojo.bin" | tee -a "$work/java.out"
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { grep "^case=$1 " "$2" | sed -E "s/.* $3=([0-9.]+).*/\1/"; }

echo
printf '%-14s %12s %12s %14s %14s\n' case java_ns rust_ns rust_speedup rust_allocs
for c in hello/decode hello/encode pojo/decode pojo/encode; do
  j="$(field "$c" "$work/java.out" ns_per_op | median)"
  r="$(field "$c" "$work/rust.out" ns_per_op | median)"
  a="$(field "$c" "$work/rust.out" allocs_per_op | median)"
  printf '%-14s %12s %12s %14s %14s\n' "$c" "$j" "$r" "rust_speedup=$(awk -v j="$j" -v r="$r" 'BEGIN { printf "%.2f", j / r }')" "$a"
done
