#!/usr/bin/env bash
# Memory-safety check: build the extension with AddressSanitizer and
# UndefinedBehaviorSanitizer, then run on it the binding and primitive tests,
# the malformed-input catalogue, the validation, property, determinism,
# interrupt, multi-label, chunked-sum, concurrency and K x K tests (about 3
# minutes of tests on 2 cores, after the build).  Extra arguments go to pytest.
# Usage: PYTHON=/path/to/python bash tools/sanitize.sh
#        SANITIZE_QUICK=1 ...   only the binding and primitive tests
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
BUILD=${BUILD_DIR:-build/sanitize}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DPython_EXECUTABLE="$(command -v "$PY")" -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" >/dev/null
cmake --build "$BUILD" -j "${JOBS:-2}" --target _core
# A private copy of the package with the instrumented module in it.
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
cp -r python/labelsieve "$STAGE/"
rm -f "$STAGE"/labelsieve/_core*.so
cp "$BUILD"/_core*.so "$STAGE/labelsieve/"
ASAN_LIB=$(g++ -print-file-name=libasan.so)
UBSAN_LIB=$(g++ -print-file-name=libubsan.so)
TESTS=(tests/test_primitives.py tests/test_core_binding.py)
if [ -z "${SANITIZE_QUICK:-}" ]; then
  TESTS+=(tests/test_catalogue.py tests/test_validation.py tests/test_properties.py tests/test_kxk.py
          tests/test_determinism.py tests/test_interrupt.py tests/test_stable_argsort.py
          tests/test_multilabel.py tests/test_chunked_sums.py
          "tests/test_concurrency.py::test_eight_threads_get_the_serial_answers"
          "tests/test_concurrency.py::test_same_input_from_many_threads")
fi
# Python's own allocations are not instrumented: leaks are not checked; an impossible
# allocation (the catalogue's 8 TiB case) returns NULL -> MemoryError as without ASan; a
# sanitizer report aborts the run (the exit status fails this script).
LD_PRELOAD="$ASAN_LIB $UBSAN_LIB" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 PYTHONPATH="$STAGE" LABELSIEVE_BACKEND=cpp \
  "$PY" -m pytest -q -p no:cacheprovider "${TESTS[@]}" "$@"
echo "sanitizers: clean"
