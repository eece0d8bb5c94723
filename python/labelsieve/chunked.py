"""Chunked (streaming) API: data that arrives in pieces or does not fit in memory.

``chunks`` is a sequence of ``(labels, pred_probs)`` pairs (rows in order),
or a callable that returns a fresh iterable of such pairs each time it is
called -- the data is read several times:

1. validate (label range, probability range) and count labels per class,
2. per-class threshold sums (only when thresholds are needed),
3. the confident joint, per-row flags and scores,
4. pruning candidates (``prune_by_noise_rate`` / ``prune_by_class`` / ``both``).

Every answer equals the in-memory call on the concatenated data, bit for
bit (thresholds included: see ``labelsieve._chunk_sums``).  Memory beyond
one chunk is a few bytes per row (flags, the result, scores when needed)
plus O(K^2) and the pruning candidates.

Example::

    import numpy as np, labelsieve.chunked as lc
    labels = np.load("labels.npy", mmap_mode="r")
    probs = np.load("pred_probs.npy", mmap_mode="r")
    issues = lc.find_issues(lc.from_arrays(labels, probs, chunk_rows=1_000_000), progress=True)
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Iterable, Optional, Sequence, Tuple, Union

import numpy as np

from labelsieve import _chunk_driver as drv
from labelsieve._chunk_passes import Context

Chunk = Tuple[Any, Any]
Chunks = Union[Sequence[Chunk], Callable[[], Iterable[Chunk]]]
Progress = Union[bool, None, Callable[[str, int, Optional[int]], None]]

__all__ = [
    "confident_joint",
    "confident_thresholds",
    "estimate_noise",
    "find_issues",
    "find_label_issues",
    "from_arrays",
    "label_quality_scores",
    "num_label_issues",
]


def from_arrays(labels: Any, pred_probs: Any, chunk_rows: int = 1 << 20) -> Callable[[], Iterable[Chunk]]:
    """Chunks of ``chunk_rows`` rows over two arrays (e.g. ``np.load(..., mmap_mode="r")``),
    as views: nothing is copied until a pass reads a chunk."""
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
    n = len(labels)
    if len(pred_probs) != n:
        raise ValueError(f"labels and pred_probs must have the same length, got {n} and {len(pred_probs)}")

    def chunks() -> Iterable[Chunk]:
        for start in range(0, max(n, 1), int(chunk_rows)):
            yield labels[start : start + chunk_rows], pred_probs[start : start + chunk_rows]

    return chunks


def stderr_progress(stage: str, done: int, total: Optional[int]) -> None:
    """The progress printer used by ``progress=True``: one updating line on stderr."""
    of = f"/{total}" if total else ""
    end = "\n" if total and done >= total else ""
    sys.stderr.write(f"\rlabelsieve {stage}: chunk {done}{of}{end}")
    sys.stderr.flush()


def _release_freed_memory() -> None:
    """Give freed heap pages back to the OS between chunks (glibc keeps them
    otherwise, and the chunk-sized temporaries would pile up as resident
    anonymous memory).  A no-op where glibc's malloc_trim is unavailable."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            import ctypes

            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim = None


class SequentialRunner:
    """Runs each pass over the chunks one after another (see ``_chunk_driver``)."""

    def __init__(self, chunks: Chunks, progress: Progress = None):
        if callable(chunks):
            self._open = chunks
        else:
            if iter(chunks) is chunks:
                raise TypeError(
                    "chunks must be a sequence of (labels, pred_probs) pairs or a callable returning a "
                    "fresh iterable: it is read several times, and a one-shot iterator/generator cannot be"
                )
            self._open = lambda: chunks
        if progress is True:
            progress = stderr_progress
        if progress not in (None, False) and not callable(progress):
            raise TypeError(f"progress must be a bool or a callable(stage, done, total), got {progress!r}")
        self._progress = progress or None
        self.contexts: Optional[list] = None

    def run(self, fn, args, combine=None, sink=None, stage=""):
        smalls = []
        acc = None
        count = 0
        total = len(self.contexts) if self.contexts is not None else None
        for i, chunk in enumerate(self._open()):
            try:
                labels, pred_probs = chunk
            except (TypeError, ValueError):
                raise TypeError(f"chunk {i}: each chunk must be a (labels, pred_probs) pair") from None
            if self.contexts is not None:
                if i >= len(self.contexts):
                    raise ValueError("chunks changed between passes: more chunks than in the first pass")
                ctx = self.contexts[i]
                if len(labels) != ctx.n_rows:
                    raise ValueError(f"chunk {i} changed length between passes ({ctx.n_rows} -> {len(labels)})")
            else:
                ctx = Context(i, 0)
            small, rows = fn(labels, pred_probs, ctx, *args)
            if sink is not None:
                sink(ctx, rows)
            if combine is None:
                smalls.append(small)
            else:
                acc = small if acc is None else combine(acc, small)
            del labels, pred_probs, chunk, small, rows
            _release_freed_memory()
            count += 1
            if self._progress is not None:
                self._progress(stage, count, total)
        if count == 0:
            raise ValueError("chunks is empty (no (labels, pred_probs) pairs)")
        if total is not None and count != total:
            raise ValueError("chunks changed between passes: fewer chunks than in the first pass")
        return smalls if combine is None else acc


def _driver(chunks: Chunks, progress: Progress, n_jobs, backend, guess_rule="cleanlab") -> drv.Driver:
    return drv.Driver(SequentialRunner(chunks, progress), n_jobs=n_jobs, backend=backend, guess_rule=guess_rule)


def confident_thresholds(
    chunks: Chunks, *, n_jobs: Optional[int] = None, backend: Optional[str] = None, progress: Progress = None
) -> np.ndarray:
    """:func:`labelsieve.confident_thresholds` over chunks (identical bits)."""
    return drv.confident_thresholds(_driver(chunks, progress, n_jobs, backend))


def confident_joint(
    chunks: Chunks,
    *,
    thresholds: Any = None,
    calibrate: bool = True,
    return_indices_of_off_diagonals: bool = False,
    guess_rule: str = "cleanlab",
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
    progress: Progress = None,
):
    """:func:`labelsieve.confident_joint` over chunks (indices are global row numbers)."""
    return drv.confident_joint(
        _driver(chunks, progress, n_jobs, backend, guess_rule), thresholds=thresholds, calibrate=calibrate,
        return_indices_of_off_diagonals=return_indices_of_off_diagonals,
    )


def estimate_noise(
    chunks: Chunks,
    *,
    thresholds: Any = None,
    converge_latent_estimates: bool = True,
    py_method: str = "cnt",
    calibrate: bool = True,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
    progress: Progress = None,
):
    """:func:`labelsieve.estimate_noise` over chunks: (py, noise_matrix, inverse_noise_matrix, confident_joint)."""
    return drv.estimate_noise(
        _driver(chunks, progress, n_jobs, backend), thresholds=thresholds,
        converge_latent_estimates=converge_latent_estimates, py_method=py_method, calibrate=calibrate,
    )


def label_quality_scores(
    chunks: Chunks,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
    progress: Progress = None,
) -> np.ndarray:
    """:func:`labelsieve.label_quality_scores` over chunks."""
    return drv.label_quality_scores(
        _driver(chunks, progress, n_jobs, backend), method=method, adjust_pred_probs=adjust_pred_probs
    )


def num_label_issues(
    chunks: Chunks,
    *,
    confident_joint: Any = None,
    estimation_method: str = "off_diagonal",
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
    progress: Progress = None,
) -> int:
    """:func:`labelsieve.num_label_issues` over chunks."""
    return drv.num_label_issues(
        _driver(chunks, progress, n_jobs, backend), confident_joint=confident_joint,
        estimation_method=estimation_method,
    )


def find_issues(
    chunks: Chunks,
    *,
    filter_by: str = "prune_by_noise_rate",
    return_indices_ranked_by: Optional[str] = None,
    rank_by_kwargs: Optional[dict] = None,
    frac_noise: float = 1.0,
    num_to_remove_per_class: Any = None,
    min_examples_per_class: int = 1,
    confident_joint: Any = None,
    guess_rule: str = "cleanlab",
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
    progress: Progress = None,
) -> np.ndarray:
    """:func:`labelsieve.find_issues` over chunks: the same mask (or ranked
    indices, as global row numbers) as the in-memory call on the
    concatenated chunks.  ``progress=True`` prints a line per chunk and pass
    on stderr; a callable receives ``(stage, chunks_done, chunks_total)``."""
    return drv.find_issues(
        _driver(chunks, progress, n_jobs, backend, guess_rule),
        filter_by=filter_by, return_indices_ranked_by=return_indices_ranked_by, rank_by_kwargs=rank_by_kwargs,
        frac_noise=frac_noise, num_to_remove_per_class=num_to_remove_per_class,
        min_examples_per_class=min_examples_per_class, confident_joint=confident_joint,
    )


find_label_issues = find_issues
