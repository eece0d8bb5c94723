"""The public API: cleanlab-compatible names, parameters and answers.

Every function validates its inputs once, runs the passes it needs through
the selected backend (``backend="cpp"|"numba"|None``), and never modifies
its inputs.  ``n_jobs`` is the number of threads; it never changes a result.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional, Tuple, Union

import numpy as np

from labelsieve import _kxk, _passes
from labelsieve._latent import estimate_latent_from_joint
from labelsieve._problem import Problem
from labelsieve._scores import rank_flagged, scores as _scores
from labelsieve._validate import (
    FILTERS,
    SCORE_METHODS,
    check_choice,
    check_labels_only,
    check_square_matrix,
)

ArrayLike = Any
ESTIMATION_METHODS = ("off_diagonal", "off_diagonal_calibrated", "off_diagonal_custom")
_LOW_FILTERS = ("low_normalized_margin", "low_self_confidence")
_PRUNE_FILTERS = ("prune_by_noise_rate", "prune_by_class", "both")


def _dask_impl(labels: Any, pred_probs: Any):
    """``labelsieve.dask`` when an input is a Dask array (it runs per block), else None."""
    if any(type(x).__module__.startswith("dask.") for x in (labels, pred_probs)):
        from labelsieve import dask as dask_impl

        return dask_impl
    return None


def confident_thresholds(
    labels: ArrayLike, pred_probs: ArrayLike, *, n_jobs: Optional[int] = None, backend: Optional[str] = None
) -> np.ndarray:
    """Per-class confidence thresholds: the mean predicted probability of
    class k over the examples labelled k (2.0 for a class with no examples,
    floored at 2e-6).  Same dtype rules as cleanlab (float32 stays float32)."""
    problem = Problem(labels, pred_probs, n_jobs=n_jobs, backend=backend, needs_thresholds=True, narrow_labels=False)
    return problem.thresholds.copy()  # one pass over the labels: not worth narrowing them


def confident_joint(
    labels: ArrayLike,
    pred_probs: ArrayLike,
    *,
    thresholds: Optional[ArrayLike] = None,
    calibrate: bool = True,
    return_indices_of_off_diagonals: bool = False,
    guess_rule: str = "cleanlab",
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
    multi_label: bool = False,
) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]:
    """The K x K confident joint ``C[given][likely true]`` (int64).

    ``guess_rule="cleanlab"`` (default) matches cleanlab: a row with two or
    more confident classes goes to its argmax over all classes;
    ``"paper"`` takes the argmax over the confident classes only.
    With ``return_indices_of_off_diagonals`` also returns the ascending row
    indices counted off the diagonal.
    ``multi_label=True``: labels are lists of classes (or a 0/1 matrix); see
    ``labelsieve.multilabel.confident_joint`` ((K, 2, 2) result)."""
    if multi_label:
        from labelsieve import multilabel

        return multilabel.confident_joint(
            labels, pred_probs, thresholds=thresholds, calibrate=calibrate, n_jobs=n_jobs, backend=backend,
            return_indices_of_off_diagonals=return_indices_of_off_diagonals,
        )
    del multi_label  # not a parameter of the dask path below
    if _dask_impl(labels, pred_probs):
        return _dask_impl(labels, pred_probs).confident_joint(**locals())
    problem = Problem(
        labels, pred_probs, n_jobs=n_jobs, backend=backend, guess_rule=guess_rule, thresholds=thresholds,
        needs_thresholds=True,
    )
    if return_indices_of_off_diagonals:
        # The guesses' pass first: it gives the counts too (one pass, not two).
        indices = problem.joint.off_diagonal_indices(problem.labels)
        return problem.confident_joint(calibrate), indices
    return problem.confident_joint(calibrate, counts_only=True)


def calibrate_confident_joint(confident_joint: ArrayLike, labels: ArrayLike) -> np.ndarray:
    """Rescale a confident joint so row k sums to the count of label k and
    the total is N, rounding to integers while keeping the row totals."""
    matrix = check_square_matrix(confident_joint, "confident_joint")
    labels_arr = check_labels_only(labels, matrix.shape[0])
    return _kxk.calibrate(matrix, _kxk.class_counts(labels_arr, matrix.shape[0]))


def _joint_from_counts(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.clip(float(np.sum(matrix)), _kxk.TINY_VALUE, None)


def estimate_joint(
    labels: Optional[ArrayLike],
    pred_probs: Optional[ArrayLike] = None,
    *,
    confident_joint: Optional[ArrayLike] = None,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
) -> np.ndarray:
    """Estimated joint distribution P(given, true) as a K x K float64 matrix
    summing to 1.  A supplied ``confident_joint`` is (re)calibrated against
    ``labels`` when labels are given, else normalised as is."""
    if confident_joint is None:
        problem = Problem(labels, pred_probs, n_jobs=n_jobs, backend=backend, needs_thresholds=True)
        return _joint_from_counts(problem.calibrated_confident_joint)
    matrix = check_square_matrix(confident_joint, "confident_joint")
    if labels is not None:
        matrix = calibrate_confident_joint(matrix, labels)
    return _joint_from_counts(matrix)


def estimate_latent(
    confident_joint: ArrayLike,
    labels: ArrayLike,
    *,
    py_method: str = "cnt",
    converge_latent_estimates: bool = False,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(py, noise_matrix, inverse_noise_matrix) from a confident joint:
    ``noise_matrix[s][y] = P(given=s | true=y)``,
    ``inverse_noise_matrix[y][s] = P(true=y | given=s)``."""
    matrix = check_square_matrix(confident_joint, "confident_joint")
    labels_arr = check_labels_only(labels, matrix.shape[0])
    return estimate_latent_from_joint(matrix, labels_arr, py_method, converge_latent_estimates)


def estimate_noise(
    labels: ArrayLike,
    pred_probs: ArrayLike,
    *,
    thresholds: Optional[ArrayLike] = None,
    converge_latent_estimates: bool = True,
    py_method: str = "cnt",
    calibrate: bool = True,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(py, noise_matrix, inverse_noise_matrix, confident_joint) — cleanlab's
    ``estimate_py_and_noise_matrices_from_probabilities``."""
    if _dask_impl(labels, pred_probs):
        return _dask_impl(labels, pred_probs).estimate_noise(**locals())
    problem = Problem(
        labels, pred_probs, n_jobs=n_jobs, backend=backend, thresholds=thresholds, needs_thresholds=True
    )
    joint = problem.confident_joint(calibrate, counts_only=True)
    py, noise, inverse = estimate_latent_from_joint(joint, problem.labels, py_method, converge_latent_estimates)
    return py, noise, inverse, joint


def num_label_issues(
    labels: ArrayLike,
    pred_probs: ArrayLike,
    *,
    confident_joint: Optional[ArrayLike] = None,
    estimation_method: str = "off_diagonal",
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
) -> int:
    """Estimated number of label issues.

    ``off_diagonal``: rows counted off the diagonal of the confident joint,
    minus those whose given label is the top prediction (= the size of
    ``find_issues(filter_by="confident_learning")``).
    ``off_diagonal_calibrated`` / ``off_diagonal_custom``: round((1 - trace(joint)) * N)
    from the calibrated / the supplied confident joint."""
    check_choice(estimation_method, "estimation_method", ESTIMATION_METHODS)
    if confident_joint is not None and estimation_method != "off_diagonal_custom":
        warnings.warn(
            "confident_joint is ignored unless estimation_method='off_diagonal_custom'; "
            "it is recomputed from labels and pred_probs",
            UserWarning,
            stacklevel=2,
        )
    if estimation_method == "off_diagonal_custom" and confident_joint is None:
        raise ValueError("estimation_method='off_diagonal_custom' needs a confident_joint")
    problem = Problem(labels, pred_probs, n_jobs=n_jobs, backend=backend, needs_thresholds=True)
    if estimation_method == "off_diagonal":
        return int(np.count_nonzero(problem.off_diagonal_issue_mask))
    if estimation_method == "off_diagonal_calibrated":
        joint = estimate_joint(problem.labels, confident_joint=problem.confident_joint(True, counts_only=True))
    else:
        joint = estimate_joint(problem.labels, confident_joint=confident_joint)
    return int(np.rint((1 - np.trace(joint)) * problem.n))


def label_quality_scores(
    labels: ArrayLike,
    pred_probs: ArrayLike,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
) -> np.ndarray:
    """Per-example label-quality score in [0, 1]; low means likely mislabeled.
    Methods: self_confidence, normalized_margin, confidence_weighted_entropy."""
    if _dask_impl(labels, pred_probs):
        return _dask_impl(labels, pred_probs).label_quality_scores(**locals())
    check_choice(method, "method", SCORE_METHODS)
    reads_self_probs = method != "normalized_margin" and not adjust_pred_probs
    problem = Problem(labels, pred_probs, n_jobs=n_jobs, backend=backend, needs_self_probs=reads_self_probs)
    # A new array: the problem (and its cached passes) ends with this call.
    return _scores(problem, method, bool(adjust_pred_probs))


def _check_mask(mask: ArrayLike, n: int) -> np.ndarray:
    arr = np.asarray(mask)
    if arr.dtype != np.bool_:
        raise TypeError(f"label_issues_mask must be a boolean array, got dtype {arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(f"label_issues_mask must have shape ({n},), got {arr.shape}")
    return arr


def order_label_issues(
    label_issues_mask: ArrayLike,
    labels: ArrayLike,
    pred_probs: ArrayLike,
    *,
    rank_by: str = "self_confidence",
    rank_by_kwargs: Optional[dict] = None,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
) -> np.ndarray:
    """Indices of the flagged examples sorted by label-quality score,
    worst first (ties by ascending index)."""
    check_choice(rank_by, "rank_by", SCORE_METHODS)
    problem = Problem(labels, pred_probs, n_jobs=n_jobs, backend=backend)
    return rank_flagged(problem, _check_mask(label_issues_mask, problem.n), rank_by, rank_by_kwargs)


def _check_find_options(filter_by, frac_noise, num_to_remove_per_class, min_examples_per_class, k):
    check_choice(filter_by, "filter_by", FILTERS)
    if isinstance(frac_noise, bool) or not isinstance(frac_noise, (int, float, np.integer, np.floating)):
        raise TypeError(f"frac_noise must be a number, got {frac_noise!r}")
    if not np.isfinite(frac_noise):
        raise ValueError(f"frac_noise must be finite, got {frac_noise!r}")
    if isinstance(min_examples_per_class, bool) or not isinstance(min_examples_per_class, (int, np.integer)):
        raise TypeError(f"min_examples_per_class must be an integer, got {min_examples_per_class!r}")
    if filter_by not in _PRUNE_FILTERS and (frac_noise != 1.0 or num_to_remove_per_class is not None):
        warnings.warn(
            "frac_noise and num_to_remove_per_class only apply to filter_by "
            "'prune_by_noise_rate', 'prune_by_class' and 'both'",
            UserWarning,
            stacklevel=3,
        )
        if num_to_remove_per_class is not None:
            raise ValueError(f"num_to_remove_per_class is not supported with filter_by={filter_by!r}")
    if num_to_remove_per_class is None:
        return None
    remove = np.asarray(num_to_remove_per_class)
    if remove.shape != (k,) or remove.dtype.kind not in "iu":
        raise ValueError(
            f"num_to_remove_per_class must be {k} integers (one per class), got {remove.shape} {remove.dtype}"
        )
    return remove


def _prune_matrix(problem: Problem, confident_joint, min_examples_per_class, frac_noise, remove) -> np.ndarray:
    if confident_joint is None:
        joint = problem.calibrated_confident_joint
    else:
        joint = check_square_matrix(confident_joint, "confident_joint")
        if joint.shape[0] != problem.k:
            raise ValueError(f"confident_joint must be {problem.k} x {problem.k}, got {joint.shape}")
    matrix = _kxk.keep_at_least_n_per_class(joint.T, min_examples_per_class, frac_noise)
    if remove is not None:
        matrix = _kxk.apply_num_to_remove(matrix, remove, problem.class_counts)
    return matrix


def warn_too_few_examples(counts: np.ndarray, min_examples_per_class: int, stacklevel: int) -> None:
    """Warn about the classes too small to prune (at most 20 listed: K may be huge)."""
    too_few = np.flatnonzero(counts <= min_examples_per_class)
    if too_few.size:
        shown = too_few[:20].tolist()
        more = f" and {too_few.size - 20} more" if too_few.size > 20 else ""
        warnings.warn(
            f"May not flag all label issues in classes {shown}{more}: too few examples "
            "(see min_examples_per_class)",
            UserWarning,
            stacklevel=stacklevel,
        )


def _prune_mask(problem: Problem, filter_by, matrix, min_examples_per_class) -> np.ndarray:
    counts = problem.class_counts
    # A class is pruned only with more than min_examples_per_class rows, and
    # never when it has a single row (cleanlab's scatter skips length-1 masks).
    class_ok = (counts > min_examples_per_class) & (counts > 1)
    warn_too_few_examples(counts, min_examples_per_class, stacklevel=4)
    mask = None
    if filter_by in ("prune_by_class", "both"):
        num = np.where(class_ok, counts - np.diagonal(matrix), 0)
        mask = _passes.prune_by_class(problem.backend, problem.labels, problem.pred_probs, num, problem.n_threads)
    if filter_by in ("prune_by_noise_rate", "both"):
        by_rate = _passes.prune_by_noise_rate(
            problem.backend, problem.labels, problem.pred_probs, matrix, class_ok, problem.n_threads
        )
        mask = by_rate if mask is None else mask & by_rate
    return mask


def find_issues(
    labels: ArrayLike,
    pred_probs: ArrayLike,
    *,
    filter_by: str = "prune_by_noise_rate",
    return_indices_ranked_by: Optional[str] = None,
    rank_by_kwargs: Optional[dict] = None,
    frac_noise: float = 1.0,
    num_to_remove_per_class: Optional[ArrayLike] = None,
    min_examples_per_class: int = 1,
    confident_joint: Optional[ArrayLike] = None,
    guess_rule: str = "cleanlab",
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
    multi_label: bool = False,
) -> np.ndarray:
    """Find the examples whose given label is likely wrong.

    Returns a boolean mask of length N, or — with
    ``return_indices_ranked_by`` in (self_confidence, normalized_margin,
    confidence_weighted_entropy) — the flagged indices ordered worst first.
    Parameters and results follow ``cleanlab.filter.find_label_issues``
    (2.9.0); ties at a selection cut-off go to the lower row index.
    ``multi_label=True``: labels are lists of classes (or a 0/1 matrix); see
    ``labelsieve.multilabel.find_issues``.
    """
    if multi_label:
        from labelsieve import multilabel

        return multilabel.find_issues(
            labels, pred_probs, filter_by=filter_by, return_indices_ranked_by=return_indices_ranked_by,
            rank_by_kwargs=rank_by_kwargs, frac_noise=frac_noise, num_to_remove_per_class=num_to_remove_per_class,
            min_examples_per_class=min_examples_per_class, confident_joint=confident_joint, n_jobs=n_jobs,
            backend=backend,
        )
    del multi_label  # not a parameter of the dask path below
    if _dask_impl(labels, pred_probs):
        return _dask_impl(labels, pred_probs).find_issues(**locals())
    # Every filter but predicted_neq_given (and pruning with a given joint) needs the thresholds.
    needs_thresholds = filter_by != "predicted_neq_given" and not (
        filter_by in _PRUNE_FILTERS and confident_joint is not None
    )
    problem = Problem(
        labels, pred_probs, n_jobs=n_jobs, backend=backend, guess_rule=guess_rule, needs_thresholds=needs_thresholds
    )
    remove = _check_find_options(filter_by, frac_noise, num_to_remove_per_class, min_examples_per_class, problem.k)
    if return_indices_ranked_by is not None:
        check_choice(return_indices_ranked_by, "return_indices_ranked_by", SCORE_METHODS)
    if filter_by == "confident_learning" and confident_joint is not None:
        warnings.warn(
            "confident_joint is ignored with filter_by='confident_learning' (it is re-estimated)",
            UserWarning,
            stacklevel=2,
        )

    if filter_by in _PRUNE_FILTERS:
        matrix = _prune_matrix(problem, confident_joint, min_examples_per_class, frac_noise, remove)
        mask = _prune_mask(problem, filter_by, matrix, min_examples_per_class)
    elif filter_by == "confident_learning":
        mask = problem.off_diagonal_issue_mask.copy()
    elif filter_by == "predicted_neq_given":
        mask = ~problem.flags_only.argmax_is_label()
    else:  # low_*: the num_label_issues() lowest scores, no final un-flagging
        method = "normalized_margin" if filter_by == "low_normalized_margin" else "self_confidence"
        count = int(np.count_nonzero(problem.off_diagonal_issue_mask))
        mask = _passes.select_lowest(problem.backend, _scores(problem, method, False), count, problem.n_threads)

    if filter_by not in _LOW_FILTERS:
        problem.flags_only.unflag_label_is_boosted_top(mask)
    if return_indices_ranked_by is not None:
        return rank_flagged(problem, mask, return_indices_ranked_by, rank_by_kwargs)
    return mask


find_label_issues = find_issues
