"""The pybind11 layer checks every argument itself: a wrong dtype, shape,
layout or label raises a clear exception naming the argument, never a crash."""

import numpy as np
import pytest

core = pytest.importorskip("labelsieve._core")


def good_args(n=20, k=4, dtype=np.float32):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, k, n).astype(np.int64)
    p = rng.dirichlet(np.ones(k), n).astype(dtype)
    return labels, p


def test_rejects_wrong_probability_dtype():
    labels, p = good_args()
    with pytest.raises(TypeError, match="pred_probs"):
        core.class_sums(labels, p.astype(np.int32), np.zeros(4, np.int64), np.zeros(4, np.float32), 1)


def test_rejects_non_array_arguments():
    labels, p = good_args()
    with pytest.raises(TypeError, match="pred_probs must be a numpy.ndarray"):
        core.entropy_sums(p.tolist(), np.empty(20, np.float32), 1)


def test_rejects_wrong_label_dtype():
    labels, p = good_args()
    for dtype in (np.int16, np.uint16, np.uint32, np.float32, np.int8):
        with pytest.raises(TypeError, match="labels must have dtype int32, int64 or uint8"):
            core.prune_by_class(labels.astype(dtype), p, np.zeros(4, np.int64), np.zeros(20, np.uint8), 1)


def test_rejects_non_contiguous_probabilities():
    labels, p = good_args()
    wide = np.zeros((20, 8), np.float32)
    wide[:, ::2] = p
    with pytest.raises(ValueError, match="pred_probs must be C-contiguous"):
        core.entropy_sums(wide[:, ::2], np.empty(20, np.float32), 1)


def test_rejects_length_mismatch():
    labels, p = good_args()
    with pytest.raises(ValueError, match="labels must have 20"):
        core.prune_by_class(labels[:-1], p, np.zeros(4, np.int64), np.zeros(20, np.uint8), 1)


def test_rejects_wrong_output_dtype_and_read_only_output():
    labels, p = good_args()
    with pytest.raises(TypeError, match="out_sums"):
        core.class_sums(labels, p, np.zeros(4, np.int64), np.zeros(4, np.float64), 1)
    frozen = np.zeros(4, np.int64)
    frozen.setflags(write=False)
    with pytest.raises(ValueError, match="out_counts must be writeable"):
        core.class_sums(labels, p, frozen, np.zeros(4, np.float32), 1)


@pytest.mark.parametrize("bad_label", [-1, 4, 2**40])
def test_labels_out_of_range_raise_instead_of_reading_out_of_bounds(bad_label):
    labels, p = good_args()
    labels[7] = bad_label
    cut = np.full(4, 0.3, np.float32)
    calls = [
        lambda: core.class_sums(labels, p, np.zeros(4, np.int64), np.zeros(4, np.float32), 2),
        lambda: core.joint_pass(labels, p, cut, False, np.empty(20, np.int32), np.zeros((4, 4), np.int64),
                                np.empty(20, np.uint8), 2),
        lambda: core.row_stats(labels, p, None, np.empty(20, np.float32), np.empty(20, np.float32), 2),
        lambda: core.prune_by_noise_rate(labels, p, np.ones((4, 4), np.int64), np.ones(4, np.uint8),
                                         np.zeros(20, np.uint8), 2),
        lambda: core.prune_by_class(labels, p, np.ones(4, np.int64), np.zeros(20, np.uint8), 2),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=r"labels must be integers in \[0, 4\)"):
            call()


def test_rejects_bad_thread_count_and_has_no_other_class_with_one_class():
    labels, p = good_args()
    with pytest.raises(ValueError, match="n_threads"):
        core.entropy_sums(p, np.empty(20, np.float32), 0)
    one = np.linspace(0, 1, 20, dtype=np.float32)[:, None]
    own, other = np.empty(20, np.float32), np.empty(20, np.float32)
    core.row_stats(np.zeros(20, np.int64), one, None, own, other, 1)
    assert np.array_equal(own, one[:, 0]) and np.isnan(other).all()


def test_shift_must_not_be_narrower_than_probabilities():
    labels, p = good_args(dtype=np.float64)
    t = np.full(4, 0.25, np.float32)
    with pytest.raises(TypeError, match="shift"):
        core.row_stats(labels, p, (t, t[:1].copy()), np.empty(20, np.float32), np.empty(20, np.float32), 1)


def test_joint_pass_row_outputs_both_flags_alone_or_none():
    labels, p = good_args()
    cut = np.full(4, 0.3, np.float32)
    joint, flags_joint, expected = (np.zeros((4, 4), np.int64) for _ in range(3))
    with pytest.raises(TypeError, match="out_guess needs out_flags"):
        core.joint_pass(labels, p, cut, False, np.empty(20, np.int32), joint, None, 1)
    core.joint_pass(labels, p, cut, False, None, joint, None, 1)
    flags_alone = np.full(20, 9, np.uint8)
    core.joint_pass(labels, p, cut, False, None, flags_joint, flags_alone, 1)
    flags = np.empty(20, np.uint8)
    core.joint_pass(labels, p, cut, False, np.empty(20, np.int32), expected, flags, 1)
    assert joint.tolist() == expected.tolist() == flags_joint.tolist() and joint.sum() > 0
    assert flags_alone.tolist() == flags.tolist()


def test_row_stats_range_only_for_every_row_unshifted():
    """out_range fuses validation into a read of every row: with a shift or a
    row subset it is refused; its dtype and length are checked."""
    labels, p = good_args()
    own, rng = np.empty(20, np.float32), np.empty(2, np.float32)
    t = np.full(4, 0.25, np.float32)
    with pytest.raises(TypeError, match="out_range"):
        core.row_stats(labels, p, (t, t[:1].copy()), own, np.empty(20, np.float32), 1, out_range=rng)
    with pytest.raises(TypeError, match="out_range"):
        core.row_stats(labels, p, None, np.empty(3, np.float32), None, 1, rows=np.arange(3), out_range=rng)
    with pytest.raises((TypeError, ValueError), match="out_range"):
        core.row_stats(labels, p, None, own, None, 1, out_range=np.empty(2, np.float64))
    with pytest.raises((TypeError, ValueError), match="out_range"):
        core.row_stats(labels, p, None, own, None, 1, out_range=np.empty(3, np.float32))
    core.row_stats(labels, p, None, own, None, 1, out_range=rng)
    assert rng.tolist() == [p.min(), p.max()] and np.array_equal(own, p[np.arange(20), labels])


def test_empty_rows_are_fine_and_zero_columns_are_rejected():
    labels = np.zeros(0, np.int64)
    p = np.zeros((0, 3), np.float32)
    counts, sums = np.full(3, 9, np.int64), np.full(3, 9, np.float32)
    core.class_sums(labels, p, counts, sums, 2)
    assert counts.tolist() == [0, 0, 0] and sums.tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match="at least one column"):
        core.entropy_sums(np.zeros((3, 0), np.float32), np.empty(3, np.float32), 1)


def test_misaligned_arrays_are_refused_not_read():
    """A view at an odd byte offset is C-contiguous but misaligned: loading its
    elements directly would be undefined behaviour, so the binding refuses it."""
    raw = np.zeros(20 * 4 * 4 + 1, np.uint8)
    p = raw[1:].view(np.float32).reshape(20, 4)
    assert p.flags.c_contiguous and not p.flags.aligned
    labels = np.zeros(20, np.int64)
    with pytest.raises(ValueError, match="pred_probs must be aligned"):
        core.class_sums(labels, p, np.zeros(4, np.int64), np.zeros(4, np.float32), 1)
    raw_labels = np.zeros(20 * 8 + 1, np.uint8)
    bad_labels = raw_labels[1:].view(np.int64)
    with pytest.raises(ValueError, match="labels must be aligned"):
        core.class_sums(bad_labels, np.full((20, 4), 0.25, np.float32), np.zeros(4, np.int64),
                        np.zeros(4, np.float32), 1)


def test_simd_level_follows_the_cpu_and_the_environment(monkeypatch):
    """LABELSIEVE_SIMD=off forces the portable loops and =avx2 caps an AVX-512
    CPU at the AVX2 loops, read on every call; unset, the widest the CPU has."""
    monkeypatch.delenv("LABELSIEVE_SIMD", raising=False)
    widest = core.simd_level()
    assert widest in ("avx512", "avx2", "portable")
    monkeypatch.setenv("LABELSIEVE_SIMD", "off")
    assert core.simd_level() == "portable"
    monkeypatch.setenv("LABELSIEVE_SIMD", "avx2")
    assert core.simd_level() == ("portable" if widest == "portable" else "avx2")
    monkeypatch.delenv("LABELSIEVE_SIMD")
    assert core.simd_level() == widest
