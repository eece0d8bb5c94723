"""The seven primitives as numba kernels (contract: ``labelsieve._backend``).

Arguments are already normalised by ``labelsieve._numba``: float16 arrays
arrive as their uint16 bits, every array is C-contiguous.  Row-parallel
work runs over fixed blocks of ``BLOCK`` rows and per-block partial results
are combined in block order, so nothing depends on the thread count.
Selections run per class (the row sets of different classes are disjoint,
so parallel classes never write the same mask byte).
"""

import numpy as np
from numba import njit, prange

from labelsieve._numba._pairwise import numpy_sum, numpy_sum_through_buffer, pairwise
from labelsieve._numba._scalars import narrow_like, store, to_work, widen, work_empty, zero_of
from labelsieve._numba._select import select_top_m

BLOCK = 16384

_JIT = dict(cache=True, nogil=True, error_model="numpy")
_PJIT = dict(_JIT, parallel=True)


@njit(**_PJIT)
def group_rows(labels, num_classes):
    """Counting sort of the rows by label: ``order`` lists the rows of class
    0, then class 1, ..., each in ascending row order; class k's rows are
    order[starts[k]:starts[k+1]]."""
    n = labels.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    block_counts = np.zeros((n_blocks, num_classes), np.int64)
    for b in prange(n_blocks):
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            block_counts[b, labels[i]] += 1
    starts = np.zeros(num_classes + 1, np.int64)
    block_starts = np.empty((n_blocks, num_classes), np.int64)
    offset = 0
    for k in range(num_classes):
        starts[k] = offset
        for b in range(n_blocks):
            block_starts[b, k] = offset
            offset += block_counts[b, k]
    starts[num_classes] = offset
    order = np.empty(n, np.int64)
    for b in prange(n_blocks):
        position = block_starts[b].copy()
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            y = labels[i]
            order[position[y]] = i
            position[y] += 1
    return order, starts


@njit(**_PJIT)
def class_sums(labels, p, out_counts, out_sums, through_buffer):
    n, num_classes = p.shape
    order, starts = group_rows(labels, num_classes)
    values = np.empty(n, out_sums.dtype)  # self-probabilities in A, grouped by class
    for i in prange(n):
        r = order[i]
        values[i] = widen(p[r, labels[r]])
    for k in prange(num_classes):
        start = starts[k]
        count = starts[k + 1] - start
        out_counts[k] = count
        if through_buffer:
            out_sums[k] = numpy_sum_through_buffer(values, start, count)
        else:
            out_sums[k] = numpy_sum(values, start, count)


@njit(**_PJIT)
def joint_pass(labels, p, cut, paper_rule, boost, out_guess, out_joint, out_flags):
    """``boost``: T(1e-6) as a work-type value."""
    n, num_classes = p.shape
    n_blocks = (n + BLOCK - 1) // BLOCK
    partial = np.zeros((n_blocks, num_classes, num_classes), np.int64)
    for b in prange(n_blocks):
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            y = labels[i]
            n_confident = 0
            only = -1
            best_confident = -1
            best_confident_value = widen(p[i, 0])
            best = 0
            best_value = widen(p[i, 0])
            for k in range(num_classes):
                value = widen(p[i, k])
                if value >= cut[k]:
                    n_confident += 1
                    if only < 0:
                        only = k
                    if best_confident < 0 or value > best_confident_value:
                        best_confident = k
                        best_confident_value = value
                if value > best_value:
                    best = k
                    best_value = value
            if n_confident == 0:
                guess = -1
            elif n_confident == 1:
                guess = only
            elif paper_rule:
                guess = best_confident
            else:
                guess = best
            out_guess[i] = guess
            if guess >= 0:
                partial[b, y, guess] += 1
            boosted = narrow_like(widen(p[i, y]) + boost, p)
            top = True
            for k in range(num_classes):
                value = widen(p[i, k])
                if k < y:
                    if not boosted > value:
                        top = False
                        break
                elif k > y:
                    if not boosted >= value:
                        top = False
                        break
            flags = np.uint8(0)
            if top:
                flags |= np.uint8(1)
            if best == y:
                flags |= np.uint8(2)
            out_flags[i] = flags
    out_joint[:, :] = 0
    for b in range(n_blocks):
        for j in range(num_classes):
            for k in range(num_classes):
                out_joint[j, k] += partial[b, j, k]


@njit(**_PJIT)
def row_stats_plain(labels, p, out_self, out_other):
    """Unshifted: P = T; copies the chosen values' bits."""
    n, num_classes = p.shape
    n_blocks = (n + BLOCK - 1) // BLOCK
    for b in prange(n_blocks):
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            y = labels[i]
            out_self[i] = p[i, y]
            best = 0 if y != 0 else 1
            best_value = widen(p[i, best])
            for k in range(best + 1, num_classes):
                if k != y:
                    value = widen(p[i, k])
                    if value > best_value:  # np.max keeps the first of equals
                        best = k
                        best_value = value
            out_other[i] = p[i, best]


@njit(**_PJIT)
def row_stats_shifted(labels, p, t, tmax, out_self, out_other):
    """q_k = (P(p) - t_k) + tmax; v_k = q_k / (0 + pw(q)), all rounded to P
    (``t``'s type; float16 as uint16 bits)."""
    n, num_classes = p.shape
    n_blocks = (n + BLOCK - 1) // BLOCK
    shift_max = widen(tmax[0])
    for b in prange(n_blocks):
        q = work_empty(t, num_classes)
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            y = labels[i]
            for k in range(num_classes):
                d = narrow_like(to_work(p[i, k], t) - widen(t[k]), t)
                q[k] = narrow_like(d + shift_max, t)
            total = narrow_like(zero_of(q) + pairwise(q, 0, num_classes), t)
            store(out_self, i, narrow_like(q[y] / total, t))
            best = 0 if y != 0 else 1
            best_value = narrow_like(q[best] / total, t)
            for k in range(best + 1, num_classes):
                if k != y:
                    value = narrow_like(q[k] / total, t)
                    if value > best_value:
                        best_value = value
            store(out_other, i, best_value)


@njit(**_PJIT)
def entropy_sums(p, out):
    """out[i] = 0 + pw(x log x over the row) in out's type (float32: logf)."""
    n, num_classes = p.shape
    n_blocks = (n + BLOCK - 1) // BLOCK
    for b in prange(n_blocks):
        terms = work_empty(out, num_classes)
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            for k in range(num_classes):
                x = to_work(p[i, k], out)
                if x == 0:
                    terms[k] = zero_of(x)
                else:
                    terms[k] = x * np.log(x)
            out[i] = numpy_sum(terms, 0, num_classes)


@njit(**_PJIT)
def prune_by_noise_rate(labels, p, prune_counts, class_ok, out_mask):
    n, num_classes = p.shape
    order, starts = group_rows(labels, num_classes)
    for k in prange(num_classes):
        start = starts[k]
        size = starts[k + 1] - start
        if class_ok[k] == 0 or size == 0:
            continue
        rows = order[start : start + size]
        keys = work_empty(p, size)
        scratch = work_empty(p, size)
        for j in range(num_classes):
            m = prune_counts[j, k]
            if j == k or m <= 0:
                continue
            for r in range(size):
                i = rows[r]
                keys[r] = narrow_like(widen(p[i, j]) - widen(p[i, k]), p)
            select_top_m(keys, rows, m, scratch, out_mask)


@njit(**_PJIT)
def prune_by_class(labels, p, num_per_class, out_mask):
    n, num_classes = p.shape
    order, starts = group_rows(labels, num_classes)
    for k in prange(num_classes):
        start = starts[k]
        size = starts[k + 1] - start
        m = num_per_class[k]
        if m <= 0 or size == 0:
            continue
        rows = order[start : start + size]
        keys = work_empty(p, size)
        for r in range(size):
            keys[r] = -widen(p[rows[r], k])
        select_top_m(keys, rows, m, work_empty(p, size), out_mask)


@njit(**_JIT)
def select_lowest(scores, count, out_mask):
    n = scores.shape[0]
    if count <= 0 or n == 0:
        return
    keys = work_empty(scores, n)
    for i in range(n):
        keys[i] = -widen(scores[i])
    select_top_m(keys, np.arange(n), count, work_empty(scores, n), out_mask)
