"""Label-quality scores (SPEC 2.11) from the per-row primitives.

The backend returns per-row statistics (self-probability, best other
probability, entropy sum); the O(N) arithmetic that turns them into scores
is done here in NumPy, in the same dtypes and order as cleanlab, so the
results match bit for bit (including NumPy's own ``log``).
"""

from __future__ import annotations

import numpy as np

from labelsieve import _passes
from labelsieve._problem import Problem
from labelsieve._validate import SCORE_METHODS, check_choice

SCORE_FLOOR = 1e-6


def _check_rank_kwargs(method: str, rank_by_kwargs: dict | None) -> bool:
    kwargs = dict(rank_by_kwargs or {})
    adjust = bool(kwargs.pop("adjust_pred_probs", False))
    if kwargs:
        raise TypeError(f"rank_by_kwargs only accepts 'adjust_pred_probs', got {sorted(kwargs)}")
    if adjust and method == "confidence_weighted_entropy":
        raise ValueError("adjust_pred_probs is not supported for confidence_weighted_entropy")
    return adjust


def scores(problem: Problem, method: str, adjust: bool, rows: np.ndarray | None = None) -> np.ndarray:
    """Scores of every row, or of the rows listed in ``rows`` (int64)."""
    check_choice(method, "method", SCORE_METHODS)
    if adjust and method == "confidence_weighted_entropy":
        raise ValueError("adjust_pred_probs is not supported for confidence_weighted_entropy")
    if method == "self_confidence":
        return problem.row_stats(True, rows)[0] if adjust else problem.self_probs(rows)
    if problem.k < 2:
        raise ValueError(f"method={method!r} needs pred_probs with at least 2 classes")
    if method == "normalized_margin":
        own, other = problem.row_stats(adjust, rows)
        return (own - other + 1) / 2
    values = _confidence_weighted_entropy(problem)
    return values if rows is None else values[rows]


def _confidence_weighted_entropy(problem: Problem) -> np.ndarray:
    if problem.min_prob < 0 or problem.max_prob > 1:
        raise ValueError(
            "confidence_weighted_entropy requires every pred_probs value in [0, 1] "
            f"(found min {problem.min_prob:g}, max {problem.max_prob:g})"
        )
    entropy = -_passes.entropy_sums(problem.backend, problem.pred_probs, problem.n_threads)
    entropy = entropy / np.log(problem.k)
    own = problem.self_probs()
    ratio = entropy / np.clip(own, SCORE_FLOOR, None)
    return np.log(ratio + 1) / np.clip(ratio, SCORE_FLOOR, None)


def rank_flagged(problem: Problem, mask: np.ndarray, method: str, rank_by_kwargs: dict | None) -> np.ndarray:
    """Flagged row indices, worst score first; ties by ascending index."""
    adjust = _check_rank_kwargs(method, rank_by_kwargs)
    flagged = np.flatnonzero(mask).astype(np.int64, copy=False)
    values = scores(problem, method, adjust, rows=flagged)
    return flagged[stable_argsort(values)].astype(np.int64)


def stable_argsort(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` for 1-D floats, faster for
    float16/float32: each value's order-preserving integer image is packed
    with its position into one uint64 and sorted with NumPy's (SIMD) integer
    sort.  -0.0 sorts equal to 0.0 and every NaN equal to every other NaN,
    after all numbers, exactly as the stable float sort does."""
    width = values.dtype.itemsize * 8
    if values.dtype.kind != "f" or width > 32 or values.size >= 2**32:
        return np.argsort(values, kind="stable")
    canonical = values + values.dtype.type(0)  # -0.0 becomes +0.0
    canonical[np.isnan(canonical)] = np.nan  # one NaN bit pattern, sign bit clear
    unsigned = np.dtype(f"uint{width}")
    bits = canonical.view(unsigned)
    sign = unsigned.type(1 << (width - 1))
    ordered = np.where(bits & sign, ~bits, bits | sign)  # negatives reversed below positives
    keys = (ordered.astype(np.uint64) << np.uint64(32)) | np.arange(values.size, dtype=np.uint64)
    keys.sort()
    return (keys & np.uint64(0xFFFFFFFF)).astype(np.intp)
