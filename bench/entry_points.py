"""The issue's per-entry-point targets, as ratios to one read of the array:
find_issues, confident_joint and label_quality_scores (default options) vs
``pred_probs.sum()``, each best of --repeat calls, in one process.

    python bench/entry_points.py --n 10000000 --k 10 [--n-jobs 1] [--dtype float32]

Run it with two checkouts on PYTHONPATH in turn (alternating) to compare
commits on a shared machine; only the ratios mean something across runs.
"""

from __future__ import annotations

import json

import numpy as np

import labelsieve
from noisy_data import noisy_predictions
from timing import best_ms, shape_parser


def main() -> None:
    parser = shape_parser(__doc__.splitlines()[0], repeat=5)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--json", action="store_true", help="one JSON line instead of a table")
    args = parser.parse_args()
    labels, probs = noisy_predictions(args.n, args.k, args.dtype, seed=0)
    jobs = args.n_jobs
    labelsieve.find_issues(labels[:2000], probs[:2000], n_jobs=jobs)  # thread pool start, imports
    times = {"one pass": best_ms(lambda: probs.sum(), args.repeat)}
    calls = {
        "find_issues": lambda: labelsieve.find_issues(labels, probs, n_jobs=jobs),
        "confident_joint": lambda: labelsieve.confident_joint(labels, probs, n_jobs=jobs),
        "label_quality_scores": lambda: labelsieve.label_quality_scores(labels, probs, n_jobs=jobs),
    }
    for name, call in calls.items():
        times[name] = best_ms(call, args.repeat)
    if args.json:
        print(json.dumps({"n": args.n, "k": args.k, "n_jobs": jobs, "ms": times}))
        return
    print(f"{args.n} x {args.k} {args.dtype}, n_jobs={jobs}")
    for name, ms in times.items():
        print(f"  {name:22s} {ms:9.1f} ms  {ms / times['one pass']:6.2f}x one pass")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
