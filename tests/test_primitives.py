"""Every backend primitive equals the NumPy reference rendering of the
contract (tests/reference_backend.py) bit for bit, for every probability and
label dtype, on tie-rich and degenerate data, for several thread counts."""

import numpy as np
import pytest

import reference_backend
from labelsieve import _backend, _passes
from primitive_cases import make_case, run_all


# The C++ backend with its SIMD loops capped: "cpp" runs the widest this CPU has.
SIMD_SETTINGS = {"cpp-portable": "off", "cpp-avx2": "avx2"}


@pytest.fixture(autouse=True)
def _capped_cpp(request, monkeypatch):
    callspec = getattr(request.node, "callspec", None)
    name = callspec.params.get("backend_name") if callspec is not None else None
    if name in SIMD_SETTINGS:
        monkeypatch.setenv("LABELSIEVE_SIMD", SIMD_SETTINGS[name])


def backend_or_skip(name):
    try:
        backend = _backend.get_backend("cpp" if name in SIMD_SETTINGS else name)
    except ImportError as exc:
        pytest.skip(f"backend {name} unavailable: {exc}")
    if name == "cpp-avx2" and backend.simd_level() != "avx2":
        pytest.skip("this CPU has no AVX2 (or the build has no SIMD loops)")
    return backend


BACKENDS = ["cpp", "cpp-avx2", "cpp-portable", "numba"]


def assert_pruning_matches_reference(backend, labels, p, prune_counts, class_ok, thread_counts=(1, 2)):
    """backend.prune_by_noise_rate equals the reference at each thread count; returns the reference mask."""
    expected = np.zeros(labels.size, np.uint8)
    reference_backend.prune_by_noise_rate(labels, p, prune_counts, class_ok, expected, 1)
    for threads in thread_counts:
        got = np.zeros(labels.size, np.uint8)
        backend.prune_by_noise_rate(labels, p, prune_counts, class_ok, got, threads)
        assert np.array_equal(got, expected), f"{threads} threads"
    return expected


def assert_lowest_matches_reference(backend, scores, count, thread_counts=(1, 2)):
    """backend.select_lowest equals the reference at each thread count."""
    expected = np.zeros(scores.size, np.uint8)
    reference_backend.select_lowest(scores, count, expected, 1)
    for threads in thread_counts:
        got = np.zeros(scores.size, np.uint8)
        backend.select_lowest(scores, count, got, threads)
        assert np.array_equal(got, expected), f"{threads} threads"


SHAPES = [(1, 2), (7, 3), (50, 2), (300, 5), (3000, 10), (20000, 17), (2000, 130), (500, 1)]
KINDS = ["dirichlet", "rounded", "unnormalised", "missing", "onehot"]


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("label_dtype", [np.int32, np.int64, np.uint8])
@pytest.mark.parametrize("shape_index", range(len(SHAPES)))
def test_primitives_match_reference(backend_name, dtype, label_dtype, shape_index):
    backend = backend_or_skip(backend_name)
    if label_dtype == np.uint8 and not getattr(backend, "reads_one_byte_labels", False):
        pytest.skip("one-byte labels reach only backends that narrow them")
    n, k = SHAPES[shape_index]
    kind = KINDS[shape_index % len(KINDS)]
    labels, p = make_case(shape_index, n, k, dtype, label_dtype, kind)
    expected = run_all(reference_backend, labels, p, 1, seed=shape_index)
    for threads in (1, 3):
        got = run_all(backend, labels, p, threads, seed=shape_index)
        assert got.keys() == expected.keys()
        for name in expected:
            assert got[name] == expected[name], f"{name} differs ({kind}, n={n}, k={k}, threads={threads})"


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_float16_class_sums_follow_numpys_cast_buffer(backend_name):
    """np.mean of float16 sums in float32 through 8192-element buffers; a
    plain pairwise sum over 20000 values differs in the last bit here."""
    backend = backend_or_skip(backend_name)
    rng = np.random.default_rng(35)
    p = rng.dirichlet(np.ones(2), 40000).astype(np.float16)
    labels = rng.integers(0, 2, 40000).astype(np.int32)
    counts, sums = np.zeros(2, np.int64), np.zeros(2, np.float32)
    backend.class_sums(labels, p, counts, sums, 2)
    for k in range(2):
        column = p[labels == k, k]
        assert sums[k] == np.sum(column, dtype=np.float32)
        assert p[labels == k, k].mean() == np.float16(np.float64(sums[k]) / counts[k])


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("order", ["shuffled", "by_class"])
def test_class_sums_across_thread_boundaries(backend_name, dtype, order):
    """The C++ class pass sums each class's values as they stream by, leaf by
    leaf of NumPy's pairwise tree (at most 128 values), threads completing the
    leaves they share afterwards: class sizes around the leaf and cast-buffer
    sizes, classes too rare to fill a leaf spread over several threads, and
    (by_class) thread boundaries inside one class's run, all equal np.sum."""
    backend = backend_or_skip(backend_name)
    sizes = [0, 1, 7, 8, 9, 127, 128, 129, 130, 255, 256, 257, 1000, 8191, 8192, 8193, 20000]
    rng = np.random.default_rng(41)
    labels = np.repeat(np.arange(len(sizes)), sizes)
    if order == "shuffled":
        rng.shuffle(labels)
    # Values of very different sizes: another order of additions changes the last bits.
    p = (rng.dirichlet(np.full(len(sizes), 0.3), labels.size) * rng.uniform(0.5, 1.0, (labels.size, 1))).astype(dtype)
    for threads in (1, 2, 3, 5, 7):
        counts = np.zeros(len(sizes), np.int64)
        sums = np.zeros(len(sizes), _passes.accumulator_dtype(p.dtype))
        backend.class_sums(labels.astype(np.int32), p, counts, sums, threads)
        assert counts.tolist() == sizes
        for c in range(len(sizes)):
            column = p[labels == c, c]
            expected = np.sum(column, dtype=np.float32) if dtype == np.float16 else np.sum(column)
            assert sums[c].tobytes() == expected.tobytes(), f"class {c} of {sizes[c]} values, {threads} threads"


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("k", [2, 3, 9, 16, 17])
@pytest.mark.parametrize("kind", ["rounded", "onehot", "dirichlet"])
@pytest.mark.parametrize("label_dtype", [np.int32, np.uint8])
def test_joint_pass_and_pruning_in_blocks_of_lanes(backend_name, dtype, k, kind, label_dtype):
    """The C++ joint pass and pruning scan take a vector of rows at a time for K <= 16 (one
    lane per row: sixteen with AVX-512, eight with AVX2) and the rest one by one, eight or
    sixteen classes per step: rows in blocks, in the tail, on both
    sides of a thread boundary, with exact ties (rounded), several confident
    classes (onehot rows are confident in one class, rounded ones in many),
    and a block holding a zero-probability label, all match the reference."""
    backend = backend_or_skip(backend_name)
    if label_dtype == np.uint8 and not getattr(backend, "reads_one_byte_labels", False):
        pytest.skip("one-byte labels reach only backends that narrow them")
    n = 16 * 41 + 7
    labels, p = make_case(k, n, k, dtype, label_dtype, kind)
    p[100:116] = p[100]  # a block of identical rows
    p[200, labels[200]] = 0
    for paper in (False, True):
        cut = np.full(k, 0.25 if kind == "onehot" else 0.05, np.float32)
        cut[0] = 0.5
        results = []
        for bk, threads in ((reference_backend, 1), (backend, 1), (backend, 3)):
            guess, joint, flags = np.empty(n, np.int32), np.zeros((k, k), np.int64), np.empty(n, np.uint8)
            bk.joint_pass(labels, p, cut, paper, guess, joint, flags, threads)
            results.append((guess.tolist(), joint.tolist(), flags.tolist()))
            # The flags without the guesses (the pruning filters' pass): the same counts and flags.
            joint_alone, flags_alone = np.zeros((k, k), np.int64), np.full(n, 9, np.uint8)
            bk.joint_pass(labels, p, cut, paper, None, joint_alone, flags_alone, threads)
            assert (joint_alone.tolist(), flags_alone.tolist()) == results[-1][1:], f"paper={paper}, flags alone"
        assert results[1] == results[0], f"paper={paper}"
        assert results[2] == results[0], f"paper={paper}, 3 threads"
    # The pruning scan's lane-per-row form, with cells wanting few and many rows.
    prune_counts = np.random.default_rng(k).integers(0, n // k, (k, k)).astype(np.int64)
    class_ok = np.ones(k, np.uint8)
    masks = []
    for bk, threads in ((reference_backend, 1), (backend, 1), (backend, 3)):
        mask = np.zeros(n, np.uint8)
        bk.prune_by_noise_rate(labels, p, prune_counts, class_ok, mask, threads)
        masks.append(mask.tolist())
    assert masks[1] == masks[0] and masks[2] == masks[0]


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_read_only_and_memory_mapped_inputs(backend_name, tmp_path):
    backend = backend_or_skip(backend_name)
    labels, p = make_case(3, 5000, 6, np.float32, np.int64, "rounded")
    expected = run_all(reference_backend, labels, p, 1)
    np.save(tmp_path / "p.npy", p)
    mapped = np.load(tmp_path / "p.npy", mmap_mode="r")
    frozen_labels = labels.copy()
    frozen_labels.setflags(write=False)
    assert run_all(backend, frozen_labels, mapped, 2) == expected


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("k", [6, 40])
def test_pruning_cells_taking_none_few_or_all_of_their_class(backend_name, k):
    """Cells wanting 0, 1, 5, a third, all but one, all, or more than all of
    their class's rows, in classes too small to sample and large enough to,
    on tie-rich data (probabilities rounded to 0.01): a cell's running best
    keys must break ties by row, and a cell taking its whole class must not
    be scanned for candidates (the numba backend's bounded buffers once
    overran there)."""
    backend = backend_or_skip(backend_name)
    rng = np.random.default_rng(k)
    class_sizes = [2000, 1500, 900, 40, 3, 1] if k == 6 else rng.integers(1, 1500, k)
    labels = np.repeat(np.arange(k), class_sizes)
    rng.shuffle(labels)
    n = labels.size
    p = np.round(rng.dirichlet(np.ones(k), n), 2).astype(np.float32)
    size = np.bincount(labels, minlength=k)
    prune_counts = np.zeros((k, k), np.int64)
    for given in range(k):  # few rows wanted, plus one or two cells wanting many, by class
        prune_counts[:, given] = rng.choice([0, 1, 5], k)
        large = [[size[given]], [size[given] + 3], [size[given] - 1, size[given] // 3], []][given % 4]
        for true_class, m in zip(rng.permutation(k), large):
            prune_counts[true_class, given] = m
    expected = assert_pruning_matches_reference(backend, labels, p, prune_counts, np.ones(k, np.uint8), (1, 2, 3))
    assert 0 < expected.sum() < n


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("k", [3, 40])
def test_pruning_when_the_row_sample_is_misleading(backend_name, k):
    """Every 16th row, and every 16th row of each class (the samples the
    backends take first, by row or by class), are the strongest candidates
    of every cell, so the sampled floors are too high: the cells must be
    redone among all their rows."""
    backend = backend_or_skip(backend_name)
    n = 40_000 if k == 3 else 120_000
    rng = np.random.default_rng(k)
    p = rng.dirichlet(np.ones(k), n)
    labels = rng.integers(0, k, n)
    by_class = [np.flatnonzero(labels == c)[::16] for c in range(k)]
    sampled = np.union1d(np.arange(0, n, 16), np.concatenate(by_class))
    p[sampled] = rng.dirichlet(np.full(k, 0.05), sampled.size) + 1e-3  # far from their labels
    p[sampled, labels[sampled]] = 0
    p = np.ascontiguousarray((p / p.sum(1, keepdims=True)).astype(np.float32))
    prune_counts = np.full((k, k), n // (k * k * 4), np.int64)
    assert_pruning_matches_reference(backend, labels, p, prune_counts, np.ones(k, np.uint8))


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("count", [1, 700, 5000, 40000])
def test_selection_when_a_row_sample_is_misleading(backend_name, count):
    """Every 16th row scores far better than the rest: a selection that looks at
    a row sample first (the C++ core does, to skip most candidates) must
    notice that the sample misled it and still return the exact answer."""
    backend = backend_or_skip(backend_name)
    n = 300_000
    scores = np.random.default_rng(1).uniform(0.5, 1.0, n)
    # The C++ selection samples every 16th row first: make exactly those rows the best.
    scores[::16] = np.random.default_rng(2).uniform(0.0, 0.1, scores[::16].size)
    scores = np.round(scores, 3).astype(np.float32)  # ties too
    assert_lowest_matches_reference(backend, scores, count)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize(("k", "layout"), [(4, "even"), (16, "even"), (20, "even"), (4, "one large"), (40, "one large")])
def test_pruning_with_large_cells(backend_name, k, layout):
    """Cells of hundreds to thousands of rows get sure bounds from the row
    sample: most selected rows are marked as the scan meets them and the
    rest chosen among the kept candidates (rounded values: ties at the
    bounds and the cut).  A class's cells take half of it at most ("even":
    all about alike; "one large": one of 30% and small ones), so a cell
    that took too many rows would change the mask.  (K = 40: numba's
    label-shared scan; the C++ core groups rows by label there.)"""
    backend = backend_or_skip(backend_name)
    n = 400_000
    rng = np.random.default_rng(k + 20)
    labels = rng.integers(0, k, n)
    p = np.round(rng.dirichlet(np.ones(k), n), 2) + 1e-3
    p = np.ascontiguousarray((p / p.sum(1, keepdims=True)).astype(np.float32))
    class_rows = n // k
    if layout == "even":
        prune_counts = (class_rows // (2 * (k - 1)) - np.arange(k * k).reshape(k, k) * 3).astype(np.int64)
    else:
        prune_counts = np.full((k, k), class_rows // (4 * (k - 1)), np.int64)
        prune_counts[(np.arange(k) + 1) % k, np.arange(k)] = class_rows * 3 // 10  # [true, given]
    assert_pruning_matches_reference(backend, labels, p, prune_counts, np.ones(k, np.uint8), (1, 2, 3))


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("count", [1, 700, 5000, 40000])
def test_selection_when_a_row_sample_is_the_worst(backend_name, count):
    """Every 16th row scores far worse than the rest: the C++ core's sure bound
    (a key above which rows are counted as selected without being stored)
    comes out below most rows, more than `count` rows pass it, and the
    selection must be redone without it."""
    backend = backend_or_skip(backend_name)
    n = 300_000
    scores = np.random.default_rng(3).uniform(0.0, 0.5, n)
    scores[::16] = np.random.default_rng(4).uniform(0.9, 1.0, scores[::16].size)
    scores = np.round(scores, 3).astype(np.float32)  # ties too
    assert_lowest_matches_reference(backend, scores, count)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("k", [3, 20])
def test_pruning_when_the_sampled_rows_are_the_weakest(backend_name, k):
    """Every 16th row is the weakest candidate of every cell, with cells taking
    up to a third of their class: the sure bounds from the sample lie below
    most candidates, and the pruning must be redone without them."""
    backend = backend_or_skip(backend_name)
    n = 60_000
    rng = np.random.default_rng(k + 10)
    labels = rng.integers(0, k, n)
    p = rng.dirichlet(np.full(k, 0.3), n)
    sampled = np.arange(0, n, 16)
    p[sampled] = 1e-3
    p[sampled, labels[sampled]] = 1.0  # sure of their labels: the lowest keys
    p = np.ascontiguousarray((p / p.sum(1, keepdims=True)).astype(np.float32))
    prune_counts = np.full((k, k), n // (k * 3), np.int64)
    assert_pruning_matches_reference(backend, labels, p, prune_counts, np.ones(k, np.uint8))


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("bad_label", [-1, 4, 2**40])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("label_dtype", [np.int64, np.uint8])
def test_labels_out_of_range_raise_instead_of_reading_out_of_bounds(backend_name, bad_label, dtype, label_dtype):
    """Primitives that index by label check the labels they read (the public
    API validates first; this guards direct callers and the binding)."""
    backend = backend_or_skip(backend_name)
    if label_dtype == np.uint8:
        if not getattr(backend, "reads_one_byte_labels", False):
            pytest.skip("one-byte labels reach only backends that narrow them")
        bad_label = {-1: 255, 4: 4, 2**40: 200}[bad_label]
    rng = np.random.default_rng(4)
    p = rng.dirichlet(np.ones(4), 5000).astype(dtype)
    labels = rng.integers(0, 4, 5000).astype(label_dtype)
    labels[4321] = bad_label
    cut = np.full(4, 0.3, np.float64 if dtype == np.float64 else np.float32)
    calls = {
        "class_sums": lambda: backend.class_sums(
            labels, p, np.zeros(4, np.int64), np.zeros(4, cut.dtype), 2),
        "joint_pass": lambda: backend.joint_pass(
            labels, p, cut, False, np.empty(5000, np.int32), np.zeros((4, 4), np.int64),
            np.empty(5000, np.uint8), 2),
        "row_stats": lambda: backend.row_stats(
            labels, p, None, np.empty(5000, dtype), np.empty(5000, dtype), 2),
        "row_stats self only": lambda: backend.row_stats(labels, p, None, np.empty(5000, dtype), None, 2),
        "row_stats with range": lambda: backend.row_stats(
            labels, p, None, np.empty(5000, dtype), None, 2, out_range=np.empty(2, cut.dtype)),
        "prune_by_noise_rate": lambda: backend.prune_by_noise_rate(
            labels, p, np.ones((4, 4), np.int64), np.ones(4, np.uint8), np.zeros(5000, np.uint8), 2),
        "prune_by_class": lambda: backend.prune_by_class(
            labels, p, np.ones(4, np.int64), np.zeros(5000, np.uint8), 2),
    }
    for name, call in calls.items():
        with pytest.raises(ValueError, match=r"labels must be integers in \[0, 4\)"):
            call()


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("special", ["nan", "inf", "-inf", "none", "empty"])
def test_value_range_sees_every_value(backend_name, dtype, special):
    """The validation pass: min and max over all values, NaN if any is NaN."""
    backend = backend_or_skip(backend_name)
    rng = np.random.default_rng(8)
    p = rng.uniform(-0.5, 1.5, (70001, 3)).astype(dtype)
    if special == "empty":
        p = p[:0]
    elif special != "none":
        p[69999, 2] = float(special)  # deep in the last block of the last thread
    out = np.empty(2, np.float64 if dtype == np.float64 else np.float32)
    expected = np.empty_like(out)
    reference_backend.value_range(p, expected, 1)
    for threads in (1, 2, 5):
        backend.value_range(p, out, threads)
        np.testing.assert_array_equal(out, expected)
    if special == "nan":
        assert np.isnan(out).all()
    if special == "empty":
        assert out.tolist() == [np.inf, -np.inf]


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("rows", [[-1], [20], [0, 2**40]])
def test_row_stats_rejects_rows_outside_the_array(backend_name, rows):
    backend = backend_or_skip(backend_name)
    labels = np.zeros(20, np.int64)
    p = np.full((20, 3), 1 / 3, np.float32)
    out = np.empty(len(rows), np.float32), np.empty(len(rows), np.float32)
    with pytest.raises(ValueError, match="rows"):
        backend.row_stats(labels, p, None, *out, 1, rows=np.array(rows, np.int64))


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_row_stats_self_only_equals_the_full_call_and_needs_no_shift(backend_name):
    backend = backend_or_skip(backend_name)
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(40), 5000).astype(np.float32)
    labels = rng.integers(0, 40, 5000).astype(np.int64)
    own, other, only = np.empty(5000, np.float32), np.empty(5000, np.float32), np.full(5000, -1, np.float32)
    backend.row_stats(labels, p, None, own, other, 2)
    backend.row_stats(labels, p, None, only, None, 2)
    assert np.array_equal(only, p[np.arange(5000), labels]) and np.array_equal(only, own)
    t = np.full(40, 0.02, np.float32)
    with pytest.raises(TypeError, match="out_other"):
        backend.row_stats(labels, p, (t, t[:1].copy()), only, None, 1)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
def test_narrow_labels_copies_in_range_labels_and_reports_any_outside(backend_name, label_dtype):
    backend = backend_or_skip(backend_name)
    rng = np.random.default_rng(5)
    # Lengths around the vector widths and the numba block, labels up to 255 (k = 256).
    for n in (1, 7, 8, 15, 16, 17, 63, 64, 65, 1000, 16384 + 5, 70001):
        for k in (1, 2, 10, 256):
            labels = rng.integers(0, k, n).astype(label_dtype)
            for threads in (1, 2):
                out = np.full(n, 77, np.uint8)
                assert backend.narrow_labels(labels, k, out, threads) is True
                np.testing.assert_array_equal(out, labels.astype(np.uint8))
            # One bad label anywhere (first, middle, last) is reported, whatever the thread count.
            for where in {0, n // 2, n - 1}:
                for bad in (-1, k, np.iinfo(label_dtype).max, np.iinfo(label_dtype).min):
                    broken = labels.copy()
                    broken[where] = bad
                    for threads in (1, 2):
                        assert backend.narrow_labels(broken, k, np.empty(n, np.uint8), threads) is False


@pytest.mark.parametrize("backend_name", ["cpp", "numba"])
def test_joint_pass_refuses_outputs_of_the_wrong_shape_or_dtype(backend_name):
    """The kernels write the per-row outputs unchecked: a short or mistyped
    buffer must be refused before they run, on every backend."""
    backend = backend_or_skip(backend_name)
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(4), 50).astype(np.float32)
    labels = rng.integers(0, 4, 50).astype(np.int64)
    cut = np.full(4, 0.3, np.float32)
    guess, joint, flags = np.empty(50, np.int32), np.zeros((4, 4), np.int64), np.empty(50, np.uint8)
    bad = {
        "out_guess": [(np.empty(49, np.int32), ValueError), (np.empty(50, np.int64), TypeError)],
        "out_flags": [(np.empty(49, np.uint8), ValueError), (np.empty(50, np.int8), TypeError)],
        "out_joint": [(np.zeros((4, 3), np.int64), ValueError), (np.zeros((4, 4), np.int32), TypeError)],
    }
    for name, cases in bad.items():
        for wrong, error in cases:
            args = {"out_guess": guess, "out_joint": joint, "out_flags": flags, name: wrong}
            with pytest.raises(error, match=name):
                backend.joint_pass(labels, p, cut, False, args["out_guess"], args["out_joint"], args["out_flags"], 1)
    backend.joint_pass(labels, p, cut, False, guess, joint, flags, 1)
    assert joint.sum() == np.count_nonzero(guess >= 0)


@pytest.mark.parametrize("backend_name", ["cpp", "numba"])
def test_narrow_labels_refuses_what_it_cannot_narrow(backend_name):
    backend = backend_or_skip(backend_name)
    labels = np.zeros(10, np.int64)
    with pytest.raises(ValueError, match="k must be in 1..256"):
        backend.narrow_labels(labels, 257, np.empty(10, np.uint8), 1)
    with pytest.raises(ValueError, match="k must be in 1..256"):
        backend.narrow_labels(labels, 0, np.empty(10, np.uint8), 1)
    with pytest.raises(TypeError, match="labels"):
        backend.narrow_labels(labels.astype(np.uint8), 5, np.empty(10, np.uint8), 1)
    with pytest.raises((TypeError, ValueError), match="out"):
        backend.narrow_labels(labels, 5, np.empty(9, np.uint8), 1)
    with pytest.raises((TypeError, ValueError), match="out"):
        backend.narrow_labels(labels, 5, np.empty(10, np.int8), 1)


@pytest.mark.parametrize("n", [0, 1, _passes._CLEAR_BLOCK - 1, 3 * _passes._CLEAR_BLOCK + 5])
def test_unflagging_the_boosted_top_clears_exactly_those_rows(n):
    """mask &= ~(flags & FLAG_LABEL_IS_BOOSTED_TOP), whatever the other flag
    bits, across the blocks the unflagging works in (the last one partial)."""
    rng = np.random.default_rng(n)
    joint = _passes.JointPass.__new__(_passes.JointPass)  # only its flags are read
    joint.flags = rng.integers(0, 4, n).astype(np.uint8)
    mask = rng.random(n) < 0.5
    expected = mask & ((joint.flags & _backend.FLAG_LABEL_IS_BOOSTED_TOP) == 0)
    joint.unflag_label_is_boosted_top(mask)
    assert mask.dtype == np.bool_ and np.array_equal(mask, expected)
    assert (mask.view(np.uint8) <= 1).all()  # still 0/1 bytes
