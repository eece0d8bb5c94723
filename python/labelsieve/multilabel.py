"""Multi-label classification: each example may carry several classes.

Every class k is a one-vs-rest binary problem: probabilities
``[1 - pred_probs[:, k], pred_probs[:, k]]`` (in the input dtype) and binary
label "k is in the example's label set".  The answers equal those of
cleanlab 2.9.0's ``multilabel_classification`` module (and of
``filter.find_label_issues(multi_label=True)``, ``count.*(multi_label=True)``);
see docs/multilabel.md for the few documented differences (ranking ties go to
the lower index, and cleanlab's mis-ordered ranking for the ``low_*``
filters, for which labelsieve returns the correctly sorted order).

Labels are accepted as a list of lists of class indices (cleanlab's format)
or as an N x K 0/1 matrix.  The thresholds and the (K, 2, 2) confident joint
of all K binary problems come from two reads of ``pred_probs`` in the
backend (``multilabel_sums``, ``multilabel_joint_pass``), and the prune
filters select the rows of all 2K (class, given side) cells in one more
read (``multilabel_select``); Python only does O(K) 2 x 2 arithmetic and
O(N x K) boolean combinations.
"""

from __future__ import annotations

import warnings
from functools import cached_property
from itertools import chain
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np

from labelsieve import _kxk, _passes
from labelsieve.api import _check_find_options  # the same option checks as single-label
from labelsieve.health import _pandas  # the same clear error without pandas
from labelsieve._backend import get_backend
from labelsieve._validate import (
    SCORE_METHODS,
    as_pred_probs,
    check_choice,
    check_prob_range,
    resolve_n_jobs,
)

__all__ = [
    "to_onehot",
    "onehot_to_lists",
    "confident_thresholds",
    "confident_joint",
    "calibrate_confident_joint",
    "estimate_joint",
    "num_label_issues",
    "find_issues",
    "find_label_issues",
    "issues_per_class",
    "label_quality_scores",
    "label_quality_scores_per_class",
    "exponential_moving_average",
    "softmin",
    "common_multilabel_issues",
    "rank_classes_by_multilabel_quality",
    "overall_multilabel_health_score",
    "multilabel_health_summary",
]

ArrayLike = Any
MultiLabels = Any  # list of lists of class indices, or an N x K 0/1 matrix

# Bits of the per-(row, class) codes written by multilabel_joint_pass.
CONFIDENT = 1
GUESS_ONE = 2
REDUCED = 4
ARGMAX_ONE = 8
GIVEN = 16


def _code_table(rule: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """A 256-entry bool lookup table over the code bits, so a per-(row, class)
    verdict is one table lookup over the (N, K) codes."""
    codes = np.arange(256)
    bit = lambda flag: (codes & flag) != 0  # noqa: E731
    return np.ascontiguousarray(rule(bit), dtype=bool)


# counted off the diagonal of the class's confident joint
_OFF_DIAGONAL = _code_table(lambda bit: bit(CONFIDENT) & (bit(GUESS_ONE) != bit(GIVEN)))
# ... and not un-flagged because the given side is the (boosted) top: "confident_learning"
_CONFIDENT_LEARNING = _code_table(lambda bit: bit(CONFIDENT) & (bit(GUESS_ONE) != bit(GIVEN)) & ~bit(REDUCED))
_PREDICTED_NEQ_GIVEN = _code_table(lambda bit: (bit(ARGMAX_ONE) != bit(GIVEN)) & ~bit(REDUCED))
_REDUCED = _code_table(lambda bit: bit(REDUCED))

_LOW_FILTERS = ("low_normalized_margin", "low_self_confidence")
AGGREGATORS = ("exponential_moving_average", "softmin")
DEFAULT_AGGREGATOR = {"method": "exponential_moving_average", "alpha": 0.8}


# ---- labels ------------------------------------------------------------------------


def to_onehot(labels: MultiLabels, num_classes: int) -> np.ndarray:
    """The N x K uint8 0/1 matrix of ``labels`` (a list of lists of class
    indices, or already a 0/1 matrix, which is checked and returned as uint8).

    >>> to_onehot([[0, 2], [], [1]], 3).tolist()
    [[1, 0, 1], [0, 0, 0], [0, 1, 0]]
    """
    if isinstance(labels, np.ndarray) or hasattr(labels, "to_numpy") or hasattr(labels, "toarray"):
        return _matrix_labels(labels, num_classes)
    if not isinstance(labels, (list, tuple)):
        raise TypeError(
            "labels must be a list of lists of class indices or an N x K 0/1 matrix, "
            f"got {type(labels).__name__}"
        )
    for i, row in enumerate(labels):
        if isinstance(row, (str, bytes)) or not hasattr(row, "__len__"):
            raise TypeError(f"labels[{i}] must be a list of class indices, got {type(row).__name__}")
    lengths = np.fromiter(map(len, labels), dtype=np.int64, count=len(labels))
    values = list(chain.from_iterable(labels))
    if all(type(v) is int for v in values):  # the common case, converted without dtype inference
        flat = np.array(values, dtype=np.int64)
    else:
        flat = np.array(values)
    if flat.size and flat.dtype.kind not in "iu":
        if flat.dtype.kind == "f" and np.all(flat == np.floor(flat)):
            flat = flat.astype(np.int64)
        else:
            raise TypeError(f"labels must contain integer class indices, got dtype {flat.dtype}")
    if flat.size and (flat.min() < 0 or flat.max() >= num_classes):
        bad = flat.min() if flat.min() < 0 else flat.max()
        raise ValueError(f"labels contain class {int(bad)}, outside 0..{num_classes - 1} (pred_probs columns)")
    onehot = np.zeros((len(labels), num_classes), dtype=np.uint8)
    onehot[np.repeat(np.arange(len(labels)), lengths), flat.astype(np.intp)] = 1
    return onehot


def _matrix_labels(labels: Any, num_classes: int) -> np.ndarray:
    if hasattr(labels, "toarray"):  # scipy.sparse
        labels = labels.toarray()
    arr = labels.to_numpy() if hasattr(labels, "to_numpy") else np.asarray(labels)
    if arr.ndim != 2 or arr.shape[1] != num_classes:
        raise ValueError(f"labels as a matrix must have shape (N, {num_classes}), got {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"labels as a matrix must be 0/1 numbers, got dtype {arr.dtype}")
    if arr.size and not np.all((arr == 0) | (arr == 1)):
        raise ValueError("labels as a matrix must contain only 0 and 1")
    return np.ascontiguousarray(arr, dtype=np.uint8)


def onehot_to_lists(onehot: ArrayLike) -> List[List[int]]:
    """The list-of-lists form of a 0/1 label matrix."""
    return [np.flatnonzero(row).tolist() for row in np.asarray(onehot)]


# ---- the K binary problems -----------------------------------------------------------


class MultiLabelProblem:
    """Validated inputs and the two passes over ``pred_probs`` (cached)."""

    def __init__(self, labels: MultiLabels, pred_probs: ArrayLike, *, n_jobs: Any = None, backend: Optional[str] = None):
        self.n_threads = resolve_n_jobs(n_jobs)
        self.backend_name = backend
        self.backend = get_backend(backend)
        self.pred_probs = as_pred_probs(pred_probs)
        self.n, self.k = self.pred_probs.shape
        if self.k == 0:
            raise ValueError("pred_probs has 0 columns (classes)")
        self.onehot = to_onehot(labels, self.k)
        if self.onehot.shape[0] != self.n:
            raise ValueError(
                f"labels and pred_probs must have the same length, got {self.onehot.shape[0]} labels "
                f"and {self.n} rows of pred_probs"
            )
        if self.n == 0:
            raise ValueError("labels and pred_probs are empty (0 examples)")
        self.min_prob, self.max_prob = check_prob_range(self.pred_probs, self.backend, self.n_threads)

    @cached_property
    def _sums(self) -> Tuple[np.ndarray, np.ndarray]:
        positives = np.zeros(self.k, dtype=np.int64)
        sums = np.zeros((self.k, 2), dtype=_passes.accumulator_dtype(self.pred_probs.dtype))
        self.backend.multilabel_sums(self.onehot, self.pred_probs, positives, sums, self.n_threads)
        counts = np.stack([self.n - positives, positives], axis=1)
        return counts, sums

    @property
    def class_counts(self) -> np.ndarray:
        """(K, 2): examples without / with class k."""
        return self._sums[0]

    @cached_property
    def thresholds(self) -> List[np.ndarray]:
        """Per class, the binary problem's two thresholds in cleanlab's dtype
        (the input dtype, or float64 when one side has no examples)."""
        counts, sums = self._sums
        dtype = self.pred_probs.dtype
        return [_passes.thresholds_from_sums(sums[c], counts[c], dtype) for c in range(self.k)]

    def cut(self, thresholds: Optional[np.ndarray] = None) -> np.ndarray:
        per_class = self.thresholds if thresholds is None else thresholds
        dtype = self.pred_probs.dtype
        return np.ascontiguousarray(np.stack([_passes.confident_cut(t, dtype) for t in per_class]))

    def joint_pass(self, thresholds: Optional[List[np.ndarray]] = None) -> Tuple[np.ndarray, np.ndarray]:
        if thresholds is None and "_default_joint" in self.__dict__:
            return self._default_joint
        joint = np.zeros((self.k, 2, 2), dtype=np.int64)
        codes = np.empty((self.n, self.k), dtype=np.uint8)
        self.backend.multilabel_joint_pass(self.onehot, self.pred_probs, self.cut(thresholds), joint, codes, self.n_threads)
        return joint, codes

    @cached_property
    def _default_joint(self) -> Tuple[np.ndarray, np.ndarray]:
        return self.joint_pass()

    @property
    def codes(self) -> np.ndarray:
        return self._default_joint[1]

    def reduced(self) -> np.ndarray:
        """(N, K): the given side of the binary row is its (boosted) top."""
        return _REDUCED[self.codes]

    @staticmethod
    def off_diagonal(codes: np.ndarray) -> np.ndarray:
        """(N, K): counted off the diagonal of class k's confident joint."""
        return _OFF_DIAGONAL[codes]

    def calibrated_joint(self, raw: Optional[np.ndarray] = None) -> np.ndarray:
        raw = self._default_joint[0] if raw is None else raw
        return np.stack([_calibrate_binary(raw[c], self.class_counts[c]) for c in range(self.k)])

    @cached_property
    def confident_learning_per_class(self) -> np.ndarray:
        return _CONFIDENT_LEARNING[self.codes]

    def binary_problem(self, c: int) -> Tuple[np.ndarray, np.ndarray]:
        """Class c's binary labels (int32) and (N, 2) probabilities."""
        column = self.pred_probs[:, c]
        probs = np.empty((self.n, 2), dtype=self.pred_probs.dtype)
        np.subtract(1, column, out=probs[:, 0])
        probs[:, 1] = column
        return self.onehot[:, c].astype(np.int32), probs


def _calibrate_binary(raw: np.ndarray, counts: np.ndarray) -> np.ndarray:
    floored = np.asfortranarray(raw.copy())  # cleanlab's layout: column-major grand total
    np.fill_diagonal(floored, np.maximum(np.diagonal(floored), 1))
    return _kxk.calibrate(floored, counts)


def _floored(raw: np.ndarray) -> np.ndarray:
    out = raw.copy()
    for c in range(out.shape[0]):
        np.fill_diagonal(out[c], np.maximum(np.diagonal(out[c]), 1))
    return out


def _user_thresholds(thresholds: ArrayLike, k: int) -> List[np.ndarray]:
    t = np.asarray(thresholds)
    if t.dtype.kind not in "iuf":
        raise TypeError(f"thresholds must be numeric, got dtype {t.dtype}")
    if t.shape == (2,):  # cleanlab passes one pair to every class
        t = np.broadcast_to(t, (k, 2))
    if t.shape != (k, 2):
        raise ValueError(f"thresholds must have shape (2,) or ({k}, 2), got {t.shape}")
    if not np.all(np.isfinite(t)):
        raise ValueError("thresholds contains NaN or infinite values")
    return [np.array(row) for row in t]


# ---- count ---------------------------------------------------------------------------


def confident_thresholds(
    labels: MultiLabels, pred_probs: ArrayLike, *, n_jobs: Optional[int] = None, backend: Optional[str] = None
) -> np.ndarray:
    """(K, 2) float64: for class k, the mean of ``1 - p[:, k]`` over the
    examples without k and the mean of ``p[:, k]`` over those with k (2.0 for
    an empty side), floored at 2e-6 — cleanlab's
    ``get_confident_thresholds(multi_label=True)``.

    >>> confident_thresholds([[0], [0, 1], [1]], np.array([[.9, .2], [.8, .7], [.1, .6]])).round(2).tolist()
    [[0.9, 0.85], [0.8, 0.65]]
    """
    problem = MultiLabelProblem(labels, pred_probs, n_jobs=n_jobs, backend=backend)
    return np.array([t.astype(np.float64) for t in problem.thresholds]).reshape(problem.k, 2)


def confident_joint(
    labels: MultiLabels,
    pred_probs: ArrayLike,
    *,
    thresholds: Optional[ArrayLike] = None,
    calibrate: bool = True,
    return_indices_of_off_diagonals: bool = False,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
) -> Union[np.ndarray, Tuple[np.ndarray, List[np.ndarray]]]:
    """(K, 2, 2) int64 one-vs-rest confident joints: entry ``[k][a][b]`` counts
    examples whose given membership of class k is a (0/1) and whose likely
    true membership is b.  ``thresholds``: None (per-class means), one pair
    of shape (2,) used for every class (cleanlab's semantics), or (K, 2).
    With ``return_indices_of_off_diagonals`` also returns, per class, the
    ascending indices counted off the diagonal.

    >>> confident_joint([[0], [0, 1], [1], []], np.array([[.9, .2], [.8, .7], [.1, .6], [.3, .1]])).tolist()
    [[[2, 0], [0, 2]], [[2, 0], [0, 2]]]
    """
    problem = MultiLabelProblem(labels, pred_probs, n_jobs=n_jobs, backend=backend)
    user = None if thresholds is None else _user_thresholds(thresholds, problem.k)
    raw, codes = problem.joint_pass(user)
    joint = problem.calibrated_joint(raw) if calibrate else _floored(raw)
    if return_indices_of_off_diagonals:
        off = problem.off_diagonal(codes)
        return joint, [np.flatnonzero(off[:, c]) for c in range(problem.k)]
    return joint


def _check_joint_3d(confident_joint: ArrayLike, k: Optional[int] = None) -> np.ndarray:
    cj = np.asarray(confident_joint)
    if cj.ndim != 3 or cj.shape[1:] != (2, 2) or (k is not None and cj.shape[0] != k):
        want = "(K, 2, 2)" if k is None else f"({k}, 2, 2)"
        raise ValueError(f"confident_joint must have shape {want}, got {cj.shape}")
    if cj.dtype.kind not in "iuf":
        raise TypeError(f"confident_joint must be numeric, got dtype {cj.dtype}")
    if cj.dtype.kind == "f" and not np.all(np.isfinite(cj)):
        raise ValueError("confident_joint contains NaN or infinite values")
    return cj


def calibrate_confident_joint(confident_joint: ArrayLike, labels: MultiLabels) -> np.ndarray:
    """Calibrate each class's 2 x 2 joint against its binary labels (rows sum
    to the number of examples without / with the class, total N).  K is the
    joint's first dimension (cleanlab infers it from the labels and silently
    truncates when a class never occurs)."""
    cj = _check_joint_3d(confident_joint)
    onehot = to_onehot(labels, cj.shape[0])
    positives = onehot.sum(axis=0, dtype=np.int64)
    counts = np.stack([onehot.shape[0] - positives, positives], axis=1)
    return np.stack([_kxk.calibrate(cj[c], counts[c]) for c in range(cj.shape[0])])


def estimate_joint(
    labels: MultiLabels,
    pred_probs: Optional[ArrayLike] = None,
    *,
    confident_joint: Optional[ArrayLike] = None,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
) -> np.ndarray:
    """(K, 2, 2) float64: per class, the confident joint calibrated against
    ``labels`` and divided by its total (each 2 x 2 block sums to 1).  Without
    ``confident_joint`` the calibrated one is computed (and, as in cleanlab,
    calibrated once more)."""
    if confident_joint is None:
        confident_joint = MultiLabelProblem(labels, pred_probs, n_jobs=n_jobs, backend=backend).calibrated_joint()
    cal = calibrate_confident_joint(confident_joint, labels)
    totals = np.array([max(float(np.sum(block)), _kxk.TINY_VALUE) for block in cal])
    return cal / totals[:, None, None]


def num_label_issues(
    labels: MultiLabels, pred_probs: ArrayLike, *, n_jobs: Optional[int] = None, backend: Optional[str] = None
) -> int:
    """Examples with at least one class counted off its confident joint's
    diagonal (and not the binary row's top) = the size of
    ``find_issues(filter_by="confident_learning")``."""
    problem = MultiLabelProblem(labels, pred_probs, n_jobs=n_jobs, backend=backend)
    return int(np.count_nonzero(problem.confident_learning_per_class.any(axis=1)))


# ---- scores --------------------------------------------------------------------------


def exponential_moving_average(scores: ArrayLike, *, alpha: Optional[float] = None) -> np.ndarray:
    """Aggregate each row of an (N, K) score matrix: sort descending, start
    from the largest, then ``ema = alpha * s_t + (1 - alpha) * ema``.  alpha
    None -> 2 / (K + 1).

    >>> exponential_moving_average(np.array([[0.1, 0.2, 0.3]]), alpha=0.5).tolist()
    [0.175]
    """
    s = _check_scores(scores)
    alpha = _ema_alpha(alpha, s.shape[1])
    ordered = np.sort(s, axis=1)[:, ::-1]
    ema = ordered[:, 0]
    for t in range(1, s.shape[1]):
        ema = alpha * ordered[:, t] + (1 - alpha) * ema
    return ema


def _ema_alpha(alpha: Optional[float], k: int) -> float:
    if alpha is None:
        alpha = float(2 / (k + 1))
    if not (0 <= alpha <= 1):
        raise ValueError(f"alpha must be in the interval [0, 1], got {alpha}")
    return alpha


def softmin(scores: ArrayLike, *, temperature: float = 0.1) -> np.ndarray:
    """Aggregate each row as ``sum_k s_k * softmax((1 - s) / T)_k`` (a smooth
    minimum; small temperatures approach the row minimum).

    >>> softmin(np.array([[0.9, 0.1]]), temperature=0.1).round(4).tolist()
    [0.1003]
    """
    s = _check_scores(scores)
    x = (1 - s) / max(temperature, 1e-6)
    x = x - np.max(x, axis=1, keepdims=True)
    weights = np.exp(x)
    weights = weights / np.sum(weights, axis=1, keepdims=True)
    return np.einsum("ij,ij->i", s, weights)


def _check_scores(scores: ArrayLike) -> np.ndarray:
    s = np.asarray(scores)
    if s.ndim != 2:
        raise ValueError(f"scores must be a 2-D (N, K) array, got shape {s.shape}")
    return s


def _aggregator(aggregator_kwargs: Optional[dict]) -> Callable[[np.ndarray], np.ndarray]:
    kwargs = dict(DEFAULT_AGGREGATOR if not aggregator_kwargs else aggregator_kwargs)
    method = kwargs.pop("method", None)
    if isinstance(method, str):
        check_choice(method, "aggregator_kwargs['method']", AGGREGATORS)
        function = exponential_moving_average if method == "exponential_moving_average" else softmin
    elif callable(method):
        return lambda s: method(s, axis=1, **kwargs)
    else:
        raise TypeError(f"aggregator_kwargs['method'] must be one of {AGGREGATORS} or a callable, got {method!r}")
    return lambda s: function(s, **kwargs)


def _per_class_scores(problem: MultiLabelProblem, method: str, adjust: bool) -> np.ndarray:
    """(N, K) float64: each class's binary label-quality score."""
    check_choice(method, "method", SCORE_METHODS)
    if adjust and method == "confidence_weighted_entropy":
        raise ValueError("adjust_pred_probs is not supported for confidence_weighted_entropy")
    out = np.empty((problem.n, problem.k), dtype=np.float64)
    if method == "confidence_weighted_entropy":
        # The entropy term needs the backend's exact xlogy sums: the
        # single-label scorer on each class's binary problem.
        from labelsieve._problem import Problem
        from labelsieve._scores import scores as binary_scores

        for c in range(problem.k):
            labels_c, probs_c = problem.binary_problem(c)
            binary = Problem(labels_c, probs_c, n_jobs=problem.n_threads, backend=problem.backend_name)
            out[:, c] = binary_scores(binary, method, False)
        return out
    given = problem.onehot != 0
    if not adjust:
        groups = [(np.arange(problem.k), None)]
    else:  # classes grouped by their thresholds' dtype (float64 when a side is empty)
        t = problem.thresholds
        dtypes = np.array([ti.dtype == np.float64 for ti in t])
        groups = [(np.flatnonzero(dtypes == wide), np.array([t[c] for c in np.flatnonzero(dtypes == wide)]))
                  for wide in (False, True) if np.any(dtypes == wide)]
    for columns, thresholds in groups:
        one = problem.pred_probs[:, columns]
        zero = 1 - one
        if thresholds is not None:  # cleanlab's shift by the binary thresholds, then renormalise
            work = np.result_type(one.dtype, thresholds.dtype)
            t_max = thresholds.max(axis=1)
            zero = (zero.astype(work) - thresholds[:, 0]) + t_max
            one = (one.astype(work) - thresholds[:, 1]) + t_max
            total = zero + one
            zero, one = zero / total, one / total
        own = np.where(given[:, columns], one, zero)
        if method == "self_confidence":
            out[:, columns] = own
        else:
            other = np.where(given[:, columns], zero, one)
            out[:, columns] = (own - other + 1) / 2
    return out


def _scores_problem(labels, pred_probs, n_jobs, backend) -> MultiLabelProblem:
    return labels if isinstance(labels, MultiLabelProblem) else MultiLabelProblem(labels, pred_probs, n_jobs=n_jobs, backend=backend)


def label_quality_scores_per_class(
    labels: MultiLabels,
    pred_probs: ArrayLike,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
) -> np.ndarray:
    """(N, K) float64: ``[i, k]`` scores how likely example i's annotation of
    class k (present or absent) is correct, by the single-label ``method`` on
    class k's binary problem.  cleanlab's
    ``multilabel_classification.rank.get_label_quality_scores_per_class``.

    >>> label_quality_scores_per_class([[1], [0]], np.array([[.1, .9], [.4, .1]])).tolist()
    [[0.9, 0.9], [0.4, 0.9]]
    """
    problem = _scores_problem(labels, pred_probs, n_jobs, backend)
    return _per_class_scores(problem, method, bool(adjust_pred_probs))


def label_quality_scores(
    labels: MultiLabels,
    pred_probs: ArrayLike,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
    aggregator_kwargs: Optional[Dict[str, Any]] = None,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
) -> np.ndarray:
    """(N,) float64 label-quality score per example (low = likely some class
    annotation is wrong): the per-class scores aggregated per row.
    ``aggregator_kwargs``: ``{"method": "exponential_moving_average", "alpha": 0.8}``
    (default), ``{"method": "softmin", "temperature": 0.1}``, or a callable
    ``method`` taking ``(scores, axis=1, **kwargs)``.

    >>> label_quality_scores([[1], [0, 2]], np.array([[.1, .9, .1], [.4, .1, .9]])).round(3).tolist()
    [0.9, 0.5]
    """
    aggregate = _aggregator(aggregator_kwargs)
    problem = _scores_problem(labels, pred_probs, n_jobs, backend)
    check_choice(method, "method", SCORE_METHODS)
    kwargs = dict(DEFAULT_AGGREGATOR if not aggregator_kwargs else aggregator_kwargs)
    fusable = kwargs.get("method") == "exponential_moving_average" and set(kwargs) <= {"method", "alpha"}
    if fusable and method != "confidence_weighted_entropy" and not adjust_pred_probs:
        # the common case in one backend pass, without the (N, K) float64 matrix
        out = np.empty(problem.n, dtype=np.float64)
        alpha = float(_ema_alpha(kwargs.get("alpha"), problem.k))
        problem.backend.multilabel_ema_scores(
            problem.onehot, problem.pred_probs, method == "normalized_margin", alpha, out, problem.n_threads
        )
        return out
    return aggregate(_per_class_scores(problem, method, bool(adjust_pred_probs)))


# ---- filters -------------------------------------------------------------------------


def _user_joint(confident_joint: Optional[ArrayLike], k: int) -> Optional[np.ndarray]:
    if confident_joint is None:
        return None
    if np.shape(confident_joint) == (k, k):
        warnings.warn(
            f"a K x K confident_joint is ignored in multi-label mode; pass the ({k}, 2, 2) "
            "one-vs-rest joint from confident_joint(..., multi_label=True)",
            UserWarning,
            stacklevel=3,
        )
        return None
    return _check_joint_3d(confident_joint, k)


def _prune_sizes(problem: MultiLabelProblem, joints, min_examples, frac_noise, remove):
    """Per (class, given side): how many rows prune_by_noise_rate and
    prune_by_class select — the single-label prune-count steps (SPEC 2.12)
    on each class's 2 x 2 joint."""
    by_rate = np.zeros((problem.k, 2), dtype=np.int64)
    by_class = np.zeros((problem.k, 2), dtype=np.int64)
    for c in range(problem.k):
        counts = problem.class_counts[c]
        matrix = _kxk.keep_at_least_n_per_class(joints[c].T, min_examples, frac_noise)
        if remove is not None:
            matrix = _kxk.apply_num_to_remove(matrix, np.array([remove[c], 0]), counts)
        # cleanlab prunes a side only with more than min_examples rows, and never a single row
        side_ok = (counts > min_examples) & (counts > 1)
        by_class[c] = np.where(side_ok, counts - np.diagonal(matrix), 0)
        by_rate[c] = np.where(side_ok, [matrix[1, 0], matrix[0, 1]], 0)  # [true j][given y], j != y
    return by_rate, by_class


def _select(problem: MultiLabelProblem, sizes: np.ndarray, by_margin: bool) -> np.ndarray:
    mask = np.zeros((problem.n, problem.k), dtype=np.uint8)
    problem.backend.multilabel_select(
        problem.onehot, problem.pred_probs, np.ascontiguousarray(sizes), by_margin, mask, problem.n_threads
    )
    return mask.view(np.bool_)


def _issues_matrix(problem: MultiLabelProblem, filter_by, confident_joint, min_examples, frac_noise, remove) -> np.ndarray:
    """(N, K) bool: class k's binary problem flags example i."""
    if filter_by == "confident_learning":
        return problem.confident_learning_per_class.copy()
    if filter_by == "predicted_neq_given":
        return _PREDICTED_NEQ_GIVEN[problem.codes]
    joints = problem.calibrated_joint() if confident_joint is None else confident_joint
    too_few = np.argwhere(problem.class_counts <= min_examples)
    if too_few.size:
        warnings.warn(
            "May not flag all label issues in (class, side) pairs "
            f"{[tuple(x) for x in too_few.tolist()]}: too few examples (see min_examples_per_class)",
            UserWarning,
            stacklevel=3,
        )
    by_rate, by_class = _prune_sizes(problem, joints, min_examples, frac_noise, remove)
    issues = None
    if filter_by in ("prune_by_class", "both"):
        issues = _select(problem, by_class, by_margin=False)
    if filter_by in ("prune_by_noise_rate", "both"):
        rate = _select(problem, by_rate, by_margin=True)
        issues = rate if issues is None else issues & rate
    return issues & ~problem.reduced()


def _ranked(problem: MultiLabelProblem, mask: np.ndarray, method: str, rank_by_kwargs: Optional[dict]) -> np.ndarray:
    from labelsieve._scores import _check_rank_kwargs, stable_argsort

    adjust = _check_rank_kwargs(method, rank_by_kwargs)
    flagged = np.flatnonzero(mask)
    values = label_quality_scores(problem, None, method=method, adjust_pred_probs=adjust)[flagged]
    return flagged[stable_argsort(values)].astype(np.int64)


def issues_per_class(
    labels: MultiLabels,
    pred_probs: ArrayLike,
    *,
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    num_to_remove_per_class: Optional[ArrayLike] = None,
    min_examples_per_class: int = 1,
    confident_joint: Optional[ArrayLike] = None,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
) -> np.ndarray:
    """(N, K) bool: ``[i, k]`` is True when class k's one-vs-rest problem
    flags example i (cleanlab's ``find_multilabel_issues_per_class``).
    Not available for the ``low_*`` filters, which rank whole examples."""
    problem = MultiLabelProblem(labels, pred_probs, n_jobs=n_jobs, backend=backend)
    if filter_by in _LOW_FILTERS:
        raise ValueError(f"filter_by={filter_by!r} has no per-class form; use find_issues")
    remove = _check_find_options(filter_by, frac_noise, num_to_remove_per_class, min_examples_per_class, problem.k)
    joint = _user_joint(confident_joint, problem.k)
    return _issues_matrix(problem, filter_by, joint, min_examples_per_class, frac_noise, remove)


def find_issues(
    labels: MultiLabels,
    pred_probs: ArrayLike,
    *,
    filter_by: str = "prune_by_noise_rate",
    return_indices_ranked_by: Optional[str] = None,
    rank_by_kwargs: Optional[dict] = None,
    frac_noise: float = 1.0,
    num_to_remove_per_class: Optional[ArrayLike] = None,
    min_examples_per_class: int = 1,
    confident_joint: Optional[ArrayLike] = None,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
) -> np.ndarray:
    """Examples with at least one likely-wrong class annotation.

    Returns a boolean mask (N,), or with ``return_indices_ranked_by`` the
    flagged indices sorted by the aggregated (EMA, alpha 0.8) multi-label
    score of that method, worst first, ties to the lower index.  Parameters
    follow ``cleanlab.multilabel_classification.filter.find_label_issues``:
    each class's binary problem runs the single-label filter, an example is
    flagged if any class flags it; ``low_*`` filters take the
    ``num_label_issues`` lowest default multi-label scores.
    ``confident_joint``: the (K, 2, 2) joint (a K x K one is ignored with a
    warning, like cleanlab).

    >>> find_issues([[0], [0, 1], [1], [0]], np.array([[.9, .1], [.8, .7], [.1, .9], [.1, .8]]),
    ...             filter_by="confident_learning").tolist()
    [False, False, False, True]
    """
    problem = MultiLabelProblem(labels, pred_probs, n_jobs=n_jobs, backend=backend)
    remove = _check_find_options(filter_by, frac_noise, num_to_remove_per_class, min_examples_per_class, problem.k)
    if return_indices_ranked_by is not None:
        check_choice(return_indices_ranked_by, "return_indices_ranked_by", SCORE_METHODS)
    if filter_by == "confident_learning" and confident_joint is not None:
        warnings.warn(
            "confident_joint is ignored with filter_by='confident_learning' (it is re-estimated)",
            UserWarning,
            stacklevel=2,
        )
    joint = _user_joint(confident_joint, problem.k)
    if filter_by in _LOW_FILTERS:
        # cleanlab scores with the default self-confidence scorer for both low_* filters.
        count = int(np.count_nonzero(problem.confident_learning_per_class.any(axis=1)))
        scores = label_quality_scores(problem, None)
        mask = _passes.select_lowest(problem.backend, scores, count, problem.n_threads)
    else:
        mask = _issues_matrix(problem, filter_by, joint, min_examples_per_class, frac_noise, remove).any(axis=1)
    if return_indices_ranked_by is not None:
        return _ranked(problem, mask, return_indices_ranked_by, rank_by_kwargs)
    return mask


find_label_issues = find_issues


# ---- dataset health ------------------------------------------------------------------


def common_multilabel_issues(
    labels: MultiLabels,
    pred_probs: ArrayLike,
    *,
    class_names: Optional[List[str]] = None,
    confident_joint: Optional[ArrayLike] = None,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
):
    """DataFrame with two rows per class: examples flagged (prune_by_noise_rate)
    that have the class but likely should not (``In Given Label`` True), and
    that lack it but likely should (``In Suggested Label`` True), with
    ``Num Examples`` and ``Issue Probability`` = count / N; sorted by
    Issue Probability, descending (stable)."""
    pd = _pandas()
    problem = MultiLabelProblem(labels, pred_probs, n_jobs=n_jobs, backend=backend)
    issues = _issues_matrix(problem, "prune_by_noise_rate", _user_joint(confident_joint, problem.k), 1, 1.0, None)
    given = problem.onehot != 0
    in_given = np.count_nonzero(issues & given, axis=0)
    not_given = np.count_nonzero(issues & ~given, axis=0)
    rows: Dict[str, list] = {"Class Index": [], "In Given Label": [], "In Suggested Label": [], "Num Examples": []}
    if class_names is not None:
        rows = {"Class Name": [], **rows}
    for c in range(problem.k):
        for present, count in ((True, in_given[c]), (False, not_given[c])):
            if class_names is not None:
                rows["Class Name"].append(class_names[c])
            rows["Class Index"].append(c)
            rows["In Given Label"].append(present)
            rows["In Suggested Label"].append(not present)
            rows["Num Examples"].append(int(count))
    table = pd.DataFrame(rows)
    table["Issue Probability"] = table["Num Examples"] / problem.n
    return table.sort_values(by=["Issue Probability"], ascending=False, kind="stable").reset_index(drop=True)


def rank_classes_by_multilabel_quality(
    labels: MultiLabels,
    pred_probs: ArrayLike,
    *,
    class_names: Optional[List[str]] = None,
    confident_joint: Optional[ArrayLike] = None,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
):
    """DataFrame, one row per class: ``Label Issues`` (flagged examples that
    have the class), ``Inverse Label Issues`` (flagged ones that lack it),
    ``Label Noise`` / ``Inverse Label Noise`` (those counts / N) and
    ``Label Quality Score`` = 1 - Label Noise, sorted by the score ascending."""
    table = common_multilabel_issues(
        labels, pred_probs, class_names=class_names, confident_joint=confident_joint, n_jobs=n_jobs, backend=backend
    )
    n = len(labels)
    given = table[table["In Given Label"]].set_index("Class Index")
    other = table[~table["In Given Label"]].set_index("Class Index")
    order = list(dict.fromkeys(table["Class Index"].tolist()))  # first appearance in the issues table
    pd = _pandas()
    out = pd.DataFrame({"Class Index": order})
    if class_names is not None:
        out.insert(0, "Class Name", [class_names[c] for c in order])
    noise = given.loc[order, "Issue Probability"].to_numpy()
    inverse = other.loc[order, "Issue Probability"].to_numpy()
    out["Label Issues"] = (noise * n).astype(np.int64)
    out["Inverse Label Issues"] = (inverse * n).astype(np.int64)
    out["Label Noise"] = noise
    out["Inverse Label Noise"] = inverse
    out["Label Quality Score"] = 1 - noise
    return out.sort_values(by="Label Quality Score", ascending=True, kind="stable").reset_index(drop=True)


def overall_multilabel_health_score(
    labels: MultiLabels,
    pred_probs: ArrayLike,
    *,
    confident_joint: Optional[ArrayLike] = None,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
) -> float:
    """1 - (fraction of examples flagged by ``find_issues`` with its defaults).

    >>> overall_multilabel_health_score([[0], [0, 1], [1], [0]], np.array([[.9, .1], [.8, .7], [.1, .9], [.1, .8]]))
    0.75
    """
    mask = find_issues(labels, pred_probs, confident_joint=confident_joint, n_jobs=n_jobs, backend=backend)
    return float(1.0 - np.count_nonzero(mask) / mask.shape[0])


def multilabel_health_summary(
    labels: MultiLabels,
    pred_probs: ArrayLike,
    *,
    class_names: Optional[List[str]] = None,
    confident_joint: Optional[ArrayLike] = None,
    verbose: bool = False,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
) -> Dict[str, Any]:
    """``{"overall_multilabel_health_score", "classes_by_multilabel_quality",
    "common_multilabel_issues"}`` (printed as well with ``verbose``)."""
    kwargs = dict(confident_joint=confident_joint, n_jobs=n_jobs, backend=backend)
    classes = rank_classes_by_multilabel_quality(labels, pred_probs, class_names=class_names, **kwargs)
    common = common_multilabel_issues(labels, pred_probs, class_names=class_names, **kwargs)
    score = overall_multilabel_health_score(labels, pred_probs, **kwargs)
    if verbose:
        print(f"Multi-label health score: {score:.4f} ({len(labels)} examples)")
        print("Classes by label quality:")
        print(classes.to_string())
        print("Common multi-label issues:")
        print(common.to_string())
    return {
        "overall_multilabel_health_score": score,
        "classes_by_multilabel_quality": classes,
        "common_multilabel_issues": common,
    }
