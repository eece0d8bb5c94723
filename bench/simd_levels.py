"""The C++ core's SIMD loops side by side: the same calls with
LABELSIEVE_SIMD=off (portable loops), =avx2 (the AVX2 loops) and unset (the
widest this CPU has, AVX-512 here), settings alternated call by call in one
process, as ratios to one read of the array (``pred_probs.sum()``) and to the
portable loops.

    python bench/simd_levels.py --n 10000000 --k 10 [--n-jobs 1] [--dtype float32]
"""

from __future__ import annotations

import os
import time

import numpy as np

import labelsieve
from labelsieve import _core
from noisy_data import noisy_predictions
from timing import shape_parser

SETTINGS = {"portable": "off", "avx2": "avx2", "widest": None}


def use(setting: str | None) -> str:
    if setting is None:
        os.environ.pop("LABELSIEVE_SIMD", None)
    else:
        os.environ["LABELSIEVE_SIMD"] = setting
    return _core.simd_level()


def main() -> None:
    parser = shape_parser(__doc__.splitlines()[0], repeat=5)
    parser.add_argument("--dtype", default="float32")
    args = parser.parse_args()
    labels, probs = noisy_predictions(args.n, args.k, args.dtype, seed=0)
    jobs = args.n_jobs
    labelsieve.find_issues(labels[:2000], probs[:2000], n_jobs=jobs)  # thread pool start, imports
    calls = {
        "one pass": lambda: probs.sum(),
        "find_issues": lambda: labelsieve.find_issues(labels, probs, n_jobs=jobs),
        "confident_joint": lambda: labelsieve.confident_joint(labels, probs, n_jobs=jobs),
        "label_quality_scores": lambda: labelsieve.label_quality_scores(labels, probs, n_jobs=jobs),
    }
    levels = {name: use(setting) for name, setting in SETTINGS.items()}
    best = {(call, name): float("inf") for call in calls for name in SETTINGS}
    for _ in range(args.repeat):
        for call_name, call in calls.items():
            for name, setting in SETTINGS.items():
                use(setting)
                start = time.perf_counter()
                call()
                best[call_name, name] = min(best[call_name, name], (time.perf_counter() - start) * 1e3)
    use(None)
    one_pass = min(best["one pass", name] for name in SETTINGS)
    print(f"{args.n} x {args.k} {args.dtype}, n_jobs={jobs}; loops run: {levels}")
    print(f"  one pass {one_pass:.1f} ms")
    header = "".join(f"{name + ' (× pass)':>20s}" for name in SETTINGS)
    print(f"  {'':22s}{header}{'portable/avx2':>15s}{'portable/widest':>17s}")
    for call_name in list(calls)[1:]:
        cells = "".join(f"{best[call_name, name]:10.1f} ({best[call_name, name] / one_pass:5.2f}×)" for name in SETTINGS)
        to_avx2 = best[call_name, "portable"] / best[call_name, "avx2"]
        to_widest = best[call_name, "portable"] / best[call_name, "widest"]
        print(f"  {call_name:22s}{cells}{to_avx2:14.2f}×{to_widest:16.2f}×")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
