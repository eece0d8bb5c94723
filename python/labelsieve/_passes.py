"""Calls into the backend primitives (see ``_backend``): allocate the small
outputs, pick dtypes exactly as NumPy/cleanlab would, and nothing else."""

from __future__ import annotations

from types import ModuleType

import numpy as np

from labelsieve._backend import FLAG_ARGMAX_IS_LABEL, FLAG_LABEL_IS_BOOSTED_TOP

MISSING_CLASS_THRESHOLD = 2  # never reachable by a probability
THRESHOLD_FLOOR = 2e-6
CONFIDENT_SLACK = 1e-6


def accumulator_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.float64 if dtype == np.float64 else np.float32)


def thresholds(
    backend: ModuleType, labels, pred_probs, n_threads: int, out_range: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-class mean self-confidence, exactly as ``np.mean`` forms it, and
    the class counts.  A class absent from ``labels`` gets 2, which makes the
    vector float64 (cleanlab's behaviour).  ``out_range``: also receives
    (min, max) of pred_probs, read in the same pass."""
    num_classes = pred_probs.shape[1]
    counts = np.zeros(num_classes, dtype=np.int64)
    sums = np.zeros(num_classes, dtype=accumulator_dtype(pred_probs.dtype))
    if out_range is None:
        backend.class_sums(labels, pred_probs, counts, sums, n_threads)
    else:
        backend.class_sums(labels, pred_probs, counts, sums, n_threads, out_range=out_range)
    return thresholds_from_sums(sums, counts, pred_probs.dtype), counts


def thresholds_from_sums(sums: np.ndarray, counts: np.ndarray, probs_dtype: np.dtype) -> np.ndarray:
    """Thresholds from the ``class_sums`` outputs (also used by the chunked path)."""
    present = counts > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        # np.mean divides a scalar sum by an intp count in float64, then casts.
        means = (sums.astype(np.float64) / counts).astype(probs_dtype)
    if present.all():
        values = means
    else:
        values = np.where(present, means.astype(np.float64), float(MISSING_CLASS_THRESHOLD))
    return np.clip(values, THRESHOLD_FLOOR, None)


def confident_cut(threshold: np.ndarray, probs_dtype: np.dtype) -> np.ndarray:
    """``threshold - 1e-6`` in the thresholds' dtype, then rounded *up* to the
    accumulator type: for a probability x of that type, x >= rounded_up(c)
    exactly when x >= c, so the kernel compares in its own type."""
    cut = threshold - CONFIDENT_SLACK
    acc = accumulator_dtype(probs_dtype)
    narrowed = cut.astype(acc)
    too_low = narrowed.astype(np.float64) < cut.astype(np.float64)
    narrowed[too_low] = np.nextafter(narrowed[too_low], acc.type(np.inf))
    return np.ascontiguousarray(narrowed)


_CLEAR_BLOCK = 1 << 16  # rows per block of clear_flagged (64 KB temporaries: stay in L2)


def clear_flagged(mask: np.ndarray, flags: np.ndarray, flag: int) -> None:
    """mask &= (flags & flag) == 0, in place, by blocks: N-byte temporaries
    cost their page faults on every call (10M rows: 3.4-3.6 ms, against
    2.0-2.1 ms by blocks)."""
    for start in range(0, mask.shape[0], _CLEAR_BLOCK):
        rows = slice(start, start + _CLEAR_BLOCK)
        mask[rows] &= (flags[rows] & flag) == 0


class JointPass:
    """Results of the joint pass: the counts, and per row the guesses (with
    ``guesses``) and the flags (with ``flags``); an output not asked for is
    None and not written (the guesses are 4 bytes a row)."""

    def __init__(
        self, backend, labels, pred_probs, threshold, paper_rule: bool, n_threads: int,
        guesses: bool = True, flags: bool = True,
    ):
        if guesses and not flags:
            raise ValueError("the joint pass writes per-row guesses only with the flags")
        n, k = pred_probs.shape
        self.guess = np.empty(n, dtype=np.int32) if guesses else None
        self.counts = np.zeros((k, k), dtype=np.int64)
        self.flags = np.empty(n, dtype=np.uint8) if flags else None
        cut = confident_cut(threshold, pred_probs.dtype)
        backend.joint_pass(labels, pred_probs, cut, paper_rule, self.guess, self.counts, self.flags, n_threads)

    def off_diagonal_indices(self, labels: np.ndarray) -> np.ndarray:
        return np.flatnonzero((self.guess >= 0) & (self.guess != labels))

    def label_is_boosted_top(self) -> np.ndarray:
        return (self.flags & FLAG_LABEL_IS_BOOSTED_TOP) != 0

    def unflag_label_is_boosted_top(self, mask: np.ndarray) -> None:
        """mask &= ~label_is_boosted_top(), in place."""
        clear_flagged(mask, self.flags, FLAG_LABEL_IS_BOOSTED_TOP)

    def argmax_is_label(self) -> np.ndarray:
        return (self.flags & FLAG_ARGMAX_IS_LABEL) != 0


def row_stats(
    backend, labels, pred_probs, shift, n_threads: int, rows=None, want_other: bool = True,
    out_range: np.ndarray | None = None,
):
    """(self_confidence, max_other) per row, optionally on threshold-adjusted
    probabilities; ``shift`` is None or the thresholds vector; ``rows`` None
    (every row) or the int64 indices of the rows wanted.  ``want_other=False``
    (no shift only): max_other is None and only p[i, labels[i]] is read.
    ``out_range`` (no shift, every row): also receives (min, max) of
    pred_probs, read in the same pass."""
    n = pred_probs.shape[0] if rows is None else rows.shape[0]
    if shift is None:
        work = pred_probs.dtype
        shift_arg = None
    else:
        work = np.result_type(pred_probs.dtype, shift.dtype)
        t = np.ascontiguousarray(shift, dtype=work)
        shift_arg = (t, np.array([t.max()], dtype=work))
    out_self = np.empty(n, dtype=work)
    out_other = np.empty(n, dtype=work) if want_other or shift is not None else None
    # Only the options in use are passed (a backend's defaults stay its own).
    options = {name: value for name, value in (("rows", rows), ("out_range", out_range)) if value is not None}
    backend.row_stats(labels, pred_probs, shift_arg, out_self, out_other, n_threads, **options)
    return out_self, out_other


def entropy_sums(backend, pred_probs, n_threads: int) -> np.ndarray:
    # scipy's xlogy (what cleanlab calls) has float32 and float64 loops only.
    out_dtype = np.float32 if pred_probs.dtype == np.float32 else np.float64
    out = np.empty(pred_probs.shape[0], dtype=out_dtype)
    backend.entropy_sums(pred_probs, out, n_threads)
    return out


def _new_mask(n: int) -> np.ndarray:
    return np.zeros(n, dtype=np.uint8)


def prune_by_noise_rate(backend, labels, pred_probs, prune_counts, class_ok, n_threads) -> np.ndarray:
    mask = _new_mask(pred_probs.shape[0])
    backend.prune_by_noise_rate(
        labels, pred_probs, np.ascontiguousarray(prune_counts, dtype=np.int64),
        np.ascontiguousarray(class_ok, dtype=np.uint8), mask, n_threads,
    )
    return mask.view(np.bool_)


def prune_by_class(backend, labels, pred_probs, num_per_class, n_threads) -> np.ndarray:
    mask = _new_mask(pred_probs.shape[0])
    backend.prune_by_class(
        labels, pred_probs, np.ascontiguousarray(num_per_class, dtype=np.int64), mask, n_threads
    )
    return mask.view(np.bool_)


def select_lowest(backend, scores: np.ndarray, count: int, n_threads: int) -> np.ndarray:
    mask = _new_mask(scores.shape[0])
    backend.select_lowest(np.ascontiguousarray(scores), int(count), mask, n_threads)
    return mask.view(np.bool_)
