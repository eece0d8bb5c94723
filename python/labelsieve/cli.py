"""The ``labelsieve`` command line."""

from __future__ import annotations

import argparse
import sys
import time
from importlib import resources
from typing import Optional, Sequence

import numpy as np

DEMO_FILE = "cifar10_sparsity00_noise20.npz"


def load_demo() -> dict:
    """The bundled CIFAR-10 set (see labelsieve/data/NOTICE.md)."""
    with resources.files("labelsieve").joinpath("data", DEMO_FILE).open("rb") as fh:
        with np.load(fh, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}


def _format_matrix(matrix: np.ndarray, names: Sequence[str]) -> str:
    width = max(6, max(len(n) for n in names[: len(matrix)]))
    header = " " * (width + 2) + " ".join(f"{n[:width]:>{width}}" for n in names)
    lines = [header]
    for name, row in zip(names, matrix):
        lines.append(f"{name[:width]:>{width}}  " + " ".join(f"{v:>{width}.3f}" for v in row))
    return "\n".join(lines)


def run_demo(backend: Optional[str], n_jobs: Optional[int]) -> int:
    from labelsieve import estimate_noise, find_issues
    from labelsieve._backend import get_backend

    data = load_demo()
    labels, pred_probs = data["noisy_labels"], data["pred_probs"]
    names = [str(n) for n in data["class_names"]]
    n, k = pred_probs.shape
    print(f"labelsieve demo: CIFAR-10, {n} examples x {k} classes ({pred_probs.dtype}), "
          f"20% of labels flipped; backend {get_backend(backend).__name__}")

    start = time.perf_counter()
    issues = find_issues(labels, pred_probs, n_jobs=n_jobs, backend=backend)
    elapsed = time.perf_counter() - start
    truly_wrong = labels != data["true_labels"]
    found = int(issues.sum())
    hits = int((issues & truly_wrong).sum())
    precision = hits / found if found else 0.0
    recall = hits / int(truly_wrong.sum())
    print(f"flagged {found} label issues in {elapsed * 1000:.1f} ms "
          f"(actually mislabeled: {int(truly_wrong.sum())})")
    print(f"precision {precision:.3f}  recall {recall:.3f}")

    _, noise_matrix, _, _ = estimate_noise(labels, pred_probs, n_jobs=n_jobs, backend=backend)
    print("\nestimated noise matrix P(given label = row | true label = column):")
    print(_format_matrix(noise_matrix, names))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labelsieve",
        description="Find mislabeled examples and estimate label noise (confident learning).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="find the label issues in a bundled real CIFAR-10 set")
    demo.add_argument("--backend", choices=["cpp", "numba"], default=None,
                      help="compute backend (default: cpp if built, else numba)")
    demo.add_argument("--n-jobs", type=int, default=None, help="threads (default: all cores)")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            return run_demo(args.backend, args.n_jobs)
    except (ValueError, TypeError, ImportError, OSError) as exc:
        print(f"labelsieve: error: {exc}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
