"""Two choices made per call, each timed both ways in one process, call by
call alternating (A B B A ...), so a shared machine's slow spells fall on both:

* labels: narrowed to one byte for the kernels (what find_issues and
  confident_joint do when K <= 256) or kept as given
  (int64 here), for find_issues, confident_joint and label_quality_scores;
* the joint pass's per-row outputs: guesses and flags (the full pass),
  the flags alone (what the pruning filters run) or none (counts only).

    python bench/label_and_joint_options.py --n 10000000 --k 10 [--repeat 12] [--backend numba]

Prints best and median per variant and B / A.  Outputs are checked equal.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

import labelsieve
from labelsieve import _passes, _validate
from labelsieve._problem import Problem
from noisy_data import noisy_predictions
from timing import shape_parser


def alternate(a, b, repeat: int) -> tuple[list[float], list[float]]:
    """Seconds per call of a and of b, called A B B A ...; the outputs must be equal."""
    times: tuple[list[float], list[float]] = ([], [])
    outputs = [None, None]
    for r in range(repeat):
        for side in (0, 1) if r % 2 == 0 else (1, 0):
            start = time.perf_counter()
            outputs[side] = (a, b)[side]()
            times[side].append(time.perf_counter() - start)
    for x, y in zip(outputs[0], outputs[1]):
        if not np.array_equal(x, y):
            raise SystemExit("the two variants gave different outputs")
    return times


def report(name: str, times: tuple[list[float], list[float]], labels: tuple[str, str]) -> None:
    (a, b), (la, lb) = times, labels
    print(
        f"  {name:22s} {la} {min(a) * 1e3:7.1f} / {statistics.median(a) * 1e3:7.1f} ms   "
        f"{lb} {min(b) * 1e3:7.1f} / {statistics.median(b) * 1e3:7.1f} ms   "
        f"B/A {min(b) / min(a):.3f} / {statistics.median(b) / statistics.median(a):.3f}"
    )


def main() -> None:
    parser = shape_parser(__doc__.splitlines()[0], repeat=12)
    parser.add_argument("--backend", default="cpp", choices=["cpp", "numba"])
    args = parser.parse_args()
    labels, probs = noisy_predictions(args.n, args.k, "float32", seed=0)
    jobs, backend = args.n_jobs, args.backend
    print(f"{args.n} x {args.k} float32, int64 labels, {backend}, n_jobs={jobs}; best / median of {args.repeat} calls each")

    narrowing = _validate._checked_labels
    kept = lambda arr, k, backend, n_threads, narrow: narrowing(arr, k, backend, n_threads, False)  # noqa: E731
    print("labels: A = kept as given, B = one byte (where the call narrows them)")
    calls = {
        "find_issues": lambda: (labelsieve.find_issues(labels, probs, n_jobs=jobs, backend=backend),),
        "confident_joint": lambda: (labelsieve.confident_joint(labels, probs, n_jobs=jobs, backend=backend),),
    }
    for name, call in calls.items():

        def with_labels(rule, call=call):
            def run():
                _validate._checked_labels = rule
                try:
                    return call()
                finally:
                    _validate._checked_labels = narrowing

            return run

        report(name, alternate(with_labels(kept), with_labels(narrowing), args.repeat), ("A", "B"))

    problem = Problem(labels, probs, n_jobs=jobs, backend=backend, needs_thresholds=True)
    cut = _passes.confident_cut(problem.thresholds, probs.dtype)
    n, k = probs.shape

    def joint(guesses: bool, flags: bool):
        def run():
            outputs = [np.zeros((k, k), np.int64)]
            guess = np.empty(n, np.int32) if guesses else None
            flag = np.empty(n, np.uint8) if flags else None
            problem.backend.joint_pass(problem.labels, probs, cut, False, guess, outputs[0], flag, jobs)
            return outputs + ([flag] if flags else [])

        return run

    print("joint pass (the primitive, labels as find_issues passes them): A = guesses and flags")
    full = joint(True, True)
    report("B = flags alone", alternate(full, joint(False, True), args.repeat), ("A", "B"))
    report("B = counts only", alternate(lambda: full()[:1], joint(False, False), args.repeat), ("A", "B"))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
