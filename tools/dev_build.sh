#!/usr/bin/env bash
# Developer build: compile the extension in place (python/labelsieve/_core*.so) so that
# `PYTHONPATH=python python -m pytest` runs against the working tree. Users install with pip.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
BUILD_TYPE=${BUILD_TYPE:-Release}
# BUILD_DIR lets several people build the same tree at once without sharing ninja state.
BUILD_DIR=${BUILD_DIR:-build/dev-${BUILD_TYPE}}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
  -DPython_EXECUTABLE="$(command -v "$PY")" \
  -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j "${JOBS:-2}"
# Copy then rename: overwriting the loaded .so in place would crash running processes.
for so in "$BUILD_DIR"/_core*.so; do
  cp "$so" "python/labelsieve/.$(basename "$so").tmp"
  mv -f "python/labelsieve/.$(basename "$so").tmp" "python/labelsieve/$(basename "$so")"
done
echo "built: $(ls python/labelsieve/_core*.so)"
