"""labelsieve.sklearn.CleanClassifier against cleanlab 2.9.0's CleanLearning.

Both get the same pred_probs, so model randomness is out: the issue mask,
label quality, given/predicted labels, noise estimates, automatic sample
weights and the final model's predictions must all be identical (cleanlab
with stable argsorts, see cleanlab_oracle.py; plain cleanlab may differ only
in tied rows).  Also: string and non-contiguous labels, clone/get_params/
set_params, the scikit-learn estimator checks, and bad inputs."""

import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")
pd = pytest.importorskip("pandas")

from cleanlab.classification import CleanLearning  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.dummy import DummyClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402

from cleanlab_oracle import stable_cleanlab  # noqa: E402
from datasets import noisy_dataset  # noqa: E402
from test_parity_random import assert_differences_are_ties  # noqa: E402
from labelsieve.sklearn import CleanClassifier  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cifar10-cl"
COLUMNS = ["is_label_issue", "label_quality", "given_label", "predicted_label"]


def features(labels, p, seed):
    """Cheap features that carry some signal: the log-probabilities plus noise."""
    rng = np.random.default_rng(seed)
    return np.log(np.asarray(p, np.float64) + 1e-3) + rng.normal(scale=0.5, size=p.shape)


def cleanlab_fit(clf, X, labels, p, **kwargs):
    """cleanlab CleanLearning fitted on the same pred_probs (stable argsorts)."""
    with stable_cleanlab():
        cl = CleanLearning(clf=clf, **kwargs)
        cl.fit(X, labels, pred_probs=p)
    return cl


def assert_same_as_cleanlab(ours, cl, class_values):
    """Our fitted CleanClassifier equals a fitted CleanLearning whose labels
    are the indices into ours.classes_."""
    theirs = cl.get_label_issues()
    table = ours.label_issues_
    assert list(table.columns[:4]) == COLUMNS
    np.testing.assert_array_equal(table["is_label_issue"].to_numpy(), theirs["is_label_issue"].to_numpy())
    np.testing.assert_array_equal(table["label_quality"].to_numpy(), theirs["label_quality"].to_numpy())
    np.testing.assert_array_equal(table["given_label"].to_numpy(), class_values[theirs["given_label"].to_numpy()])
    np.testing.assert_array_equal(table["predicted_label"].to_numpy(),
                                  class_values[theirs["predicted_label"].to_numpy()])
    np.testing.assert_array_equal(ours.noise_matrix_, cl.noise_matrix)
    np.testing.assert_array_equal(ours.inverse_noise_matrix_, cl.inverse_noise_matrix)
    np.testing.assert_array_equal(ours.confident_joint_, cl.confident_joint)
    np.testing.assert_array_equal(ours.py_, cl.py)
    if "sample_weight" in theirs:
        np.testing.assert_array_equal(table["sample_weight"].to_numpy(), theirs["sample_weight"].to_numpy())
    else:
        assert "sample_weight" not in table


CASES = [(seed, n, k, kind) for seed, (n, k) in enumerate([(300, 3), (800, 5), (1500, 8), (600, 2)])
         for kind in ("continuous", "rounded")]


@pytest.mark.parametrize("seed, n, k, kind", CASES)
def test_same_as_cleanlab_clean_learning(seed, n, k, kind):
    labels, p = noisy_dataset(seed, n, k, np.float64, kind, noise=0.3)
    X = features(labels, p, seed)
    warnings.simplefilter("ignore")
    ours = CleanClassifier(LogisticRegression()).fit(X, labels, pred_probs=p)
    cl = cleanlab_fit(LogisticRegression(), X, labels, p)
    assert_same_as_cleanlab(ours, cl, np.arange(k))
    assert ours.label_issues_["is_label_issue"].sum() > 0
    # same kept rows and weights -> the same final model, bit for bit
    np.testing.assert_array_equal(ours.predict_proba(X), cl.predict_proba(X))
    np.testing.assert_array_equal(ours.predict(X), cl.predict(X))
    assert ours.score(X, labels) == cl.score(X, labels)


@pytest.mark.parametrize("extra", [
    dict(filter_by="prune_by_class"),
    dict(filter_by="both", frac_noise=0.5),
    dict(filter_by="confident_learning"),
    dict(filter_by="predicted_neq_given"),
    dict(min_examples_per_class=2),
    dict(filter_by="low_normalized_margin"),
])
def test_find_issues_kwargs_same_as_cleanlab(extra):
    labels, p = noisy_dataset(42, 700, 4, np.float32, "continuous", noise=0.3)
    X = features(labels, p, 42)
    warnings.simplefilter("ignore")
    ours = CleanClassifier(LogisticRegression(), find_issues_kwargs=extra,
                           label_quality_scores_kwargs=dict(method="normalized_margin")).fit(X, labels, pred_probs=p)
    cl = cleanlab_fit(LogisticRegression(), X, labels, p, find_label_issues_kwargs=dict(extra),
                      label_quality_scores_kwargs=dict(method="normalized_margin"))
    assert_same_as_cleanlab(ours, cl, np.arange(4))
    np.testing.assert_array_equal(ours.predict_proba(X), cl.predict_proba(X))


def test_user_confident_joint_same_mask_and_noise_matrix_as_cleanlab():
    labels, p = noisy_dataset(5, 600, 4, np.float64, "continuous", noise=0.3)
    X = features(labels, p, 5)
    cj = np.array([[120, 10, 5, 5], [8, 110, 9, 3], [4, 6, 130, 10], [9, 9, 9, 140]])
    warnings.simplefilter("ignore")
    ours = CleanClassifier(find_issues_kwargs=dict(confident_joint=cj)).fit(X, labels, pred_probs=p)
    cl = cleanlab_fit(None, X, labels, p, find_label_issues_kwargs=dict(confident_joint=cj))
    theirs = cl.get_label_issues()
    np.testing.assert_array_equal(ours.label_issues_["is_label_issue"], theirs["is_label_issue"])
    np.testing.assert_array_equal(ours.noise_matrix_, cl.noise_matrix)
    np.testing.assert_array_equal(ours.confident_joint_, cj)


def test_user_sample_weight_replaces_the_noise_weights():
    labels, p = noisy_dataset(9, 500, 3, np.float64, "continuous", noise=0.3)
    X = features(labels, p, 9)
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(labels))
    warnings.simplefilter("ignore")
    ours = CleanClassifier(LogisticRegression()).fit(X, labels, sample_weight=w, pred_probs=p)
    with stable_cleanlab():
        cl = CleanLearning(LogisticRegression()).fit(X, labels, pred_probs=p, sample_weight=w)
    assert "sample_weight" not in ours.label_issues_
    np.testing.assert_array_equal(ours.predict_proba(X), cl.predict_proba(X))
    # and the weights matter: without them the final model differs
    unweighted = CleanClassifier(LogisticRegression()).fit(X, labels, pred_probs=p)
    assert not np.array_equal(unweighted.predict_proba(X), ours.predict_proba(X))


def test_clf_without_sample_weight_gets_no_weights():
    labels, p = noisy_dataset(3, 400, 3, np.float64, "continuous", noise=0.3)
    X = features(labels, p, 3)
    warnings.simplefilter("ignore")
    ours = CleanClassifier(KNeighborsClassifier(5)).fit(X, labels, pred_probs=p)
    cl = cleanlab_fit(KNeighborsClassifier(5), X, labels, p)
    assert_same_as_cleanlab(ours, cl, np.arange(3))
    np.testing.assert_array_equal(ours.predict_proba(X), cl.predict_proba(X))
    with pytest.raises(ValueError, match="sample_weight"):
        CleanClassifier(KNeighborsClassifier()).fit(X, labels, sample_weight=np.ones(len(labels)), pred_probs=p)


@pytest.mark.parametrize("names", [
    np.array(["zebra", "ant", "moth", "bee"]),       # strings, sorted order != index order
    np.array([42, 7, -3, 1000]),                     # non-contiguous, unsorted integers
    np.array([200, 100, 150, 50], dtype=np.uint8),   # small unsigned ints
])
def test_arbitrary_class_values(names):
    """Labels are mapped to indices into the sorted classes_, exactly like
    scikit-learn; the result equals cleanlab on those indices."""
    idx, p = noisy_dataset(17, 800, 4, np.float64, "continuous", noise=0.3)
    y = names[idx]
    order = np.argsort(names)             # classes_ = names[order]
    position = np.argsort(order)          # index into classes_ of names[i]
    p_sorted = p[:, order]                # pred_probs columns follow classes_
    encoded = position[idx]
    X = features(idx, p, 17)
    warnings.simplefilter("ignore")
    ours = CleanClassifier(LogisticRegression()).fit(X, y, pred_probs=p_sorted)
    np.testing.assert_array_equal(ours.classes_, names[order])
    cl = cleanlab_fit(LogisticRegression(), X, encoded, p_sorted)
    assert_same_as_cleanlab(ours, cl, ours.classes_)
    np.testing.assert_array_equal(ours.label_issues_["given_label"].to_numpy(), y)
    np.testing.assert_array_equal(ours.predict(X), ours.classes_[cl.predict(X)])
    np.testing.assert_array_equal(ours.predict_proba(X), cl.predict_proba(X))
    assert ours.score(X, y) == cl.score(X, encoded)
    # relabelling the classes does not change which examples are flagged
    plain = CleanClassifier(LogisticRegression()).fit(X, encoded, pred_probs=p_sorted)
    np.testing.assert_array_equal(plain.label_issues_["is_label_issue"], ours.label_issues_["is_label_issue"])


@pytest.mark.skipif(not (DATA / "cifar10_sparsity20_noise40.npz").is_file(), reason="CIFAR-10 sets not found")
def test_cifar10_same_as_cleanlab():
    with np.load(DATA / "cifar10_sparsity20_noise40.npz") as d:
        labels, p, true = d["noisy_labels"].astype(np.int64), d["pred_probs"], d["true_labels"]
    X = np.zeros((len(labels), 1))  # the final model is a prior-only dummy: cheap and deterministic
    warnings.simplefilter("ignore")
    ours = CleanClassifier(DummyClassifier(strategy="prior")).fit(X, labels, pred_probs=p)
    cl = cleanlab_fit(DummyClassifier(strategy="prior"), X, labels, p)
    assert_same_as_cleanlab(ours, cl, np.arange(10))
    np.testing.assert_array_equal(ours.predict_proba(X[:5]), cl.predict_proba(X[:5]))
    flagged = ours.label_issues_["is_label_issue"].to_numpy()
    plain = CleanLearning(clf=DummyClassifier(strategy="prior")).find_label_issues(X, labels, pred_probs=p)
    assert_differences_are_ties(flagged, plain["is_label_issue"].to_numpy(), "prune_by_noise_rate", labels, p)
    precision = np.mean(labels[flagged] != true[flagged])
    assert flagged.sum() > 10000 and precision > 0.7


# ----------------------------------------------------------------- estimator API

def test_clone_get_params_set_params():
    model = CleanClassifier(LogisticRegression(C=2.0), cv_n_folds=3, find_issues_kwargs={"frac_noise": 0.5},
                            seed=7, n_jobs=1)
    params = model.get_params()
    assert params["cv_n_folds"] == 3 and params["seed"] == 7 and params["clf__C"] == 2.0
    assert params["find_issues_kwargs"] == {"frac_noise": 0.5}
    copy = clone(model)
    assert copy is not model and copy.clf is not model.clf
    assert copy.get_params(deep=False).keys() == params.keys() - {k for k in params if k.startswith("clf__")}
    assert copy.clf.get_params() == model.clf.get_params()
    copy.set_params(clf__C=5.0, cv_n_folds=4)
    assert copy.clf.C == 5.0 and copy.cv_n_folds == 4 and model.clf.C == 2.0
    # fitting never touches the constructor parameters
    labels, p = noisy_dataset(1, 300, 3, np.float64, noise=0.2)
    X = features(labels, p, 1)
    warnings.simplefilter("ignore")
    model.fit(X, labels, pred_probs=p)
    assert not hasattr(model.clf, "coef_") and hasattr(model.clf_, "coef_")
    refit = clone(model).fit(X, labels, pred_probs=p)
    np.testing.assert_array_equal(refit.predict_proba(X), model.predict_proba(X))


def test_fit_with_cross_validation_and_labels_alias():
    """Without pred_probs: out-of-sample probabilities from labelsieve's CV
    helper (the same as passing them in), reproducible with seed."""
    from labelsieve.cv import estimate_cv_predicted_probabilities

    labels, p = noisy_dataset(2, 400, 3, np.float64, noise=0.3)
    X = features(labels, p, 2)
    warnings.simplefilter("ignore")
    a = CleanClassifier(LogisticRegression(), cv_n_folds=4, seed=3).fit(X, labels=labels)
    b = CleanClassifier(LogisticRegression(), cv_n_folds=4, seed=3).fit(X, labels)
    cv = estimate_cv_predicted_probabilities(X, labels, LogisticRegression(), cv_n_folds=4, seed=3)
    c = CleanClassifier(LogisticRegression()).fit(X, labels, pred_probs=cv)
    for other in (b, c):
        pd.testing.assert_frame_equal(a.label_issues_, other.label_issues_)
        np.testing.assert_array_equal(a.predict_proba(X), other.predict_proba(X))
    assert a.label_issues_["is_label_issue"].sum() > 0


def test_issues_table_without_pandas(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("no pandas here")
        return real_import(name, *args, **kwargs)

    labels, p = noisy_dataset(4, 300, 3, np.float64, noise=0.3)
    X = features(labels, p, 4)
    monkeypatch.setattr(builtins, "__import__", no_pandas)
    warnings.simplefilter("ignore")
    model = CleanClassifier().fit(X, labels, pred_probs=p)
    assert isinstance(model.label_issues_, dict)
    assert set(COLUMNS) <= set(model.label_issues_)
    assert model.label_issues_["is_label_issue"].dtype == np.bool_


@pytest.mark.parametrize("model, kwargs, error, match", [
    (CleanClassifier(), dict(labels=[0, 1] * 10), ValueError, "not both"),
    (CleanClassifier(), dict(y=None), ValueError, "requires y"),
    (CleanClassifier(cv_n_folds=1), {}, ValueError, "cv_n_folds"),
    (CleanClassifier(clf="svm"), {}, TypeError, "clf"),
    (CleanClassifier(find_issues_kwargs=dict(return_indices_ranked_by="self_confidence")), {}, ValueError,
     "return_indices_ranked_by"),
    (CleanClassifier(find_issues_kwargs=dict(filter_by="nope")), {}, ValueError, "filter_by"),
    (CleanClassifier(), dict(pred_probs=np.full((20, 3), 1 / 3)), ValueError, "pred_probs"),
    (CleanClassifier(), dict(y=[0] * 20), ValueError, "2 classes"),
    (CleanClassifier(), dict(y=[0, 1] * 5), ValueError, "samples"),
])
def test_bad_inputs(model, kwargs, error, match):
    X = np.random.default_rng(0).normal(size=(20, 2))
    args = dict(y=[0, 1] * 10, pred_probs=np.full((20, 2), 0.5))
    args.update(kwargs)
    with pytest.raises(error, match=match):
        model.fit(X, **args)


def test_predict_before_fit_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        CleanClassifier().predict(np.zeros((2, 2)))


def test_docs_training_examples_run():
    """Every python block of docs/training.md runs, in order, in one namespace."""
    pytest.importorskip("torch")
    import contextlib
    import io
    import re

    text = (Path(__file__).resolve().parents[1] / "docs" / "training.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 5
    namespace = {}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        for block in blocks:
            exec(compile(block, "docs/training.md", "exec"), namespace)
            if "labelsieve.forward_corrected_cross_entropy(" in block:
                random_logits_loss = namespace["loss"]
    assert namespace["model"].label_issues_.is_label_issue.sum() > 0
    # the torch block trained a model with the forward-corrected loss: lower than at random logits
    assert namespace["loss"].item() < random_logits_loss


def test_digits_example_quick_mode(capsys):
    """examples/train_noisy_digits.py --seeds 1 --quick: the logistic part is
    the full experiment (only the MLP is shortened), so check what it shows."""
    pytest.importorskip("torch")
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "examples" / "train_noisy_digits.py"
    spec = importlib.util.spec_from_file_location("train_noisy_digits", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    table = script.main(["--seeds", "1", "--quick"])
    out = capsys.readouterr().out
    assert out.count("| MLP 64-128-10 |") == 5 and out.count("| LogisticRegression |") == 3
    assert table["flipped"][0] == round(0.3 * 1257)
    assert table["precision"][0] > 0.6 and table["recall"][0] > 0.6
    assert table["lr_clean_classifier"][0] > table["lr_plain"][0]
    assert abs(table["epsilon_hat"][0] - 1 / 3) < 0.15


# ----------------------------------------------------------------- scikit-learn's estimator checks

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

# Checks that cannot apply, by name, with the reason (none at present: every check runs).
SKIPPED_CHECKS = {}


# seed=0: the folds are then fixed, which the idempotence / y-shape checks need
# (with seed=None the folds come from NumPy's global random state, as in cleanlab).
@parametrize_with_checks([CleanClassifier(seed=0, cv_n_folds=3)])
def test_sklearn_estimator_checks(estimator, check):
    name = getattr(check, "func", check).__name__
    if name in SKIPPED_CHECKS:
        pytest.skip(SKIPPED_CHECKS[name])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "too few examples" warnings on the checks' tiny data sets
        check(estimator)
