"""Ranked output's overhead: find_issues with return_indices_ranked_by vs the
unranked call, side by side in one process (best of --repeat calls each).

    python bench/ranked_overhead.py --n 1000000 --k 10
"""

from __future__ import annotations

import labelsieve
from noisy_data import noisy_predictions
from timing import best_ms, shape_parser


def main() -> None:
    args = shape_parser(__doc__.splitlines()[0], repeat=7).parse_args()
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
