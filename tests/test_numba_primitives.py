"""The numba backend (labelsieve._numba) against the NumPy reference rendering
of the primitive contract (tests/reference_backend.py): same dtypes, same
bits, for every probability dtype, every label dtype, several thread counts
and tie-rich / degenerate data.  Plus exhaustive checks of the float16 bit
conversions, NumPy's pairwise summation and the shared top-m selection."""

import functools
import os
import sys

import numpy as np
import pytest

pytest.importorskip("numba")
pytest.importorskip("scipy")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import reference_backend  # noqa: E402
from labelsieve import _numba as nb  # noqa: E402
from labelsieve import _passes  # noqa: E402
from labelsieve._numba._half import floats_to_halves, halves_to_floats  # noqa: E402
from labelsieve._numba._pairwise import numpy_sum, numpy_sum_through_buffer  # noqa: E402
from labelsieve._numba._select import select_top_m_all  # noqa: E402

PROB_DTYPES = [np.float16, np.float32, np.float64]
LABEL_DTYPES = [np.uint8, np.int32, np.int64]
THREADS = [1, 2, 7]

# name -> (n, k, kind)
CASES = {
    "dirichlet": (3000, 10, "dirichlet"),
    "rounded": (2500, 7, "rounded"),
    "onehot": (600, 5, "onehot"),
    "missing": (1500, 6, "missing"),
    "unnormalised": (800, 4, "unnormalised"),
    "zeros_ones": (1000, 3, "zeros_ones"),
    "k1": (300, 1, "dirichlet"),
    "n1": (1, 3, "dirichlet"),
    "k2_rounded": (5000, 2, "rounded"),
    "wide": (400, 60, "rounded"),
    "k130": (300, 130, "dirichlet"),  # the vectorised joint verdict; pruning by label groups
    "n100k": (100_000, 10, "rounded"),
}


def make_case(name, dtype, label_dtype):
    n, k, kind = CASES[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    if kind == "onehot":
        p = np.eye(k)[rng.integers(0, k, n)]
    else:
        p = rng.dirichlet(np.full(k, 0.5), n)
    if kind == "rounded":  # many exact ties
        p = np.round(p, 2)
    if kind == "unnormalised":
        p = p * rng.uniform(0.3, 1.0, (n, 1))
    if kind == "zeros_ones":  # exact 0 and 1 everywhere, plus some ties
        p = np.round(p, 1)
        p[::7] = np.eye(k)[rng.integers(0, k, len(p[::7]))]
        p[1::11] = 0.0
    labels = rng.integers(0, k, n)
    if kind == "missing" and k > 2:
        labels[labels == 1] = 0  # class 1 absent
        labels[labels == k - 1] = 2  # and the last one
    return labels.astype(label_dtype), np.ascontiguousarray(p.astype(dtype))


def bits(a):
    a = np.asarray(a)
    return a.dtype.str, a.shape, np.ascontiguousarray(a).view(np.uint8).tobytes()


def assert_same(got, expected, what):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.dtype == expected.dtype, f"{what}: dtype {got.dtype} != {expected.dtype}"
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    if got.dtype.kind == "f":
        g = got.view(f"u{got.dtype.itemsize}")
        e = expected.view(f"u{expected.dtype.itemsize}")
        bad = np.flatnonzero(g.ravel() != e.ravel())
        assert bad.size == 0, (
            f"{what}: {bad.size} values differ, first at {bad[0]}: "
            f"{got.ravel()[bad[0]]!r} vs {expected.ravel()[bad[0]]!r}"
        )
    else:
        assert np.array_equal(got, expected), f"{what}: {np.sum(got != expected)} entries differ"


def run_all(backend, labels, p, n_threads):
    """Every primitive's outputs (as arrays) keyed by name; all arguments are
    derived deterministically from (labels, p), so two backends see the same."""
    n, k = p.shape
    acc = _passes.accumulator_dtype(p.dtype)
    rng = np.random.default_rng(n * 1000 + k)
    out = {}

    counts, sums = np.full(k, -5, np.int64), np.full(k, 9, acc)
    backend.class_sums(labels, p, counts, sums, n_threads)
    out["class_counts"], out["class_sums"] = counts, sums

    with np.errstate(all="ignore"):
        thresholds, _ = _passes.thresholds(reference_backend, labels, p, 1)
    cuts = {"cut_thresholds": _passes.confident_cut(thresholds, p.dtype)}
    # cuts equal to values that occur in the data (exercise p == cut exactly)
    cuts["cut_data_values"] = np.ascontiguousarray(p[rng.integers(0, n, k), np.arange(k)].astype(acc))
    cuts["cut_zero"] = np.zeros(k, acc)
    for cut_name, cut in cuts.items():
        for paper in (False, True):
            guess, joint = np.full(n, 99, np.int32), np.full((k, k), 7, np.int64)
            flags = np.full(n, 99, np.uint8)
            backend.joint_pass(labels, p, cut, paper, guess, joint, flags, n_threads)
            tag = f"{cut_name}_paper={paper}"
            out[f"guess_{tag}"], out[f"joint_{tag}"], out[f"flags_{tag}"] = guess, joint, flags

    if k >= 2:
        shifts = {"plain": None, "thresholds": thresholds, "float64": thresholds.astype(np.float64)}
        shifts["own_dtype"] = np.clip(thresholds, 0, 1).astype(p.dtype)
        for name, shift in shifts.items():
            if shift is None:
                work, arg = p.dtype, None
            else:
                work = np.result_type(p.dtype, shift.dtype)
                t = np.ascontiguousarray(shift, dtype=work)
                arg = (t, np.array([t.max()], dtype=work))
            own, other = np.full(n, 3, work), np.full(n, 3, work)
            with np.errstate(all="ignore"):
                backend.row_stats(labels, p, arg, own, other, n_threads)
            out[f"row_self_{name}"], out[f"row_other_{name}"] = own, other

    entropy = np.full(n, 5, np.float32 if p.dtype == np.float32 else np.float64)
    with np.errstate(all="ignore"):
        backend.entropy_sums(p, entropy, n_threads)
    out["entropy"] = entropy

    group = max(1, n // max(k, 1))
    for trial in range(2):
        prune_counts = rng.integers(-1, group + 3 if trial else max(2, group // 3), (k, k)).astype(np.int64)
        class_ok = (rng.random(k) < 0.8).astype(np.uint8)
        mask = np.zeros(n, np.uint8)
        backend.prune_by_noise_rate(labels, p, prune_counts, class_ok, mask, n_threads)
        out[f"prune_by_noise_rate_{trial}"] = mask

        per_class = rng.integers(-1, group + 3 if trial else max(2, group // 2), k).astype(np.int64)
        mask = np.zeros(n, np.uint8)
        backend.prune_by_class(labels, p, per_class, mask, n_threads)
        out[f"prune_by_class_{trial}"] = mask

    scores = {"margin": p[np.arange(n), labels] - p.max(axis=1)}
    special = p[np.arange(n), labels].astype(np.float64)
    special[rng.random(n) < 0.1] = np.nan
    special[rng.random(n) < 0.1] = -0.0
    special[rng.random(n) < 0.1] = 0.0
    special[rng.random(n) < 0.05] = -np.inf
    scores["specials_f64"] = special
    scores["specials_f32"] = special.astype(np.float32)
    scores["specials_f16"] = special.astype(np.float16)
    for name, s in scores.items():
        for count in (-1, 0, 1, n // 3, n - 1, n, n + 5):
            mask = np.zeros(n, np.uint8)
            backend.select_lowest(s, count, mask, n_threads)
            out[f"select_lowest_{name}_{count}"] = mask
    return out


@functools.lru_cache(maxsize=None)
def expected_for(case, dtype, label_dtype):
    labels, p = make_case(case, dtype, label_dtype)
    return run_all(reference_backend, labels, p, 1)


@pytest.mark.parametrize("n_threads", THREADS)
@pytest.mark.parametrize("label_dtype", LABEL_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("dtype", PROB_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", list(CASES))
def test_every_primitive_matches_reference(case, dtype, label_dtype, n_threads):
    labels, p = make_case(case, dtype, label_dtype)
    p_before, labels_before = p.copy(), labels.copy()
    expected = expected_for(case, dtype, label_dtype)
    got = run_all(nb, labels, p, n_threads)
    assert got.keys() == expected.keys()
    for name in expected:
        assert_same(got[name], expected[name], f"{name} ({case}, {np.dtype(dtype).name}, threads={n_threads})")
    assert np.array_equal(p.view(np.uint8), p_before.view(np.uint8)) and np.array_equal(labels, labels_before)


@pytest.mark.parametrize("dtype", PROB_DTYPES, ids=lambda d: np.dtype(d).name)
def test_read_only_and_memory_mapped_inputs(dtype, tmp_path):
    labels, p = make_case("rounded", dtype, np.int64)
    expected = expected_for("rounded", dtype, np.int64)
    np.save(tmp_path / "p.npy", p)
    mapped = np.load(tmp_path / "p.npy", mmap_mode="r")
    frozen = labels.copy()
    frozen.setflags(write=False)
    got = run_all(nb, frozen, mapped, 2)
    for name in expected:
        assert_same(got[name], expected[name], f"{name} (read-only/memmap)")
    frozen_p = p.copy()
    frozen_p.setflags(write=False)
    got = run_all(nb, labels, frozen_p, 1)
    for name in expected:
        assert_same(got[name], expected[name], f"{name} (read-only)")


def test_thread_count_is_restored():
    import numba

    before = numba.get_num_threads()
    labels, p = make_case("dirichlet", np.float32, np.int64)
    nb.entropy_sums(p, np.empty(len(p), np.float32), 1)
    assert numba.get_num_threads() == before


def test_float16_class_sums_follow_numpys_cast_buffer():
    rng = np.random.default_rng(35)
    p = rng.dirichlet(np.ones(2), 40000).astype(np.float16)
    labels = rng.integers(0, 2, 40000).astype(np.int32)
    counts, sums = np.zeros(2, np.int64), np.zeros(2, np.float32)
    nb.class_sums(labels, p, counts, sums, 2)
    for k in range(2):
        assert sums[k].tobytes() == np.sum(p[labels == k, k], dtype=np.float32).tobytes()


def test_large_class_sums_and_joint_pass_are_thread_independent():
    rng = np.random.default_rng(5)
    n, k = 300_000, 4
    p = rng.dirichlet(np.ones(k), n).astype(np.float32)
    labels = rng.integers(0, k, n).astype(np.int64)
    counts, sums = np.zeros(k, np.int64), np.zeros(k, np.float32)
    nb.class_sums(labels, p, counts, sums, 2)
    for c in range(k):
        assert sums[c].tobytes() == np.sum(p[labels == c, c]).tobytes()
    cut = np.full(k, 0.3, np.float32)
    results = []
    for threads in (1, 2, 7):
        guess, joint, flags = np.empty(n, np.int32), np.empty((k, k), np.int64), np.empty(n, np.uint8)
        nb.joint_pass(labels, p, cut, False, guess, joint, flags, threads)
        results.append((guess.tobytes(), joint.tobytes(), flags.tobytes()))
    assert results[0] == results[1] == results[2]


@pytest.mark.parametrize("paper", [False, True], ids=["argmax_rule", "paper_rule"])
@pytest.mark.parametrize("dtype", PROB_DTYPES, ids=lambda d: np.dtype(d).name)
def test_wide_rows_joint_pass_matches_cpp_on_special_values(dtype, paper):
    """Rows of at least VECTOR_ROW_FROM_K classes take the vectorised verdict
    (the largest value before and after the label); with exact ties (the
    label's own value repeated before or after it), signed zeros, zero rows
    and labels at either end it must give the compares' answer: the C++
    loop's and the reference's.  (NaN and infinities are rejected before
    any pass; NaN rows take the compares.)"""
    from labelsieve._backend import get_backend
    from labelsieve._numba._kernels import VECTOR_ROW_FROM_K

    try:
        cpp = get_backend("cpp")
    except ImportError:
        pytest.skip("the compiled extension is not built")
    rng = np.random.default_rng(29)
    n, k = 900, VECTOR_ROW_FROM_K + 36
    p = np.round(rng.dirichlet(np.full(k, 0.3), n), 2)  # many exact ties
    labels = rng.integers(0, k, n)
    labels[::5], labels[1::5] = 0, k - 1
    specials = np.array([0.0, -0.0, 1.0, 0.5])
    for row in range(0, n, 2):
        p[row, rng.integers(0, k, 3)] = rng.choice(specials, 3)
    tied = np.arange(3, n, 4)  # the label's value repeated before or after it
    p[tied, rng.integers(0, k, tied.size)] = p[tied, labels[tied]]
    p[7::9, :] = -0.0
    p[8::9, :] = 0.0
    p = np.ascontiguousarray(p.astype(dtype))
    acc = _passes.accumulator_dtype(p.dtype)
    cuts = {
        "all_confident": np.zeros(k, acc),
        "data_values": np.ascontiguousarray(p[rng.integers(0, n, k), np.arange(k)].astype(acc)),
        "sparse": np.full(k, 0.3, acc),
    }
    for name, cut in cuts.items():
        results = []
        for backend in (nb, cpp, reference_backend):
            guess, joint = np.full(n, 99, np.int32), np.full((k, k), 7, np.int64)
            flags = np.full(n, 99, np.uint8)
            with np.errstate(all="ignore"):
                backend.joint_pass(labels, p, cut, paper, guess, joint, flags, 2)
            results.append((guess, joint, flags))
        for what, got, by_cpp, by_reference in zip(("guess", "joint", "flags"), *results):
            assert_same(got, by_cpp, f"{what} (cut {name}, {np.dtype(dtype).name}, against cpp)")
            assert_same(got, by_reference, f"{what} (cut {name}, {np.dtype(dtype).name}, against the reference)")


# --- float16 bit conversion -------------------------------------------------


def test_half_to_float_exhaustive():
    patterns = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    got = halves_to_floats(patterns)
    expected = patterns.view(np.float16).astype(np.float32)
    nan = np.isnan(expected)
    assert np.array_equal(np.isnan(got), nan)
    assert np.array_equal(got[~nan].view(np.uint32), expected[~nan].view(np.uint32))


def test_float_to_half_matches_numpy():
    halves = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
    finite = np.unique(halves[np.isfinite(halves)].astype(np.float64))  # sorted, -0 merged with +0
    mids = ((finite[1:] + finite[:-1]) / 2).astype(np.float32)  # every halfway case (exact in f32)
    rng = np.random.default_rng(0)
    random_bits = rng.integers(0, 2**32, 3_000_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    small = rng.uniform(-2.0**-13, 2.0**-13, 500_000).astype(np.float32)  # subnormal range
    edges = np.array(
        [0.0, -0.0, 65504, 65519.99, 65520, 65536, 1e9, np.inf, -np.inf, 2.0**-24, 2.0**-25,
         3 * 2.0**-26, 2.0**-14, 2.0**-14 - 2.0**-25, 1e-6, 1 - 2.0**-12, 1 + 2.0**-11],
        dtype=np.float32,
    )
    values = np.concatenate([
        mids, np.nextafter(mids, np.float32(np.inf)), np.nextafter(mids, np.float32(-np.inf)),
        halves.astype(np.float32), random_bits, small, edges, -edges,
    ])
    values = values[~np.isnan(values)]
    with np.errstate(over="ignore"):
        expected = values.astype(np.float16).view(np.uint16)
    got = floats_to_halves(values)
    bad = np.flatnonzero(got != expected)
    assert bad.size == 0, f"{bad.size} differ, e.g. {values[bad[0]]!r}: {got[bad[0]]:#06x} vs {expected[bad[0]]:#06x}"


def test_float_to_half_nan_stays_nan():
    values = np.array([np.nan, -np.nan], np.float32)
    assert np.all(np.isnan(floats_to_halves(values).view(np.float16)))


# --- pairwise summation and selection ----------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pairwise_sum_matches_numpy(dtype):
    rng = np.random.default_rng(1)
    sizes = list(range(0, 300)) + [1000, 1023, 1024, 1025, 4097, 65537, 200_001, 1_000_003]
    for n in sizes:
        x = (rng.random(n) * rng.choice([1.0, 1e-3, 1e5], n)).astype(dtype)
        assert np.asarray(numpy_sum(x, 0, n), dtype).tobytes() == np.sum(x).tobytes(), n
        if n > 5:
            assert np.asarray(numpy_sum(x, 3, n - 5), dtype).tobytes() == np.sum(x[3:-2]).tobytes(), n
    assert np.asarray(numpy_sum(np.array([-0.0], dtype), 0, 1), dtype).tobytes() == np.sum(np.array([-0.0], dtype)).tobytes()


def test_buffered_float16_sum_matches_numpy():
    rng = np.random.default_rng(2)
    for n in [0, 1, 7, 100, 8191, 8192, 8193, 16385, 40000, 100_001]:
        h = rng.random(n).astype(np.float16)
        got = np.float32(numpy_sum_through_buffer(h.astype(np.float32), 0, n))
        assert got.tobytes() == np.sum(h, dtype=np.float32).tobytes(), n


def test_select_top_m_matches_stable_argsort():
    rng = np.random.default_rng(3)
    for trial in range(1500):
        # The large groups also take the sampled-floor path (n >= 4096, m < n / 8).
        n = int(rng.integers(1, 200)) if trial < 1460 else int(rng.integers(1000, 100_000))
        kind = trial % 5
        if kind == 0:
            keys = rng.random(n)
        elif kind == 1:
            keys = np.round(rng.random(n), 1)
        elif kind == 2:
            keys = np.zeros(n) * rng.choice([1, -1], n)  # +0 and -0 are equal keys
        elif kind == 3:
            keys = rng.choice([np.nan, 1.0, -np.inf, np.inf, 0.0, -0.0], n)
        else:
            keys = np.sort(np.round(rng.random(n), 2))[::-1].copy()
        keys = keys.astype(np.float32 if trial % 2 else np.float64)
        for m in (-3, 0, 1, 2, n // 50, n // 9, n // 2, n - 1, n, n + 3, int(rng.integers(0, n + 1))):
            got = np.zeros(n, np.uint8)
            select_top_m_all(keys, m, got)
            expected = np.zeros(n, np.uint8)
            if m > 0:
                # key desc, index asc, NaN last == stable ascending argsort of -key
                expected[np.argsort(-keys, kind="stable")[:m]] = 1
            assert np.array_equal(got, expected), (trial, n, m)


def test_kth_smallest_matches_partition_near_either_end():
    """Long arrays with the rank near an end take the narrowed quickselect;
    it gives np.partition's value, reorders the values (a permutation), and
    falls back to the whole array where the every-16th sample misleads."""
    from labelsieve._numba._select import kth_smallest

    rng = np.random.default_rng(12)
    misleading = np.arange(20_000, dtype=np.float64) + 100_000
    misleading[::16] = np.arange(misleading[::16].size)  # the sample holds only the lowest values
    for trial in range(60):
        n = int(rng.integers(4096, 30_000))
        kind = trial % 5
        if kind == 0:
            a = rng.random(n)
        elif kind == 1:
            a = np.round(rng.random(n), 2)  # many ties
        elif kind == 2:
            a = rng.choice([0.0, -0.0, 1.0, -np.inf, np.inf], n)
        else:  # the sample misleads at the low end (kind 3) or the high end (kind 4)
            a, n = (misleading.copy() if kind == 3 else -misleading), misleading.size
        a = a.astype(np.float32 if trial % 2 else np.float64)
        ranks = [0, 1, n // 50, n // 9, n // 2, n - 1 - n // 9, n - 1 - n // 50, n - 2, n - 1]
        if kind >= 3:  # ranks near the misled end: one keeps exactly as many values as the rank needs, less one
            near = list(range(2, 40)) + [misleading[::16].size]
            ranks += near if kind == 3 else [n - 1 - r for r in near]
        for kth in ranks:
            work = a.copy()
            got = kth_smallest(work, n, kth)
            assert got == np.partition(a, kth)[kth], (trial, n, kth)
            assert np.array_equal(np.sort(work), np.sort(a)), (trial, n, kth)


# --- entropy: float32 logf agrees with scipy's float32 xlogy -----------------


def test_float32_entropy_terms_match_scipy_xlogy():
    from scipy.special import xlogy

    rng = np.random.default_rng(4)
    x = np.concatenate([
        rng.random(400_000, dtype=np.float32),
        np.arange(0, 1.0001, 0.01).astype(np.float32),
        np.float32([0.0, 1.0, 1e-45, 1e-38, 1.17549435e-38, 2.5, 100.0]),
        rng.random(20_000, dtype=np.float32) * np.float32(1e-37),
    ]).astype(np.float32)
    out = np.empty(x.size, np.float32)
    nb.entropy_sums(np.ascontiguousarray(x[:, None]), out, 2)
    expected = np.float32(0) + xlogy(x, x)
    bad = np.flatnonzero(out.view(np.uint32) != expected.view(np.uint32))
    assert bad.size == 0, f"{bad.size} differ, e.g. x={x[bad[0]]!r}: {out[bad[0]]!r} vs {expected[bad[0]]!r}"


@pytest.mark.parametrize("dtype", PROB_DTYPES)
def test_fold_range_on_bit_patterns_orders_like_the_floats(dtype):
    """The validation fold compares values' bit patterns as integers: any
    bits (subnormals, signed zeros, infinities, NaN of either sign, huge
    negatives) over any row range give NumPy's min and max, or NaN."""
    from labelsieve._numba._range import fold_range

    rng = np.random.default_rng(11)
    width = np.dtype(dtype).itemsize
    raw = rng.integers(0, 256, (4000, 7 * width), dtype=np.uint8)
    values = raw.view(dtype).copy()  # every kind of value, NaN included
    finite = np.where(np.isnan(values), dtype(0.25), values)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.finfo(dtype).tiny / 4, -np.finfo(dtype).tiny / 4], dtype)
    finite[rng.integers(0, 4000, 40), rng.integers(0, 7, 40)] = rng.choice(specials, 40)
    carrier = (lambda a: a.view(np.uint16)) if dtype == np.float16 else (lambda a: a)
    for p in (finite, values):
        for first, stop in ((0, 4000), (0, 1), (17, 2999), (3999, 4000), (5, 5)):
            lo, hi, nan = fold_range(carrier(p), first, stop)
            with np.errstate(invalid="ignore"):  # signalling NaN bit patterns
                block = p[first:stop].astype(np.float64)
            if block.size == 0:
                assert (lo, hi, nan) == (np.inf, -np.inf, False)
            elif np.isnan(block).any():
                assert nan
            else:
                assert not nan and lo == block.min() and hi == block.max()
