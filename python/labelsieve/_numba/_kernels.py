"""The single-label primitives as numba kernels (contract: ``labelsieve._backend``).

Arguments are already normalised by ``labelsieve._numba``: float16 arrays
arrive as their uint16 bits, every array is C-contiguous.  Row-parallel
work runs over fixed blocks of ``BLOCK`` rows and per-block partial results
are combined in block order, so nothing depends on the thread count.
Selections run per class (the row sets of different classes are disjoint,
so parallel classes never write the same mask byte).

Kernels that index by label check every label on the way (numba does no
bounds checking) and return False, having skipped the offending rows, when
one is outside [0, K); the caller then raises.

Each parallel kernel is a thin ``prange`` over blocks (or classes) calling a
serial per-block function: numba's parfor passes are slow on big loop
bodies, and this keeps compilation time down.
"""

import numpy as np
from numba import njit, prange

from labelsieve._numba._range import fold_range
from labelsieve._numba._pairwise import numpy_sum, numpy_sum_through_buffer, pairwise
from labelsieve._numba._scalars import narrow_like, store, to_work, widen, work_empty, zero_of
from labelsieve._numba._select import (
    SAMPLE_EVERY, floor_from_sample, kth_smallest, mark_top, select_top_m, sure_bound_from_sample, ties_to_take,
)

BLOCK = 16384

_JIT = dict(cache=True, nogil=True, error_model="numpy")
_PJIT = dict(_JIT, parallel=True)


def _n_blocks(n):
    return (n + BLOCK - 1) // BLOCK


_n_blocks = njit(**_JIT)(_n_blocks)


# --- grouping rows by label ---------------------------------------------------


@njit(**_JIT)
def _count_block(labels, b, counts):
    """Counts the block's labels; False if one is outside [0, len(counts))."""
    ok = True
    for i in range(b * BLOCK, min(labels.shape[0], (b + 1) * BLOCK)):
        y = labels[i]
        if y < 0 or y >= counts.shape[0]:
            ok = False
        else:
            counts[y] += 1
    return ok


@njit(**_JIT)
def _scatter_block(labels, b, position, order):
    for i in range(b * BLOCK, min(labels.shape[0], (b + 1) * BLOCK)):
        y = labels[i]
        order[position[y]] = i
        position[y] += 1


@njit(**_PJIT)
def _class_positions(labels, num_classes):
    """Where each block's rows of each class go in class order (ascending
    rows within a class): (block_starts[b, k], starts, labels_ok); labels_ok
    is False if a label is outside [0, num_classes)."""
    n = labels.shape[0]
    n_blocks = _n_blocks(n)
    block_counts = np.zeros((n_blocks, num_classes), np.int64)
    block_ok = np.ones(n_blocks, np.bool_)
    for b in prange(n_blocks):
        block_ok[b] = _count_block(labels, b, block_counts[b])
    starts = np.zeros(num_classes + 1, np.int64)
    block_starts = np.empty((n_blocks, num_classes), np.int64)
    offset = 0
    for k in range(num_classes):
        starts[k] = offset
        for b in range(n_blocks):
            block_starts[b, k] = offset
            offset += block_counts[b, k]
    starts[num_classes] = offset
    return block_starts, starts, block_ok.all()


@njit(**_PJIT)
def group_rows(labels, num_classes):
    """Counting sort of the rows by label: ``order`` lists the rows of class
    0, then class 1, ..., each in ascending row order; class k's rows are
    order[starts[k]:starts[k+1]].  ``labels_ok`` is False (and ``order``
    unset) if a label is outside [0, num_classes)."""
    block_starts, starts, labels_ok = _class_positions(labels, num_classes)
    order = np.empty(labels.shape[0], np.int64)
    if not labels_ok:
        return order, starts, False
    for b in prange(block_starts.shape[0]):
        _scatter_block(labels, b, block_starts[b], order)
    return order, starts, True


# --- class_sums -------------------------------------------------------------


@njit(**_JIT)
def _gather_block(labels, p, b, position, values):
    """The block's self-probabilities, read in row order, written to their class's segment."""
    for i in range(b * BLOCK, min(labels.shape[0], (b + 1) * BLOCK)):
        y = labels[i]
        values[position[y]] = widen(p[i, y])
        position[y] += 1


@njit(**_JIT)
def _class_sum(values, start, count, through_buffer):
    if through_buffer:
        return numpy_sum_through_buffer(values, start, count)
    return numpy_sum(values, start, count)


@njit(**_PJIT)
def class_sums(labels, p, out_counts, out_sums, through_buffer, out_range):
    """Self-probabilities gathered in A, class by class in ascending row
    order, then NumPy's sum of each class's segment.  ``out_range``: A[2]
    receives value_range's result, each block's extremes folded just before
    its gather (the block is then read from cache), or A[0] (not wanted)."""
    n, num_classes = p.shape
    block_starts, starts, labels_ok = _class_positions(labels, num_classes)
    if not labels_ok:
        return False
    values = np.empty(n, out_sums.dtype)
    n_blocks = block_starts.shape[0]
    want_range = out_range.shape[0] > 0
    lows, highs, nans = _range_buffers(n_blocks if want_range else 0)
    for b in prange(n_blocks):
        if want_range:
            _range_block(p, b, lows, highs, nans)
        _gather_block(labels, p, b, block_starts[b], values)
    if want_range:
        _store_range(p, lows, highs, nans, out_range)
    for k in prange(num_classes):
        out_counts[k] = starts[k + 1] - starts[k]
        out_sums[k] = _class_sum(values, starts[k], starts[k + 1] - starts[k], through_buffer)
    return True


# --- joint_pass ---------------------------------------------------------------


@njit(**_JIT)
def _first_argmax(p, i, cut, only_confident):
    """The first class with the row's largest value (among the confident
    classes only, for the paper's rule)."""
    best = -1
    best_value = widen(p[i, 0])
    for k in range(p.shape[1]):
        value = widen(p[i, k])
        if only_confident and not value >= cut[k]:
            continue
        if best < 0 or value > best_value:
            best = k
            best_value = value
    return max(best, 0)


# Rows of at least this many classes take the vectorised row verdict; on
# shorter rows its loops' set-up costs more than it saves (joint pass alone,
# against the compares: 1.6x at K = 32, 1.04x at K = 64, 0.91x at K = 80,
# 0.74x at K = 100, 0.33x at K = 1000).
VECTOR_ROW_FROM_K = 80


@njit(fastmath={"nnan", "nsz"}, **_JIT)
def _max_of(p, i, start, stop):
    """The largest of p[i, start:stop] (-inf if empty), for rows without NaN:
    the flags let LLVM vectorise the reduction, and the maximum of numbers
    does not depend on the order they are visited in."""
    best = -np.inf
    for k in range(start, stop):
        best = max(best, widen(p[i, k]))
    return best


@njit(**_JIT)
def _first_equal(p, i, start, stop, value):
    """The first k in [start, stop) with p[i, k] == value, or stop (a
    minimum over the range, which LLVM vectorises, not an early exit)."""
    first = stop
    for k in range(start, stop):
        first = min(first, k if widen(p[i, k]) == value else stop)
    return first


@njit(**_JIT)
def _row_verdict_by_maxima(p, i, y, own, boosted, cut, paper_rule):
    """(guess, label_wins, label_is_argmax, done) of row i from vectorised
    loops (LLVM does not vectorise the compares in _joint_block): the
    confident count and first confident class, then the largest value before
    and after the label.  With NaN in the row the maxima would not give the
    compares' outcome: done is False and the caller compares."""
    num_classes = p.shape[1]
    n_confident = 0
    first = num_classes
    n_nan = 0
    for k in range(num_classes):
        value = widen(p[i, k])
        confident = value >= cut[k]
        n_confident += confident
        first = min(first, k if confident else num_classes)
        n_nan += value != value
    if n_nan > 0:
        return -1, False, False, False
    before = _max_of(p, i, 0, y)
    after = _max_of(p, i, y + 1, num_classes)
    # An empty side holds -inf, which would not be beaten by a label of -inf.
    label_wins = (y == 0 or boosted > before) and (y == num_classes - 1 or boosted >= after)
    label_is_argmax = (y == 0 or own > before) and (y == num_classes - 1 or own >= after)
    guess = -1
    if n_confident == 1:
        guess = first
    elif n_confident >= 2:
        if paper_rule:
            guess = _first_argmax(p, i, cut, True)
        elif label_is_argmax:
            guess = y
        elif before >= after:  # the first argmax is before the label
            guess = _first_equal(p, i, 0, y, before)
        else:
            guess = _first_equal(p, i, y + 1, num_classes, after)
    return guess, label_wins, label_is_argmax, True


@njit(**_JIT)
def _joint_block(labels, p, cut, paper_rule, boost, b, out_guess, joint, out_flags):
    """Row by row: wide rows take _row_verdict_by_maxima (not inlined: with
    it inlined, or with the compares below moved into a function of their
    own, numba's code for K = 10 ran 1.2-1.5x slower), the others and rows
    with NaN the compares."""
    n, num_classes = p.shape
    wide = num_classes >= VECTOR_ROW_FROM_K
    # Empty outputs are not wanted (no N-row scratch for them).
    want_guess, want_flags = out_guess.shape[0] > 0, out_flags.shape[0] > 0
    ok = True
    for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
        y = labels[i]
        if y < 0 or y >= num_classes:
            ok = False
            continue
        own = widen(p[i, y])
        boosted = narrow_like(own + boost, p)
        done = False
        if wide:  # the vectorised verdict; rows with NaN take the compares below
            guess, label_wins, label_is_argmax, done = _row_verdict_by_maxima(p, i, y, own, boosted, cut, paper_rule)
        if not done:
            # Compares only, as the C++ loop: "the label is the (boosted) first
            # argmax" is "above every earlier class, not below any later one".
            n_confident = 0
            first = num_classes
            label_wins = True
            label_is_argmax = True
            for k in range(num_classes):
                value = widen(p[i, k])
                confident = value >= cut[k]
                n_confident += confident
                first = min(first, k if confident else num_classes)
                label_wins &= (k >= y or boosted > value) & (k <= y or boosted >= value)
                label_is_argmax &= (k >= y or own > value) & (k <= y or own >= value)
            guess = -1
            if n_confident == 1:
                guess = first
            elif n_confident >= 2:
                guess = y if label_is_argmax and not paper_rule else _first_argmax(p, i, cut, paper_rule)
        if want_guess:
            out_guess[i] = guess
        if guess >= 0:
            joint[y, guess] += 1
        if want_flags:
            out_flags[i] = (1 if label_wins else 0) | (2 if label_is_argmax else 0)
    return ok


@njit(**_PJIT)
def joint_pass(labels, p, cut, paper_rule, boost, out_guess, out_joint, out_flags, n_threads):
    """``boost``: T(1e-6) as a work-type value; ``n_threads``: numba's thread count."""
    n, num_classes = p.shape
    n_blocks = _n_blocks(n)
    # One count table per thread's share of the blocks, not one per block (at
    # K = 1000 those were 8 MB each): the counts are integer sums, so how the
    # blocks are shared out cannot change them.  (The thread count is an
    # argument: numba.get_num_threads() in here would stop the caching.)
    n_shares = max(1, min(n_blocks, n_threads))
    partial = np.zeros((n_shares, num_classes, num_classes), np.int64)
    share_ok = np.ones(n_shares, np.bool_)
    for share in prange(n_shares):
        for b in range(share, n_blocks, n_shares):
            share_ok[share] &= _joint_block(labels, p, cut, paper_rule, boost, b, out_guess, partial[share], out_flags)
    out_joint[:, :] = 0
    for share in range(n_shares):
        out_joint += partial[share]
    return share_ok.all()


# --- row_stats ----------------------------------------------------------------


@njit(**_JIT)
def _row_plain_block(labels, p, rows, b, out_self, out_other):
    num_classes = p.shape[1]
    ok = True
    for j in range(b * BLOCK, min(out_self.shape[0], (b + 1) * BLOCK)):
        i = rows[j] if rows.shape[0] > 0 else j
        y = labels[i]
        if y < 0 or y >= num_classes:
            ok = False
            continue
        out_self[j] = p[i, y]
        if out_other.shape[0] == 0:  # self-probabilities only
            continue
        if num_classes == 1:  # no other class
            store(out_other, j, np.nan)
            continue
        best = 0 if y != 0 else 1
        best_value = widen(p[i, best])
        for k in range(best + 1, num_classes):
            if k != y:
                value = widen(p[i, k])
                if value > best_value:  # np.max keeps the first of equals
                    best = k
                    best_value = value
        out_other[j] = p[i, best]
    return ok


@njit(**_PJIT)
def row_stats_plain(labels, p, rows, out_self, out_other):
    """Unshifted: P = T; copies the chosen values' bits.  K >= 2.  Output j
    describes row rows[j], or row j when ``rows`` is empty."""
    n_blocks = _n_blocks(out_self.shape[0])
    block_ok = np.ones(n_blocks, np.bool_)
    for b in prange(n_blocks):
        block_ok[b] = _row_plain_block(labels, p, rows, b, out_self, out_other)
    return block_ok.all()


@njit(**_JIT)
def _row_shifted_block(labels, p, t, tmax, rows, b, out_self, out_other):
    num_classes = p.shape[1]
    shift_max = widen(tmax[0])
    q = work_empty(t, num_classes)
    ok = True
    for j in range(b * BLOCK, min(out_self.shape[0], (b + 1) * BLOCK)):
        i = rows[j] if rows.shape[0] > 0 else j
        y = labels[i]
        if y < 0 or y >= num_classes:
            ok = False
            continue
        for k in range(num_classes):
            d = narrow_like(to_work(p[i, k], t) - widen(t[k]), t)
            q[k] = narrow_like(d + shift_max, t)
        total = narrow_like(zero_of(q) + pairwise(q, 0, num_classes), t)
        store(out_self, j, narrow_like(q[y] / total, t))
        if num_classes == 1:  # no other class
            store(out_other, j, np.nan)
            continue
        best = 0 if y != 0 else 1
        best_value = narrow_like(q[best] / total, t)
        for k in range(best + 1, num_classes):
            if k != y:
                value = narrow_like(q[k] / total, t)
                if value > best_value:
                    best_value = value
        store(out_other, j, best_value)
    return ok


@njit(**_PJIT)
def row_stats_shifted(labels, p, t, tmax, rows, out_self, out_other):
    """q_k = (P(p) - t_k) + tmax; v_k = q_k / (0 + pw(q)), all rounded to P
    (``t``'s type; float16 as uint16 bits).  K >= 2.  Rows as in row_stats_plain."""
    n_blocks = _n_blocks(out_self.shape[0])
    block_ok = np.ones(n_blocks, np.bool_)
    for b in prange(n_blocks):
        block_ok[b] = _row_shifted_block(labels, p, t, tmax, rows, b, out_self, out_other)
    return block_ok.all()


# --- entropy_sums -------------------------------------------------------------


@njit(**_JIT)
def _entropy_block(p, b, out):
    n, num_classes = p.shape
    terms = work_empty(out, num_classes)
    for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
        for k in range(num_classes):
            x = to_work(p[i, k], out)
            if x == 0:
                terms[k] = zero_of(x)
            else:
                terms[k] = x * np.log(x)  # float32: logf, like scipy's xlogy
        out[i] = numpy_sum(terms, 0, num_classes)


@njit(**_PJIT)
def entropy_sums(p, out):
    """out[i] = 0 + pw(x log x over the row) in out's type."""
    for b in prange(_n_blocks(p.shape[0])):
        _entropy_block(p, b, out)


# --- value_range ----------------------------------------------------------------


@njit(**_JIT)
def _range_block(p, b, lows, highs, nans):
    lows[b], highs[b], nans[b] = fold_range(p, b * BLOCK, min(p.shape[0], (b + 1) * BLOCK))


@njit(**_JIT)
def _range_buffers(n_blocks):
    return np.empty(n_blocks, np.float64), np.empty(n_blocks, np.float64), np.zeros(n_blocks, np.bool_)


@njit(**_PJIT)
def value_range(p, out):
    """out = (min, max) of every value, both NaN if any value is NaN."""
    n_blocks = _n_blocks(p.shape[0])
    lows, highs, nans = _range_buffers(n_blocks)
    for b in prange(n_blocks):
        _range_block(p, b, lows, highs, nans)
    _store_range(p, lows, highs, nans, out)


@njit(**_JIT)
def _store_range(p, lows, highs, nans, out):
    """The per-block extremes -> out (see value_range)."""
    if p.shape[0] == 0 or p.shape[1] == 0:
        out[0] = np.inf
        out[1] = -np.inf
    elif nans.any():
        out[0] = np.nan
        out[1] = np.nan
    else:
        out[0] = lows.min()
        out[1] = highs.max()


@njit(**_PJIT)
def narrow_labels(labels, k, out):
    """out[i] = labels[i] as one byte; True when every label is in [0, k)."""
    n_blocks = _n_blocks(labels.shape[0])
    in_range = np.ones(n_blocks, np.bool_)
    for b in prange(n_blocks):
        largest = 0
        for i in range(b * BLOCK, min(labels.shape[0], (b + 1) * BLOCK)):
            label = labels[i]
            # A negative label counts as one beyond every class.
            largest = max(largest, label if label >= 0 else k)
            out[i] = np.uint8(label & 0xFF)
        in_range[b] = largest < k
    return in_range.all()


# --- selections ---------------------------------------------------------------


@njit(**_JIT)
def _noise_floors(p, sampled_rows, k, sizes, margin_sd, margin_keys):
    """Per true class j, a key floor that the best sizes[j] rows of class k
    probably reach, from ``sampled_rows`` (about every 16th row of the
    class; -inf where the sample cannot tell), with floor_from_sample's
    margins; and a sure bound that probably no more than sizes[j] rows
    exceed (sure_bound_from_sample, the same margins; inf for none)."""
    num_classes = p.shape[1]
    floors = np.full(num_classes, -np.inf)
    sure_bounds = np.full(num_classes, np.inf)
    n_sampled = sampled_rows.shape[0]
    sample = work_empty(p, num_classes * n_sampled)  # class-major: one column per j
    for s in range(n_sampled):
        i = sampled_rows[s]
        own = widen(p[i, k])
        for j in range(num_classes):
            sample[j * n_sampled + s] = narrow_like(widen(p[i, j]) - own, p)
    for j in range(num_classes):
        if sizes[j] > 0:
            column = sample[j * n_sampled : (j + 1) * n_sampled]
            floor = floor_from_sample(column, sizes[j], margin_sd, margin_keys)
            if floor == floor:
                floors[j] = floor
                sure_bounds[j] = sure_bound_from_sample(column, sizes[j], margin_sd, margin_keys)
    return floors, sure_bounds


@njit(**_JIT)
def _cell_sizes(prune_counts, k, size):
    """How many rows of given class k (``size`` rows) each true class j takes."""
    num_classes = prune_counts.shape[0]
    sizes = np.zeros(num_classes, np.int64)
    for j in range(num_classes):
        if j != k and prune_counts[j, k] > 0:
            sizes[j] = min(prune_counts[j, k], size)
    return sizes


@njit(**_JIT)
def _count_reaching(p, rows, k, floors):
    """counts[j]: keys p[i, j] - p[i, k] >= floors[j] over the listed rows
    (all of given class k)."""
    counts = np.zeros(floors.shape, np.int64)
    for r in range(rows.shape[0]):
        i = rows[r]
        own = widen(p[i, k])
        for j in range(p.shape[1]):  # branch-free, so it vectorises
            counts[j] += narrow_like(widen(p[i, j]) - own, p) >= floors[j]
    return counts


@njit(**_JIT)
def _fill_reaching(p, rows, k, floors, filled, keys, key_rows):
    """The keys _count_reaching counts, with their rows, written from
    position filled[j] on (advanced), in row order."""
    for r in range(rows.shape[0]):
        i = rows[r]
        own = widen(p[i, k])
        for j in range(p.shape[1]):
            key = narrow_like(widen(p[i, j]) - own, p)
            if key >= floors[j]:
                keys[filled[j]] = key
                key_rows[filled[j]] = i
                filled[j] += 1


@njit(**_JIT)
def _keys_by_cell(p, rows, k, floors):
    """Every key of the listed rows (of given class k) reaching its floor,
    grouped by true class j in row order: (keys, key_rows, starts) with
    cell j at keys[starts[j] : starts[j + 1]].  Two reads of the rows (count,
    then fill) keep the buffers exact."""
    counts = _count_reaching(p, rows, k, floors)
    starts = np.zeros(counts.shape[0] + 1, np.int64)
    starts[1:] = np.cumsum(counts)
    filled = starts[:-1].copy()
    keys = work_empty(p, starts[-1])
    key_rows = np.empty(starts[-1], np.int64)
    _fill_reaching(p, rows, k, floors, filled, keys, key_rows)
    return keys, key_rows, starts


@njit(**_JIT)
def _select_noise_cell(labels, p, k, j, rows, size, m, candidates, candidate_rows, scratch, out_mask):
    """Given class k (``size`` rows; ``rows`` lists them, or is empty and they
    are found from ``labels`` if needed), true class j: mark the m best of
    the candidates (every key that reached the cell's floor, in row order;
    or the cell's best keys plus any reaching a raised floor), or, where
    fewer than m reached it (the floor was too high), the m best among all
    the class's keys.  Returns ``rows``, listed if this call had to."""
    count = candidates.shape[0]
    if count >= m and m < size:  # every key >= the m-th best is a candidate, in row order
        scratch[:count] = candidates
        cut = kth_smallest(scratch, count, count - m)
        mark_top(candidates, candidate_rows, m, cut, out_mask)
        return rows
    if rows.shape[0] == 0:  # floor too high (or everything wanted): all keys of the class
        rows = np.flatnonzero(labels == k)
    column = work_empty(p, size)
    for r in range(size):
        i = rows[r]
        column[r] = narrow_like(widen(p[i, j]) - widen(p[i, k]), p)
    select_top_m(column, rows, m, scratch, out_mask)
    return rows


@njit(**_JIT)
def _select_noise_cells(labels, p, k, rows, size, sizes, keys, key_rows, starts, out_mask):
    """Given class k: for each true class j, the sizes[j] best of the keys
    that reached j's floor (keys[starts[j] : starts[j + 1]]), see
    _select_noise_cell."""
    scratch = work_empty(p, size)
    for j in range(p.shape[1]):
        if sizes[j] > 0:
            cell = slice(starts[j], starts[j + 1])
            rows = _select_noise_cell(labels, p, k, j, rows, size, sizes[j], keys[cell], key_rows[cell], scratch, out_mask)


@njit(**_JIT)
def _prune_noise_class(labels, p, rows, k, prune_counts, out_mask):
    """The listed rows of given class k: per true class j, the
    prune_counts[j, k] largest p[:, j] - p[:, k]."""
    num_classes = p.shape[1]
    size = rows.shape[0]
    sizes = _cell_sizes(prune_counts, k, size)
    floors = np.full(num_classes, -np.inf)
    if size >= SAMPLE_FROM_ROWS:
        # A floor set too high costs a rescan of this class's listed rows.
        floors = _noise_floors(p, rows[::SAMPLE_EVERY], k, sizes, 3.0, 3.0)[0]
    for j in range(num_classes):
        if sizes[j] <= 0:
            floors[j] = np.inf  # no candidates
    keys, key_rows, starts = _keys_by_cell(p, rows, k, floors)
    _select_noise_cells(labels, p, k, rows, size, sizes, keys, key_rows, starts, out_mask)


@njit(**_PJIT)  # parallel, as group_rows: a serial caller of a parallel function crashes if numba's threads are not up yet
def _row_order_plan(labels, p, prune_counts, class_ok):
    """For a scan of every row in address order: the rows per class, the cell
    sizes sizes[k, j], key floors floors[k, j] and sure bounds sure[k, j]
    per (given, true) class (from every 16th row; floors inf: no
    candidates; -inf: class too small to sample; sure bounds inf: none),
    and whether every label is in [0, K)."""
    n, num_classes = p.shape
    class_counts = np.zeros(num_classes, np.int64)
    sizes = np.zeros((num_classes, num_classes), np.int64)
    floors = np.full((num_classes, num_classes), np.inf)
    sure = np.full((num_classes, num_classes), np.inf)
    for i in range(n):
        y = labels[i]
        if y < 0 or y >= num_classes:
            return class_counts, sizes, floors, sure, False
        class_counts[y] += 1
    sampled = np.arange(0, n, SAMPLE_EVERY)
    order, sample_starts, _ = group_rows(labels[sampled], num_classes)
    for k in range(num_classes):
        if class_ok[k] == 0 or class_counts[k] == 0:
            continue
        sizes[k] = _cell_sizes(prune_counts, k, class_counts[k])
        if class_counts[k] >= SAMPLE_FROM_ROWS:
            # A floor set too high costs a read of every label to list the
            # class's rows, then a read of them (10M x 10: ~45 ms, as much as
            # all the selections): 4 sd, not 3, makes that ~40x rarer a cell
            # for ~2% more offers (+3 keys, not +6: small cells' offers grow
            # with the constant, and their rescans are cheap).
            floors[k], sure[k] = _noise_floors(
                p, sampled[order[sample_starts[k] : sample_starts[k + 1]]], k, sizes[k], 4.0, 3.0
            )
        else:
            floors[k] = -np.inf
        for j in range(num_classes):
            if sizes[k, j] <= 0:
                floors[k, j] = np.inf
    return class_counts, sizes, floors, sure, True


# A cell's buffer holds its m best keys plus this much room (a quarter of m,
# at least CELL_ROOM_MIN): when full, it keeps its m best and its floor rises.
CELL_ROOM_MIN = 16


@njit(**_JIT)
def _cell_buffers(sizes, class_counts):
    """Where cell k * K + j's buffer lies: begin[c] : begin[c] + capacity[c]
    (no buffer where the cell takes none or all of its class's rows: those
    are selected from the whole class)."""
    num_classes = sizes.shape[0]
    begin = np.zeros(num_classes * num_classes, np.int64)
    capacity = np.zeros(num_classes * num_classes, np.int64)
    total = 0
    for k in range(num_classes):
        for j in range(num_classes):
            m = sizes[k, j]
            c = k * num_classes + j
            begin[c] = total
            if 0 < m < class_counts[k]:
                capacity[c] = min(class_counts[k], m + max(m // 4, CELL_ROOM_MIN))
            total += capacity[c]
    return begin, capacity, total


@njit(**_JIT)
def _keep_best(keys, rows, first, count, m, scratch):
    """Cut the buffer keys[first : first + count] (row order) down to its m
    best, in row order (key desc, then row asc: the earliest of tied keys);
    returns the m-th best key."""
    scratch[:count] = keys[first : first + count]
    cut = kth_smallest(scratch, count, count - m)
    ties = ties_to_take(keys, first, first + count, m, cut)
    kept = first
    for t in range(first, first + count):
        key = keys[t]
        if key > cut or (key == cut and ties > 0):
            if not key > cut:
                ties -= 1
            keys[kept] = key
            rows[kept] = rows[t]
            kept += 1
    return cut


@njit(**_JIT)
def _offer_rows(labels, p, first, last, label_lo, label_hi, sizes, floors, sure, sure_counts, begin, capacity, fill,
                keys, rows, scratch, out_mask):
    """Rows first..last-1 labelled label_lo..label_hi-1, in address order:
    each key p[i, j] - p[i, labels[i]] reaching its cell's floor joins the
    cell's buffer; a full buffer keeps its m best, and then only keys above
    the m-th best can enter (a later row's equal key ranks below it).  A
    key above the cell's sure bound is not kept: its row is marked and
    counted in sure_counts (it ranks above every key the buffer can hold)."""
    num_classes = p.shape[1]
    for i in range(first, last):
        y = labels[i]
        if y < label_lo or y >= label_hi:
            continue
        own = widen(p[i, y])
        for j in range(num_classes):
            key = narrow_like(widen(p[i, j]) - own, p)
            if key >= floors[y, j]:
                c = y * num_classes + j
                if key > sure[y, j]:
                    out_mask[i] = 1
                    sure_counts[c] += 1
                    continue
                if fill[c] == capacity[c]:
                    m = sizes[y, j]
                    cut = _keep_best(keys, rows, begin[c], fill[c], m, scratch)
                    fill[c] = m
                    floors[y, j] = np.nextafter(np.float64(cut), np.inf)
                    if not key > cut:
                        continue
                keys[begin[c] + fill[c]] = key
                rows[begin[c] + fill[c]] = i
                fill[c] += 1


@njit(**_JIT)
def _label_ranges(class_counts, shares):
    """Consecutive label ranges with about as many rows each:
    share s takes labels bounds[s] .. bounds[s + 1] - 1."""
    num_classes = class_counts.shape[0]
    total = class_counts.sum()
    bounds = np.full(shares + 1, num_classes, np.int64)
    bounds[0] = 0
    share, seen = 1, 0
    for k in range(num_classes):
        seen += class_counts[k]
        while share < shares and seen * shares >= share * total:
            bounds[share] = k + 1
            share += 1
    return bounds


# Below this many classes, threads scan consecutive row ranges, each into
# its own buffers; from it on, each thread scans every row but keeps only a
# range of labels (long rows: a thread reads only its own rows' lines), so
# one set of buffers serves all threads and the extra memory does not grow
# with the thread count (the K^2 cells' minimum room would).
SHARE_LABELS_FROM_K = 32


@njit(**_PJIT)
def _prune_noise_in_row_order(labels, p, prune_counts, class_ok, out_mask, n_threads):
    """Up to a few hundred classes: the rows read once in address order into
    bounded buffers per cell, then each given class selected from its
    cells' buffers, joined in row order (nothing depends on the thread
    count: a cell's buffers hold its best keys of their rows in any split).
    Rows above a cell's sure bound are marked as they are met; if more than
    a cell's m were (a misleading sample), it all runs again without bounds."""
    class_counts, sizes, floors, sure, labels_ok = _row_order_plan(labels, p, prune_counts, class_ok)
    if not labels_ok:
        return False
    if not _prune_noise_with_bounds(labels, p, class_ok, out_mask, n_threads, class_counts, sizes, floors, sure):
        out_mask[:] = 0
        sure[:] = np.inf
        _prune_noise_with_bounds(labels, p, class_ok, out_mask, n_threads, class_counts, sizes, floors, sure)
    return True


@njit(**_PJIT)
def _prune_noise_with_bounds(labels, p, class_ok, out_mask, n_threads, class_counts, sizes, floors, sure):
    """_prune_noise_in_row_order's scan and selections for the given floors
    and sure bounds; False (out_mask then holds some unselected rows) if
    more than a cell's size passed its sure bound."""
    n, num_classes = p.shape
    floors = floors.copy()
    begin, capacity, total = _cell_buffers(sizes, class_counts)
    for c in range(num_classes * num_classes):
        if capacity[c] == 0:  # the cell takes none or all of its class: no buffer, no offers
            floors[c // num_classes, c % num_classes] = np.inf
    shares = max(1, min(n_threads, n))
    by_label = num_classes >= SHARE_LABELS_FROM_K
    # Share s scans rows bounds[0, s] .. bounds[1, s] - 1 labelled
    # bounds[2, s] .. bounds[3, s] - 1 into buffer set bounds[4, s].
    bounds = np.zeros((5, shares), np.int64)
    if by_label:
        label_bounds = _label_ranges(class_counts, shares)
        bounds[1] = n
        bounds[2] = label_bounds[:-1]
        bounds[3] = label_bounds[1:]
    else:
        share_rows = (n + shares - 1) // shares
        for share in range(shares):
            bounds[0, share] = share * share_rows
            bounds[1, share] = min(n, (share + 1) * share_rows)
            bounds[4, share] = share
        bounds[3] = num_classes
    buffer_sets = 1 if by_label else shares
    keys = work_empty(p, buffer_sets * total)
    rows = np.empty(buffer_sets * total, np.int32)  # n < 2^31 (see prune_by_noise_rate)
    fill = np.zeros((buffer_sets, num_classes * num_classes), np.int64)
    sure_counts = np.zeros((shares, num_classes * num_classes), np.int64)
    widest = capacity.max() if total > 0 else 0
    for share in prange(shares):
        first, last, label_lo, label_hi, buffers = bounds[:, share]
        part = slice(buffers * total, (buffers + 1) * total)
        _offer_rows(
            labels, p, first, last, label_lo, label_hi, sizes, floors.copy(), sure, sure_counts[share], begin,
            capacity, fill[buffers], keys[part], rows[part], work_empty(p, widest), out_mask,
        )
    sure_total = sure_counts.sum(axis=0)
    for c in range(num_classes * num_classes):
        if sure_total[c] > sizes[c // num_classes, c % num_classes]:
            return False
    no_rows = np.empty(0, np.int64)
    for k in prange(num_classes):
        if class_ok[k] != 0 and class_counts[k] > 0:
            _select_buffered_class(
                labels, p, k, class_counts[k], sizes[k], sure_total[k * num_classes : (k + 1) * num_classes], begin,
                fill, total, keys, rows, no_rows, out_mask,
            )
    return True


@njit(**_JIT)
def _select_buffered_class(labels, p, k, size, sizes, sure_counts, begin, fill, total, keys, rows, class_rows, out_mask):
    """Given class k: each cell's buffers, one per range of rows, joined in
    range order, and selected as by _select_noise_cell: the m best, or,
    with sure_counts[j] rows above the cell's sure bound already marked
    (they rank above every buffered key), the m - sure_counts[j] best."""
    num_classes = p.shape[1]
    shares = fill.shape[0]
    scratch = work_empty(p, size)
    # A cell's buffers hold distinct rows of class k: size is room enough.
    joined_keys = work_empty(p, size)
    joined_rows = np.empty(size, rows.dtype)
    for j in range(num_classes):
        m = sizes[j]
        if m <= 0:
            continue
        c = k * num_classes + j
        count = 0
        for share in range(shares):
            first = share * total + begin[c]
            held = fill[share, c]
            joined_keys[count : count + held] = keys[first : first + held]
            joined_rows[count : count + held] = rows[first : first + held]
            count += held
        sure_rows = sure_counts[j]
        if sure_rows + count >= m:  # the marked rows and the m - sure_rows best buffered ones
            m -= sure_rows
            if m == 0:
                continue
        # Otherwise fewer than m rows reached the floor: the cell's m best of
        # the whole class (the marked rows among them).
        class_rows = _select_noise_cell(
            labels, p, k, j, class_rows, size, m, joined_keys[:count], joined_rows[:count], scratch, out_mask
        )


SAMPLE_FROM_ROWS = 1024  # classes this large get sampled floors
# Below this many classes the rows are read once in address order into
# bounded per-cell buffers (K^2 of them: beyond K = 200 they no longer stay
# in a core's cache); from it on, one task per label reads the label's rows
# from a list and keeps only that label's keys (a listed row costs a cache
# miss, and numba cannot prefetch).
GROUP_BY_LABEL_FROM_K = 200


@njit(**_PJIT)
def prune_by_noise_rate(labels, p, prune_counts, class_ok, out_mask, n_threads):
    """``n_threads``: numba's thread count (for the row-order scan's shares)."""
    n, num_classes = p.shape
    if num_classes < GROUP_BY_LABEL_FROM_K and n < 2**31:  # the buffers hold int32 rows
        return _prune_noise_in_row_order(labels, p, prune_counts, class_ok, out_mask, n_threads)
    order, starts, labels_ok = group_rows(labels, num_classes)
    if not labels_ok:
        return False
    for k in prange(num_classes):
        if class_ok[k] != 0 and starts[k + 1] > starts[k]:
            _prune_noise_class(labels, p, order[starts[k] : starts[k + 1]], k, prune_counts, out_mask)
    return True


@njit(**_JIT)
def _prune_class(p, rows, k, m, out_mask):
    size = rows.shape[0]
    keys = work_empty(p, size)
    for r in range(size):
        keys[r] = -widen(p[rows[r], k])
    select_top_m(keys, rows, m, work_empty(p, size), out_mask)


@njit(**_PJIT)
def prune_by_class(labels, p, num_per_class, out_mask):
    num_classes = p.shape[1]
    order, starts, labels_ok = group_rows(labels, num_classes)
    if not labels_ok:
        return False
    for k in prange(num_classes):
        if num_per_class[k] > 0 and starts[k + 1] > starts[k]:
            _prune_class(p, order[starts[k] : starts[k + 1]], k, num_per_class[k], out_mask)
    return True


@njit(**_JIT)
def select_lowest(scores, count, out_mask):
    n = scores.shape[0]
    if count <= 0 or n == 0:
        return
    keys = work_empty(scores, n)
    for i in range(n):
        keys[i] = -widen(scores[i])
    select_top_m(keys, np.arange(n), count, work_empty(scores, n), out_mask)
