"""Shared by the one-process benchmark scripts: best-of-N timing and their
common command-line options."""

from __future__ import annotations

import argparse
import time


def best_ms(call, repeat: int) -> float:
    """The fastest of ``repeat`` calls, in milliseconds (the least disturbed by other jobs)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def shape_parser(description: str, repeat: int) -> argparse.ArgumentParser:
    """--n, --k, --n-jobs and --repeat."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=repeat)
    return parser
