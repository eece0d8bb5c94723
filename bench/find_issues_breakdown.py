"""Where a default find_issues call spends its time: a backend's class
pass, joint pass and pruning, each timed inside the call, as ratios to one
read of the array (``pred_probs.sum()``); best of --repeat calls.

    python bench/find_issues_breakdown.py --n 10000000 --k 10 [--n-jobs 1] [--backend numba]

Run two checkouts in turn (alternating) to compare commits; only same-run
ratios mean something on a shared machine.
"""

from __future__ import annotations

import time

import numpy as np

import labelsieve
from labelsieve._backend import get_backend
from noisy_data import noisy_predictions
from timing import best_ms, shape_parser

STEPS = {"class_sums": "class pass", "joint_pass": "joint pass", "prune_by_noise_rate": "pruning"}


def timed(primitive, samples: list[float]):
    """`primitive`, appending each call's duration in seconds to `samples`."""

    def call(*args, **kwargs):
        start = time.perf_counter()
        result = primitive(*args, **kwargs)
        samples.append(time.perf_counter() - start)
        return result

    return call


def timed_steps(module) -> dict[str, list[float]]:
    """Wrap the module's step primitives with timers; returns the lists they fill."""
    times: dict[str, list[float]] = {name: [] for name in STEPS}
    for name in STEPS:
        setattr(module, name, timed(getattr(module, name), times[name]))
    return times


def main() -> None:
    parser = shape_parser(__doc__.splitlines()[0], repeat=5)
    parser.add_argument("--backend", default="cpp", choices=["cpp", "numba"])
    args = parser.parse_args()
    labels, probs = noisy_predictions(args.n, args.k, "float32", seed=0)
    times = timed_steps(get_backend(args.backend))
    labelsieve.find_issues(labels[:2000], probs[:2000], n_jobs=args.n_jobs, backend=args.backend)  # warm up
    for samples in times.values():
        samples.clear()
    one = best_ms(lambda: probs.sum(), args.repeat)
    total = best_ms(lambda: labelsieve.find_issues(labels, probs, n_jobs=args.n_jobs, backend=args.backend), args.repeat)
    print(f"{args.n} x {args.k} float32, {args.backend}, n_jobs={args.n_jobs}: one read {one:.3f} ms")
    print(f"  {'find_issues':12s} {total:9.3f} ms  {total / one:5.2f}x one read")
    for name, label in STEPS.items():
        ms = min(times[name]) * 1e3
        print(f"  {label:12s} {ms:9.3f} ms  {ms / one:5.2f}x one read")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
