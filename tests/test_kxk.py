"""The K x K steps against SPEC.md's worked examples and cleanlab's own functions."""

import numpy as np
import pytest

from labelsieve import _kxk, _latent

cl_util = pytest.importorskip("cleanlab.internal.util")
cl_filter = pytest.importorskip("cleanlab.filter")
cl_count = pytest.importorskip("cleanlab.count")
cl_latent = pytest.importorskip("cleanlab.internal.latent_algebra")


@pytest.mark.parametrize(
    "values, expected",
    [
        ([0.5, 1.5, 2.5, 0.5], [0, 2, 2, 1]),
        ([2.5, 2.5, 1.0], [2, 3, 1]),
        ([0.4, 0.4, 0.4, 0.8], [0, 0, 1, 1]),
    ],
)
def test_round_preserving_sum_spec_examples(values, expected):
    assert _kxk.round_preserving_sum(np.array(values)).tolist() == expected


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("k", [1, 3, 8, 9, 17, 130])
def test_row_rounding_matches_cleanlab_row_by_row(k, order):
    """The vectorised row rounding gives each row what cleanlab's round_preserving_sum
    gives it alone: rows that need +-1 moves, rows that do not, integer input,
    Fortran order (the calibrated joint's), magnitudes where the summation order shows,
    and NaN rows (left unadjusted by both)."""
    rng = np.random.default_rng(k)
    scaled = rng.random((k, k)) * 10.0 ** rng.integers(-2, 12, size=(k, k))
    halves = np.floor(rng.random((k, k)) * 20) + 0.5  # every entry a tie: most rows need moves
    integers = rng.integers(0, 1000, size=(k, k))
    with_nan = rng.random((k, k)) * 7
    with_nan[0, 0] = np.nan
    # 2^53 then 0.6s: added one by one the small values vanish, pairwise they do not,
    # and the rounded totals (so the moves) differ.
    summation_order = rng.random((k, k)) * 7
    summation_order[0] = 0.6
    summation_order[0, 0] = 2.0**53
    for matrix in (scaled, halves, integers, with_nan, summation_order):
        matrix = np.asarray(matrix, order=order)
        expected = [cl_util.round_preserving_sum(row) for row in matrix]
        got = _kxk.round_preserving_row_totals(matrix)
        assert got.dtype == np.int64 and got.shape == (k, k)
        for row, want in zip(got, expected):
            np.testing.assert_array_equal(row, np.asarray(want).astype(np.int64))


def test_keep_at_least_n_per_class_spec_examples():
    m = np.array([[1, 3, 0], [3, 10, 5], [2, 2, 4]])
    assert _kxk.keep_at_least_n_per_class(m, 5, 1.0).tolist() == [[5, 3, 0], [1, 10, 4], [0, 2, 5]]
    assert _kxk.keep_at_least_n_per_class(m, 1, 0.5).tolist() == [[3, 1, 0], [1, 12, 2], [1, 1, 6]]


def _random_joint(rng, k):
    joint = rng.integers(0, 40, size=(k, k)) * (rng.random((k, k)) < 0.6)
    joint[np.diag_indices(k)] += rng.integers(20, 400, size=k)
    return joint


@pytest.mark.parametrize("seed", range(40))
def test_calibration_and_prune_matrix_match_cleanlab(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 12))
    joint = _random_joint(rng, k)
    labels = np.repeat(np.arange(k), rng.integers(1, 500, size=k))
    counts = _kxk.class_counts(labels, k)
    for layout in (np.ascontiguousarray, np.asfortranarray):
        mine = _kxk.calibrate(layout(joint), counts)
        theirs = cl_count.calibrate_confident_joint(layout(joint), labels)
        assert np.array_equal(mine, theirs)
    calibrated = _kxk.calibrate(joint, counts)
    for n_min, frac in [(1, 1.0), (0, 0.7), (5, 1.0), (20, 0.3)]:
        mine = _kxk.keep_at_least_n_per_class(calibrated.T, n_min, frac)
        theirs = cl_filter._keep_at_least_n_per_class(calibrated.T, n_min, frac_noise=frac)
        assert np.array_equal(mine, theirs)


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("converge", [False, True])
def test_latent_estimates_match_cleanlab(seed, converge):
    rng = np.random.default_rng(100 + seed)
    k = int(rng.integers(2, 12))
    joint = _random_joint(rng, k)
    labels = np.repeat(np.arange(k), joint.sum(axis=1))
    for layout in (np.ascontiguousarray, np.asfortranarray):
        for method in _latent.PY_METHODS:
            mine = _latent.estimate_latent_from_joint(layout(joint), labels, method, converge)
            theirs = cl_count.estimate_latent(layout(joint), labels, py_method=method,
                                              converge_latent_estimates=converge)
            for a, b in zip(mine, theirs):
                assert np.array_equal(a, b)


def test_unknown_py_method_is_rejected():
    with pytest.raises(ValueError, match="py_method"):
        _latent.estimate_latent_from_joint(np.eye(2, dtype=int) * 5, np.array([0, 1] * 5), "bogus")
