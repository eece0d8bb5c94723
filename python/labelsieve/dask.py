"""Dask arrays: the same answers as the in-memory functions, computed per block.

``labels`` (1-D) and ``pred_probs`` (2-D) may be ``dask.array`` arrays
chunked along rows (column chunks are merged; a NumPy ``labels`` is split
like ``pred_probs``).  Each pass runs the ordinary backend primitives on
every block (``dask.delayed`` tasks) and combines the small per-block
results -- class counts, threshold tree partials, K x K counts, pruning
candidates -- with tree reductions of ``split_every`` adjacent blocks, so the
graph runs unchanged on the threaded scheduler, processes, or a
``dask.distributed`` cluster (whatever ``dask.compute`` uses by default).
Combining is exact for any grouping (see ``labelsieve._chunk_sums``), so the
results equal the in-memory call bit for bit.  Per-row results (masks,
scores) come back as NumPy arrays.

``n_jobs`` is the number of threads each block uses (default 1, leaving
parallelism to Dask).  :func:`labelsieve.find_issues` and friends call into
this module when given a Dask array.  Needs ``pip install "labelsieve[dask]"``.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from labelsieve import _chunk_driver as drv
from labelsieve._chunk_passes import Context

SPLIT_EVERY = 8

__all__ = [
    "confident_joint",
    "confident_thresholds",
    "estimate_noise",
    "find_issues",
    "find_label_issues",
    "is_dask_array",
    "label_quality_scores",
    "num_label_issues",
]


def is_dask_array(x: Any) -> bool:
    """True for a ``dask.array.Array`` (without importing dask)."""
    return type(x).__module__.startswith("dask.array") and hasattr(x, "to_delayed")


def _import_dask():
    try:
        import dask
        import dask.array as da
    except ImportError as exc:  # pragma: no cover - exercised only without dask
        raise ImportError('Dask inputs need dask: pip install "labelsieve[dask]"') from exc
    return dask, da


def _aligned(labels: Any, pred_probs: Any):
    dask, da = _import_dask()
    if not is_dask_array(pred_probs):
        arr = np.asarray(pred_probs)
        if not is_dask_array(labels):
            raise TypeError("labelsieve.dask needs labels or pred_probs to be a dask array")
        if arr.ndim != 2:
            raise ValueError(f"pred_probs must be 2-D (num_examples x num_classes), got shape {arr.shape}")
        pred_probs = da.from_array(arr, chunks=(labels.chunks[0], arr.shape[1]))
    if pred_probs.ndim != 2:
        raise ValueError(f"pred_probs must be 2-D (num_examples x num_classes), got shape {pred_probs.shape}")
    if any(np.isnan(c) for c in pred_probs.chunks[0]):
        raise ValueError("pred_probs has unknown chunk sizes; call .compute_chunk_sizes() first")
    if len(pred_probs.chunks[1]) > 1:
        pred_probs = pred_probs.rechunk({1: -1})
    if not is_dask_array(labels):
        if hasattr(labels, "to_numpy"):
            labels = labels.to_numpy()
        labels = np.asarray(labels)
        if labels.ndim != 1:
            raise ValueError(f"labels must be one-dimensional, got shape {labels.shape}")
        labels = da.from_array(labels, chunks=(pred_probs.chunks[0],))
    if labels.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {labels.shape}")
    if labels.shape[0] != pred_probs.shape[0]:
        raise ValueError(
            f"labels and pred_probs must have the same length, got {labels.shape[0]} labels "
            f"and {pred_probs.shape[0]} rows of pred_probs"
        )
    if labels.chunks[0] != pred_probs.chunks[0]:
        labels = labels.rechunk((pred_probs.chunks[0],))
    return labels, pred_probs


class DaskRunner:
    """Runs each pass as one Dask graph: a task per block, tree-reduced smalls."""

    def __init__(self, labels: Any, pred_probs: Any, split_every: int = SPLIT_EVERY):
        self._dask, _ = _import_dask()
        labels, pred_probs = _aligned(labels, pred_probs)
        self._labels = list(labels.to_delayed().ravel())
        self._probs = list(pred_probs.to_delayed().ravel())
        if isinstance(split_every, bool) or not isinstance(split_every, int) or split_every < 2:
            raise ValueError(f"split_every must be an integer >= 2, got {split_every!r}")
        self._split_every = split_every
        self.contexts: Optional[list] = None

    def _tree(self, items: list, combine) -> Any:
        delayed = self._dask.delayed
        while len(items) > 1:
            step = self._split_every
            items = [delayed(combine)(*items[i : i + step]) for i in range(0, len(items), step)]
        return items[0]

    def run(self, fn, args, combine=None, sink=None, stage=""):
        delayed = self._dask.delayed
        task = delayed(fn, nout=2)
        contexts = self.contexts or [Context(i, 0) for i in range(len(self._labels))]
        results = [task(lab, prob, ctx, *args) for lab, prob, ctx in zip(self._labels, self._probs, contexts)]
        smalls = [r[0] for r in results]
        reduced = smalls if combine is None else self._tree(smalls, combine)
        rows = [r[1] for r in results] if sink is not None else []
        reduced, rows = self._dask.compute(reduced, rows)
        if sink is not None:
            for ctx, chunk_rows in zip(contexts, rows):
                sink(ctx, chunk_rows)
        return reduced


def _driver(labels, pred_probs, n_jobs, backend, guess_rule="cleanlab", split_every=SPLIT_EVERY) -> drv.Driver:
    return drv.Driver(
        DaskRunner(labels, pred_probs, split_every), n_jobs=n_jobs, backend=backend, guess_rule=guess_rule,
        default_threads=1,
    )


def confident_thresholds(
    labels: Any, pred_probs: Any, *, n_jobs: Optional[int] = None, backend: Optional[str] = None,
    split_every: int = SPLIT_EVERY,
) -> np.ndarray:
    """:func:`labelsieve.confident_thresholds` on Dask arrays."""
    return drv.confident_thresholds(_driver(labels, pred_probs, n_jobs, backend, split_every=split_every))


def confident_joint(
    labels: Any,
    pred_probs: Any,
    *,
    thresholds: Any = None,
    calibrate: bool = True,
    return_indices_of_off_diagonals: bool = False,
    guess_rule: str = "cleanlab",
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
    split_every: int = SPLIT_EVERY,
):
    """:func:`labelsieve.confident_joint` on Dask arrays."""
    return drv.confident_joint(
        _driver(labels, pred_probs, n_jobs, backend, guess_rule, split_every), thresholds=thresholds,
        calibrate=calibrate, return_indices_of_off_diagonals=return_indices_of_off_diagonals,
    )


def estimate_noise(
    labels: Any,
    pred_probs: Any,
    *,
    thresholds: Any = None,
    converge_latent_estimates: bool = True,
    py_method: str = "cnt",
    calibrate: bool = True,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
    split_every: int = SPLIT_EVERY,
):
    """:func:`labelsieve.estimate_noise` on Dask arrays."""
    return drv.estimate_noise(
        _driver(labels, pred_probs, n_jobs, backend, split_every=split_every), thresholds=thresholds,
        converge_latent_estimates=converge_latent_estimates, py_method=py_method, calibrate=calibrate,
    )


def label_quality_scores(
    labels: Any,
    pred_probs: Any,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
    split_every: int = SPLIT_EVERY,
) -> np.ndarray:
    """:func:`labelsieve.label_quality_scores` on Dask arrays (a NumPy array)."""
    return drv.label_quality_scores(
        _driver(labels, pred_probs, n_jobs, backend, split_every=split_every), method=method,
        adjust_pred_probs=adjust_pred_probs,
    )


def num_label_issues(
    labels: Any,
    pred_probs: Any,
    *,
    confident_joint: Any = None,
    estimation_method: str = "off_diagonal",
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
    split_every: int = SPLIT_EVERY,
) -> int:
    """:func:`labelsieve.num_label_issues` on Dask arrays."""
    return drv.num_label_issues(
        _driver(labels, pred_probs, n_jobs, backend, split_every=split_every), confident_joint=confident_joint,
        estimation_method=estimation_method,
    )


def find_issues(
    labels: Any,
    pred_probs: Any,
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
    split_every: int = SPLIT_EVERY,
) -> np.ndarray:
    """:func:`labelsieve.find_issues` on Dask arrays: the same NumPy mask
    (or ranked global indices) as the in-memory call."""
    return drv.find_issues(
        _driver(labels, pred_probs, n_jobs, backend, guess_rule, split_every),
        filter_by=filter_by, return_indices_ranked_by=return_indices_ranked_by, rank_by_kwargs=rank_by_kwargs,
        frac_noise=frac_noise, num_to_remove_per_class=num_to_remove_per_class,
        min_examples_per_class=min_examples_per_class, confident_joint=confident_joint,
    )


find_label_issues = find_issues
