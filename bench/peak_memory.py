"""Extra peak memory of each entry point (find_issues, confident_joint,
label_quality_scores; default options), each in a fresh process: the peak
resident memory during --repeat calls above what the process held once the
inputs were made (bench/peak_rss.py; Linux only).

    python bench/peak_memory.py --n 10000000 --k 10 [--n-jobs 1] [--backend cpp]

Run it with two checkouts on PYTHONPATH in turn to compare commits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from timing import shape_parser

ENTRY_POINTS = ("find_issues", "confident_joint", "label_quality_scores")

WORKER = r"""
import json, sys, warnings
import numpy as np
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[1])
from noisy_data import noisy_predictions
import peak_rss
import labelsieve
what, n, k, n_jobs, repeat, backend = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
labels, probs = noisy_predictions(n, k, "float32", seed=0)
call = getattr(labelsieve, what)
call(labels[:2000], probs[:2000], n_jobs=n_jobs, backend=backend)  # thread pool, imports, JIT
base = peak_rss.start()  # making the inputs does not count
for _ in range(repeat):
    call(labels, probs, n_jobs=n_jobs, backend=backend)
print(json.dumps({"extra_peak_mib": peak_rss.extra_mib(base)}))
"""


def main() -> None:
    parser = shape_parser(__doc__.splitlines()[0], repeat=2)
    parser.add_argument("--backend", default="cpp", choices=["cpp", "numba"])
    parser.add_argument("--json", action="store_true", help="one JSON line instead of a table")
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    peaks = {}
    for what in ENTRY_POINTS:
        command = [sys.executable, "-c", WORKER, here, what, str(args.n), str(args.k), str(args.n_jobs),
                   str(args.repeat), args.backend]
        result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        peaks[what] = result["extra_peak_mib"]
    if args.json:
        print(json.dumps({"n": args.n, "k": args.k, "extra_peak_mib": peaks}))
        return
    print(f"{args.n} x {args.k} float32, {args.backend}, n_jobs={args.n_jobs}: extra peak memory")
    for what, mib in peaks.items():
        print(f"  {what:22s} {mib:8.1f} MiB  {mib * 2**20 / args.n:6.2f} bytes/row")


if __name__ == "__main__":
    main()
