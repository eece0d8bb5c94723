"""scikit-learn integration: :class:`CleanClassifier`, a meta-estimator that
finds label issues with confident learning and trains on the cleaned data.

``import labelsieve`` never imports scikit-learn; importing this module does
(``pip install "labelsieve[sklearn]"``).

Example::

    from sklearn.linear_model import LogisticRegression
    from labelsieve.sklearn import CleanClassifier

    model = CleanClassifier(LogisticRegression(max_iter=1000), seed=0).fit(X, noisy_labels)
    model.predict(X_test)
    model.label_issues_          # which training labels were judged wrong
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

import labelsieve

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.utils import _safe_indexing
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import (
        _check_sample_weight,
        _num_samples,
        check_is_fitted,
        column_or_1d,
        has_fit_parameter,
    )
except ImportError as exc:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError(
        'labelsieve.sklearn needs scikit-learn: pip install "labelsieve[sklearn]"'
    ) from exc

__all__ = ["CleanClassifier"]

ArrayLike = Any
MIN_DIAGONAL = 1e-3  # sample weight of class k = 1 / max(noise_matrix[k, k], MIN_DIAGONAL)
_UNSUPPORTED_KWARGS = ("return_indices_ranked_by", "n_jobs", "backend")


def _issues_table(columns: Dict[str, np.ndarray]):
    """A pandas DataFrame when pandas is installed, else the dict of arrays."""
    try:
        import pandas as pd
    except ImportError:
        return columns
    return pd.DataFrame(columns)


def _indexable(X: ArrayLike) -> ArrayLike:
    """X as given when rows can be selected from it (arrays, CSR/CSC
    matrices, DataFrames, lists); other sparse formats as CSR; anything
    else as a NumPy array."""
    if hasattr(X, "tocsr") and getattr(X, "format", None) not in ("csr", "csc"):  # COO, BSR, DIA, ...
        return X.tocsr()
    if hasattr(X, "iloc") or (hasattr(X, "shape") and hasattr(X, "__getitem__")):
        return X
    if isinstance(X, (list, tuple)):
        return X
    return np.asarray(X)


class CleanClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Train any scikit-learn classifier on noisy labels, confident-learning style.

    ``fit`` (i) computes out-of-sample predicted probabilities by stratified
    K-fold cross-validation (``cv_n_folds`` folds shuffled with ``seed``;
    skipped when ``pred_probs`` is passed), (ii) finds label issues with
    :func:`labelsieve.find_issues` using cleanlab's ``CleanLearning``
    defaults — ``min_examples_per_class=10`` and the calibrated confident
    joint from :func:`labelsieve.estimate_noise` (latent estimates not
    converged) — and (iii) refits a clone of ``clf`` on the examples not
    flagged.  When ``clf.fit`` takes ``sample_weight`` (and none is given),
    each kept example of class k gets weight ``1 / max(noise_matrix[k, k], 1e-3)``.

    The flagged examples are the same as those of cleanlab 2.9.0's
    ``CleanLearning`` given the same ``pred_probs`` (up to the documented
    tie-breaking: ties at a selection cut-off go to the lower row index).

    Parameters
    ----------
    clf : classifier with ``fit``, ``predict`` and ``predict_proba``;
        default ``LogisticRegression()``.  Never modified: clones are fitted.
    cv_n_folds : number of stratified cross-validation folds (>= 2).
    find_issues_kwargs : extra keyword arguments for
        :func:`labelsieve.find_issues` (``filter_by``, ``frac_noise``,
        ``min_examples_per_class`` (default 10), ``num_to_remove_per_class``,
        ``confident_joint``, ...); ``return_indices_ranked_by`` is not allowed.
    seed : random seed of the fold shuffling (None: NumPy's global state).
    label_quality_scores_kwargs : keyword arguments for
        :func:`labelsieve.label_quality_scores` (``method``, ``adjust_pred_probs``).
    converge_latent_estimates : passed to :func:`labelsieve.estimate_noise`
        (False, as in CleanLearning).
    n_jobs, backend : threads and backend of the labelsieve calls.

    Attributes
    ----------
    classes_ : the sorted class values; labels are mapped to indices into
        ``classes_`` (as scikit-learn does) before anything else, so string
        or non-contiguous labels work.  ``pred_probs`` columns follow ``classes_``.
    clf_ : the classifier fitted on the cleaned data (on class *indices*).
    label_issues_ : one row per training example, a ``pandas.DataFrame``
        when pandas is installed, else a ``dict`` of NumPy arrays, with columns
        ``is_label_issue`` (bool), ``label_quality`` (float, low = suspicious),
        ``given_label`` and ``predicted_label`` (values from ``classes_``;
        predicted = argmax of the out-of-sample ``pred_probs``), plus
        ``sample_weight`` (0 for removed examples) when automatic weights were used.
    noise_matrix_ : K x K, ``noise_matrix_[i][j] = P(given = i | true = j)``.
    inverse_noise_matrix_ : K x K, ``inverse_noise_matrix_[j][i] = P(true = j | given = i)``.
    confident_joint_ : K x K calibrated confident joint (given x true counts).
    py_ : estimated prior of the true classes, shape (K,).
    n_features_in_ : copied from ``clf_`` when it has it.
    """

    def __init__(
        self,
        clf: Any = None,
        cv_n_folds: int = 5,
        find_issues_kwargs: Optional[Dict[str, Any]] = None,
        seed: Optional[int] = None,
        *,
        label_quality_scores_kwargs: Optional[Dict[str, Any]] = None,
        converge_latent_estimates: bool = False,
        n_jobs: Optional[int] = None,
        backend: Optional[str] = None,
    ) -> None:
        self.clf = clf
        self.cv_n_folds = cv_n_folds
        self.find_issues_kwargs = find_issues_kwargs
        self.seed = seed
        self.label_quality_scores_kwargs = label_quality_scores_kwargs
        self.converge_latent_estimates = converge_latent_estimates
        self.n_jobs = n_jobs
        self.backend = backend

    # ------------------------------------------------------------------ helpers
    def _base_clf(self) -> Any:
        clf = LogisticRegression() if self.clf is None else self.clf
        for method in ("fit", "predict_proba", "predict"):
            if not callable(getattr(clf, method, None)):
                raise TypeError(f"clf must define .{method}(), got {type(clf).__name__}")
        return clf

    def _find_kwargs(self) -> Dict[str, Any]:
        extra = dict(self.find_issues_kwargs or {})
        bad = [key for key in _UNSUPPORTED_KWARGS if key in extra]
        if bad:
            raise ValueError(
                f"find_issues_kwargs may not contain {bad} (use the n_jobs/backend parameters; "
                "the ranking is in label_issues_['label_quality'])"
            )
        return {"min_examples_per_class": 10, **extra}

    def _check_pred_probs(self, pred_probs: ArrayLike, n: int) -> np.ndarray:
        arr = np.asarray(pred_probs)
        k = len(self.classes_)
        if arr.shape != (n, k):
            raise ValueError(
                f"pred_probs must have shape ({n}, {k}): one row per example and one column per "
                f"class of classes_ (sorted), got {arr.shape}"
            )
        return arr

    def _out_of_sample_pred_probs(self, X: ArrayLike, y: np.ndarray, clf: Any) -> np.ndarray:
        from labelsieve.cv import estimate_cv_predicted_probabilities

        return estimate_cv_predicted_probabilities(X, y, clf, cv_n_folds=self.cv_n_folds, seed=self.seed)

    def _estimate(self, y: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
        """Noise estimates and the issue mask, stored on self; returns the mask."""
        kwargs = self._find_kwargs()
        run = {"n_jobs": self.n_jobs, "backend": self.backend}
        if kwargs.get("confident_joint") is not None:
            # A user confident joint drives both the latent estimates and the pruning.
            cj = np.asarray(kwargs["confident_joint"])
            py, nm, inv = labelsieve.estimate_latent(
                cj, y, converge_latent_estimates=self.converge_latent_estimates
            )
        else:
            py, nm, inv, cj = labelsieve.estimate_noise(
                y, pred_probs, converge_latent_estimates=self.converge_latent_estimates, **run
            )
            if kwargs.get("filter_by", "prune_by_noise_rate") != "confident_learning":
                kwargs["confident_joint"] = cj
        self.py_, self.noise_matrix_, self.inverse_noise_matrix_, self.confident_joint_ = py, nm, inv, cj
        return labelsieve.find_issues(y, pred_probs, **kwargs, **run)

    def _final_weights(self, y: np.ndarray, keep: np.ndarray, sample_weight: Optional[np.ndarray], clf: Any):
        """(weights for the kept examples or None, expanded column or None)."""
        if sample_weight is not None:
            return sample_weight[keep], None
        if not has_fit_parameter(clf, "sample_weight"):
            return None, None
        per_class = 1.0 / np.maximum(np.diagonal(self.noise_matrix_), MIN_DIAGONAL)
        weights = per_class[y[keep]]
        expanded = np.zeros(len(y))
        expanded[keep] = weights
        return weights, expanded

    def _check_fit_inputs(self, X, y, labels, sample_weight, clf):
        """(X rows-indexable, labels as indices into classes_ (set here), sample_weight or None)."""
        if y is not None and labels is not None:
            raise ValueError("pass the labels as y or as labels, not both")
        y = labels if y is None else y
        if y is None:
            raise ValueError("CleanClassifier requires y to be passed, but the target y is None")
        folds = self.cv_n_folds
        if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
            raise ValueError(f"cv_n_folds must be an integer >= 2, got {folds!r}")
        X = _indexable(X)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        n = _num_samples(X)
        if len(y) != n:
            raise ValueError(f"X and y have different numbers of samples: {n} and {len(y)}")
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"CleanClassifier needs at least 2 classes in y, got {len(self.classes_)} class")
        if sample_weight is not None:
            if not has_fit_parameter(clf, "sample_weight"):
                raise ValueError(f"sample_weight given but {type(clf).__name__}.fit does not take sample_weight")
            sample_weight = _check_sample_weight(sample_weight, X)
        return X, y_idx, sample_weight

    def __sklearn_tags__(self):  # scikit-learn >= 1.6; input capabilities are the clf's
        tags = super().__sklearn_tags__()
        try:
            from sklearn.utils import get_tags

            inner = get_tags(self._base_clf())
        except (ImportError, TypeError, AttributeError):
            return tags
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.input_tags.string = inner.input_tags.string
        tags.input_tags.categorical = inner.input_tags.categorical
        return tags

    # ------------------------------------------------------------------ API
    def fit(
        self,
        X: ArrayLike,
        y: Optional[ArrayLike] = None,
        sample_weight: Optional[ArrayLike] = None,
        *,
        labels: Optional[ArrayLike] = None,
        pred_probs: Optional[ArrayLike] = None,
    ) -> "CleanClassifier":
        """Find label issues in (X, y) and fit ``clf`` on the rest.

        ``y`` (or its alias ``labels``): the given, possibly wrong, labels
        (any values scikit-learn accepts for classification).
        ``sample_weight``: per-example weights for the final fit (replacing
        the automatic noise weights; the clf must accept ``sample_weight``).
        ``pred_probs``: precomputed out-of-sample probabilities, N x K with
        columns in ``classes_`` order; cross-validation is then skipped.
        """
        clf = self._base_clf()
        X, y_idx, sample_weight = self._check_fit_inputs(X, y, labels, sample_weight, clf)
        n = len(y_idx)
        if pred_probs is None:
            pred_probs = self._out_of_sample_pred_probs(X, y_idx, clf)
        pred_probs = self._check_pred_probs(pred_probs, n)
        mask = self._estimate(y_idx, pred_probs)
        quality = labelsieve.label_quality_scores(
            y_idx, pred_probs, **(self.label_quality_scores_kwargs or {}), n_jobs=self.n_jobs, backend=self.backend
        )
        keep = ~mask
        weights, expanded = self._final_weights(y_idx, keep, sample_weight, clf)
        columns = {
            "is_label_issue": mask,
            "label_quality": quality,
            "given_label": self.classes_[y_idx],
            "predicted_label": self.classes_[np.argmax(pred_probs, axis=1)],
        }
        if expanded is not None:
            columns["sample_weight"] = expanded
        self.label_issues_ = _issues_table(columns)

        self.clf_ = clone(clf)
        final = {} if weights is None else {"sample_weight": weights}
        self.clf_.fit(_safe_indexing(X, np.flatnonzero(keep)), y_idx[keep], **final)
        for name in ("n_features_in_", "feature_names_in_"):  # mirror the clf's, drop stale ones
            if hasattr(self.clf_, name):
                setattr(self, name, getattr(self.clf_, name))
            elif name in self.__dict__:
                delattr(self, name)
        return self

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, N x K with columns in ``classes_`` order (a
        class the cleaned data lost gets probability 0)."""
        check_is_fitted(self, "clf_")
        proba = np.asarray(self.clf_.predict_proba(X))
        inner = np.asarray(self.clf_.classes_)
        k = len(self.classes_)
        if inner.shape == (k,) and np.array_equal(inner, np.arange(k)):
            return proba
        full = np.zeros((proba.shape[0], k), dtype=proba.dtype)
        full[:, inner.astype(np.intp)] = proba
        return full

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted class values (from ``classes_``)."""
        check_is_fitted(self, "clf_")
        return self.classes_[np.asarray(self.clf_.predict(X)).astype(np.intp)]
