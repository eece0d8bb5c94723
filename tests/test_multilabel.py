"""Multi-label mode vs cleanlab 2.9.0's multilabel code paths.

Every function of ``labelsieve.multilabel`` is compared with its cleanlab
counterpart on random data (several N, K, float dtypes, classes that never
occur, dense and sparse label sets); exact equality everywhere except the
documented differences (ranking ties -> lower index; cleanlab's unsorted
``low_*`` ranking).  The backend comes from $LABELSIEVE_BACKEND (CI runs
this file for cpp and numba); the primitive tests compare both backends
directly.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest

import labelsieve
from labelsieve import multilabel as ml

cleanlab = pytest.importorskip("cleanlab")
import cleanlab.count as cl_count  # noqa: E402
import cleanlab.filter as cl_filter  # noqa: E402
from cleanlab.multilabel_classification import dataset as cl_dataset  # noqa: E402
from cleanlab.multilabel_classification import filter as cl_ml_filter  # noqa: E402
from cleanlab.multilabel_classification import rank as cl_rank  # noqa: E402

DTYPES = (np.float16, np.float32, np.float64)
FILTERS = ("prune_by_noise_rate", "prune_by_class", "both", "confident_learning", "predicted_neq_given",
           "low_normalized_margin", "low_self_confidence")


def make_data(seed: int, n: int, k: int, dtype, *, missing_class: bool = False, dense: bool = False):
    """Noisy multi-label data: labels as lists, pred_probs (N, K) in dtype."""
    rng = np.random.default_rng(seed)
    rate = rng.uniform(0.3, 0.7, k) if dense else rng.uniform(0.05, 0.5, k)
    truth = (rng.random((n, k)) < rate).astype(int)
    weight = rng.uniform(0.4, 0.7)  # no clipping: exact ties only from float16 rounding
    p = 0.02 + 0.96 * (truth * weight + rng.random((n, k)) * (1 - weight))
    given = np.where(rng.random((n, k)) < 0.1, 1 - truth, truth)
    if missing_class:
        given[:, k - 1] = 0
    if given.sum() == 0:
        given[0, 0] = 1
    labels = [np.flatnonzero(row).tolist() for row in given]
    return labels, p.astype(dtype)


CASES = [
    (1, 30, 2, np.float64, False, False),
    (2, 200, 3, np.float32, False, True),
    (3, 500, 5, np.float16, True, False),
    (4, 1500, 4, np.float32, True, True),
    (5, 3000, 6, np.float64, False, False),
    (6, 2500, 3, np.float16, False, True),
]
CASE_IDS = [f"n{c[1]}-k{c[2]}-{np.dtype(c[3]).name}{'-missing' if c[4] else ''}" for c in CASES]


@pytest.fixture(params=CASES, ids=CASE_IDS)
def data(request):
    seed, n, k, dtype, missing, dense = request.param
    return make_data(seed, n, k, dtype, missing_class=missing, dense=dense)


@contextlib.contextmanager
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# ---- primitives --------------------------------------------------------------------


def _backends():
    out = []
    for name in ("cpp", "numba"):
        try:
            out.append((name, labelsieve._backend.get_backend(name)))
        except ImportError:
            pass
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 7, 8, 127, 129, 300, 8193, 20000])
def test_multilabel_sums_equal_numpy(dtype, n):
    """Both groups of every class sum exactly like np.mean's np.sum (pairwise
    tree boundaries at 8/128 and float16's 8192 buffer included)."""
    rng = np.random.default_rng(n)
    k = 4
    p = rng.random((n, k)).astype(dtype)
    onehot = (rng.random((n, k)) < [0.0, 0.3, 0.9, 1.0]).astype(np.uint8)
    acc = np.float64 if dtype == np.float64 else np.float32
    for name, backend in _backends():
        for threads in (1, 3):
            counts = np.zeros(k, np.int64)
            sums = np.zeros((k, 2), acc)
            backend.multilabel_sums(onehot, p, counts, sums, threads)
            for c in range(k):
                pos = p[onehot[:, c] == 1, c]
                neg = (1 - p[:, c])[onehot[:, c] == 0]
                want = [np.sum(neg, dtype=acc), np.sum(pos, dtype=acc)]
                assert counts[c] == pos.size
                assert sums[c].tobytes() == np.array(want, acc).tobytes(), (name, threads, c)


@pytest.mark.parametrize("dtype", DTYPES)
def test_joint_pass_backends_agree_and_ignore_thread_count(dtype):
    labels, p = make_data(11, 40000, 5, dtype)
    problem = ml.MultiLabelProblem(labels, p, backend="numba")
    cut = problem.cut()
    results = []
    for name, backend in _backends():
        for threads in (1, 2, 5):
            joint = np.zeros((5, 2, 2), np.int64)
            codes = np.empty((40000, 5), np.uint8)
            backend.multilabel_joint_pass(problem.onehot, problem.pred_probs, cut, joint, codes, threads)
            results.append((joint, codes))
    for joint, codes in results[1:]:
        np.testing.assert_array_equal(joint, results[0][0])
        np.testing.assert_array_equal(codes, results[0][1])


def _reference_select(onehot, p, sizes, by_margin):
    """NumPy rendering of multilabel_select: per (class, side) cell the top
    sizes[c, y] rows by (key desc, row asc)."""
    n, k = p.shape
    mask = np.zeros((n, k), bool)
    one = p
    zero = 1 - p
    for c in range(k):
        for y in (0, 1):
            rows = np.flatnonzero((onehot[:, c] != 0) == bool(y))
            own = (one if y else zero)[rows, c]
            key = ((zero if y else one)[rows, c] - own) if by_margin else -own
            order = np.argsort(-key, kind="stable")
            mask[rows[order[: max(int(sizes[c, y]), 0)]], c] = True
    return mask


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("by_margin", [True, False])
def test_multilabel_select_matches_reference(dtype, by_margin):
    labels, p = make_data(17, 30000, 4, dtype)  # float16: many tied keys
    onehot = ml.to_onehot(labels, 4)
    sizes = np.array([[50, 7], [0, 300], [5000, 1], [40000, -3]], np.int64)
    want = _reference_select(onehot, p, sizes, by_margin)
    for name, backend in _backends():
        for threads in (1, 2):
            mask = np.zeros((30000, 4), np.uint8)
            backend.multilabel_select(onehot, p, sizes, by_margin, mask, threads)
            np.testing.assert_array_equal(mask.view(bool), want, err_msg=f"{name} threads={threads}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("margin,k", [(False, 7), (True, 7), (False, 40)])  # K > 32: the other sort
def test_ema_scores_primitive_matches_numpy(dtype, margin, k):
    labels, p = make_data(19, 20000, k, dtype)
    problem = ml.MultiLabelProblem(labels, p)
    per_class = ml._per_class_scores(problem, "normalized_margin" if margin else "self_confidence", False)
    for alpha in (0.8, 0.0, 1.0, 0.3):
        want = ml.exponential_moving_average(per_class, alpha=alpha)
        for name, backend in _backends():
            for threads in (1, 2):
                out = np.empty(20000)
                backend.multilabel_ema_scores(problem.onehot, problem.pred_probs, margin, alpha, out, threads)
                np.testing.assert_array_equal(out, want, err_msg=f"{name} alpha={alpha} threads={threads}")


def test_binding_rejects_bad_arguments():
    core = pytest.importorskip("labelsieve._core")
    p = np.random.default_rng(0).random((5, 3)).astype(np.float32)
    with pytest.raises(TypeError, match="onehot"):
        core.multilabel_sums(np.zeros((5, 3), np.int64), p, np.zeros(3, np.int64), np.zeros((3, 2), np.float32), 1)
    with pytest.raises(ValueError, match="onehot"):
        core.multilabel_sums(np.zeros((4, 3), np.uint8), p, np.zeros(3, np.int64), np.zeros((3, 2), np.float32), 1)
    with pytest.raises(ValueError, match="cut"):
        core.multilabel_joint_pass(np.zeros((5, 3), np.uint8), p, np.zeros(5, np.float32),
                                   np.zeros((3, 2, 2), np.int64), np.zeros((5, 3), np.uint8), 1)


# ---- count ---------------------------------------------------------------------------


def test_thresholds_and_confident_joint(data):
    labels, p = data
    np.testing.assert_array_equal(
        ml.confident_thresholds(labels, p), cl_count.get_confident_thresholds(labels, p, multi_label=True)
    )
    for calibrate in (True, False):
        got, got_idx = ml.confident_joint(labels, p, calibrate=calibrate, return_indices_of_off_diagonals=True)
        want, want_idx = cl_count.compute_confident_joint(
            labels, p, calibrate=calibrate, multi_label=True, return_indices_of_off_diagonals=True
        )
        assert got.dtype == np.int64 and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
        assert len(got_idx) == len(want_idx)
        for a, b in zip(got_idx, want_idx):
            np.testing.assert_array_equal(a, b)
    # the top-level entry point
    np.testing.assert_array_equal(labelsieve.confident_joint(labels, p, multi_label=True),
                                  cl_count.compute_confident_joint(labels, p, multi_label=True))


def test_user_thresholds_pair_is_used_for_every_class():
    labels, p = make_data(21, 400, 4, np.float32)
    pair = np.array([0.6, 0.55])
    got = ml.confident_joint(labels, p, thresholds=pair)
    np.testing.assert_array_equal(got, cl_count.compute_confident_joint(labels, p, thresholds=pair, multi_label=True))
    per_class = np.tile(pair, (4, 1))
    np.testing.assert_array_equal(ml.confident_joint(labels, p, thresholds=per_class), got)
    with pytest.raises(ValueError, match="thresholds"):
        ml.confident_joint(labels, p, thresholds=np.ones(3))


def test_calibrate_and_estimate_joint(data):
    labels, p = data
    raw = cl_count.compute_confident_joint(labels, p, calibrate=False, multi_label=True)
    k = p.shape[1]
    if all(any(c in row for row in labels) for c in range(k)):  # cleanlab truncates otherwise
        np.testing.assert_array_equal(
            ml.calibrate_confident_joint(raw, labels),
            cl_count.calibrate_confident_joint(raw, labels, multi_label=True),
        )
    np.testing.assert_array_equal(ml.estimate_joint(labels, p), cl_count.estimate_joint(labels, p, multi_label=True))
    np.testing.assert_array_equal(
        ml.estimate_joint(labels, p, confident_joint=raw),
        cl_count.estimate_joint(labels, p, confident_joint=raw, multi_label=True),
    )


def test_num_label_issues(data):
    labels, p = data
    with quiet():  # cleanlab's default n_jobs would start a process pool per class
        want = int(np.sum(cl_filter.find_label_issues(labels, p, multi_label=True, n_jobs=1,
                                                      filter_by="confident_learning")))
    assert ml.num_label_issues(labels, p) == want


# ---- scores --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,adjust",
    [("self_confidence", False), ("self_confidence", True), ("normalized_margin", False),
     ("normalized_margin", True), ("confidence_weighted_entropy", False)],
)
def test_quality_scores(data, method, adjust):
    labels, p = data
    per_class = ml.label_quality_scores_per_class(labels, p, method=method, adjust_pred_probs=adjust)
    want = cl_rank.get_label_quality_scores_per_class(labels, p, method=method, adjust_pred_probs=adjust)
    assert per_class.dtype == np.float64
    np.testing.assert_array_equal(per_class, want)
    for agg in ({"method": "exponential_moving_average", "alpha": 0.8},
                {"method": "exponential_moving_average", "alpha": None},
                {"method": "softmin", "temperature": 0.1},
                {"method": "softmin", "temperature": 0.5}):
        got = ml.label_quality_scores(labels, p, method=method, adjust_pred_probs=adjust, aggregator_kwargs=agg)
        want = cl_rank.get_label_quality_scores(labels, p, method=method, adjust_pred_probs=adjust,
                                                aggregator_kwargs=agg)
        np.testing.assert_array_equal(got, want)


def test_aggregators_and_errors():
    assert ml.exponential_moving_average(np.array([[0.1, 0.2, 0.3]]), alpha=0.5).tolist() == [0.175]
    with pytest.raises(ValueError, match="alpha"):
        ml.exponential_moving_average(np.ones((2, 3)), alpha=1.5)
    with pytest.raises(ValueError, match="2-D"):
        ml.softmin(np.ones(3))
    labels, p = make_data(5, 50, 3, np.float64)
    with pytest.raises(ValueError, match="aggregator_kwargs"):
        ml.label_quality_scores(labels, p, aggregator_kwargs={"method": "median"})
    with pytest.raises(ValueError, match="method"):
        ml.label_quality_scores(labels, p, method="entropy")
    with pytest.raises(ValueError, match="adjust_pred_probs"):
        ml.label_quality_scores(labels, p, method="confidence_weighted_entropy", adjust_pred_probs=True)
    # a callable aggregator gets axis=1, like cleanlab's
    np.testing.assert_array_equal(ml.label_quality_scores(labels, p, aggregator_kwargs={"method": np.min}),
                                  cl_rank.get_label_quality_scores(labels, p, aggregator_kwargs={"method": np.min}))


# ---- filters -------------------------------------------------------------------------


def _cleanlab_mask(labels, p, **kwargs):
    with quiet():
        return cl_ml_filter.find_label_issues(labels, p, n_jobs=1, **kwargs)


@pytest.mark.parametrize("filter_by", FILTERS)
def test_find_issues_masks(data, filter_by):
    labels, p = data
    for min_examples in (1, 4):
        try:
            want = _cleanlab_mask(labels, p, filter_by=filter_by, min_examples_per_class=min_examples)
        except ValueError as exc:  # cleanlab rejects a class nobody has for this filter
            assert "at least 2 classes" in str(exc)
            continue
        with quiet():
            got = ml.find_issues(labels, p, filter_by=filter_by, min_examples_per_class=min_examples)
            via_api = labelsieve.find_issues(labels, p, filter_by=filter_by, multi_label=True,
                                             min_examples_per_class=min_examples)
        assert got.dtype == np.bool_
        if filter_by.startswith("low_"):
            # same count; the set equals cleanlab's up to ties in the score at the cut-off
            scores = ml.label_quality_scores(labels, p)
            assert got.sum() == want.sum()
            assert np.sort(scores[got]).tolist() == np.sort(scores[want]).tolist()
        else:
            np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(via_api, got)


def test_deprecated_filter_entry_point_agrees():
    labels, p = make_data(8, 800, 4, np.float32)
    with quiet():
        want = cl_filter.find_label_issues(labels, p, multi_label=True, n_jobs=1)
    np.testing.assert_array_equal(ml.find_issues(labels, p), want)


@pytest.mark.parametrize("filter_by", ["prune_by_noise_rate", "prune_by_class", "both"])
def test_frac_noise_and_num_to_remove(filter_by):
    labels, p = make_data(9, 1200, 4, np.float64)
    with quiet():
        for kwargs in ({"frac_noise": 0.5}, {"num_to_remove_per_class": [5, 0, 12, 3]}):
            got = ml.find_issues(labels, p, filter_by=filter_by, **kwargs)
            np.testing.assert_array_equal(got, _cleanlab_mask(labels, p, filter_by=filter_by, **kwargs))


def test_user_confident_joint():
    labels, p = make_data(10, 900, 3, np.float32)
    cj = cl_count.compute_confident_joint(labels, p, multi_label=True)
    cj[:, 0, 1] += 7  # a different joint changes the result
    with quiet():
        got = ml.find_issues(labels, p, confident_joint=cj)
        np.testing.assert_array_equal(got, _cleanlab_mask(labels, p, confident_joint=cj))
    with pytest.warns(UserWarning, match="ignored"):
        ml.find_issues(labels, p, confident_joint=np.ones((3, 3)))
    with pytest.raises(ValueError, match="confident_joint"):
        ml.find_issues(labels, p, confident_joint=np.ones((3, 2, 3)))


def _sorted_by_score(indices, scores):
    return bool(np.all(np.diff(scores[indices]) >= 0))


@pytest.mark.parametrize("rank_by", ["self_confidence", "normalized_margin", "confidence_weighted_entropy"])
def test_ranked_indices(rank_by):
    labels, p = make_data(12, 1500, 4, np.float64)
    scores = ml.label_quality_scores(labels, p, method=rank_by)
    with quiet():
        got = ml.find_issues(labels, p, return_indices_ranked_by=rank_by)
        want = _cleanlab_mask(labels, p, return_indices_ranked_by=rank_by)
    assert got.dtype == np.int64
    assert _sorted_by_score(got, scores)
    np.testing.assert_array_equal(scores[got], scores[want])  # equal up to the order among ties
    assert set(got.tolist()) == set(want.tolist())


def test_low_filter_ranking_is_sorted_where_cleanlabs_is_not():
    """cleanlab 2.9.0 bug: for low_* filters it permutes the score-ordered
    indices by the argsort of the subset's scores taken in index order, so
    the returned order is not sorted by score.  labelsieve sorts."""
    labels, p = make_data(13, 1500, 4, np.float64)
    scores = ml.label_quality_scores(labels, p)
    with quiet():
        got = ml.find_issues(labels, p, filter_by="low_self_confidence", return_indices_ranked_by="self_confidence")
        want = _cleanlab_mask(labels, p, filter_by="low_self_confidence", return_indices_ranked_by="self_confidence")
    assert set(got.tolist()) == set(want.tolist())
    assert _sorted_by_score(got, scores)
    assert not _sorted_by_score(want, scores)


def test_issues_per_class_matches_cleanlab():
    labels, p = make_data(14, 1000, 4, np.float32)
    with quiet():
        want = cl_ml_filter.find_multilabel_issues_per_class(labels, p, n_jobs=1)
    np.testing.assert_array_equal(ml.issues_per_class(labels, p), want)


# ---- labels formats and input checks -------------------------------------------------


def test_label_matrix_equals_label_lists():
    labels, p = make_data(15, 600, 5, np.float32, missing_class=True)
    matrix = ml.to_onehot(labels, 5)
    assert matrix.dtype == np.uint8 and matrix.shape == (600, 5)
    assert ml.onehot_to_lists(matrix) == labels
    for as_matrix in (matrix, matrix.astype(bool), matrix.astype(np.float64)):
        np.testing.assert_array_equal(ml.find_issues(as_matrix, p), ml.find_issues(labels, p))
        np.testing.assert_array_equal(ml.confident_joint(as_matrix, p), ml.confident_joint(labels, p))
        np.testing.assert_array_equal(ml.label_quality_scores(as_matrix, p), ml.label_quality_scores(labels, p))
    tuples = [tuple(row) for row in labels]
    np.testing.assert_array_equal(ml.find_issues(tuples, p), ml.find_issues(labels, p))


@pytest.mark.parametrize("filter_by", ["prune_by_noise_rate", "both", "low_self_confidence"])
def test_results_do_not_depend_on_threads_or_backend(filter_by):
    labels, p = make_data(18, 20000, 5, np.float16)  # float16: plenty of exact ties
    results = []
    for name, _ in _backends():
        for n_jobs in (1, 2, 3):
            with quiet():
                results.append(ml.find_issues(labels, p, filter_by=filter_by, n_jobs=n_jobs, backend=name,
                                              return_indices_ranked_by="normalized_margin"))
    for got in results[1:]:
        np.testing.assert_array_equal(got, results[0])


def test_docstring_examples():
    import doctest

    with quiet():
        failures, tried = doctest.testmod(ml, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried >= 8 and failures == 0


def test_bad_inputs_name_the_argument():
    p = np.full((3, 2), 0.5)
    with pytest.raises(ValueError, match="labels.*class 2"):
        ml.find_issues([[0], [2], [1]], p)
    with pytest.raises(ValueError, match="labels.*class -1"):
        ml.find_issues([[0], [-1], [1]], p)
    with pytest.raises(TypeError, match=r"labels\[1\]"):
        ml.find_issues([[0], 1, [1]], p)
    with pytest.raises(TypeError, match="labels"):
        ml.find_issues("abc", p)
    with pytest.raises(ValueError, match="same length"):
        ml.find_issues([[0], [1]], p)
    with pytest.raises(ValueError, match="only 0 and 1"):
        ml.find_issues(np.array([[0, 2], [1, 0], [0, 1]]), p)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        ml.find_issues(np.zeros((3, 3)), p)
    with pytest.raises(ValueError, match="pred_probs"):
        ml.find_issues([[0], [1], [0]], np.full((3, 2), 1.5))
    with pytest.raises(ValueError, match="filter_by"):
        ml.find_issues([[0], [1], [0]], p, filter_by="nope")
    with pytest.raises(ValueError, match="num_to_remove_per_class"):
        ml.find_issues([[0], [1], [0]], p, num_to_remove_per_class=[1])


# ---- dataset health --------------------------------------------------------------------


def _by_class(frame, keys):
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def test_health_summaries_match_cleanlab():
    labels, p = make_data(16, 700, 4, np.float64)
    names = ["a", "b", "c", "d"]
    with quiet():
        common = ml.common_multilabel_issues(labels, p, class_names=names)
        want_common = cl_dataset.common_multilabel_issues(labels, p, class_names=names)
        ranked = ml.rank_classes_by_multilabel_quality(labels, p)
        want_ranked = cl_dataset.rank_classes_by_multilabel_quality(labels, p)
        score = ml.overall_multilabel_health_score(labels, p)
        want_score = cl_dataset.overall_multilabel_health_score(labels, p)
        summary = ml.multilabel_health_summary(labels, p)
    assert list(common.columns) == list(want_common.columns)
    keys = ["Class Index", "In Given Label"]
    left, right = _by_class(common, keys), _by_class(want_common, keys)
    for column in common.columns:
        assert left[column].tolist() == right[column].tolist(), column
    assert common["Issue Probability"].is_monotonic_decreasing
    assert list(ranked.columns) == list(want_ranked.columns)
    left, right = _by_class(ranked, ["Class Index"]), _by_class(want_ranked, ["Class Index"])
    for column in ranked.columns:
        assert left[column].tolist() == right[column].tolist(), column
    assert ranked["Label Quality Score"].is_monotonic_increasing
    assert score == want_score
    assert summary["overall_multilabel_health_score"] == score
    assert set(summary) == {"overall_multilabel_health_score", "classes_by_multilabel_quality",
                            "common_multilabel_issues"}
