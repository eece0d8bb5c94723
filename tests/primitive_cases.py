"""Datasets and a runner that exercises every backend primitive once, so a
real backend can be compared bit for bit with ``reference_backend``."""

import numpy as np

from labelsieve import _passes


def make_case(seed, n, k, dtype, label_dtype, kind="dirichlet"):
    rng = np.random.default_rng(seed)
    if kind == "onehot":
        p = np.eye(k)[rng.integers(0, k, n)]
    else:
        p = rng.dirichlet(np.full(k, 0.5), n)
    if kind == "rounded":  # many exact ties
        p = np.round(p, 2)
    if kind == "unnormalised":
        p = p * rng.uniform(0.5, 1.0, (n, 1))
    labels = rng.integers(0, k, n)
    if kind == "missing" and k > 2:
        labels[labels == 1] = 0
    return labels.astype(label_dtype), np.ascontiguousarray(p.astype(dtype))


def _bits(a):
    return a.dtype.str, a.shape, np.ascontiguousarray(a).view(np.uint8).tobytes()


def run_all(backend, labels, p, n_threads, seed=0):
    """Every primitive's outputs, as comparable byte strings, keyed by name."""
    n, k = p.shape
    rng = np.random.default_rng(seed)
    out = {}
    extremes = np.empty(2, _passes.accumulator_dtype(p.dtype))
    backend.value_range(p, extremes, n_threads)
    out["value_range"] = _bits(extremes)
    counts = np.zeros(k, np.int64)
    sums = np.zeros(k, _passes.accumulator_dtype(p.dtype))
    backend.class_sums(labels, p, counts, sums, n_threads)
    out["class_counts"], out["class_sums"] = _bits(counts), _bits(sums)
    # With the validation extremes read in the same pass: the same sums, value_range's extremes.
    fused_range, fused_counts, fused_sums = np.full_like(extremes, 7), np.zeros_like(counts), np.zeros_like(sums)
    with np.errstate(all="ignore"):
        backend.class_sums(labels, p, fused_counts, fused_sums, n_threads, out_range=fused_range)
    out["class_sums_with_range"] = (_bits(fused_counts), _bits(fused_sums), _bits(fused_range))

    # Thresholds from the reference backend, so every backend gets the same cut.
    import reference_backend

    with np.errstate(all="ignore"):
        thresholds, _ = _passes.thresholds(reference_backend, labels, p, 1)
    cut = _passes.confident_cut(thresholds, p.dtype)
    for paper in (False, True):
        guess, joint, flags = np.empty(n, np.int32), np.full((k, k), 7, np.int64), np.empty(n, np.uint8)
        backend.joint_pass(labels, p, cut, paper, guess, joint, flags, n_threads)
        out[f"guess_paper={paper}"], out[f"joint_paper={paper}"] = _bits(guess), _bits(joint)
        out[f"flags_paper={paper}"] = _bits(flags)
        # Counts only (no per-row outputs), and counts with the flags alone: the same counts and flags.
        counts_only = np.full((k, k), 7, np.int64)
        backend.joint_pass(labels, p, cut, paper, None, counts_only, None, n_threads)
        out[f"joint_counts_only_paper={paper}"] = _bits(counts_only)
        flags_joint, flags_alone = np.full((k, k), 7, np.int64), np.full(n, 9, np.uint8)
        backend.joint_pass(labels, p, cut, paper, None, flags_joint, flags_alone, n_threads)
        out[f"joint_flags_alone_paper={paper}"] = (_bits(flags_joint), _bits(flags_alone))

    if True:  # K = 1 included: out_other is NaN
        for name, shift in (("plain", None), ("shifted", thresholds)):
            work = p.dtype if shift is None else np.result_type(p.dtype, shift.dtype)
            arg = None if shift is None else (shift.astype(work), np.array([shift.max()], dtype=work))
            own, other = np.empty(n, work), np.empty(n, work)
            with np.errstate(all="ignore"):
                backend.row_stats(labels, p, arg, own, other, n_threads)
            out[f"row_self_{name}"], out[f"row_other_{name}"] = _bits(own), _bits(other)
            # A subset of rows in any order, with repeats: only those rows are read.
            rows = np.concatenate([np.arange(n)[::-3], np.arange(min(n, 2))]).astype(np.int64)
            own, other = np.empty(rows.size, work), np.empty(rows.size, work)
            with np.errstate(all="ignore"):
                backend.row_stats(labels, p, arg, own, other, n_threads, rows=rows)
            out[f"row_self_{name}_subset"], out[f"row_other_{name}_subset"] = _bits(own), _bits(other)
        # Self-probabilities only (out_other None, unshifted), all rows and a subset.
        own = np.full(n, 7, p.dtype)
        backend.row_stats(labels, p, None, own, None, n_threads)
        out["row_self_only"] = _bits(own)
        own = np.full(rows.size, 7, p.dtype)
        backend.row_stats(labels, p, None, own, None, n_threads, rows=rows)
        out["row_self_only_subset"] = _bits(own)
        # With the validation extremes read in the same pass (every row, unshifted).
        for want_other in (False, True):
            own, other, fused_range = np.full(n, 7, p.dtype), np.full(n, 7, p.dtype), np.full_like(extremes, 7)
            with np.errstate(all="ignore"):
                backend.row_stats(labels, p, None, own, other if want_other else None, n_threads,
                                  out_range=fused_range)
            out[f"row_stats_with_range_{want_other}"] = (
                _bits(own), _bits(other) if want_other else None, _bits(fused_range)
            )

    entropy = np.empty(n, np.float32 if p.dtype == np.float32 else np.float64)
    with np.errstate(all="ignore"):
        backend.entropy_sums(p, entropy, n_threads)
    out["entropy"] = _bits(entropy)

    prune_counts = rng.integers(-1, max(2, n // max(k, 1) // 3), (k, k)).astype(np.int64)
    class_ok = (np.arange(k) % 4 != 3).astype(np.uint8)
    mask = np.zeros(n, np.uint8)
    backend.prune_by_noise_rate(labels, p, prune_counts, class_ok, mask, n_threads)
    out["prune_by_noise_rate"] = _bits(mask)

    per_class = rng.integers(-1, max(2, n // max(k, 1)), k).astype(np.int64)
    mask = np.zeros(n, np.uint8)
    backend.prune_by_class(labels, p, per_class, mask, n_threads)
    out["prune_by_class"] = _bits(mask)

    scores = p[np.arange(n), labels] - p.max(axis=1)
    for count in (0, 1, n // 3, n, n + 5):
        mask = np.zeros(n, np.uint8)
        backend.select_lowest(scores, count, mask, n_threads)
        out[f"select_lowest_{count}"] = _bits(mask)
    return out
