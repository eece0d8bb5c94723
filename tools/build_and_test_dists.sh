#!/usr/bin/env bash
# Build the sdist and a wheel exactly as a release would (python -m build: the sdist first,
# then the wheel from the unpacked sdist), audit the wheel's external libraries, and test
# what users install, each in its own fresh virtual environment:
#   cibw       cibuildwheel --print-build-identifiers for linux/macos/windows (config lint)
#   build      python -m build: the sdist, then the wheel from the unpacked sdist
#   audit      contents of both (tools/check_dists.py), auditwheel show, DT_NEEDED libraries
#   nocompiler building the sdist with a broken compiler (CXX=/bin/false) fails, with the
#              message that names the pure-Python build (never a wheel without the core)
#   wheel      the built wheel (+ torch's CPU build), the test suite run against the INSTALLED
#              package (checked: imported from site-packages, never from the source python/)
#   sdist      pip install of the sdist (compiles again), `labelsieve demo`, quick tests
#   pure       LABELSIEVE_BUILD_EXTENSION=OFF pip install . -> py3-none-any, numba backend
#              chosen, `labelsieve demo`, packaging tests and a few parity datasets
#
# Environment:
#   PYTHON                 interpreter the virtual environments are made from (python3)
#   LABELSIEVE_DIST_TESTS  test selection for the wheel step: full (default, the whole
#                          suite), quick (~500 tests, seconds), none, or literal pytest arguments
#                          (tests/... paths, e.g. "tests/test_kxk.py -x"; run from the sdist).
#                          The sdist step runs the quick selection on the C++ backend, pure
#                          a subset on numba.
#   LABELSIEVE_DIST_STEPS  which steps to run (default "cibw build audit nocompiler wheel
#                          sdist pure"); audit/nocompiler/wheel/sdist need build (or DIST_DIR
#                          holding a previous build's sdist and wheel).
#   DIST_DIR               keep the built sdist and wheel here (default: a temporary directory)
# Exit status is non-zero on the first failure; a timing table is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3}
TESTS=${LABELSIEVE_DIST_TESTS:-full}
STEPS=" ${LABELSIEVE_DIST_STEPS:-cibw build audit nocompiler wheel sdist pure} "
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
DIST=${DIST_DIR:-$WORK/dist}
mkdir -p "$DIST"
unset PYTHONPATH LABELSIEVE_BACKEND  # tests must see only what is installed, default backend

# The quick selection: packaging/backends/CLI, argument checks, every primitive vs the
# NumPy reference (all backends present), the K x K algebra and 12 random parity datasets
# against cleanlab.
QUICK_FILES=(tests/test_packaging.py tests/test_backend_and_cli.py tests/test_validation.py
  tests/test_core_binding.py tests/test_primitives.py tests/test_kxk.py tests/test_losses.py
  tests/test_parity_random.py)
QUICK_K="not test_parity or s0- or s1- or s2- or s3-"
# The sdist step compiles the same code the wheel step has tested: the quick selection on
# the C++ backend only (numba's first calls compile every kernel again in a fresh venv).
SDIST_K="($QUICK_K) and not numba"
# The pure-Python build runs on numba, whose first call of each kernel signature compiles it
# (minutes for the quick selection in a fresh environment); the main suite already runs on
# the numba backend, so here: packaging/backend checks and a few parity datasets.
PURE_FILES=(tests/test_packaging.py tests/test_backend_and_cli.py tests/test_parity_random.py)
PURE_K="not test_parity or s0-"

TIMES=()
step() { echo; echo "== dists: $*"; }
timed() {  # timed NAME CMD...: run, record the duration
    local name=$1 start=$SECONDS
    shift
    "$@"
    TIMES+=("$(printf '%-28s %5d s' "$name" $((SECONDS - start)))")
}
want() { [[ $STEPS == *" $1 "* ]]; }
fresh_venv() {  # fresh_venv DIR: a new virtual environment with a current pip
    "$PY" -m venv "$1"
    "$1/bin/python" -m pip install --quiet --upgrade pip
}
# The tests run are the sdist's own copy (unpacked below into $SRC), so they always match the
# code that was built, and the working tree's python/ is never importable.  Without an sdist
# (only the pure step), the working tree's tests/ are used.
SRC=$ROOT
run_pytest() {  # run_pytest VENV [pytest args...], from outside the source tree
    local venv=$1
    shift
    (cd "$WORK" && "$venv/bin/python" -m pytest -q -p no:cacheprovider -c "$SRC/pyproject.toml" \
        --rootdir "$SRC" "$@")
}
run_quick() {  # run_quick VENV: the quick selection
    local files=("${QUICK_FILES[@]/#/$SRC/}")
    run_pytest "$1" "${files[@]}" -k "$QUICK_K"
}
run_sdist_tests() {  # run_sdist_tests VENV: the quick selection, C++ backend only
    local files=("${QUICK_FILES[@]/#/$SRC/}")
    run_pytest "$1" "${files[@]}" -k "$SDIST_K"
}
run_pure() {  # run_pure VENV: the selection for the numba-only build
    local files=("${PURE_FILES[@]/#/$SRC/}")
    run_pytest "$1" "${files[@]}" -k "$PURE_K"
}
check_import() {  # check_import VENV EXPECTED_BACKEND: imported from site-packages, backend
    (cd "$WORK" && "$1/bin/python" - "$ROOT" "$SRC" "$2" <<'EOF'
import sys, sysconfig
from pathlib import Path
import labelsieve
from labelsieve import _backend
root, src, expected = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve(), sys.argv[3]
here = Path(labelsieve.__file__).resolve()
site = Path(sysconfig.get_path("platlib")).resolve()
backend = _backend.get_backend().__name__
print(f"labelsieve {labelsieve.__version__} from {here}; default backend {backend}")
assert here.is_relative_to(site), "not the installed package"
assert not here.is_relative_to(root) and not here.is_relative_to(src), "imported from a source tree"
assert backend == {"cpp": "labelsieve._core", "numba": "labelsieve._numba"}[expected], backend
EOF
    )
}

if want cibw; then
    step "cibuildwheel --print-build-identifiers (lints [tool.cibuildwheel])"
    fresh_venv "$WORK/cibw-venv"
    timed "cibw: install cibuildwheel" "$WORK/cibw-venv/bin/pip" install --quiet cibuildwheel
    cibw_lint() {
        local platform ids minor
        for platform in linux macos windows; do
            ids=$(cd "$ROOT" && "$WORK/cibw-venv/bin/cibuildwheel" --print-build-identifiers --platform "$platform")
            echo "  $platform:" $ids
            # Every supported CPython from 3.10 on, 64-bit only.
            for minor in 10 11 12 13; do
                [[ $ids == *"cp3$minor-"* ]] || { echo "cibw: no cp3$minor build for $platform" >&2; return 1; }
            done
            if [[ $ids == *cp39-* || $ids == *i686* || $ids == *win32* ]]; then
                echo "cibw: unexpected identifiers for $platform" >&2; return 1
            fi
        done
    }
    timed "cibw: build identifiers" cibw_lint
fi

if want build; then
    step "python -m build (sdist, then the wheel from the sdist)"
    fresh_venv "$WORK/build-venv"
    timed "build: install build" "$WORK/build-venv/bin/pip" install --quiet build
    # An explicit ON: a packaging build either contains the C++ core or fails.
    timed "build: sdist + wheel" env LABELSIEVE_BUILD_EXTENSION=ON \
        "$WORK/build-venv/bin/python" -m build --outdir "$DIST" "$ROOT"
fi
SDIST=$(ls "$DIST"/labelsieve-*.tar.gz 2>/dev/null | head -n 1 || true)
WHEEL=$(ls "$DIST"/labelsieve-*.whl 2>/dev/null | head -n 1 || true)
if [ -n "$SDIST" ]; then
    mkdir -p "$WORK/src"
    tar -xzf "$SDIST" -C "$WORK/src"
    SRC=$(ls -d "$WORK"/src/labelsieve-*)
    echo "tests and the pure-Python build come from the unpacked sdist: $SRC"
fi

if want audit; then
    step "contents of the sdist and the wheel; auditwheel show; external libraries"
    fresh_venv "$WORK/audit-venv"
    timed "audit: install auditwheel" "$WORK/audit-venv/bin/pip" install --quiet auditwheel
    timed "audit: contents + libraries" "$WORK/audit-venv/bin/python" "$ROOT/tools/check_dists.py" \
        "$SDIST" "$WHEEL" --auditwheel "$WORK/audit-venv/bin/auditwheel"
fi

if want nocompiler; then
    step "building the sdist with a broken compiler (CXX=/bin/false) must fail clearly"
    nocompiler() {
        local log=$WORK/nocompiler.log
        [ -d "$WORK/nocompiler-venv" ] || fresh_venv "$WORK/nocompiler-venv"
        if CXX=/bin/false "$WORK/nocompiler-venv/bin/pip" wheel --no-deps --quiet \
            --wheel-dir "$WORK/nocompiler" "$SDIST" >"$log" 2>&1; then
            echo "a build with CXX=/bin/false succeeded: the C++ core was dropped" >&2
            ls "$WORK/nocompiler" >&2
            return 1
        fi
        grep -q "no working C++ compiler was found" "$log" && grep -q "LABELSIEVE_BUILD_EXTENSION=OFF" "$log" \
            && grep -q "building the C++ core failed" "$log" \
            || { cat "$log" >&2; echo "the failure does not explain itself" >&2; return 1; }
        grep -A12 "CMake Error" "$log" | sed 's/^ */  /'
    }
    timed "nocompiler: clear failure" nocompiler
fi

demo() { (cd "$WORK" && "$1/bin/labelsieve" demo); }
run_custom() {  # run_custom VENV: literal pytest arguments, tests/... relative to the source
    local args
    eval "args=($TESTS)"
    run_pytest "$1" "${args[@]/#tests\//$SRC/tests/}"
}

if want wheel; then
    step "the wheel in a fresh venv; tests ($TESTS) against the installed package"
    fresh_venv "$WORK/wheel-venv"
    # torch's CPU build for the torch tests ([test] does not pull torch; a plain 'torch'
    # requirement would fetch the CUDA packages).
    timed "wheel: pip install torch" "$WORK/wheel-venv/bin/pip" install --quiet "torch==2.13.0"
    timed "wheel: pip install wheel[test]" "$WORK/wheel-venv/bin/pip" install --quiet "$WHEEL[test]"
    check_import "$WORK/wheel-venv" cpp
    export LABELSIEVE_EXPECT_INSTALLED=1 LABELSIEVE_EXPECT_BACKEND=cpp
    case $TESTS in
        none) ;;
        quick) timed "wheel: quick tests" run_quick "$WORK/wheel-venv" ;;
        full) timed "wheel: full test suite" run_pytest "$WORK/wheel-venv" "$SRC/tests" ;;
        *) timed "wheel: tests ($TESTS)" run_custom "$WORK/wheel-venv" ;;
    esac
fi

if want sdist; then
    step "pip install of the sdist in a fresh venv (compiles), demo, quick tests"
    fresh_venv "$WORK/sdist-venv"
    timed "sdist: pip install sdist[test]" "$WORK/sdist-venv/bin/pip" install --quiet "$SDIST[test]"
    check_import "$WORK/sdist-venv" cpp
    timed "sdist: labelsieve demo" demo "$WORK/sdist-venv"
    export LABELSIEVE_EXPECT_INSTALLED=1 LABELSIEVE_EXPECT_BACKEND=cpp
    timed "sdist: quick tests (cpp)" run_sdist_tests "$WORK/sdist-venv"
fi

if want pure; then
    step "pure-Python build: LABELSIEVE_BUILD_EXTENSION=OFF pip install \".[test]\" (numba backend)"
    fresh_venv "$WORK/pure-venv"
    timed "pure: pip install .[test]" env LABELSIEVE_BUILD_EXTENSION=OFF \
        "$WORK/pure-venv/bin/pip" install --quiet "$SRC[test]"
    check_import "$WORK/pure-venv" numba
    "$WORK/pure-venv/bin/python" -c '
import importlib.metadata as md
wheel = md.distribution("labelsieve").read_text("WHEEL")
tags = [line.split(": ", 1)[1] for line in wheel.splitlines() if line.startswith("Tag: ")]
print("pure build: wheel tags", tags)
assert tags == ["py3-none-any"], tags
' 
    timed "pure: labelsieve demo" demo "$WORK/pure-venv"
    export LABELSIEVE_EXPECT_INSTALLED=1 LABELSIEVE_EXPECT_BACKEND=numba
    timed "pure: tests (subset)" run_pure "$WORK/pure-venv"
fi

echo
echo "== dists: all steps passed; durations"
printf '  %s\n' "${TIMES[@]}"
