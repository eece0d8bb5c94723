"""Parity with cleanlab 2.9.0 on a randomised battery of datasets.

Two references:
* the stable-tie oracle (cleanlab with stable per-example argsorts, see
  cleanlab_oracle.py): labelsieve must equal it exactly, everywhere;
* plain cleanlab: equal exactly where the data has no ties at a selection
  cut-off, and otherwise different only in rows that are tied, on the key the
  filter sorts by, with another row of the same group (checked per row).
"""

import warnings

import numpy as np
import pytest

import cleanlab.count
import cleanlab.filter
import cleanlab.rank
import labelsieve
from cleanlab_oracle import stable_cleanlab
from datasets import KINDS, noisy_dataset

FILTERS = ("prune_by_noise_rate", "prune_by_class", "both", "confident_learning",
           "predicted_neq_given", "low_normalized_margin", "low_self_confidence")
SCORES = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")
DTYPES = (np.float16, np.float32, np.float64)
SIZES = (10, 37, 120, 500, 2000, 8000)
CLASSES = (2, 3, 4, 7, 10, 23, 50)


def battery():
    """216 small/medium datasets: every kind x dtype, sizes and class counts varied."""
    cases = []
    for seed in range(72):
        n = SIZES[seed % len(SIZES)]
        k = CLASSES[(seed // 2) % len(CLASSES)]
        if k > n // 2:
            k = max(2, n // 4)
        kind = KINDS[seed % len(KINDS)]
        for dtype in DTYPES:
            cases.append(pytest.param(seed, n, k, dtype, kind, id=f"s{seed}-n{n}-k{k}-{np.dtype(dtype).name}-{kind}"))
    return cases


def assert_same(ours, theirs, what):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs {theirs.shape}"
    assert np.array_equal(ours, theirs, equal_nan=ours.dtype.kind == "f"), f"{what} differs"


def assert_same_float(ours, theirs, what):
    assert_same(ours, theirs, what)
    assert np.asarray(ours).dtype == np.asarray(theirs).dtype, f"{what}: dtype differs"


def tie_keys(filter_by, labels, p):
    """For each row, the set of keys it is sorted by under filter_by (rows of
    one group compete on the same key)."""
    n, k = p.shape
    if filter_by == "prune_by_class":
        return [{(labels[i], "own", p[i, labels[i]])} for i in range(n)]
    if filter_by == "prune_by_noise_rate":
        return [{(labels[i], j, p.dtype.type(p[i, j] - p[i, labels[i]])) for j in range(k) if j != labels[i]}
                for i in range(n)]
    if filter_by == "both":
        a, b = tie_keys("prune_by_class", labels, p), tie_keys("prune_by_noise_rate", labels, p)
        return [x | y for x, y in zip(a, b)]
    method = "normalized_margin" if filter_by == "low_normalized_margin" else "self_confidence"
    scores = cleanlab.rank.get_label_quality_scores(labels, p, method=method)
    return [{("score", scores[i])} for i in range(n)]


def assert_differences_are_ties(ours, plain, filter_by, labels, p):
    """Every row where labelsieve and plain cleanlab disagree shares a sort key
    with some other row (a tie that NumPy's unstable argsort may order either way)."""
    differing = np.flatnonzero(np.asarray(ours) != np.asarray(plain))
    if differing.size == 0:
        return
    assert filter_by not in ("confident_learning", "predicted_neq_given"), "these filters do not sort"
    keys = tie_keys(filter_by, labels, p)
    seen = {}
    for i, row_keys in enumerate(keys):
        for key in row_keys:
            seen[key] = seen.get(key, 0) + 1
    for i in differing:
        assert any(seen[key] > 1 for key in keys[i]), f"row {i} differs from cleanlab without any tie"


def run_battery_case(seed, n, k, dtype, kind):
    labels, p = noisy_dataset(seed, n, k, dtype, kind)
    rng = np.random.default_rng(seed)
    warnings.simplefilter("ignore")
    with stable_cleanlab() as (cf, cc, cr):
        assert_same_float(labelsieve.confident_thresholds(labels, p), cc.get_confident_thresholds(labels, p),
                          "thresholds")
        for calibrate in (True, False):
            ours = labelsieve.confident_joint(labels, p, calibrate=calibrate, return_indices_of_off_diagonals=True)
            theirs = cc.compute_confident_joint(labels, p, calibrate=calibrate, return_indices_of_off_diagonals=True)
            assert_same(ours[0], theirs[0], f"confident_joint calibrate={calibrate}")
            assert_same(ours[1], theirs[1], "off-diagonal indices")
        for ours, theirs in zip(labelsieve.estimate_noise(labels, p),
                                cc.estimate_py_and_noise_matrices_from_probabilities(labels, p)):
            assert_same(ours, theirs, "estimate_noise")
        assert_same(labelsieve.estimate_joint(labels, p), cc.estimate_joint(labels, p), "estimate_joint")
        for method in ("off_diagonal", "off_diagonal_calibrated"):
            assert labelsieve.num_label_issues(labels, p, estimation_method=method) == \
                cc.num_label_issues(labels, p, estimation_method=method), method
        custom = cc.compute_confident_joint(labels, p) + rng.integers(0, 3, (k, k))
        assert labelsieve.num_label_issues(labels, p, confident_joint=custom,
                                           estimation_method="off_diagonal_custom") == \
            cc.num_label_issues(labels, p, confident_joint=custom, estimation_method="off_diagonal_custom")
        for method in SCORES:
            assert_same_float(labelsieve.label_quality_scores(labels, p, method=method),
                              cr.get_label_quality_scores(labels, p, method=method), method)
            if method != "confidence_weighted_entropy":
                assert_same_float(
                    labelsieve.label_quality_scores(labels, p, method=method, adjust_pred_probs=True),
                    cr.get_label_quality_scores(labels, p, method=method, adjust_pred_probs=True),
                    f"{method} adjusted")

        masks = {}
        for filter_by in FILTERS:
            ours = labelsieve.find_issues(labels, p, filter_by=filter_by)
            assert_same(ours, cf.find_label_issues(labels, p, filter_by=filter_by, n_jobs=1), filter_by)
            masks[filter_by] = ours
        for rank_by in SCORES:
            assert_same(labelsieve.find_issues(labels, p, return_indices_ranked_by=rank_by),
                        cf.find_label_issues(labels, p, return_indices_ranked_by=rank_by, n_jobs=1), rank_by)
            assert_same(labelsieve.order_label_issues(masks["both"], labels, p, rank_by=rank_by),
                        cr.order_label_issues(masks["both"], labels, p, rank_by=rank_by), f"order {rank_by}")
        options = [
            dict(frac_noise=0.5),
            dict(min_examples_per_class=int(rng.integers(2, 12))),
            dict(num_to_remove_per_class=rng.integers(0, max(2, n // k // 2), k)),
            dict(confident_joint=custom),
            dict(frac_noise=0.7, min_examples_per_class=3, filter_by="both"),
        ]
        for extra in options:
            for filter_by in ("prune_by_noise_rate", "prune_by_class"):
                kwargs = {"filter_by": filter_by, **extra}
                assert_same(labelsieve.find_issues(labels, p, **kwargs),
                            cf.find_label_issues(labels, p, n_jobs=1, **kwargs), str(kwargs))

    # Plain cleanlab (NumPy's unstable argsort): equal up to explained ties.
    for filter_by in FILTERS:
        plain = cleanlab.filter.find_label_issues(labels, p, filter_by=filter_by, n_jobs=1)
        assert_differences_are_ties(masks[filter_by], plain, filter_by, labels, p)
        if kind == "continuous" and dtype == np.float64:
            assert_same(masks[filter_by], plain, f"{filter_by} vs plain cleanlab on tie-free data")


@pytest.mark.parametrize("seed,n,k,dtype,kind", battery())
def test_parity_battery(seed, n, k, dtype, kind):
    run_battery_case(seed, n, k, dtype, kind)


@pytest.mark.parametrize("n,k,dtype", [(50_000, 20, np.float32), (200_000, 5, np.float16),
                                       (100_000, 3, np.float64), (20_000, 50, np.float32)])
def test_parity_large_default_filter(n, k, dtype):
    labels, p = noisy_dataset(n + k, n, k, dtype, "continuous")
    warnings.simplefilter("ignore")
    with stable_cleanlab() as (cf, cc, _):
        assert_same_float(labelsieve.confident_thresholds(labels, p), cc.get_confident_thresholds(labels, p),
                          "thresholds")
        assert_same(labelsieve.confident_joint(labels, p), cc.compute_confident_joint(labels, p), "joint")
        ours = labelsieve.find_issues(labels, p)
        assert_same(ours, cf.find_label_issues(labels, p, n_jobs=1), "default filter")
    plain = cleanlab.filter.find_label_issues(labels, p, n_jobs=1)
    assert_differences_are_ties(ours, plain, "prune_by_noise_rate", labels, p)
