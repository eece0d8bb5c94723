"""pytest-benchmark microbenchmarks: each backend primitive, per dtype, plus
the public calls the performance targets are stated for.

    pytest bench/test_microbench.py                       # timings, N=1M, K=10
    LABELSIEVE_BENCH_N=10000000 LABELSIEVE_BENCH_K=10 pytest bench/test_microbench.py
    LABELSIEVE_BENCH_SMOKE=1 pytest bench/test_microbench.py --benchmark-disable   # CI

Every benchmark also checks its result: in smoke mode (small N) against the
NumPy reference rendering of the primitive contract (tests/reference_backend.py),
otherwise against the C++ backend's single-thread result.  CI runs the smoke
mode (correctness only, no timing assertions).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import labelsieve  # noqa: E402
from labelsieve import _backend, _passes  # noqa: E402
from noisy_data import noisy_predictions  # noqa: E402

SMOKE = os.environ.get("LABELSIEVE_BENCH_SMOKE") == "1"
N = 3000 if SMOKE else int(os.environ.get("LABELSIEVE_BENCH_N", 1_000_000))
K = int(os.environ.get("LABELSIEVE_BENCH_K", 10))
THREADS = int(os.environ.get("LABELSIEVE_BENCH_THREADS", 1))
DTYPES = ["float16", "float32", "float64"]
BACKENDS = ["cpp", "numba"]


def backend_or_skip(name):
    try:
        return _backend.get_backend(name)
    except ImportError as exc:
        pytest.skip(f"backend {name} unavailable: {exc}")


@pytest.fixture(scope="module", params=DTYPES)
def data(request):
    labels, probs = noisy_predictions(N, K, request.param, seed=1)
    thresholds, _ = _passes.thresholds(backend_or_skip("cpp") if not SMOKE else _reference(), labels, probs, 1)
    counts = labelsieve.confident_joint(labels, probs, backend="cpp" if not SMOKE else None)
    return labels, probs, thresholds, counts


def _reference():
    import reference_backend

    return reference_backend


def primitive_call(name, backend, labels, p, thresholds, counts, n_threads):
    """A zero-argument call of one primitive (outputs allocated per call, as
    labelsieve does) returning its outputs as bytes for comparison."""
    n, k = p.shape
    acc = _passes.accumulator_dtype(p.dtype)

    def out_bytes(*arrays):
        return [a.tobytes() for a in arrays]

    if name == "value_range":
        def call():
            out = np.empty(2, acc)
            backend.value_range(p, out, n_threads)
            return out_bytes(out)
    elif name == "class_sums":
        def call():
            c, s = np.zeros(k, np.int64), np.zeros(k, acc)
            backend.class_sums(labels, p, c, s, n_threads)
            return out_bytes(c, s)
    elif name == "joint_pass":
        cut = _passes.confident_cut(thresholds, p.dtype)

        def call():
            g, j, f = np.empty(n, np.int32), np.zeros((k, k), np.int64), np.empty(n, np.uint8)
            backend.joint_pass(labels, p, cut, False, g, j, f, n_threads)
            return out_bytes(g, j, f)
    elif name == "row_stats":
        def call():
            own, other = np.empty(n, p.dtype), np.empty(n, p.dtype)
            backend.row_stats(labels, p, None, own, other, n_threads)
            return out_bytes(own, other)
    elif name == "entropy_sums":
        def call():
            e = np.empty(n, np.float32 if p.dtype == np.float32 else np.float64)
            backend.entropy_sums(p, e, n_threads)
            return out_bytes(e)
    elif name == "prune_by_noise_rate":
        prune = np.ascontiguousarray(counts.T, dtype=np.int64)  # realistic sizes: the joint's off-diagonal
        ok = np.ones(k, np.uint8)

        def call():
            m = np.zeros(n, np.uint8)
            backend.prune_by_noise_rate(labels, p, prune, ok, m, n_threads)
            return out_bytes(m)
    elif name == "prune_by_class":
        per_class = np.ascontiguousarray(counts.sum(axis=1) - np.diagonal(counts), dtype=np.int64)

        def call():
            m = np.zeros(n, np.uint8)
            backend.prune_by_class(labels, p, per_class, m, n_threads)
            return out_bytes(m)
    elif name == "select_lowest":
        scores = np.ascontiguousarray(p[np.arange(n), labels])

        def call():
            m = np.zeros(n, np.uint8)
            backend.select_lowest(scores, n // 5, m, n_threads)
            return out_bytes(m)
    else:
        raise ValueError(name)
    return call


PRIMITIVES = ["value_range", "class_sums", "joint_pass", "row_stats", "entropy_sums",
              "prune_by_noise_rate", "prune_by_class", "select_lowest"]


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("primitive", PRIMITIVES)
def test_primitive(benchmark, data, primitive, backend_name):
    labels, p, thresholds, counts = data
    backend = backend_or_skip(backend_name)
    benchmark.group = f"{primitive} {p.dtype} N={N} K={K}"
    call = primitive_call(primitive, backend, labels, p, thresholds, counts, THREADS)
    call()  # warm-up (numba compilation, thread pool)
    got = benchmark(call)
    oracle = _reference() if SMOKE else backend_or_skip("cpp")
    expected = primitive_call(primitive, oracle, labels, p, thresholds, counts, 1)()
    assert got == expected


def test_one_pass_floor(benchmark, data):
    """The floor the targets are stated against: one read of pred_probs."""
    labels, p, _, _ = data
    benchmark.group = f"public {p.dtype} N={N} K={K}"
    total = benchmark(p.sum)
    exact = float(p.astype(np.float64).sum())
    if exact > float(np.finfo(p.dtype).max):  # float16 at full size: NumPy's sum overflows its dtype
        assert np.isinf(total)
    else:
        assert np.isclose(float(total), exact, rtol=1e-2)


def test_numpy_min_max(benchmark, data):
    """What validation cost before the value_range primitive: NumPy's min and max (two reads)."""
    labels, p, _, _ = data
    benchmark.group = f"value_range {p.dtype} N={N} K={K}"
    lo, hi = benchmark(lambda: (p.min(), p.max()))
    assert lo <= hi


PUBLIC_CALLS = {
    "find_issues": lambda l, p, b: labelsieve.find_issues(l, p, n_jobs=THREADS, backend=b),
    "find_issues_ranked": lambda l, p, b: labelsieve.find_issues(
        l, p, return_indices_ranked_by="self_confidence", n_jobs=THREADS, backend=b),
    "confident_joint": lambda l, p, b: labelsieve.confident_joint(l, p, n_jobs=THREADS, backend=b),
    "label_quality_scores": lambda l, p, b: labelsieve.label_quality_scores(l, p, n_jobs=THREADS, backend=b),
}


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("call_name", list(PUBLIC_CALLS))
def test_public_call(benchmark, data, call_name, backend_name):
    labels, p, _, _ = data
    backend_or_skip(backend_name)
    benchmark.group = f"public {p.dtype} N={N} K={K}"
    fn = PUBLIC_CALLS[call_name]
    fn(labels[:2000], p[:2000], backend_name)  # warm-up
    got = benchmark(fn, labels, p, backend_name)
    expected = fn(labels, p, "cpp" if backend_name == "numba" else "numba") if SMOKE else fn(labels, p, "cpp")
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))


def test_entry_points_script_reports_every_target():
    """bench/entry_points.py (the per-entry-point ratios in RESULTS.md) on a small input."""
    import json
    import subprocess

    out = subprocess.run(  # the same environment: the labelsieve this test imports
        [sys.executable, str(HERE / "entry_points.py"), "--n", "3000", "--k", "7", "--repeat", "1", "--json"],
        check=True, capture_output=True, text=True,
    )
    report = json.loads(out.stdout)
    assert (report["n"], report["k"]) == (3000, 7)
    assert set(report["ms"]) == {"one pass", "find_issues", "confident_joint", "label_quality_scores"}
    assert all(ms > 0 for ms in report["ms"].values())


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="the peak-memory reset is Linux only")
def test_peak_memory_script_measures_each_entry_point():
    """bench/peak_memory.py (RESULTS.md's extra-peak figures) on a small input, in fresh processes."""
    import json
    import subprocess

    out = subprocess.run(
        [sys.executable, str(HERE / "peak_memory.py"), "--n", "3000", "--k", "7", "--repeat", "1", "--json"],
        check=True, capture_output=True, text=True,
    )
    report = json.loads(out.stdout)
    assert (report["n"], report["k"]) == (3000, 7)
    assert set(report["extra_peak_mib"]) == {"find_issues", "confident_joint", "label_quality_scores"}
    # A few MiB at most for 3000 rows: a figure that large means the inputs were counted.
    assert all(0 <= mib < 64 for mib in report["extra_peak_mib"].values())


def test_breakdown_script_times_each_step_inside_find_issues():
    """bench/find_issues_breakdown.py (RESULTS.md's breakdown tables) on a small input:
    each step is timed from inside the call (a step find_issues no longer calls
    would leave no sample and fail the script)."""
    import re
    import subprocess

    out = subprocess.run(
        [sys.executable, str(HERE / "find_issues_breakdown.py"), "--n", "3000", "--k", "7", "--repeat", "1"],
        check=True, capture_output=True, text=True,
    )
    ms = dict(re.findall(r"^  (\S.*?)\s+([0-9.]+) ms", out.stdout, flags=re.M))
    assert set(ms) == {"find_issues", "class pass", "joint pass", "pruning"}
    assert all(float(v) > 0 for v in ms.values())
    assert sum(float(ms[s]) for s in ("class pass", "joint pass", "pruning")) <= float(ms["find_issues"])


@pytest.mark.parametrize("backend", ["cpp", "numba"])
def test_label_and_joint_options_script_checks_both_variants_agree(backend):
    """bench/label_and_joint_options.py (RESULTS.md's one-byte-label and joint-output
    tables) on a small input: every variant pair is timed and gave equal outputs (the
    script exits with an error otherwise)."""
    import re
    import subprocess

    if backend == "numba":
        pytest.importorskip("numba")
    out = subprocess.run(
        [sys.executable, str(HERE / "label_and_joint_options.py"), "--n", "3000", "--k", "7", "--repeat", "2",
         "--backend", backend],
        check=True, capture_output=True, text=True,
    )
    assert f", {backend}, " in out.stdout
    ratios = re.findall(r"^  (\S.*?)\s+A .* B/A ([0-9.]+) / ([0-9.]+)$", out.stdout, flags=re.M)
    assert [name.strip() for name, *_ in ratios] == ["find_issues", "confident_joint", "B = flags alone", "B = counts only"]
    assert all(float(best) > 0 and float(median) > 0 for _, best, median in ratios)


def test_ab_builds_script_compares_two_extension_files_call_by_call(tmp_path):
    """bench/ab_builds.py (RESULTS.md's old/new tables) with the installed extension as both
    builds: every step of find_issues is timed on each (a step that was not routed to
    the loaded build would leave no sample and fail the script), and a folder without an
    extension file is refused by name."""
    import re
    import subprocess

    from labelsieve import _core

    script = [sys.executable, str(HERE / "ab_builds.py")]
    out = subprocess.run(
        [*script, _core.__file__, str(Path(_core.__file__).parent), "--n", "3000", "--k", "7", "--repeat", "2"],
        check=True, capture_output=True, text=True,
    )
    rows = re.findall(r"^  (find_issues|class pass|joint pass|pruning)\s+([0-9. ]+)$", out.stdout, flags=re.M)
    assert [name for name, _ in rows] == ["find_issues", "class pass", "joint pass", "pruning"]
    figures = {name: [float(x) for x in values.split()] for name, values in rows}
    assert all(len(values) == 6 for values in figures.values())
    # A best <= A median and B best <= B median; the steps run inside find_issues.
    assert all(v[0] <= v[1] and v[2] <= v[3] for v in figures.values())
    assert sum(figures[s][0] for s in ("class pass", "joint pass", "pruning")) <= figures["find_issues"][0] + 0.3

    refused = subprocess.run([*script, str(tmp_path), _core.__file__], capture_output=True, text=True)
    assert refused.returncode != 0
    assert f"{tmp_path}: expected one _core extension file, found 0" in refused.stderr
