"""Out-of-sample predicted probabilities by stratified cross-validation: the
input every other labelsieve function needs.

Same folds as cleanlab (scikit-learn's ``StratifiedKFold(shuffle=True,
random_state=seed)`` split on the labels), same handling of a class missing
from a training fold (its first held-out example is copied into the training
part and gets a one-hot prediction), so a deterministic classifier gives
cleanlab's probabilities exactly.  scikit-learn is an optional extra.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Optional

import numpy as np

from labelsieve._validate import _labels_to_array, check_labels_only


def _require_sklearn():
    try:
        import sklearn  # noqa: F401
    except ImportError as exc:  # pragma: no cover - exercised via monkeypatch in tests
        raise ImportError(
            "estimate_cv_predicted_probabilities needs scikit-learn: pip install \"labelsieve[sklearn]\""
        ) from exc


def _rows(X: Any, index: np.ndarray) -> Any:
    """Rows of X by position: pandas via .iloc, lists item by item, arrays
    (dense or sparse) by fancy indexing."""
    if hasattr(X, "iloc"):
        return X.iloc[index]
    if isinstance(X, (list, tuple)):
        return [X[i] for i in index]
    return X[index]


def _n_rows(X: Any) -> int:
    shape = getattr(X, "shape", None)
    return int(shape[0]) if shape is not None else len(X)


def estimate_cv_predicted_probabilities(
    X: Any,
    labels: Any,
    clf: Any = None,
    *,
    cv_n_folds: int = 5,
    seed: Optional[int] = None,
    clf_kwargs: Optional[dict] = None,
    validation_func: Optional[Callable[[Any, Any], dict]] = None,
) -> np.ndarray:
    """N x K float64 out-of-sample predicted probabilities.

    ``clf``: any scikit-learn classifier (cloned per fold; default
    ``LogisticRegression()``).  ``labels`` must use every class 0..K-1.
    ``clf_kwargs`` are passed to ``fit``; ``validation_func(X_holdout,
    y_holdout)`` may return more fit keyword arguments.  ``seed=None`` uses
    NumPy's global random state, like cleanlab."""
    _require_sklearn()
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    given = _labels_to_array(labels)
    if given.shape[0] == 0:
        raise ValueError("labels is empty")
    labels = check_labels_only(given, int(given.max()) + 1).astype(np.int64, copy=False)
    if isinstance(cv_n_folds, bool) or not isinstance(cv_n_folds, (int, np.integer)) or cv_n_folds < 2:
        raise ValueError(f"cv_n_folds must be an integer >= 2, got {cv_n_folds!r}")
    if _n_rows(X) != labels.shape[0]:
        raise ValueError(f"X has {_n_rows(X)} rows but labels has {labels.shape[0]} entries")
    present = np.unique(labels)
    num_classes = int(present.size)
    if not np.array_equal(present, np.arange(num_classes)):
        raise ValueError(f"labels must use every class 0..K-1 at least once, got classes {present.tolist()}")
    if validation_func is not None and not callable(validation_func):
        raise TypeError("validation_func must be a callable taking (X_holdout, y_holdout)")
    clf = LogisticRegression() if clf is None else clf
    fit_kwargs_base = dict(clf_kwargs or {})

    pred_probs = np.zeros((labels.shape[0], num_classes))
    folds = StratifiedKFold(n_splits=cv_n_folds, shuffle=True, random_state=seed)
    for train, holdout in folds.split(X=labels, y=labels):
        try:
            model = clone(clf)
        except Exception as exc:
            raise ValueError("clf must be clonable via sklearn.base.clone(clf)") from exc
        missing = np.setdiff1d(np.arange(num_classes), labels[train])
        copied = np.array([holdout[labels[holdout] == c][0] for c in missing], dtype=np.int64)
        if copied.size:
            warnings.warn(
                "Copied one held-out example of each class missing from a training fold into that fold's "
                f"training data so the classifier sees every class: classes {missing.tolist()}",
                stacklevel=2,
            )
            train = np.concatenate([train, copied])
        fit_kwargs = dict(fit_kwargs_base)
        if validation_func is not None:
            fit_kwargs.update(validation_func(_rows(X, holdout), labels[holdout]))
        model.fit(_rows(X, train), labels[train], **fit_kwargs)
        pred_probs[holdout] = model.predict_proba(_rows(X, holdout))
        pred_probs[copied] = np.eye(num_classes)[labels[copied]]
    return pred_probs
