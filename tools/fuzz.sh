#!/usr/bin/env bash
# Fuzz the binding (labelsieve._core) and the public API for a bounded time:
#   1. coverage-guided with atheris (libFuzzer) on the normal build;
#   2. seeded random inputs on the ASan+UBSan build, when tools/sanitize.sh has
#      built one (build/sanitize): atheris' coverage hooks do not work with the
#      ASan runtime preloaded, so this half is unguided but memory-checked.
# Only TypeError/ValueError (or a result) are acceptable; anything else fails.
# Usage: PYTHON=/path/to/python FUZZ_SECONDS=60 bash tools/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3}
SECONDS_TOTAL=${FUZZ_SECONDS:-60}
SANITIZE_BUILD=${SANITIZE_BUILD_DIR:-build/sanitize}
TARGET=tests/fuzz/fuzz_binding.py
if ! "$PY" -c "import atheris" 2>/dev/null; then
  "$PY" -m pip install --quiet atheris 2>/dev/null || echo "fuzz: atheris unavailable; using seeded random inputs"
fi
# The installed package if there is one, else the source tree's.
if ! "$PY" -c "import labelsieve._core" 2>/dev/null; then export PYTHONPATH="$ROOT/python"; fi

HALF=$((SECONDS_TOTAL / 2))
CORPUS=$(mktemp -d)
STAGE=$(mktemp -d)
trap 'rm -rf "$CORPUS" "$STAGE"' EXIT
echo "fuzz: ${HALF}s coverage-guided (atheris) on the normal build"
if "$PY" -c "import atheris" 2>/dev/null; then
  LABELSIEVE_BACKEND=cpp "$PY" "$TARGET" -max_total_time="$HALF" -timeout=30 -max_len=4096 \
    -print_final_stats=1 "$CORPUS" 2>&1 | grep -E "^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|==)|Error|error" || true
  # grep hides libFuzzer's progress lines; the pipeline's status is the fuzzer's
  status=${PIPESTATUS[0]}
  [ "$status" = 0 ] || { echo "fuzz: finding (exit $status)"; exit 1; }
else
  LABELSIEVE_BACKEND=cpp "$PY" "$TARGET" --random -max_total_time="$HALF"
fi

if ls "$SANITIZE_BUILD"/_core*.so >/dev/null 2>&1; then
  echo "fuzz: $((SECONDS_TOTAL - HALF))s seeded random inputs on the ASan+UBSan build ($SANITIZE_BUILD)"
  cp -r python/labelsieve "$STAGE/"
  rm -f "$STAGE"/labelsieve/_core*.so
  cp "$SANITIZE_BUILD"/_core*.so "$STAGE/labelsieve/"
  LD_PRELOAD="$(g++ -print-file-name=libasan.so) $(g++ -print-file-name=libubsan.so)" \
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 PYTHONPATH="$STAGE" LABELSIEVE_BACKEND=cpp \
    "$PY" "$TARGET" --random -max_total_time="$((SECONDS_TOTAL - HALF))"
else
  echo "fuzz: no sanitizer build in $SANITIZE_BUILD (run tools/sanitize.sh first); seeded random inputs on the normal build"
  LABELSIEVE_BACKEND=cpp "$PY" "$TARGET" --random -max_total_time="$((SECONDS_TOTAL - HALF))"
fi
echo "fuzz: no findings"
