"""Concurrency: many Python threads calling the API at once get the serial
answers, and the heavy passes run without the GIL.

* 8 threads, each on its own dataset (different N, K, dtype, filter), all
  started together; every result must equal the one computed serially.
* GIL: while one thread runs a primitive over a large array, the main
  thread keeps executing Python bytecode (stalled well under half the time); and
  (on an idle machine) two concurrent single-threaded calls take clearly
  less wall time than the same two calls in sequence.
"""

from __future__ import annotations

import threading
import time
import warnings

import numpy as np
import pytest

import labelsieve
from datasets import noisy_dataset

BACKENDS = ("cpp", "numba")
FILTERS = ("prune_by_noise_rate", "prune_by_class", "both", "confident_learning",
           "predicted_neq_given", "low_normalized_margin", "low_self_confidence", "prune_by_noise_rate")
DTYPES = (np.float32, np.float64, np.float16)


def job_inputs(j: int):
    n, k = 6_000 + 1_000 * j, 3 + 2 * j
    labels, p = noisy_dataset(100 + j, n, k, DTYPES[j % 3], "rounded" if j % 2 else "continuous")
    return labels, p, FILTERS[j]


def run_job(labels, p, filter_by, backend, n_jobs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mask = labelsieve.find_issues(labels, p, filter_by=filter_by, backend=backend, n_jobs=n_jobs)
        ranked = labelsieve.find_issues(labels, p, return_indices_ranked_by="normalized_margin",
                                        backend=backend, n_jobs=n_jobs)
        joint = labelsieve.confident_joint(labels, p, backend=backend, n_jobs=n_jobs)
        scores = labelsieve.label_quality_scores(labels, p, method="confidence_weighted_entropy",
                                                 backend=backend, n_jobs=n_jobs)
    return mask, ranked, joint, scores


def run_concurrently(fns):
    """Start every fn at the same moment on its own thread; return their results."""
    results = [None] * len(fns)
    errors = []
    barrier = threading.Barrier(len(fns))

    def target(i):
        try:
            barrier.wait()
            results[i] = fns[i]()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


@pytest.mark.parametrize("backend", BACKENDS)
def test_eight_threads_get_the_serial_answers(backend):
    inputs = [job_inputs(j) for j in range(8)]
    serial = [run_job(*args, backend, 1) for args in inputs]
    for n_jobs in (1, 2):
        concurrent = run_concurrently([lambda a=args: run_job(*a, backend, n_jobs) for args in inputs])
        for j, (ours, expected) in enumerate(zip(concurrent, serial)):
            for a, b in zip(ours, expected):
                assert a.dtype == b.dtype and np.array_equal(a, b), f"job {j} differs (n_jobs={n_jobs})"


def test_same_input_from_many_threads():
    labels, p, _ = job_inputs(3)
    expected = run_job(labels, p, "both", "cpp", 2)
    for results in (run_concurrently([lambda b=b: run_job(labels, p, "both", b, 2) for b in BACKENDS * 3])):
        for a, b in zip(results, expected):
            assert np.array_equal(a, b)


# A gap this long in the main thread's loop is a stall: far above the 5 ms GIL
# switch interval, well below one judged call (>= 50 ms).
STALL_GAP = 0.02


def blocked_share_while(calls) -> tuple[float, float]:
    """Run the calls on a worker thread while the main thread loops on Python
    bytecode; return (the share of the elapsed time the main thread spent in
    stalls, the shortest call).  A call that holds the GIL stalls the main
    thread for all of its duration (share near 1); a released GIL leaves only
    OS scheduling gaps.  A share, unlike the longest single gap, is not decided
    by one descheduling on a loaded machine (CI once saw a 47 ms gap beside
    57 ms calls that release the GIL)."""
    durations = []

    def worker():
        for fn in calls:
            start = time.perf_counter()
            fn()
            durations.append(time.perf_counter() - start)

    ticks = [time.perf_counter()]
    thread = threading.Thread(target=worker)
    thread.start()
    while thread.is_alive():
        ticks.append(time.perf_counter())
    thread.join()
    gaps = np.diff(ticks)
    return float(gaps[gaps > STALL_GAP].sum() / (ticks[-1] - ticks[0])), min(durations)


def test_stall_detector_detects_a_held_gil():
    """The measurement itself: sorting a list holds the GIL, and is caught."""
    values = list(np.random.default_rng(0).permutation(1_500_000).tolist())
    share, shortest = blocked_share_while([lambda: sorted(values)] * 2)
    assert shortest > STALL_GAP and share > 0.75


@pytest.mark.parametrize("backend", BACKENDS)
def test_primitives_release_the_gil(backend):
    """While a primitive runs on another thread the main thread keeps running
    Python: it is stalled for well under half the time (a held GIL would stall
    it throughout).  The best of three tries is judged: a held GIL fails every
    try, a passing load spike does not."""
    from labelsieve._backend import get_backend

    module = get_backend(backend)
    rng = np.random.default_rng(0)
    k = 20
    for n in (2_000_000, 8_000_000):  # grow the input until one call is long enough to judge
        p = rng.random((n, k), dtype=np.float32)
        labels = rng.integers(0, k, n).astype(np.int64)
        out = np.empty(n, np.float32)
        calls = [
            lambda: module.entropy_sums(p, out, 1),
            lambda: module.class_sums(labels, p, np.zeros(k, np.int64), np.zeros(k, np.float32), 1),
        ]
        for fn in calls:
            fn()  # compile / warm up
        share, shortest = blocked_share_while(calls * 2)
        if shortest > 2.5 * STALL_GAP:
            break
    else:
        pytest.skip(f"calls of {shortest * 1e3:.0f} ms are too short to judge on this machine")
    shares = [share]
    while shares[-1] >= 0.5 and len(shares) < 3:
        shares.append(blocked_share_while(calls * 2)[0])
    assert min(shares) < 0.5, f"main thread stalled for {shares} of the time during calls of >= {shortest * 1e3:.0f} ms"


def load_is_low() -> bool:
    import os

    return os.getloadavg()[0] < 0.75 * (os.cpu_count() or 1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_concurrent_calls_beat_two_sequential(backend):
    labels, p = noisy_dataset(7, 800_000, 10, np.float32, "continuous")
    call = lambda: labelsieve.find_issues(labels, p, backend=backend, n_jobs=1)  # noqa: E731
    call()  # warm up
    sequential, concurrent = [], []
    for _ in range(3):
        start = time.perf_counter()
        call(), call()
        sequential.append(time.perf_counter() - start)
        start = time.perf_counter()
        run_concurrently([call, call])
        concurrent.append(time.perf_counter() - start)
    ratio = min(concurrent) / min(sequential)
    print(f"{backend}: 2 sequential {min(sequential) * 1e3:.0f} ms, 2 concurrent {min(concurrent) * 1e3:.0f} ms "
          f"(ratio {ratio:.2f})")
    # Ideal is 0.5 on two idle cores; a held GIL gives >= 1.0.  On a busy
    # machine there is no idle core to gain, so the ratio proves nothing there
    # (test_primitives_release_the_gil is the load-independent check).
    if not load_is_low():
        pytest.skip(f"machine busy (load {__import__('os').getloadavg()[0]:.1f}); ratio {ratio:.2f} not judged")
    assert ratio < 0.85  # measured 0.66-0.70 for find_issues at 800k x 10 (load 2.5 on 2 cores)
