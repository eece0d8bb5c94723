#!/usr/bin/env bash
# Memory-safety check: build the extension with AddressSanitizer and
# UndefinedBehaviorSanitizer and run the primitive and binding tests on it.
# Usage: PYTHON=/path/to/python bash tools/sanitize.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
BUILD=build/sanitize
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DPython_EXECUTABLE="$(command -v "$PY")" -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" >/dev/null
cmake --build "$BUILD" -j "${JOBS:-2}"
# A private copy of the package with the instrumented module in it.
STAGE=$(mktemp -d)
cp -r python/labelsieve "$STAGE/"
rm -f "$STAGE"/labelsieve/_core*.so
cp "$BUILD"/_core*.so "$STAGE/labelsieve/"
ASAN_LIB=$(g++ -print-file-name=libasan.so)
UBSAN_LIB=$(g++ -print-file-name=libubsan.so)
LD_PRELOAD="$ASAN_LIB $UBSAN_LIB" ASAN_OPTIONS=detect_leaks=0 PYTHONPATH="$STAGE" LABELSIEVE_BACKEND=cpp \
  "$PY" -m pytest -q -p no:cacheprovider tests/test_primitives.py tests/test_core_binding.py -k "cpp or binding or core" "$@"
echo "sanitizers: clean"
