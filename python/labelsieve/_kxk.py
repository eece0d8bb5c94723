"""The small K x K steps: counting, sum-preserving rounding, calibration and
the prune-count matrix.

These run in NumPy on K x K inputs.  They follow SPEC.md 2.1, 2.4 and 2.12
operation by operation (including NumPy's default argsort in the rounding,
and memory-layout-dependent summation order), because their results feed
integer cut-offs where the last ulp can change a count.
"""

from __future__ import annotations

import numpy as np

TINY_VALUE = 1e-100
ROUNDING_SLACK = 1e-6


def class_counts(labels: np.ndarray, num_classes: int) -> np.ndarray:
    return np.bincount(labels, minlength=num_classes).astype(np.int64)


def round_preserving_sum(values: np.ndarray) -> np.ndarray:
    """Round half-to-even, then move +-1 onto the entries with the largest
    (or most negative) residuals until the integer total equals the rounded
    float total.  Tie order among equal residuals is NumPy's default argsort,
    deliberately (SPEC 2.1)."""
    floats = np.asarray(values, dtype=np.float64)
    ints = np.round(floats)
    target = np.round(np.sum(floats))
    current = np.round(np.sum(ints))
    while abs(current - target) > ROUNDING_SLACK:
        diff = np.round(target - current)
        step = -1 if diff < 0 else 1
        n_changes = min(int(abs(diff)), len(floats))
        order = np.argsort(floats - ints)
        if step == 1:
            order = order[::-1]
        ints[order[:n_changes]] += step
        current = np.round(np.sum(ints))
    with np.errstate(invalid="ignore"):
        return ints.astype(np.int64)


def round_preserving_row_totals(matrix: np.ndarray) -> np.ndarray:
    """round_preserving_sum of every row of a K x K matrix.  Rows whose
    rounded entries already add up to their rounded total (nearly all of a
    calibrated joint's or prune-count matrix's rows) are rounded in one
    vectorised step; only the others go through the per-row loop, which
    took ~70 ms per K x K matrix at K = 1000 when run on every row."""
    # C order: each row's sum is then the pairwise sum np.sum gives the row alone.
    floats = np.ascontiguousarray(matrix, dtype=np.float64)
    ints = np.round(floats)
    with np.errstate(invalid="ignore"):
        # NaN totals compare False, as in round_preserving_sum's loop condition.
        uneven = np.abs(np.round(ints.sum(axis=1)) - np.round(floats.sum(axis=1))) > ROUNDING_SLACK
        result = ints.astype(np.int64)
    for row in np.flatnonzero(uneven):
        result[row] = round_preserving_sum(floats[row])
    return result


def calibrate(confident_joint: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Scale rows to the class counts and the total to N, then round.

    The intermediate keeps the memory layout of ``confident_joint``, so the
    grand total is summed in that layout's order (column-major for the
    Fortran-ordered matrix that ``confident_joint()`` builds internally).
    """
    row_totals = np.clip(confident_joint.sum(axis=1), TINY_VALUE, None)
    scaled = (confident_joint.T / row_totals * counts).T
    scaled = scaled / np.clip(np.sum(scaled), TINY_VALUE, None) * counts.sum()
    return round_preserving_row_totals(scaled)


def keep_at_least_n_per_class(prune_matrix: np.ndarray, n: int, frac_noise: float) -> np.ndarray:
    """Raise each column's diagonal (given class k) to at least n, taking the
    increase evenly from the column's entries, then scale the off-diagonal
    counts by frac_noise and truncate (SPEC 2.12, `.astype(int)` semantics)."""
    diagonal = np.diagonal(prune_matrix)
    new_diagonal = np.maximum(diagonal, n)
    increase = new_diagonal - diagonal
    shares = np.maximum(np.count_nonzero(prune_matrix, axis=0) - 1.0, 1.0)
    lowered = prune_matrix - increase / shares
    lowered[lowered < 0] = 0
    np.fill_diagonal(lowered, new_diagonal)

    scaled = lowered * frac_noise
    np.fill_diagonal(scaled, lowered.diagonal())
    np.fill_diagonal(scaled, lowered.diagonal() + np.sum(lowered - scaled, axis=0))
    with np.errstate(invalid="ignore"):
        truncated = scaled.astype(np.int64)
    return round_preserving_row_totals(truncated)


def apply_num_to_remove(
    prune_matrix: np.ndarray, num_to_remove: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """cleanlab's num_to_remove_per_class transform, quirks included: each
    entry (i, j) is divided by the total of row j (SPEC 2.12 step 13)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        psy = prune_matrix / np.sum(prune_matrix, axis=1)
        noise_per_row = psy.sum(axis=1) - psy.diagonal()
        target = (psy.T * num_to_remove / noise_per_row).T
        np.fill_diagonal(target, counts - num_to_remove)
        return round_preserving_row_totals(target)
