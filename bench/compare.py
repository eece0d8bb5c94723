"""Side-by-side: labelsieve vs cleanlab vs one read of the array, same data, one run.

    python bench/compare.py --n 1000000 --k 10 [--dtype float32] [--repeat 3]

Each measurement runs in a fresh subprocess that loads the same .npy files;
"extra peak" is the process's peak resident memory during the calls above
what it held after loading the inputs (Linux VmHWM after a clear_refs reset).  Times are the best of --repeat calls (cleanlab: one call
unless --cleanlab-repeat says otherwise).  Ratios are what to compare: this
machine is shared and absolute times drift.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from noisy_data import noisy_predictions  # noqa: E402

WORKER = r"""
import json, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
what, labels_path, probs_path, repeat, n_jobs, bench_dir = sys.argv[1:7]
repeat, n_jobs = int(repeat), int(n_jobs)
sys.path.insert(0, bench_dir)
import peak_rss
labels = np.load(labels_path)
pred_probs = np.load(probs_path)
if what == "floor":
    fn = lambda: pred_probs.sum()
elif what.startswith("labelsieve"):
    import labelsieve
    backend = what.split(":")[1] if ":" in what else None
    fn = lambda: labelsieve.find_issues(labels, pred_probs, n_jobs=n_jobs, backend=backend)
    # Warm up (numba JIT, thread pool start) on a small slice, so the peak-memory
    # baseline below does not already include a full-size call.
    labelsieve.find_issues(labels[:2000], pred_probs[:2000], n_jobs=n_jobs, backend=backend)
elif what == "cleanlab":
    from cleanlab.filter import find_label_issues
    fn = lambda: find_label_issues(labels, pred_probs, n_jobs=n_jobs)
base = peak_rss.start()  # loading the inputs does not count
best = float("inf"); result = None
for _ in range(repeat):
    t0 = time.perf_counter(); result = fn(); best = min(best, time.perf_counter() - t0)
extra = peak_rss.extra_mib(base)
issues = int(np.sum(result)) if what != "floor" else None
print(json.dumps({"seconds": best, "extra_peak_mib": extra, "issues": issues}))
"""


def make_data(n: int, k: int, dtype: str, seed: int, directory: str) -> tuple[str, str]:
    """Writes the benchmark data (bench/noisy_data.py) as .npy files."""
    labels, probs = noisy_predictions(n, k, dtype, seed)
    labels_path = os.path.join(directory, "labels.npy")
    probs_path = os.path.join(directory, "pred_probs.npy")
    np.save(labels_path, labels)
    np.save(probs_path, probs)
    return labels_path, probs_path


def measure(what: str, paths, repeat: int, n_jobs: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", WORKER, what, *paths, str(repeat), str(n_jobs), os.path.dirname(os.path.abspath(__file__))],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--dtype", default="float32", choices=["float16", "float32", "float64"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cleanlab-repeat", type=int, default=1)
    parser.add_argument("--n-jobs", type=int, default=1, help="threads for labelsieve / processes for cleanlab")
    parser.add_argument("--backends", default="cpp", help="comma-separated labelsieve backends")
    parser.add_argument("--no-cleanlab", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        paths = make_data(args.n, args.k, args.dtype, args.seed, tmp)
        rows = [("one pass: pred_probs.sum()", measure("floor", paths, args.repeat, 1))]
        for backend in args.backends.split(","):
            rows.append((f"labelsieve find_issues ({backend}, n_jobs={args.n_jobs})",
                         measure(f"labelsieve:{backend}", paths, args.repeat, args.n_jobs)))
        if not args.no_cleanlab:
            rows.append((f"cleanlab find_label_issues (n_jobs={args.n_jobs})",
                         measure("cleanlab", paths, args.cleanlab_repeat, args.n_jobs)))

    floor = rows[0][1]["seconds"]
    first = rows[1][1]["seconds"]
    size_mib = args.n * args.k * np.dtype(args.dtype).itemsize / 2**20
    print(f"N={args.n:,} K={args.k} {args.dtype} ({size_mib:,.0f} MiB), default filter_by=prune_by_noise_rate")
    print(f"{'what':<48} {'time':>10} {'x one pass':>11} {'x labelsieve':>13} {'extra peak':>12} {'issues':>9}")
    for name, r in rows:
        issues = "" if r["issues"] is None else f"{r['issues']:,}"
        print(f"{name:<48} {r['seconds'] * 1000:>8.1f}ms {r['seconds'] / floor:>10.1f}x "
              f"{r['seconds'] / first:>12.1f}x {r['extra_peak_mib']:>9.1f}MiB {issues:>9}")


if __name__ == "__main__":
    main()
