"""Out-of-core and Dask benchmarks (issue 5).

    python bench/bench_scale.py memmap  --rows 500000000 --dir /tmp/lsbig   # 20 GB float32 x 10
    python bench/bench_scale.py inmem   --rows 100000000                    # 100M x 10 float32 in RAM
    python bench/bench_scale.py dask    --rows 10000000                     # LocalCluster vs in-memory

``memmap`` writes ``pred_probs.npy`` (float32, K=10) and ``labels.npy``
(int32) in blocks (reused if present; ``--delete`` removes them at the end),
then runs ``find_issues`` in a fresh subprocess per path -- the normal API on
``np.load(..., mmap_mode="r")`` and ``labelsieve.chunked`` over the same
memmaps -- sampling ``RssAnon`` (anonymous, i.e. non-file-backed resident
memory) every 2 ms.  It reports the peak increase over the value just before
the call, in bytes per row.  ``--smoke`` runs everything tiny (CI).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

K = 10
ROOT = Path(__file__).resolve().parents[1]


def rss_anon() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("RssAnon not available (Linux only)")


class PeakAnon:
    """Peak RssAnon while the block runs, sampled by a thread."""

    def __enter__(self):
        self.base = rss_anon()
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_anon())
            time.sleep(0.002)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_anon())

    @property
    def increase(self) -> int:
        return self.peak - self.base


def make_data(n: int, seed: int = 0, noise: float = 0.2):
    rng = np.random.default_rng(seed)
    true = rng.integers(0, K, n)
    logits = rng.standard_normal((n, K), dtype=np.float32) * np.float32(2)
    logits[np.arange(n), true] += np.float32(5)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=1, keepdims=True)
    labels = true.copy()
    flip = rng.random(n) < noise
    labels[flip] = rng.integers(0, K, int(flip.sum()))
    return labels.astype(np.int32), logits


def write_files(directory: Path, n: int, block: int = 4_000_000) -> tuple:
    directory.mkdir(parents=True, exist_ok=True)
    lab_path, prob_path = directory / "labels.npy", directory / "pred_probs.npy"
    if lab_path.exists() and prob_path.exists() and len(np.load(lab_path, mmap_mode="r")) == n:
        return lab_path, prob_path
    labels = np.lib.format.open_memmap(lab_path, mode="w+", dtype=np.int32, shape=(n,))
    probs = np.lib.format.open_memmap(prob_path, mode="w+", dtype=np.float32, shape=(n, K))
    t0 = time.perf_counter()
    for i, start in enumerate(range(0, n, block)):
        stop = min(n, start + block)
        labels[start:stop], probs[start:stop] = make_data(stop - start, seed=i)
        probs.flush()
    del labels, probs
    print(f"wrote {n} rows ({(n * K * 4) / 1e9:.1f} GB) in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return lab_path, prob_path


def _child(mode: str, directory: str, chunk_rows: int, n_jobs: int) -> None:
    """Runs in a fresh process: one find_issues call on the memmaps, JSON on stdout."""
    import labelsieve
    import labelsieve.chunked as lc

    labels = np.load(Path(directory) / "labels.npy", mmap_mode="r")
    probs = np.load(Path(directory) / "pred_probs.npy", mmap_mode="r")
    n = len(labels)
    warm_l, warm_p = np.array(labels[:1000]), np.array(probs[:1000])
    labelsieve.find_issues(warm_l, warm_p, n_jobs=n_jobs)  # load the backend outside the measurement
    lc.find_issues([(warm_l, warm_p)], n_jobs=n_jobs)
    t0 = time.perf_counter()
    with PeakAnon() as peak:
        if mode == "api":
            mask = labelsieve.find_issues(labels, probs, n_jobs=n_jobs)
        else:
            mask = lc.find_issues(lc.from_arrays(labels, probs, chunk_rows=chunk_rows), n_jobs=n_jobs)
    seconds = time.perf_counter() - t0
    print(json.dumps({"mode": mode, "rows": n, "seconds": seconds, "peak_anon_increase": peak.increase,
                      "bytes_per_row": peak.increase / n, "flagged": int(mask.sum())}))


def child_env() -> dict:
    """The environment for a child that imports the same labelsieve as this process."""
    try:
        import labelsieve

        where = str(Path(labelsieve.__file__).resolve().parents[1])
    except ImportError:
        where = str(ROOT / "python")
    return dict(os.environ, PYTHONPATH=where + os.pathsep + os.environ.get("PYTHONPATH", ""))


def run_child(mode: str, directory: Path, chunk_rows: int, n_jobs: int) -> dict:
    env = child_env()
    out = subprocess.run(
        [sys.executable, __file__, "_child", mode, str(directory), str(chunk_rows), str(n_jobs)],
        capture_output=True, text=True, env=env, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_memmap(args) -> list:
    directory = Path(args.dir)
    write_files(directory, args.rows)
    results = []
    try:
        for mode in ("chunked", "api"):
            r = run_child(mode, directory, args.chunk_rows, args.n_jobs)
            print(f"memmap {mode:8s} {r['rows']:>11,d} rows: {r['seconds']:7.1f} s, peak anon +"
                  f"{r['peak_anon_increase'] / 1e6:8.1f} MB = {r['bytes_per_row']:.2f} B/row, "
                  f"{r['flagged']} flagged")
            results.append(r)
        assert results[0]["flagged"] == results[1]["flagged"]
    finally:
        if args.delete:
            for name in ("labels.npy", "pred_probs.npy"):
                (directory / name).unlink(missing_ok=True)
    return results


def bench_inmem(args) -> None:
    import labelsieve

    labels, probs = make_data(args.rows)
    labelsieve.find_issues(labels[:1000], probs[:1000])
    for fn in ("find_issues", "confident_thresholds", "label_quality_scores"):
        t0 = time.perf_counter()
        getattr(labelsieve, fn)(labels, probs, n_jobs=args.n_jobs)
        print(f"in-memory {fn:22s} {args.rows:>11,d} x {K} float32: {time.perf_counter() - t0:6.2f} s")


def bench_dask(args) -> None:
    import dask.array as da
    import distributed

    import labelsieve

    labels, probs = make_data(args.rows)
    t0 = time.perf_counter()
    expected = labelsieve.find_issues(labels, probs, n_jobs=args.n_jobs)
    t_mem = time.perf_counter() - t0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        # data scattered to the workers first: the benchmark measures the computation, not the upload
        dl = da.from_array(labels, chunks=args.chunk_rows)
        dp = da.from_array(probs, chunks=(args.chunk_rows, K))
        dl, dp = client.persist(dl), client.persist(dp)
        distributed.wait([dl, dp])
        labelsieve.find_issues(dl[:1000], dp[:1000])  # warm the workers
        t0 = time.perf_counter()
        got = labelsieve.find_issues(dl, dp)
        t_dask = time.perf_counter() - t0
    assert np.array_equal(expected, got)
    print(f"dask LocalCluster(2 procs) {args.rows:,d} x {K} float32, chunks {args.chunk_rows:,d}: "
          f"{t_dask:.2f} s vs in-memory (n_jobs={args.n_jobs}) {t_mem:.2f} s -> overhead ratio {t_dask / t_mem:.2f}")


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_child":
        _child(argv[1], argv[2], int(argv[3]), int(argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["memmap", "inmem", "dask"])
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--dir", default="/tmp/labelsieve_bench_scale")
    parser.add_argument("--chunk-rows", type=int, default=1 << 22)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--delete", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (CI)")
    args = parser.parse_args(argv)
    defaults = {"memmap": 500_000_000, "inmem": 100_000_000, "dask": 10_000_000}
    if args.smoke:
        args.rows, args.chunk_rows, args.delete = 200_000, 50_000, True
    elif args.rows is None:
        args.rows = defaults[args.what]
    {"memmap": bench_memmap, "inmem": bench_inmem, "dask": bench_dask}[args.what](args)


if __name__ == "__main__":
    main()
