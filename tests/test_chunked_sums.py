"""Exact threshold sums from chunks (labelsieve._chunk_sums): the pairwise
tree partials, merged in any grouping, give NumPy's sum bit for bit, and the
chunked thresholds equal labelsieve.confident_thresholds on the whole data."""

import numpy as np
import pytest

import labelsieve
import labelsieve.chunked as lc
from labelsieve import _chunk_sums as cs
from scale_data import DTYPES, assert_same, split_rows

SIZES = [1, 2, 7, 8, 9, 15, 16, 17, 127, 128, 129, 130, 255, 256, 257, 1000, 8191, 8192, 8193, 16385, 20000]


def numpy_sum(values, dtype):
    # what class_sums returns: np.sum, through float32 cast buffers for float16
    return np.sum(values, dtype=np.float32) if dtype == np.float16 else np.sum(values)


def acc_of(dtype):
    return np.dtype(np.float64 if dtype == np.float64 else np.float32)


def chunked_total(values, dtype, bounds, rng=None):
    acc = acc_of(dtype)
    n = values.shape[0]
    buffered = dtype == np.float16
    a = values.astype(acc)
    edges = [0, *bounds, n]
    parts = [cs.chunk_partial(a[x:y], x, n, buffered) for x, y in zip(edges, edges[1:])]
    if rng is None:  # sequential fold, as labelsieve.chunked does
        acc_part = parts[0]
        for p in parts[1:]:
            acc_part = cs.merge([acc_part, p], n, buffered)
        parts = [acc_part]
    while len(parts) > 1:  # random groupings of adjacent partials, as a tree reduction does
        i = int(rng.integers(0, len(parts) - 1))
        j = min(len(parts), i + int(rng.integers(2, 5)))
        parts[i:j] = [cs.merge(parts[i:j], n, buffered)]
    return cs.total(parts[0], n, buffered, acc)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("n", SIZES)
def test_random_cuts_and_groupings(n, dtype):
    rng = np.random.default_rng(n)
    values = rng.uniform(0.9, 1.0, n).astype(dtype)  # near-1 values: the worst case for float32 sums
    expected = numpy_sum(values, dtype)
    for trial in range(12):
        bounds = sorted(rng.integers(0, n + 1, int(rng.integers(0, 8))).tolist())
        got = chunked_total(values, dtype, bounds, rng if trial % 2 else None)
        assert_same(expected, got, (n, bounds))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("n", [9, 17, 130, 257])
def test_every_cut_position(n, dtype):
    """One cut at every position, and two cuts at every pair for the smallest cases."""
    rng = np.random.default_rng(7)
    values = rng.random(n).astype(dtype)
    expected = numpy_sum(values, dtype)
    for cut in range(n + 1):
        assert_same(expected, chunked_total(values, dtype, [cut]), cut)
    if n <= 17:
        for a in range(n + 1):
            for b in range(a, n + 1):
                assert_same(expected, chunked_total(values, dtype, [a, b]), (a, b))


@pytest.mark.parametrize("dtype", [np.float16, np.float32], ids=["float16", "float32"])
def test_buffer_edges_of_large_class(dtype):
    """Cuts around the 8192-value cast buffers and the pairwise split points."""
    n = 3 * 8192 + 5
    values = np.random.default_rng(3).uniform(0.5, 1.0, n).astype(dtype)
    expected = numpy_sum(values, dtype)
    for cut in (1, 127, 128, 129, 4095, 4096, 4097, 8191, 8192, 8193, 16384, 16385, n - 1):
        assert_same(expected, chunked_total(values, dtype, [cut]), cut)
        assert_same(expected, chunked_total(values, dtype, [cut // 2, cut, cut + 3]), cut)


def test_merge_rejects_gaps():
    a = cs.chunk_partial(np.ones(3, np.float32), 0, 10, False)
    b = cs.chunk_partial(np.ones(3, np.float32), 5, 10, False)
    with pytest.raises(ValueError, match="adjacent"):
        cs.merge([a, b], 10, False)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("sizes", [(8, 128, 129), (256, 8192, 8193), (1, 7, 300)])
def test_chunked_thresholds_equal_in_memory(sizes, dtype):
    """Classes of the given sizes interleaved at random; chunk boundaries at
    random rows and at every row of a small window."""
    rng = np.random.default_rng(sum(sizes))
    labels = rng.permutation(np.repeat(np.arange(len(sizes)), sizes))
    probs = rng.uniform(0.0, 1.0, (labels.size, len(sizes)))
    probs[np.arange(labels.size), labels] = rng.uniform(0.9, 1.0, labels.size)
    probs = probs.astype(dtype)
    expected = labelsieve.confident_thresholds(labels, probs)
    n = labels.size
    for bounds in ([], [1], [n - 1], sorted(rng.integers(0, n, 9).tolist()), list(range(0, n, 97))):
        assert_same(expected, lc.confident_thresholds(split_rows(labels, probs, bounds)), bounds)
    for cut in [*range(0, 10), *range(10, min(n, 140), 13)]:
        assert_same(expected, lc.confident_thresholds(split_rows(labels, probs, [cut])), cut)


def test_naive_chunk_sums_would_differ():
    """The tests above can fail: adding per-chunk np.sum results (the obvious
    streaming approach) misses NumPy's sum for many cut positions."""
    values = np.random.default_rng(5).uniform(0.9, 1.0, 257).astype(np.float32)
    expected = np.sum(values)
    naive = [np.float32(np.sum(values[:c])) + np.sum(values[c:]) for c in range(258)]
    assert sum(x != expected for x in naive) > 10
    assert all(chunked_total(values, np.float32, [c]) == expected for c in range(258))
