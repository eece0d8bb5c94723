"""estimate_cv_predicted_probabilities equals cleanlab's for a deterministic
classifier (same folds, same handling of classes missing from a fold)."""

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

import labelsieve  # noqa: E402


def blobs(seed, n, k, d=5):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n)
    labels[:k] = np.arange(k)  # every class present
    X = rng.normal(size=(n, d)) + labels[:, None] * 0.7
    return X, labels


@pytest.mark.parametrize("seed,n,k,folds", [(0, 200, 3, 5), (1, 120, 4, 3), (2, 90, 2, 4), (3, 300, 5, 5)])
@pytest.mark.parametrize("make_clf", [lambda: LogisticRegression(), lambda: DecisionTreeClassifier(random_state=0)])
def test_matches_cleanlab(seed, n, k, folds, make_clf):
    from cleanlab.count import estimate_cv_predicted_probabilities as cleanlab_cv

    X, labels = blobs(seed, n, k)
    got = labelsieve.estimate_cv_predicted_probabilities(X, labels, make_clf(), cv_n_folds=folds, seed=seed)
    expected = cleanlab_cv(X, labels, make_clf(), cv_n_folds=folds, seed=seed)
    assert got.shape == (n, k)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(got.sum(axis=1), 1.0)


def test_class_missing_from_a_training_fold_matches_cleanlab():
    from cleanlab.count import estimate_cv_predicted_probabilities as cleanlab_cv

    X, labels = blobs(7, 60, 3)
    labels[labels == 2] = 0
    labels[[5, 9]] = 2  # a class with 2 examples, 3 folds: some training fold lacks it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = labelsieve.estimate_cv_predicted_probabilities(X, labels, LogisticRegression(), cv_n_folds=3, seed=1)
        expected = cleanlab_cv(X, labels, LogisticRegression(), cv_n_folds=3, seed=1)
    np.testing.assert_array_equal(got, expected)


def test_pandas_input_and_fit_kwargs():
    pd = pytest.importorskip("pandas")
    X, labels = blobs(4, 100, 3)
    frame = pd.DataFrame(X)
    weights = []

    def validation(X_holdout, y_holdout):
        weights.append(len(y_holdout))
        return {}

    got = labelsieve.estimate_cv_predicted_probabilities(
        frame, pd.Series(labels), LogisticRegression(), cv_n_folds=4, seed=0, validation_func=validation
    )
    np.testing.assert_array_equal(
        got, labelsieve.estimate_cv_predicted_probabilities(X, labels, LogisticRegression(), cv_n_folds=4, seed=0)
    )
    assert sum(weights) == 100 and len(weights) == 4


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(cv_n_folds=1), ValueError, "cv_n_folds"),
        (dict(cv_n_folds=2.5), ValueError, "cv_n_folds"),
        (dict(validation_func=3), TypeError, "validation_func"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    X, labels = blobs(5, 50, 2)
    with pytest.raises(error, match=match):
        labelsieve.estimate_cv_predicted_probabilities(X, labels, LogisticRegression(), **kwargs)


def test_bad_labels():
    X, labels = blobs(6, 50, 3)
    with pytest.raises(ValueError, match="labels"):
        labelsieve.estimate_cv_predicted_probabilities(X, np.where(labels == 1, 2, labels), LogisticRegression())
    with pytest.raises(ValueError, match="rows"):
        labelsieve.estimate_cv_predicted_probabilities(X[:-1], labels, LogisticRegression())
    with pytest.raises(ValueError, match="labels"):
        labelsieve.estimate_cv_predicted_probabilities(X[:0], labels[:0], LogisticRegression())
