"""Numba twins of the multi-label primitives (contract: ``labelsieve._backend``).

Bit-identical to the C++ kernels in ``cpp/multilabel.cpp``.  The class pass
here gathers each binary group into a buffer and sums it with the shared
pairwise routines (one class per parallel task); the C++ core streams the
same additions out of a single read instead.
"""

import numpy as np
from numba import njit, prange

from labelsieve._numba._kernels import BLOCK, _n_blocks
from labelsieve._numba._pairwise import numpy_sum, numpy_sum_through_buffer
from labelsieve._numba._scalars import narrow_like, widen, work_empty, zero_of
from labelsieve._numba._select import select_top_m

_JIT = dict(cache=True, nogil=True, error_model="numpy")
_PJIT = dict(_JIT, parallel=True)

CONFIDENT = 1  # bits of a (row, class) code; same values as cpp/multilabel.hpp
GUESS_ONE = 2
REDUCED = 4
ARGMAX_ONE = 8
GIVEN = 16


@njit(**_JIT)
def _complement(one, p):
    """NumPy's ``1 - p`` rounded to p's type (one: the widened value)."""
    return narrow_like((zero_of(one) + np.float32(1.0)) - one, p)


@njit(**_JIT)
def _class_sums_one(onehot, p, c, count, out_sums, through_buffer):
    n = p.shape[0]
    positives = np.empty(count, out_sums.dtype)
    negatives = np.empty(n - count, out_sums.dtype)
    a = 0
    b = 0
    for i in range(n):
        one = widen(p[i, c])
        if onehot[i, c] != 0:
            positives[a] = one
            a += 1
        else:
            negatives[b] = _complement(one, p)
            b += 1
    if through_buffer:
        out_sums[c, 0] = numpy_sum_through_buffer(negatives, 0, b)
        out_sums[c, 1] = numpy_sum_through_buffer(positives, 0, a)
    else:
        out_sums[c, 0] = numpy_sum(negatives, 0, b)
        out_sums[c, 1] = numpy_sum(positives, 0, a)


@njit(**_PJIT)
def multilabel_sums(onehot, p, out_counts, out_sums, through_buffer):
    n, num_classes = p.shape
    for c in prange(num_classes):
        count = 0
        for i in range(n):
            count += onehot[i, c] != 0
        out_counts[c] = count
        _class_sums_one(onehot, p, c, count, out_sums, through_buffer)


@njit(**_JIT)
def _joint_block(onehot, p, cut, boost, b, joint, out_codes):
    n, num_classes = p.shape
    for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
        for c in range(num_classes):
            one = widen(p[i, c])
            zero = _complement(one, p)
            y = 1 if onehot[i, c] != 0 else 0
            confident0 = zero >= cut[c, 0]
            confident1 = one >= cut[c, 1]
            argmax_one = one > zero
            if confident0 and confident1:
                guess_one = argmax_one
            else:
                guess_one = confident1
            if y == 1:
                reduced = narrow_like(one + boost, p) > zero
            else:
                reduced = narrow_like(zero + boost, p) >= one
            code = 0
            if confident0 or confident1:
                code |= CONFIDENT
                joint[c, y, 1 if guess_one else 0] += 1
            if guess_one:
                code |= GUESS_ONE
            if reduced:
                code |= REDUCED
            if argmax_one:
                code |= ARGMAX_ONE
            if y == 1:
                code |= GIVEN
            out_codes[i, c] = code


@njit(**_PJIT)
def multilabel_joint_pass(onehot, p, cut, boost, out_joint, out_codes):
    n, num_classes = p.shape
    n_blocks = _n_blocks(n)
    partial = np.zeros((n_blocks, num_classes, 2, 2), np.int64)
    for b in prange(n_blocks):
        _joint_block(onehot, p, cut, boost, b, partial[b], out_codes)
    out_joint[:, :, :] = 0
    for b in range(n_blocks):
        out_joint += partial[b]


@njit(**_JIT)
def _select_cell(onehot, p, c, y, m, by_margin, out_mask):
    n, num_classes = p.shape
    size = 0
    for i in range(n):
        size += (1 if onehot[i, c] != 0 else 0) == y
    rows = np.empty(size, np.int64)
    keys = work_empty(p, size)
    t = 0
    for i in range(n):
        if (1 if onehot[i, c] != 0 else 0) != y:
            continue
        one = widen(p[i, c])
        zero = _complement(one, p)
        own = one if y == 1 else zero
        if by_margin:
            keys[t] = narrow_like((zero if y == 1 else one) - own, p)
        else:
            keys[t] = -own
        rows[t] = i * num_classes + c
        t += 1
    select_top_m(keys, rows, m, work_empty(p, size), out_mask)


@njit(**_PJIT)
def multilabel_select(onehot, p, sizes, by_margin, out_mask):
    num_classes = p.shape[1]
    for cell in prange(2 * num_classes):
        m = sizes[cell // 2, cell % 2]
        if m > 0:
            _select_cell(onehot, p, cell // 2, cell % 2, m, by_margin, out_mask)


@njit(**_JIT)
def _ema_block(onehot, p, margin, alpha, b, out):
    n, num_classes = p.shape
    keep = 1.0 - alpha
    scores = np.empty(num_classes, np.float64)
    for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
        for c in range(num_classes):
            one = widen(p[i, c])
            zero = _complement(one, p)
            given = onehot[i, c] != 0
            own = one if given else zero
            score = own
            if margin:
                other = zero if given else one
                score = narrow_like(narrow_like(narrow_like(own - other, p) + np.float32(1.0), p) / np.float32(2.0), p)
            scores[c] = np.float64(score)
        ordered = np.sort(scores)  # ascending: walk it from the largest
        ema = ordered[num_classes - 1]
        for t in range(num_classes - 2, -1, -1):
            ema = alpha * ordered[t] + keep * ema
        out[i] = ema


@njit(**_PJIT)
def multilabel_ema_scores(onehot, p, margin, alpha, out):
    for b in prange(_n_blocks(p.shape[0])):
        _ema_block(onehot, p, margin, alpha, b, out)
