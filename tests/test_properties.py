"""Property-based tests (hypothesis, derandomized): random shapes, dtypes and
values, including heavy ties, exact zeros and ones, and missing classes.

Invariants checked on every drawn input:
* the mask is a boolean array of N entries; the ranked output is exactly the
  flagged indices of the same filter, each once;
* num_label_issues (off_diagonal) equals the size of the confident_learning mask;
* the uncalibrated confident joint has a diagonal >= 1 and row k counts only
  rows labelled k (plus that floor); the calibrated one has row sums equal to the class counts;
* scores are in [0, 1]; thresholds are in [2e-6, 2];
* both backends and n_jobs 1 and 2 give the same bits;
* the default filter, the joint and the scores equal cleanlab's (stable-tie oracle).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import labelsieve
from cleanlab_oracle import stable_cleanlab

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
DTYPES = (np.float16, np.float32, np.float64)


@st.composite
def problems(draw, min_k: int = 2):
    k = draw(st.integers(min_k, 7))
    n = draw(st.integers(1, 120))
    dtype = draw(st.sampled_from(DTYPES))
    seed = draw(st.integers(0, 2**32 - 1))
    style = draw(st.sampled_from(["dirichlet", "levels", "onehot", "unnormalised"]))
    rng = np.random.default_rng(seed)
    if style == "dirichlet":
        p = rng.dirichlet(np.full(k, draw(st.sampled_from([0.1, 1.0, 10.0]))), n)
    elif style == "levels":  # few distinct values: many exact ties
        p = rng.integers(0, 5, (n, k)) / 4.0
    elif style == "onehot":
        p = np.eye(k)[rng.integers(0, k, n)]
    else:
        p = rng.random((n, k))
    classes = draw(st.integers(1, k))  # labels use only the first few classes
    labels = rng.integers(0, classes, n)
    if draw(st.booleans()):
        labels = np.where(rng.random(n) < 0.8, p.argmax(1), labels) % k
    return labels.astype(np.int64), p.astype(dtype)


def run_all(labels, p, backend, n_jobs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = {
            "mask": labelsieve.find_issues(labels, p, backend=backend, n_jobs=n_jobs),
            "both": labelsieve.find_issues(labels, p, filter_by="both", backend=backend, n_jobs=n_jobs),
            "ranked_both": labelsieve.find_issues(labels, p, filter_by="both", backend=backend, n_jobs=n_jobs,
                                                  return_indices_ranked_by="normalized_margin"),
            "cl": labelsieve.find_issues(labels, p, filter_by="confident_learning", backend=backend, n_jobs=n_jobs),
            "num": np.array(labelsieve.num_label_issues(labels, p, backend=backend, n_jobs=n_jobs)),
            "joint_raw": labelsieve.confident_joint(labels, p, calibrate=False, backend=backend, n_jobs=n_jobs),
            "joint": labelsieve.confident_joint(labels, p, backend=backend, n_jobs=n_jobs),
            "thresholds": labelsieve.confident_thresholds(labels, p, backend=backend, n_jobs=n_jobs),
        }
        for method in ("self_confidence", "normalized_margin", "confidence_weighted_entropy"):
            out[method] = labelsieve.label_quality_scores(labels, p, method=method, backend=backend, n_jobs=n_jobs)
    return out


@SETTINGS
@given(problems())
def test_invariants_and_agreement(problem):
    labels, p = problem
    n, k = p.shape
    before = (labels.copy(), p.copy())
    out = run_all(labels, p, "cpp", 1)
    assert np.array_equal(labels, before[0]) and np.array_equal(p, before[1])

    for name in ("mask", "both", "cl"):
        assert out[name].dtype == np.bool_ and out[name].shape == (n,)
    ranked = out["ranked_both"]
    assert np.array_equal(np.sort(ranked), np.flatnonzero(out["both"])), "ranking is not a permutation of the mask"
    assert int(out["num"]) == int(np.count_nonzero(out["cl"]))

    raw, joint = out["joint_raw"], out["joint"]
    counts = np.bincount(labels, minlength=k)
    # cleanlab floors the diagonal at 1; otherwise row k counts rows labelled k
    assert np.all(raw >= 0) and np.all(raw.diagonal() >= 1)
    assert np.all(raw.sum(axis=1) - raw.diagonal() <= counts) and np.all(raw.sum(axis=1) <= counts + 1)
    assert np.array_equal(joint.sum(axis=1), counts), "calibrated rows must sum to the class counts"
    t = out["thresholds"]
    assert np.all((t >= 2e-6 * 0.999) & (t <= 2))
    for method in ("self_confidence", "normalized_margin", "confidence_weighted_entropy"):
        s = out[method]
        assert s.shape == (n,) and s.flags.writeable
        assert not np.shares_memory(s, p) and not np.shares_memory(s, labels), "scores must be the caller's own array"
        finite = s[np.isfinite(s)]
        assert np.all((finite >= 0) & (finite <= 1)), method

    for backend, n_jobs in (("numba", 1), ("cpp", 2), ("numba", 2)):
        other = run_all(labels, p, backend, n_jobs)
        for name, value in out.items():
            assert value.dtype == other[name].dtype, (name, backend, n_jobs)
            assert np.array_equal(value, other[name], equal_nan=True), (name, backend, n_jobs)

    with stable_cleanlab() as (cf, cc, cr):
        assert np.array_equal(joint, cc.compute_confident_joint(labels, p))
        for method in ("self_confidence", "normalized_margin", "confidence_weighted_entropy"):
            assert np.array_equal(out[method], cr.get_label_quality_scores(labels, p, method=method), equal_nan=True)
        if len(np.unique(labels)) >= 2:  # cleanlab's find_label_issues needs two classes
            assert np.array_equal(out["mask"], cf.find_label_issues(labels, p, n_jobs=1))
            assert np.array_equal(out["both"], cf.find_label_issues(labels, p, filter_by="both", n_jobs=1))


@SETTINGS
@given(problems(), st.sampled_from(["labels", "pred_probs"]), st.integers(0, 6))
def test_corrupted_inputs_raise_naming_the_argument(problem, which, corruption):
    """Any single corruption of a valid input raises TypeError/ValueError naming it."""
    labels, p = problem
    n, k = p.shape
    if which == "labels":
        bad = [
            np.where(np.arange(n) == n - 1, k, labels),
            np.where(np.arange(n) == 0, -3, labels),
            labels.astype(np.float64) + 0.25,
            labels.astype(str),
            labels[:, None].repeat(2, 1),
            labels[:-1] if n > 1 else np.append(labels, 0),
            labels > 0,
        ][corruption]
        args = (bad, p)
    else:
        q = p.astype(np.float64)
        bad = [
            np.where(np.arange(n)[:, None] == n // 2, np.nan, q),
            np.where(np.arange(n)[:, None] == 0, np.inf, q),
            q - 1.5,
            q + 1.5,
            q[:, 0],
            q.astype(np.int64),
            q[None],
        ][corruption]
        args = (labels, bad)
    for backend in ("cpp", "numba"):
        with pytest.raises((TypeError, ValueError), match=which):
            labelsieve.find_issues(*args, backend=backend)
