"""Bad input gets a clear exception naming the argument; unusual but valid
input (lists, pandas, any integer dtype, strided, Fortran, read-only,
memory-mapped) gives the same answer as the plain call and is never modified."""

import warnings

import numpy as np
import pytest

import labelsieve
from datasets import noisy_dataset


@pytest.fixture(scope="module")
def data():
    return noisy_dataset(5, 400, 4, np.float32, "continuous")


def with_value(p, row, col, value):
    q = p.copy()
    q[row, col] = value
    return q


BAD_INPUTS = [
    # (description, labels, pred_probs, exception, message fragment)
    ("1-d pred_probs", lambda y, p: (y, p[:, 0]), ValueError, "pred_probs must be 2-D"),
    ("3-d pred_probs", lambda y, p: (y, p[None]), ValueError, "pred_probs must be 2-D"),
    ("2-d labels", lambda y, p: (y[:, None].repeat(2, 1), p), ValueError, "labels must be one-dimensional"),
    ("length mismatch", lambda y, p: (y[:-1], p), ValueError, "same length"),
    ("label too large", lambda y, p: (np.where(np.arange(y.size) == 3, 4, y), p), ValueError, "labels contain class 4"),
    ("negative label", lambda y, p: (np.where(np.arange(y.size) == 3, -1, y), p), ValueError, "non-negative"),
    ("non-integer float labels", lambda y, p: (y + 0.5, p), ValueError, "labels must be integer"),
    ("boolean labels", lambda y, p: (y > 1, p), TypeError, "labels"),
    ("string labels", lambda y, p: (y.astype(str), p), TypeError, "labels must be integer"),
    ("None labels", lambda y, p: (None, p), TypeError, "labels"),
    ("probability above 1", lambda y, p: (y, with_value(p, 0, 0, 1.01)), ValueError, "pred_probs values must be between 0 and 1"),
    ("negative probability", lambda y, p: (y, with_value(p, 0, 0, -0.01)), ValueError, "pred_probs values"),
    ("NaN probability", lambda y, p: (y, with_value(p, 2, 1, np.nan)), ValueError, "pred_probs contains NaN"),
    ("inf probability", lambda y, p: (y, with_value(p, 2, 1, np.inf)), ValueError, "pred_probs contains infinite"),
    ("integer pred_probs", lambda y, p: (y, (p > 0.5).astype(np.int64)), TypeError, "pred_probs must be a float16"),
    ("object pred_probs", lambda y, p: (y, p.astype(object)), TypeError, "pred_probs"),
    ("complex pred_probs", lambda y, p: (y, p.astype(np.complex64)), TypeError, "pred_probs"),
    ("None pred_probs", lambda y, p: (y, None), TypeError, "pred_probs"),
    ("empty", lambda y, p: (y[:0], p[:0]), ValueError, "empty"),
    ("zero classes", lambda y, p: (y, p[:, :0]), ValueError, "0 columns"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
@pytest.mark.parametrize("function", ["find_issues", "confident_joint", "label_quality_scores",
                                      "estimate_noise", "num_label_issues", "confident_thresholds"])
def test_bad_input_raises_naming_the_argument(case, function, data):
    _, make, exception, fragment = case
    labels, p = make(*data)
    with pytest.raises(exception, match=fragment):
        getattr(labelsieve, function)(labels, p)


def test_slack_of_one_in_a_million_is_accepted_like_cleanlab(data):
    labels, p = data
    q = p.astype(np.float64)
    q[0, 0] = 1 + 5e-7
    q[1, 1] = -5e-7
    assert labelsieve.find_issues(labels, q).shape == labels.shape


@pytest.mark.parametrize("kwargs,exception,fragment", [
    (dict(filter_by="prune"), ValueError, "filter_by must be one of"),
    (dict(return_indices_ranked_by="margin"), ValueError, "return_indices_ranked_by must be one of"),
    (dict(n_jobs=0), ValueError, "n_jobs must be >= 1"),
    (dict(n_jobs=1.5), TypeError, "n_jobs"),
    (dict(frac_noise="half"), TypeError, "frac_noise"),
    (dict(frac_noise=float("nan")), ValueError, "frac_noise"),
    (dict(min_examples_per_class=1.5), TypeError, "min_examples_per_class"),
    (dict(num_to_remove_per_class=[1, 2]), ValueError, "num_to_remove_per_class must be 4"),
    (dict(confident_joint=np.ones((3, 3), int)), ValueError, "confident_joint must be 4 x 4"),
    (dict(confident_joint=np.ones((4, 3), int)), ValueError, "confident_joint must be a non-empty K x K"),
    (dict(backend="gpu"), ValueError, "backend must be one of"),
    (dict(guess_rule="majority"), ValueError, "guess_rule"),
])
def test_bad_options_raise(kwargs, exception, fragment, data):
    labels, p = data
    with pytest.raises(exception, match=fragment):
        labelsieve.find_issues(labels, p, **kwargs)


def test_bad_method_names_raise(data):
    labels, p = data
    with pytest.raises(ValueError, match="method must be one of"):
        labelsieve.label_quality_scores(labels, p, method="entropy")
    with pytest.raises(ValueError, match="estimation_method must be one of"):
        labelsieve.num_label_issues(labels, p, estimation_method="diagonal")
    with pytest.raises(ValueError, match="off_diagonal_custom' needs a confident_joint"):
        labelsieve.num_label_issues(labels, p, estimation_method="off_diagonal_custom")
    with pytest.raises(ValueError, match="rank_by must be one of"):
        labelsieve.order_label_issues(np.zeros(labels.size, bool), labels, p, rank_by="loss")
    with pytest.raises(TypeError, match="label_issues_mask must be a boolean"):
        labelsieve.order_label_issues(np.zeros(labels.size, int), labels, p)


def every_output(labels, p):
    warnings.simplefilter("ignore")
    return [
        labelsieve.find_issues(labels, p),
        labelsieve.find_issues(labels, p, filter_by="both", return_indices_ranked_by="normalized_margin"),
        labelsieve.confident_joint(labels, p),
        labelsieve.label_quality_scores(labels, p, method="confidence_weighted_entropy"),
        *labelsieve.estimate_noise(labels, p),
    ]


def assert_outputs_equal(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert np.asarray(x).dtype == np.asarray(y).dtype
        assert np.array_equal(x, y)


@pytest.mark.parametrize("label_dtype", [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64])
def test_any_integer_label_dtype(label_dtype, data):
    labels, p = data
    assert_outputs_equal(every_output(labels.astype(label_dtype), p), every_output(labels, p))


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("label_dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64])
def test_label_range_in_every_integer_dtype_byte_order_and_stride(label_dtype, order, data):
    # The range check reads the labels once as unsigned: a negative label
    # must still be reported as negative, K as out of range, K - 1 accepted.
    labels, p = data
    k = p.shape[1]
    dtype = np.dtype(label_dtype).newbyteorder(order)

    def strided(values):
        wide = np.zeros(2 * values.size, dtype)
        wide[::2] = values
        return wide[::2]

    for make in (lambda v: v.astype(dtype), strided):
        top = labels.copy()
        top[7] = k - 1
        assert np.array_equal(labelsieve.find_issues(make(top), p), labelsieve.find_issues(top, p))
        too_big = labels.copy()
        too_big[-1] = k
        with pytest.raises(ValueError, match=f"labels contain class {k} "):
            labelsieve.find_issues(make(too_big), p)
        with pytest.raises(ValueError, match=f"labels contain class {k} "):
            labelsieve.calibrate_confident_joint(np.eye(k), make(too_big))
        if dtype.kind == "i":
            negative = labels.astype(np.int64)
            negative[3] = -1
            with pytest.raises(ValueError, match="non-negative class indices, found -1"):
                labelsieve.find_issues(make(negative), p)
            with pytest.raises(ValueError, match="non-negative"):
                labelsieve.calibrate_confident_joint(np.eye(k), make(negative))


def test_labels_as_list_and_pandas_series(data):
    pd = pytest.importorskip("pandas")
    labels, p = data
    expected = every_output(labels, p)
    assert_outputs_equal(every_output(labels.tolist(), p), expected)
    assert_outputs_equal(every_output(pd.Series(labels), p), expected)
    assert_outputs_equal(every_output(labels.astype(float), p), expected)  # integral floats are accepted


def test_layouts_and_read_only_and_memory_mapped(data, tmp_path):
    labels, p = data
    expected = every_output(labels, p)
    wide = np.zeros((p.shape[0], 2 * p.shape[1]), p.dtype)
    wide[:, ::2] = p
    assert_outputs_equal(every_output(labels, wide[:, ::2]), expected)  # strided: one copy
    assert_outputs_equal(every_output(labels, np.asfortranarray(p)), expected)
    assert_outputs_equal(every_output(labels[::-1][::-1], p.astype(p.dtype.newbyteorder(">"))), expected)
    frozen_p, frozen_y = p.copy(), labels.copy()
    frozen_p.setflags(write=False)
    frozen_y.setflags(write=False)
    assert_outputs_equal(every_output(frozen_y, frozen_p), expected)
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "y.npy", labels)
    assert_outputs_equal(every_output(np.load(tmp_path / "y.npy", mmap_mode="r"),
                                      np.load(tmp_path / "p.npy", mmap_mode="r")), expected)


def test_inputs_are_never_modified(data):
    labels, p = data
    labels_before, p_before = labels.copy(), p.copy()
    every_output(labels, p)
    labelsieve.label_quality_scores(labels, p, adjust_pred_probs=True)
    assert np.array_equal(labels, labels_before) and np.array_equal(p, p_before)


@pytest.mark.parametrize("backend", ["cpp", "numba"])
@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
def test_narrowed_labels_give_the_same_answers_and_errors_on_every_path(backend, n_jobs, label_dtype):
    # int32/int64 labels are checked and narrowed by the backend in one read
    # (with two threads, or AVX-512), else by NumPy: same results, same messages.
    if backend == "numba":
        pytest.importorskip("numba")
    rng = np.random.default_rng(11)
    k, n = 7, 5000
    p = rng.dirichlet(np.ones(k), n).astype(np.float32)
    labels = rng.integers(0, k, n).astype(label_dtype)
    want = labelsieve.find_issues(labels.astype(np.int16), p, backend=backend, n_jobs=n_jobs)  # the NumPy path
    assert np.array_equal(labelsieve.find_issues(labels, p, backend=backend, n_jobs=n_jobs), want)
    for where in (0, n // 2, n - 1):
        too_big, negative = labels.copy(), labels.copy()
        too_big[where], negative[where] = k + 2, -3
        with pytest.raises(ValueError, match=rf"labels contain class {k + 2} but pred_probs has only {k} columns"):
            labelsieve.find_issues(too_big, p, backend=backend, n_jobs=n_jobs)
        with pytest.raises(ValueError, match="labels must be non-negative class indices, found -3"):
            labelsieve.confident_joint(negative, p, backend=backend, n_jobs=n_jobs)
