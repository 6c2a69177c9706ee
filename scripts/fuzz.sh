#!/usr/bin/env bash
# Runs every fuzz target for a while: the dubbo2 frame and body decoders, Triple's framing
# and headers, URL parsing and the TOML loader (fuzz/), and the Hessian 2 decoders
# (hessian2/fuzz/). Fails if any target finds a crash (its input is left in the target's
# artifacts/ folder: add it as a regression test).
#
#   bash scripts/fuzz.sh            # 60 s per target (scripts/test.sh runs this)
#   bash scripts/fuzz.sh 3600       # longer runs (RELIABILITY.md records them)
#   OXIDUBBO_FUZZ_JOBS=1 bash scripts/fuzz.sh 60   # one target at a time
#
# Needs a nightly toolchain (installed with rustup, minimal profile, when missing) and
# cargo-fuzz (installed with cargo when missing). Each run starts from the committed seeds
# (fuzz/seeds/, from the wire spec's test vectors; Hessian fixtures and the Java type vectors
# for hessian2) plus the corpus earlier runs grew (corpus/, not committed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_TARGET="${1:-60}"
JOBS="${OXIDUBBO_FUZZ_JOBS:-2}"
CARGO_FUZZ_VERSION=0.13.2

log() { echo "[fuzz.sh] $*" >&2; }

if ! rustup toolchain list | grep -q '^nightly'; then
  log "installing the nightly toolchain (cargo-fuzz needs it)"
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

# project dir, target, seed dir
targets=(
  "fuzz dubbo_frames fuzz/seeds/dubbo_frames"
  "fuzz dubbo_bodies fuzz/seeds/dubbo_bodies"
  "fuzz triple_frames fuzz/seeds/triple_frames"
  "fuzz triple_headers fuzz/seeds/triple_headers"
  "fuzz url_parse fuzz/seeds/url_parse"
  "fuzz config_toml fuzz/seeds/config_toml"
  "hessian2/fuzz decode_value hessian2/tests/vectors/hessian-js"
  "hessian2/fuzz from_slice hessian2/tests/vectors/hessian-js"
)

for project in fuzz hessian2/fuzz; do
  log "building $project"
  (cd "$ROOT/$project" && cargo +nightly fuzz build -O >/dev/null)
done

run_target() {
  local project="$1" target="$2" seeds="$3"
  local dir="$ROOT/$project"
  local log_file="$dir/artifacts/$target.log"
  mkdir -p "$dir/corpus/$target" "$dir/artifacts/$target"
  local seed_args=()
  # Hessian fixtures are a tree: seed only with the small files, flattened.
  if [ "$target" = decode_value ] || [ "$target" = from_slice ]; then
    local flat="$dir/corpus/$target-seeds"
    [ -d "$ROOT/$seeds" ] || { log "seed directory $seeds is missing"; return 1; }
    if [ ! -d "$flat" ]; then
      mkdir -p "$flat"
      find "$ROOT/$seeds" -name '*.bin' -size -4k | while read -r f; do
        cp "$f" "$flat/$(basename "$(dirname "$f")")_$(basename "$f")"
      done
      # the Java type vectors too (oxidubbo-hessian2's java module)
      if [ "$target" = from_slice ]; then
        for f in "$ROOT"/hessian2/tests/java-vectors/*.bin; do
          cp "$f" "$flat/java_$(basename "$f")"
        done
      fi
    fi
    [ -d "$flat" ] && seed_args=("$flat")
  else
    seed_args=("$ROOT/$seeds")
  fi
  if (cd "$dir" && cargo +nightly fuzz run -O "$target" "corpus/$target" "${seed_args[@]}" -- \
        -max_total_time="$SECONDS_PER_TARGET" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="artifacts/$target/" >"$log_file" 2>&1); then
    # CPU time of this target's processes (the build was done before): `times` prints the
    # shell's own times, then its children's. Run in this shell, not in a pipe (a subshell
    # of its own, which has no children).
    local cpu
    times >"$dir/artifacts/$target.times"
    cpu="$(tail -1 "$dir/artifacts/$target.times" | awk '{ split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.0f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }')"
    log "$project $target: $(grep -E '^Done [0-9]+ runs' "$log_file" | tail -1); CPU ${cpu} s"
  else
    log "$project $target: CRASH or error; input in $project/artifacts/$target/, log in ${log_file#"$ROOT"/}:"
    tail -40 "$log_file" >&2
    return 1
  fi
}

failed=0
running=0
pids=()
for t in "${targets[@]}"; do
  # shellcheck disable=SC2086
  run_target $t &
  pids+=($!)
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
    running=$((running - 1))
  fi
done
for pid in "${pids[@]}"; do
  wait "$pid" || failed=1
done
[ "$failed" -eq 0 ] || { log "a fuzz target failed"; exit 1; }
log "every target ran ${SECONDS_PER_TARGET}s without a crash"
