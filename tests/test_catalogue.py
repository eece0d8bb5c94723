"""A catalogue of malformed and unusual inputs (issue 8).

Every case goes through find_issues, confident_joint, label_quality_scores
and estimate_noise on BOTH backends.  Each case either

* answers: then both backends give the same bits, the answer equals
  cleanlab 2.9.0's (stable-tie oracle, on a plain contiguous copy of the
  inputs) wherever cleanlab answers, and basic invariants hold; or
* raises: the declared exception type, with a message naming the argument
  (``labels`` or ``pred_probs``), on every function and backend.

Inputs are never modified (bytes, dtype, shape and flags are compared with a
snapshot taken before the calls), and nothing crashes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np
import pytest

import labelsieve
from cleanlab_oracle import stable_cleanlab

BACKENDS = ("cpp", "numba")
FUNCTIONS = ("find_issues", "confident_joint", "label_quality_scores", "estimate_noise")


def dirichlet(seed: int, n: int, k: int, dtype=np.float32) -> np.ndarray:
    return np.random.default_rng(seed).dirichlet(np.ones(k), n).astype(dtype)


def base(seed: int = 0, n: int = 60, k: int = 4, dtype=np.float32):
    rng = np.random.default_rng(seed)
    p = dirichlet(seed, n, k, dtype)
    labels = np.where(rng.random(n) < 0.7, p.argmax(1), rng.integers(0, k, n)).astype(np.int64)
    labels[:k] = np.arange(k)  # every class present
    return labels, p


def with_value(p: np.ndarray, value, row: int = 3, col: int = 1) -> np.ndarray:
    q = p.copy()
    q[row, col] = value
    return q


def unaligned(p: np.ndarray) -> np.ndarray:
    """The same values in a buffer that starts one byte past an aligned address."""
    raw = np.zeros(p.nbytes + 1, np.uint8)
    q = np.frombuffer(raw.data, dtype=p.dtype, count=p.size, offset=1).reshape(p.shape)
    q[...] = p
    assert not q.flags.aligned
    return q


def memmapped(tmp_path, name: str, arr: np.ndarray) -> np.ndarray:
    path = tmp_path / f"{name}.npy"
    np.save(path, arr)
    return np.load(path, mmap_mode="r")


def read_only(arr: np.ndarray) -> np.ndarray:
    arr = arr.copy()
    arr.setflags(write=False)
    return arr


@dataclass
class Case:
    name: str
    make: Callable[[Any], tuple]  # tmp_path -> (labels, pred_probs)
    raises: Optional[type] = None
    match: str = ""  # regex the message must match (names the argument)
    skip: tuple = field(default_factory=tuple)  # functions not applicable


def answers(name, make, skip=()):
    return Case(name, make, skip=tuple(skip))


def rejects(name, make, exception, match):
    return Case(name, make, raises=exception, match=match)


def _labels_k(k, n, seed=0):
    y = np.random.default_rng(seed).integers(0, k, n)
    y[: min(k, n)] = np.arange(min(k, n))
    return y


CASES = [
    # --- pred_probs values -----------------------------------------------------------
    rejects("nan-one-entry", lambda t: (base()[0], with_value(base()[1], np.nan)), ValueError, "pred_probs contains NaN"),
    rejects("nan-everywhere", lambda t: (base()[0], np.full((60, 4), np.nan, np.float32)), ValueError, "pred_probs contains NaN"),
    rejects("nan-float16", lambda t: (base()[0], with_value(base(dtype=np.float16)[1], np.nan)), ValueError, "pred_probs contains NaN"),
    rejects("plus-inf", lambda t: (base()[0], with_value(base()[1], np.inf)), ValueError, "pred_probs contains infinite"),
    rejects("minus-inf", lambda t: (base()[0], with_value(base()[1], -np.inf)), ValueError, "pred_probs contains infinite"),
    rejects("inf-float64-last-cell", lambda t: (base()[0], with_value(base(dtype=np.float64)[1], np.inf, 59, 3)), ValueError, "pred_probs contains infinite"),
    rejects("nan-and-inf", lambda t: (base()[0], with_value(with_value(base()[1], np.inf, 1), np.nan, 2)), ValueError, "pred_probs contains (NaN|infinite)"),
    rejects("negative-probability", lambda t: (base()[0], with_value(base()[1], -0.25)), ValueError, "pred_probs values must be between 0 and 1"),
    rejects("probability-above-one", lambda t: (base()[0], with_value(base()[1], 1.5)), ValueError, "pred_probs values must be between 0 and 1"),
    rejects("huge-probability-float16", lambda t: (base()[0], with_value(base(dtype=np.float16)[1], 60000)), ValueError, "pred_probs values must be between 0 and 1"),
    rejects("just-beyond-slack", lambda t: (base()[0], with_value(base(dtype=np.float64)[1], 1 + 2e-6)), ValueError, "pred_probs values"),
    answers("within-slack", lambda t: (base()[0], with_value(with_value(base(dtype=np.float64)[1], 1 + 5e-7, 0, 0), -5e-7, 1, 1))),
    answers("rows-of-zeros", lambda t: (base()[0], np.where((np.arange(60) % 7 == 0)[:, None], 0, base()[1]).astype(np.float32))),
    answers("all-zeros", lambda t: (base()[0], np.zeros((60, 4), np.float32))),
    answers("unnormalised-rows", lambda t: (base()[0], (base()[1] * np.linspace(0.1, 1, 60)[:, None]).astype(np.float32))),
    answers("one-hot", lambda t: (base()[0], np.eye(4, dtype=np.float32)[np.random.default_rng(1).integers(0, 4, 60)])),
    answers("uniform-all-ties", lambda t: (base()[0], np.full((60, 4), 0.25, np.float32))),
    answers("subnormal-values", lambda t: (base()[0], np.where(base()[1] < 0.1, np.float32(1e-42), base()[1]))),
    answers("negative-zeros", lambda t: (base()[0], np.where(base()[1] < 0.1, np.float32(-0.0), base()[1]))),
    answers("float16", lambda t: base(dtype=np.float16)),
    answers("float64", lambda t: base(dtype=np.float64)),
    answers("pred_probs-nested-list", lambda t: (base()[0], base(dtype=np.float64)[1].tolist())),
    rejects("integer-pred_probs", lambda t: (base()[0], (base()[1] > 0.3).astype(np.int32)), TypeError, "pred_probs must be a float16"),
    rejects("bool-pred_probs", lambda t: (base()[0], base()[1] > 0.3), TypeError, "pred_probs must be a float16"),
    rejects("longdouble-pred_probs", lambda t: (base()[0], base()[1].astype(np.longdouble)), TypeError, "pred_probs must be a float16"),
    rejects("string-pred_probs", lambda t: (base()[0], base()[1].astype(str)), TypeError, "pred_probs"),
    rejects("ragged-pred_probs", lambda t: (base()[0][:2], np.array([[0.5, 0.5], [1.0]], dtype=object)), TypeError, "pred_probs"),
    # --- shapes ----------------------------------------------------------------------
    answers("K=1", lambda t: (np.zeros(20, np.int64), np.ones((20, 1), np.float32))),
    answers("K=1-uneven", lambda t: (np.zeros(20, np.int64), np.linspace(0, 1, 20, dtype=np.float32)[:, None])),
    answers("K=2", lambda t: base(3, 80, 2)),
    answers("N<K", lambda t: (np.array([0, 5, 9]), dirichlet(2, 3, 10))),
    answers("N=1", lambda t: (np.array([1]), dirichlet(3, 1, 2))),
    answers("N=2-K=2-swapped", lambda t: (np.array([1, 0]), np.array([[0.9, 0.1], [0.2, 0.8]], np.float32))),
    rejects("N=0", lambda t: (np.zeros(0, np.int64), np.zeros((0, 4), np.float32)), ValueError, "empty"),
    rejects("K=0", lambda t: (base()[0], np.zeros((60, 0), np.float32)), ValueError, "pred_probs has 0 columns"),
    rejects("1-D-pred_probs", lambda t: (base()[0], base()[1][:, 0]), ValueError, "pred_probs must be 2-D"),
    rejects("3-D-pred_probs", lambda t: (base()[0], base()[1][:, :, None]), ValueError, "pred_probs must be 2-D"),
    rejects("scalar-pred_probs", lambda t: (base()[0], np.float32(0.5)), ValueError, "pred_probs must be 2-D"),
    answers("K=1000-few-rows", lambda t: (_labels_k(1000, 6), dirichlet(4, 6, 1000))),
    answers("K=20000-three-rows", lambda t: (np.array([0, 19999, 7]), dirichlet(5, 3, 20000)),
            skip=("find_issues", "confident_joint", "estimate_noise")),  # K x K outputs: 3.2 GB each
    rejects("int64-overflow-sized-K", lambda t: (np.zeros(2, np.int64), np.broadcast_to(np.float32(0.5), (2, 2**40))),
            MemoryError, "pred_probs"),
    # --- labels values ---------------------------------------------------------------
    rejects("label-equal-K", lambda t: (np.where(np.arange(60) == 5, 4, base()[0]), base()[1]), ValueError, "labels contain class 4"),
    rejects("label-far-above-K", lambda t: (np.where(np.arange(60) == 5, 2**40, base()[0]), base()[1]), ValueError, "labels contain class"),
    rejects("label-int64-max", lambda t: (np.full(60, 2**63 - 1, np.int64), base()[1]), ValueError, "labels contain class 9223372036854775807"),
    rejects("label-uint64-max", lambda t: (np.full(60, 2**64 - 1, np.uint64), base()[1]), ValueError, "labels contain class 18446744073709551615"),
    rejects("negative-label", lambda t: (np.where(np.arange(60) == 5, -1, base()[0]), base()[1]), ValueError, "labels must be non-negative"),
    rejects("int64-min-label", lambda t: (np.where(np.arange(60) == 5, -2**63, base()[0]), base()[1]), ValueError, "labels must be non-negative"),
    rejects("negative-int8-label", lambda t: (base()[0].astype(np.int8) - np.int8(1), base()[1]), ValueError, "labels must be non-negative"),
    answers("integral-float-labels", lambda t: (base()[0].astype(np.float32), base()[1])),
    rejects("fractional-float-labels", lambda t: (base()[0] + 0.5, base()[1]), ValueError, "labels must be integer"),
    rejects("nan-float-labels", lambda t: (np.where(np.arange(60) == 5, np.nan, base()[0]), base()[1]), ValueError, "labels must be integer"),
    rejects("inf-float-labels", lambda t: (np.where(np.arange(60) == 5, np.inf, base()[0]), base()[1]), ValueError, "labels must be integer"),
    rejects("bool-labels", lambda t: (base()[0] > 1, base()[1]), TypeError, "labels must be integer"),
    rejects("string-labels", lambda t: (base()[0].astype(str), base()[1]), TypeError, "labels must be integer"),
    rejects("bytes-labels", lambda t: (base()[0].astype(bytes), base()[1]), TypeError, "labels must be integer"),
    answers("object-int-labels", lambda t: (base()[0].astype(object), base()[1])),
    rejects("object-mixed-labels", lambda t: (np.array([0, "a", None] * 20, dtype=object), base()[1]), TypeError, "labels must be integer"),
    rejects("complex-labels", lambda t: (base()[0].astype(np.complex64), base()[1]), TypeError, "labels must be integer"),
    rejects("datetime-labels", lambda t: (base()[0].astype("datetime64[s]"), base()[1]), TypeError, "labels must be integer"),
    rejects("None-labels", lambda t: (None, base()[1]), TypeError, "labels"),
    rejects("None-pred_probs", lambda t: (base()[0], None), TypeError, "pred_probs"),
    # --- labels shapes ---------------------------------------------------------------
    rejects("2-D-labels", lambda t: (np.stack([base()[0]] * 2, 1), base()[1]), ValueError, "labels must be one-dimensional"),
    rejects("column-vector-labels", lambda t: (base()[0][:, None], base()[1]), ValueError, "labels must be one-dimensional"),
    rejects("scalar-labels", lambda t: (np.int64(1), base()[1]), ValueError, "labels must be one-dimensional"),
    rejects("labels-longer", lambda t: (np.append(base()[0], 0), base()[1]), ValueError, "same length"),
    rejects("labels-shorter", lambda t: (base()[0][:-1], base()[1]), ValueError, "same length"),
    rejects("labels-empty-probs-not", lambda t: (np.zeros(0, np.int64), base()[1]), ValueError, "same length"),
    # --- class coverage ----------------------------------------------------------------
    answers("all-examples-one-class", lambda t: (np.full(60, 2), base()[1])),
    answers("every-class-missing-but-one", lambda t: (np.zeros(60, np.int64), dirichlet(6, 60, 9))),
    answers("only-last-class", lambda t: (np.full(40, 6), dirichlet(7, 40, 7))),
    answers("singleton-classes", lambda t: (np.r_[np.zeros(57, np.int64), 1, 2, 3], base()[1])),
    # --- layouts and memory ----------------------------------------------------------------
    answers("fortran-ordered", lambda t: (base()[0], np.asfortranarray(base()[1]))),
    answers("strided-rows", lambda t: (base(n=120)[0][::2], base(n=120)[1][::2])),
    answers("strided-columns", lambda t: (base()[0], np.repeat(base()[1], 2, axis=1)[:, ::2])),
    answers("reversed-views", lambda t: (base()[0][::-1], base()[1][::-1, ::-1])),
    answers("byte-swapped-pred_probs", lambda t: (base()[0], base(dtype=np.float64)[1].astype(">f8"))),
    answers("byte-swapped-float16", lambda t: (base()[0], base(dtype=np.float16)[1].astype(">f2"))),
    answers("byte-swapped-labels", lambda t: (base()[0].astype(">i8"), base()[1])),
    answers("unaligned-pred_probs", lambda t: (base()[0], unaligned(base()[1]))),
    answers("unaligned-labels", lambda t: (unaligned(base()[0]), base()[1])),
    answers("read-only", lambda t: (read_only(base()[0]), read_only(base()[1]))),
    answers("memory-mapped", lambda t: (memmapped(t, "y", base()[0]), memmapped(t, "p", base()[1]))),
    answers("broadcast-row", lambda t: (base()[0], np.broadcast_to(base()[1][0], (60, 4)))),
    answers("labels-list", lambda t: (base()[0].tolist(), base()[1])),
    answers("labels-tuple", lambda t: (tuple(base()[0].tolist()), base()[1])),
    answers("uint8-labels", lambda t: (base()[0].astype(np.uint8), base()[1])),
]


def snapshot(x: Any):
    if isinstance(x, np.ndarray):
        if x.nbytes > 2**28:  # a broadcast view: read-only, its bytes are not materialised
            assert not x.flags.writeable
            return ("view", x.dtype, x.shape, x.strides, x.__array_interface__["data"])
        return ("array", x.dtype, x.shape, x.strides, x.flags.writeable, x.tobytes())
    if isinstance(x, (list, tuple)):
        return ("sequence", type(x), repr(x))
    return ("other", repr(x))


def call(function: str, labels, p, backend: str):
    fn = getattr(labelsieve, function)
    return fn(labels, p, backend=backend, n_jobs=2)


def canonical(labels, p):
    return (np.ascontiguousarray(np.asarray(labels), dtype=np.int64),
            np.ascontiguousarray(np.asarray(p), dtype=np.asarray(p).dtype.newbyteorder("=")))


def cleanlab_answer(function: str, labels, p):
    """cleanlab 2.9.0's (stable-tie) answer, or None when cleanlab raises."""
    with stable_cleanlab() as (cf, cc, cr):
        try:
            if function == "find_issues":
                return cf.find_label_issues(labels, p, n_jobs=1)
            if function == "confident_joint":
                return cc.compute_confident_joint(labels, p)
            if function == "label_quality_scores":
                return cr.get_label_quality_scores(labels, p)
            return cc.estimate_py_and_noise_matrices_from_probabilities(labels, p)
        except Exception:  # noqa: BLE001 - cleanlab rejects some inputs we answer
            return None


def as_list(result):
    return list(result) if isinstance(result, tuple) else [result]


def check_invariants(function: str, result, labels, p):
    n, k = p.shape
    if function == "find_issues":
        assert result.dtype == np.bool_ and result.shape == (n,)
    elif function == "confident_joint":
        assert result.shape == (k, k) and result.dtype.kind == "i" and (result >= 0).all()
    elif function == "label_quality_scores":
        assert result.shape == (n,)
        # [0, 1] up to the 1e-6 slack cleanlab accepts in pred_probs
        assert np.all((result >= -1e-6) & (result <= 1 + 1e-6)), "scores outside [0, 1]"
    else:
        py, noise, inverse, joint = result
        assert py.shape == (k,) and noise.shape == inverse.shape == joint.shape == (k, k)
        assert np.all(np.isfinite(py)) and np.all(np.isfinite(noise)) and np.all(np.isfinite(inverse))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_catalogue(case: Case, tmp_path):
    warnings.simplefilter("ignore")
    labels, p = case.make(tmp_path)
    before = (snapshot(labels), snapshot(p))
    for function in FUNCTIONS:
        if function in case.skip:
            continue
        results = {}
        for backend in BACKENDS:
            if case.raises is not None:
                with pytest.raises(case.raises, match=case.match):
                    call(function, labels, p, backend)
            else:
                results[backend] = as_list(call(function, labels, p, backend))
            assert (snapshot(labels), snapshot(p)) == before, f"{function}/{backend} modified its input"
        if case.raises is not None:
            continue
        ours = results["cpp"]
        for a, b in zip(ours, results["numba"]):
            assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True), f"{function}: backends differ"
        y, q = canonical(labels, p)
        check_invariants(function, ours if len(ours) > 1 else ours[0], y, q)
        theirs = cleanlab_answer(function, y, q)
        if theirs is not None:
            for a, b in zip(ours, as_list(theirs)):
                b = np.asarray(b)
                assert a.shape == b.shape and np.array_equal(a, b, equal_nan=True), f"{function} differs from cleanlab"


def test_catalogue_is_large_enough():
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("backend", ["cpp", "numba"])
def test_one_class_self_confidence(backend):
    """K = 1: self_confidence is p[:, 0] (row_stats has no "other" class then; it
    once rejected K = 1 in C++ and read past the row in numba)."""
    labels = np.zeros(20, np.int64)
    p = np.linspace(0, 1, 20, dtype=np.float32)[:, None]
    with stable_cleanlab() as (_, _, cr):
        expected = cr.get_label_quality_scores(labels, p)
    ours = labelsieve.label_quality_scores(labels, p, backend=backend)
    assert ours.dtype == expected.dtype and np.array_equal(ours, expected)


@pytest.mark.parametrize("filter_by", ["prune_by_class", "prune_by_noise_rate", "both"])
@pytest.mark.parametrize("huge", [2**40, 2**62, 2**63 - 1])
def test_huge_prune_counts_mean_every_row(filter_by, huge):
    """A prune count far beyond N selects the whole group (it once made the C++
    selection reserve a 2m-entry buffer: bad_alloc, or signed overflow at 2**63-1)."""
    warnings.simplefilter("ignore")
    labels, p = base(8, 100, 4)
    expected = labelsieve.find_issues(labels, p, filter_by=filter_by, num_to_remove_per_class=np.full(4, 100),
                                      backend="numba")
    for backend in BACKENDS:
        for options in (dict(num_to_remove_per_class=np.full(4, huge)), dict(confident_joint=np.full((4, 4), huge))):
            ours = labelsieve.find_issues(labels, p, filter_by=filter_by, backend=backend, **options)
            if "num_to_remove_per_class" in options and huge < 2**63 - 1:
                # (at 2**63-1 the K x K arithmetic wraps around in int64, as cleanlab's does:
                # no crash, backends agree, but the counts are meaningless)
                assert np.array_equal(ours, expected), backend
            assert np.array_equal(ours, labelsieve.find_issues(labels, p, filter_by=filter_by, backend="numba",
                                                               **options)), backend


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_core_joint_pass_with_nan_rows_stays_in_bounds(dtype):
    """The binding's joint_pass gets NaN only if a caller skips validation,
    but must stay memory-safe: a NaN row maximum once made the AVX-512 loop
    take ctz(0) as the argmax lane (undefined; found by tools/fuzz.sh under UBSan)."""
    core = pytest.importorskip("labelsieve._core")
    n, k = 64, 3
    p = np.full((n, k), 0.6, dtype)
    p[::2, 1] = np.nan  # two confident lanes and a NaN in every other row
    labels = np.zeros(n, np.int64)
    acc = np.float64 if dtype == np.float64 else np.float32
    guess = np.empty(n, np.int32)
    joint = np.zeros((k, k), np.int64)
    flags = np.empty(n, np.uint8)
    core.joint_pass(labels, p, np.full(k, 0.5, acc), False, guess, joint, flags, 2)
    assert np.all((guess >= -1) & (guess < k))
    assert joint.sum() == np.count_nonzero(guess >= 0)
