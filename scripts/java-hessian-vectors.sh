#!/usr/bin/env bash
# The Java side of oxidubbo-hessian2's type vectors (hessian2/java-vectors): compiles the
# harness against Caucho Hessian (Debian package libhessian-java) with the JDK on the
# machine, then
#
#   bash scripts/java-hessian-vectors.sh write [DIR]   # writes every vector to DIR/NAME.bin
#                                                       # (default: hessian2/tests/java-vectors)
#   bash scripts/java-hessian-vectors.sh read FILE...   # reads each file as one Hessian value,
#                                                       # prints one line per file
#
# The harness makes Caucho's Hessian2Output choose what Dubbo's hessian-lite chooses (see
# hessian2/java-vectors/README.md). HESSIAN_JAR overrides the jar's location.
# Exit status 3 when javac, java or the jar is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/hessian2/java-vectors/src"
JAR="${HESSIAN_JAR:-/usr/share/java/hessian.jar}"

die() { echo "[java-hessian-vectors] ERROR: $1" >&2; exit "${2:-1}"; }

command -v javac >/dev/null 2>&1 || die "javac not found (install a JDK, e.g. default-jdk-headless)" 3
command -v java >/dev/null 2>&1 || die "java not found" 3
[ -f "$JAR" ] || die "$JAR not found (Debian: apt-get install libhessian-java)" 3

mode="${1:-}"
case "$mode" in
  write) [ "$#" -le 2 ] || die "usage: $0 write [DIR]" ;;
  read) [ "$#" -ge 2 ] || die "usage: $0 read FILE..." ;;
  *) die "usage: $0 write [DIR] | read FILE..." ;;
esac

classes="$(mktemp -d)"
trap 'rm -rf "$classes"' EXIT
mapfile -t sources < <(find "$SRC" -name '*.java' | sort)
javac -nowarn -encoding UTF-8 -d "$classes" -cp "$JAR" "${sources[@]}"

# Caucho's serializer factory and the harness reflect on JDK classes (StackTraceElement,
# BigInteger's fields): open those packages to it.
run() {
  java --add-opens java.base/java.lang=ALL-UNNAMED \
    --add-opens java.base/java.math=ALL-UNNAMED \
    --add-opens java.base/java.util=ALL-UNNAMED \
    -Duser.timezone=UTC -cp "$JAR:$classes" org.oxidubbo.vectors.Vectors "$@"
}

if [ "$mode" = write ]; then
  run write "${2:-$ROOT/hessian2/tests/java-vectors}"
else
  shift
  run read "$@"
fi
