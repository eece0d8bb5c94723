#!/usr/bin/env bash
# C++ unit tests (tests/cpp, doctest) of the core primitives, built in their own
# directory with AddressSanitizer and UndefinedBehaviorSanitizer, then run.
# Skips (exit 0) with a message when doctest is not installed
# (Debian/Ubuntu: apt-get install doctest-dev).
# Usage: PYTHON=/path/to/python bash tools/cpp_tests.sh [doctest options]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
BUILD=${BUILD_DIR:-build/cpp-tests}
if ! printf '#include <doctest/doctest.h>\n' | "${CXX:-c++}" -x c++ -fsyntax-only - 2>/dev/null; then
  echo "cpp_tests: doctest not found (apt-get install doctest-dev); C++ unit tests skipped"
  exit 0
fi
# The project's CMakeLists also configures the Python module, hence Python and pybind11.
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLABELSIEVE_BUILD_CPP_TESTS=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DPython_EXECUTABLE="$(command -v "$PY")" -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" >/dev/null
cmake --build "$BUILD" -j "${JOBS:-2}" --target labelsieve_cpp_tests
# Once per SIMD setting: the widest loops this CPU has, the AVX2 ones, the portable ones.
for simd in "" avx2 off; do
  echo "cpp_tests: LABELSIEVE_SIMD=${simd:-(unset)}"
  LABELSIEVE_SIMD=$simd ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$BUILD"/labelsieve_cpp_tests "$@"
done
echo "cpp_tests: passed (ASan + UBSan)"
