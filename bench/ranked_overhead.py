"""Ranked output's overhead: find_issues with return_indices_ranked_by vs the
unranked call, side by side in one process (best of --repeat calls each).

    python bench/ranked_overhead.py --n 1000000 --k 10
"""

from __future__ import annotations

import argparse
import time

import labelsieve
from noisy_data import noisy_predictions


def best_ms(call, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    labels, probs = noisy_predictions(args.n, args.k)
    unranked = best_ms(lambda: labelsieve.find_issues(labels, probs, n_jobs=args.n_jobs), args.repeat)
    line = f"{labelsieve.__file__}\n{args.n} x {args.k}: unranked {unranked:.1f} ms"
    for method in ("self_confidence", "normalized_margin"):
        ranked = best_ms(
            lambda: labelsieve.find_issues(labels, probs, n_jobs=args.n_jobs, return_indices_ranked_by=method),
            args.repeat,
        )
        line += f"; {method} {ranked:.1f} ms ({ranked / unranked:.2f}x)"
    print(line)


if __name__ == "__main__":
    main()
