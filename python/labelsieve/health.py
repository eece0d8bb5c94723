"""Dataset health: per-class label quality, overlapping classes and one
overall score, with the same parameters and answers as cleanlab 2.9.0's
``cleanlab.dataset`` (single-label classification).

Each function takes exactly one of these inputs:

1. ``labels`` and ``pred_probs`` (the joint is estimated through
   :func:`labelsieve.estimate_joint`, so ``n_jobs`` and ``backend`` apply),
2. ``joint`` and ``num_examples``,
3. ``confident_joint`` (calibrated against ``labels`` when labels are given).

Everything after the joint is O(K^2) NumPy.  Tables are pandas DataFrames
(``pip install "labelsieve[pandas]"``), sorted with pandas' default sort
exactly as cleanlab does, so even the order of tied rows is the same as
cleanlab's on the same machine.

One deliberate difference: cleanlab's ``rank_classes_by_label_quality`` and
``health_summary`` raise when given only a ``confident_joint`` (they look for
the example count in ``labels``); here the count is then ``sum(confident_joint)``,
as cleanlab's own docstrings promise.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import numpy as np

from labelsieve import api
from labelsieve._problem import Problem
from labelsieve._validate import _labels_to_array, check_square_matrix

ArrayLike = Any
EPSILON = 1e-6  # floor of the row/column mass a conditional noise rate is divided by

__all__ = [
    "find_overlapping_classes",
    "health_summary",
    "overall_label_health_score",
    "rank_classes_by_label_quality",
]


# ------------------------------------------------------------------ helpers


def _pandas():
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - exercised via monkeypatch in tests
        raise ImportError(
            'labelsieve\'s dataset health tables are pandas DataFrames: pip install "labelsieve[pandas]"'
        ) from exc
    return pandas


class MultiLabelNotSupported(NotImplementedError, ValueError):
    """multi_label=True: these summaries are single-label; the multi-label
    ones are in labelsieve.multilabel.  A ValueError too, as cleanlab raises."""


def _reject_multi_label(multi_label: bool, instead: str) -> None:
    if multi_label:
        raise MultiLabelNotSupported(
            f"multi_label=True is not supported here; for multi-label data call labelsieve.multilabel.{instead}"
        )


def _num_examples(num_examples: Any, labels: ArrayLike, confident_joint: ArrayLike) -> int:
    """The dataset size: given, else len(labels), else sum(confident_joint)."""
    if num_examples is not None:
        if isinstance(num_examples, bool) or not isinstance(num_examples, (int, np.integer)):
            raise TypeError(f"num_examples must be a positive integer, got {num_examples!r}")
        if num_examples < 1:
            raise ValueError(f"num_examples must be a positive integer, got {num_examples}")
        return int(num_examples)
    if labels is not None:
        return int(_labels_to_array(labels).shape[0])
    if confident_joint is not None:
        return int(np.sum(check_square_matrix(confident_joint, "confident_joint")))
    raise ValueError(
        "num_examples is needed: pass labels (and pred_probs), or confident_joint, "
        "or joint together with num_examples"
    )


def _joint(
    labels: ArrayLike,
    pred_probs: ArrayLike,
    joint: ArrayLike,
    confident_joint: ArrayLike,
    n_jobs: Optional[int],
    backend: Optional[str],
) -> np.ndarray:
    """The K x K joint P(given, true): as given, else estimated like cleanlab."""
    if joint is not None:
        return check_square_matrix(joint, "joint")
    if confident_joint is None and (labels is None or pred_probs is None):
        raise ValueError(
            "pass labels and pred_probs, or joint and num_examples, or confident_joint"
        )
    return api.estimate_joint(
        labels, pred_probs, confident_joint=confident_joint, n_jobs=n_jobs, backend=backend
    )


def _class_names(class_names: Optional[Sequence[Any]], k: int) -> Optional[list]:
    if class_names is None:
        return None
    if isinstance(class_names, str):
        raise TypeError("class_names must be a sequence of names, one per class, not a string")
    names = list(class_names)
    if len(names) != k:
        raise ValueError(f"class_names must have one name per class ({k}), got {len(names)}")
    return names


def _rounded_counts(probabilities: np.ndarray, num_examples: int) -> np.ndarray:
    """round-half-to-even(probability * num_examples) as int64."""
    return np.round(probabilities * num_examples).astype(np.int64)


# ------------------------------------------------------------------ public functions


def rank_classes_by_label_quality(
    labels: Optional[ArrayLike] = None,
    pred_probs: Optional[ArrayLike] = None,
    *,
    class_names: Optional[Sequence[Any]] = None,
    num_examples: Optional[int] = None,
    joint: Optional[ArrayLike] = None,
    confident_joint: Optional[ArrayLike] = None,
    multi_label: bool = False,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
):
    """One row per class, most problematic first (cleanlab's
    ``dataset.rank_classes_by_label_quality``).

    Columns: ``Class Index``; ``Label Issues`` (estimated count labelled k
    whose true class is not k); ``Inverse Label Issues`` (true class k,
    labelled otherwise); ``Label Noise`` = P(true != k | given = k);
    ``Inverse Label Noise`` = P(given != k | true = k); ``Label Quality Score``
    = 1 - Label Noise.  With ``class_names`` a ``Class Name`` column comes
    first.  Sorted by ``Label Quality Score`` ascending.

    Returns a pandas DataFrame.
    """
    _reject_multi_label(multi_label, "rank_classes_by_multilabel_quality")
    pd = _pandas()
    matrix = _joint(labels, pred_probs, joint, confident_joint, n_jobs, backend)
    count = _num_examples(num_examples, labels, confident_joint)
    names = _class_names(class_names, matrix.shape[0])

    given_mass = matrix.sum(axis=1)
    true_mass = matrix.sum(axis=0)
    given_noise = given_mass - matrix.diagonal()
    true_noise = true_mass - matrix.diagonal()
    given_rate = given_noise / np.clip(given_mass, EPSILON, None)
    true_rate = true_noise / np.clip(true_mass, EPSILON, None)
    table = pd.DataFrame(
        {
            "Class Index": np.arange(matrix.shape[0]),
            "Label Issues": _rounded_counts(given_noise, count),
            "Inverse Label Issues": _rounded_counts(true_noise, count),
            "Label Noise": given_rate,
            "Inverse Label Noise": true_rate,
            "Label Quality Score": 1 - given_rate,
        }
    )
    if names is not None:
        table.insert(loc=0, column="Class Name", value=names)
    return table.sort_values(by="Label Quality Score", ascending=True).reset_index(drop=True)


def find_overlapping_classes(
    labels: Optional[ArrayLike] = None,
    pred_probs: Optional[ArrayLike] = None,
    *,
    asymmetric: bool = False,
    class_names: Optional[Sequence[Any]] = None,
    num_examples: Optional[int] = None,
    joint: Optional[ArrayLike] = None,
    confident_joint: Optional[ArrayLike] = None,
    multi_label: bool = False,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
):
    """Pairs of classes that are often confused with each other (cleanlab's
    ``dataset.find_overlapping_classes``): candidates for merging.

    Symmetric (default): one row per pair a < b with
    ``Joint Probability`` = P(given=a, true=b) + P(given=b, true=a).
    ``asymmetric=True``: one row per ordered pair a != b with
    P(given=a, true=b).  Columns ``Class Index A``, ``Class Index B``,
    ``Num Overlapping Examples`` (round(probability * num_examples)),
    ``Joint Probability``; with ``class_names`` also ``Class Name A`` and
    ``Class Name B`` first.  Sorted by ``Joint Probability`` descending.

    Returns a pandas DataFrame.
    """
    _reject_multi_label(multi_label, "common_multilabel_issues")
    pd = _pandas()
    matrix = _joint(labels, pred_probs, joint, confident_joint, n_jobs, backend)
    count = _num_examples(num_examples, labels, confident_joint)
    k = matrix.shape[0]
    names = _class_names(class_names, k)

    rows, cols = np.divmod(np.arange(k * k), k)
    if asymmetric:
        values = matrix
        keep = rows != cols
    else:
        values = np.triu(matrix) + np.tril(matrix).T
        keep = rows < cols
    rows, cols = rows[keep], cols[keep]
    probability = values[rows, cols]
    table = pd.DataFrame(
        {
            "Class Index A": rows.astype(np.int64),
            "Class Index B": cols.astype(np.int64),
            "Num Overlapping Examples": _rounded_counts(probability, count),
            "Joint Probability": probability,
        }
    )
    if names is not None:
        table.insert(loc=0, column="Class Name A", value=[names[i] for i in rows])
        table.insert(loc=1, column="Class Name B", value=[names[i] for i in cols])
    return table.sort_values(by="Joint Probability", ascending=False).reset_index(drop=True)


def _print_health(score: float, num_issues: int, num_examples: int) -> None:
    print(
        f" * Overall, about {(1 - score):.0%} ({num_issues:,} of the {num_examples:,}) "
        "labels in your dataset have potential issues.\n"
        f" ** The overall label health score for this dataset is: {score:.2f}."
    )


def overall_label_health_score(
    labels: Optional[ArrayLike] = None,
    pred_probs: Optional[ArrayLike] = None,
    *,
    num_examples: Optional[int] = None,
    confident_joint: Optional[ArrayLike] = None,
    joint: Optional[ArrayLike] = None,
    multi_label: bool = False,
    verbose: bool = True,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
) -> float:
    """One score in [0, 1]: the estimated fraction of correct labels
    (cleanlab's ``dataset.overall_label_health_score``).

    With ``labels`` and ``pred_probs``: ``1 - num_label_issues(labels,
    pred_probs) / num_examples`` (not the trace of the joint, as in
    cleanlab).  Otherwise: ``trace(joint)``, the joint given or estimated
    from ``confident_joint``.  ``verbose`` prints a two-line summary.
    Needs no pandas.
    """
    _reject_multi_label(multi_label, "overall_multilabel_health_score")
    count = _num_examples(num_examples, labels, confident_joint)
    if labels is None or pred_probs is None:
        matrix = _joint(labels, pred_probs, joint, confident_joint, n_jobs, backend)
        score = float(np.trace(matrix))
        num_issues = int(np.round(count * (1 - score)))
    else:
        num_issues = api.num_label_issues(
            labels, pred_probs, confident_joint=confident_joint, n_jobs=n_jobs, backend=backend
        )
        score = float(1 - num_issues / count)
    if verbose:
        _print_health(score, num_issues, count)
    return score


def _print_banner(num_examples: int, k: int) -> None:
    line = f"|   for your dataset with {num_examples:,} examples and {k:,} classes.  |"
    width = len(line)
    print(
        "-" * width
        + "\n"
        + "|  Generating a labelsieve Dataset Health Summary".ljust(width - 1)
        + "|\n"
        + line
        + "\n"
        + "-" * width
        + "\n"
    )


def health_summary(
    labels: Optional[ArrayLike] = None,
    pred_probs: Optional[ArrayLike] = None,
    *,
    asymmetric: bool = False,
    class_names: Optional[Sequence[Any]] = None,
    num_examples: Optional[int] = None,
    joint: Optional[ArrayLike] = None,
    confident_joint: Optional[ArrayLike] = None,
    multi_label: bool = False,
    verbose: bool = True,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
) -> Dict[str, Any]:
    """All of the above in one call (cleanlab's ``dataset.health_summary``).

    Returns a dict with keys ``overall_label_health_score`` (float),
    ``joint`` (K x K), ``classes_by_label_quality`` and
    ``overlapping_classes`` (DataFrames).  ``verbose`` prints the tables.
    With only ``labels`` and ``pred_probs``, ``pred_probs`` is read once per
    pass (the joint and the issue count share them).
    """
    _reject_multi_label(multi_label, "multilabel_health_summary")
    pd = _pandas()
    count = _num_examples(num_examples, labels, confident_joint)
    shared = labels is not None and pred_probs is not None and joint is None and confident_joint is None
    if shared:
        problem = Problem(labels, pred_probs, n_jobs=n_jobs, backend=backend)
        _ = problem.joint  # the issue count below needs its guesses: one joint pass serves both
        matrix = api._joint_from_counts(problem.calibrated_confident_joint)
    else:
        matrix = _joint(labels, pred_probs, joint, confident_joint, n_jobs, backend)
    if verbose:
        _print_banner(count, matrix.shape[0])
    common = dict(class_names=class_names, num_examples=count, joint=matrix)
    classes = rank_classes_by_label_quality(**common)
    if verbose:
        print("Overall Class Quality and Noise across your dataset (below)")
        print("-" * 60, "\n", flush=True)
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", None):
            print(classes)
    overlapping = find_overlapping_classes(asymmetric=asymmetric, **common)
    if verbose:
        print("\nClass Overlap. In some cases, you may want to merge classes in the top rows (below)")
        print("-" * 83, "\n", flush=True)
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", None):
            print(overlapping)
        print()
    if shared:
        num_issues = int(np.count_nonzero(problem.off_diagonal_issue_mask))
        score = float(1 - num_issues / count)
        if verbose:
            _print_health(score, num_issues, count)
    else:
        score = overall_label_health_score(
            labels,
            pred_probs,
            num_examples=count,
            confident_joint=confident_joint,
            joint=matrix,
            verbose=verbose,
            n_jobs=n_jobs,
            backend=backend,
        )
    return {
        "overall_label_health_score": score,
        "joint": matrix,
        "classes_by_label_quality": classes,
        "overlapping_classes": overlapping,
    }
