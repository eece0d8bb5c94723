"""The one top-m selection routine shared by every selection primitive.

Order: larger key first, equal keys by ascending row index, NaN keys last
(NaNs among themselves by row index).  -0.0 and +0.0 are equal keys.  The
order is total, so "the best m rows of a group" is a single set.

Method (O(n) on average, no full sort): find the m-th best non-NaN key v by
quickselect on a scratch copy (when m is small against n: only of the keys
reaching a floor predicted from every 16th key, if at least m do); then walk
the group in ascending row order and take every key > v plus the first
(m - #{key > v}) rows whose key == v.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _sift_down(a, lo, root, size):
    while True:
        child = 2 * root + 1
        if child >= size:
            return
        if child + 1 < size and a[lo + child] < a[lo + child + 1]:
            child += 1
        if not a[lo + root] < a[lo + child]:
            return
        t = a[lo + root]
        a[lo + root] = a[lo + child]
        a[lo + child] = t
        root = child


@njit(cache=True, nogil=True)
def _heapsort(a, lo, hi):
    """Sort a[lo:hi+1] ascending in place (no NaN)."""
    size = hi - lo + 1
    for root in range(size // 2 - 1, -1, -1):
        _sift_down(a, lo, root, size)
    for end in range(size - 1, 0, -1):
        t = a[lo]
        a[lo] = a[lo + end]
        a[lo + end] = t
        _sift_down(a, lo, 0, end)


@njit(cache=True, nogil=True)
def _quickselect(a, n, kth):
    """Value of rank ``kth`` (0-based, ascending) of a[0:n]; reorders a.
    No NaN allowed.  Wirth/Hoare quickselect with a median-of-three pivot and
    a heapsort fallback if it degenerates."""
    lo = 0
    hi = n - 1
    rounds = 0
    while lo < hi:
        rounds += 1
        if rounds > 64:
            _heapsort(a, lo, hi)
            return a[kth]
        mid = lo + (hi - lo) // 2
        x, y, z = a[lo], a[mid], a[hi]
        if x < y:
            if y < z:
                pivot = y
            elif x < z:
                pivot = z
            else:
                pivot = x
        else:
            if x < z:
                pivot = x
            elif y < z:
                pivot = z
            else:
                pivot = y
        i = lo
        j = hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while pivot < a[j]:
                j -= 1
            if i <= j:
                t = a[i]
                a[i] = a[j]
                a[j] = t
                i += 1
                j -= 1
        if j < kth:
            lo = i
        if kth < i:
            hi = j
    return a[kth]


SAMPLE_EVERY = 16  # the samples that floors and bounds are taken from: every 16th value or row

# kth_smallest narrows arrays of at least this many values to the side of
# the rank, when the rank lies within an eighth of either end.
NARROW_FROM = 4096


@njit(cache=True, nogil=True)
def sample_rank(expected, margin_sd, margin_keys):
    """How many of an every-16th sample's values to pass over so that the
    next one is, very probably, still beyond the wanted rank: ``expected``
    (the rank / 16) plus margin_sd standard deviations plus margin_keys."""
    return int(expected + margin_sd * np.sqrt(expected) + margin_keys)


@njit(cache=True, nogil=True)
def kth_smallest(a, n, kth):
    """Value of rank ``kth`` (0-based, ascending) of a[0:n]; reorders a.
    No NaN allowed.  Where the rank is near an end of a long array, the
    quickselect runs only over the values beyond a bound taken from every
    16th value (moved to the front by one predictable pass: the
    quickselect's mispredicted compares cost ~10 ns a value); the exact
    value is the same either way.  (_cut_from_sample narrows the same way
    while copying keys it must not reorder.)"""
    near_top = kth >= n - n // 8
    if n < NARROW_FROM or not (kth < n // 8 or near_top):
        return _quickselect(a, n, kth)
    sample = a[0:n:SAMPLE_EVERY].copy()
    count = sample.shape[0]
    outside = (n - 1 - kth) if near_top else kth  # values beyond the rank
    rank = min(count - 1, sample_rank(outside / SAMPLE_EVERY, 4.0, 6.0))
    bound = _quickselect(sample, count, count - 1 - rank if near_top else rank)
    kept = 0
    for t in range(n):  # swap, not overwrite: a fallback needs every value
        value = a[t]
        if (value >= bound) if near_top else (value <= bound):
            a[t] = a[kept]
            a[kept] = value
            kept += 1
    if near_top and kept >= n - kth:  # the kept values are the top `kept`
        return _quickselect(a, kept, kth - (n - kept))
    if not near_top and kept > kth:  # the kept values are the lowest `kept`
        return _quickselect(a, kept, kth)
    return _quickselect(a, n, kth)


@njit(cache=True, nogil=True)
def ties_to_take(keys, first, stop, m, cut):
    """How many keys == cut the best m of keys[first:stop] take (their
    earliest, in row order): m minus the keys above the cut (>= 1 when cut
    is the m-th best key)."""
    ties = m
    for t in range(first, stop):
        if keys[t] > cut:
            ties -= 1
    return ties


@njit(cache=True, nogil=True)
def mark_top(keys, rows, m, cut, out_mask):
    """Mark every key > cut and the first (m - #{key > cut}) keys == cut, in row order."""
    n = keys.shape[0]
    ties = ties_to_take(keys, 0, n, m, cut)
    for t in range(n):
        key = keys[t]
        if key > cut:
            out_mask[rows[t]] = 1
        elif key == cut and ties > 0:
            out_mask[rows[t]] = 1
            ties -= 1


@njit(cache=True, nogil=True)
def _drop_nan(sample):
    """Move the non-NaN values of ``sample`` to its front (in order); returns how many."""
    count = 0
    for t in range(sample.shape[0]):
        key = sample[t]
        if key == key:
            sample[count] = key
            count += 1
    return count


@njit(cache=True, nogil=True)
def floor_from_sample(sample, m, margin_sd=4.0, margin_keys=6.0):
    """A key that at least the best m of all keys probably reach, from
    ``sample`` (every SAMPLE_EVERY-th key, NaN allowed; reordered): the
    sample's (r + 1)-th best with r = m/16 + margin_sd sd + margin_keys
    (4 sd + 6 as the C++ core's floors where a floor set too high costs a
    rescan of every key; 3 sd + 3 as its label groups' floors where it costs
    a rescan of one class).  NaN when the sample is too small to tell."""
    count = _drop_nan(sample)
    rank = sample_rank(m / SAMPLE_EVERY, margin_sd, margin_keys)
    if rank >= count:
        return np.nan
    return kth_smallest(sample, count, count - rank - 1)


@njit(cache=True, nogil=True)
def sure_bound_from_sample(sample, m, margin_sd, margin_keys):
    """A key that probably no more than m of all keys exceed, from the same
    kind of sample as floor_from_sample (reordered): its (r + 1)-th best
    with r = m/16 - margin_sd sd - margin_keys, the floor's rank mirrored
    below the expected share.  Keys above it can be taken as selected
    without being kept (the caller checks that at most m were).  inf (no
    bound) when the share is too small or the sample cannot tell."""
    expected = m / SAMPLE_EVERY
    below = expected - margin_sd * np.sqrt(expected) - margin_keys
    count = _drop_nan(sample)
    if below < 0 or int(below) >= count:
        return np.inf
    return kth_smallest(sample, count, count - int(below) - 1)


@njit(cache=True, nogil=True)
def _cut_from_sample(keys, m, scratch):
    """The m-th largest key, found among the keys reaching a floor predicted
    from every 16th key (a quickselect over all n keys is most of the work
    when m is small); NaN when the sample cannot tell or fewer than m keys
    reach the floor (the caller then selects among all keys)."""
    n = keys.shape[0]
    sampled = 0
    for t in range(0, n, SAMPLE_EVERY):
        scratch[sampled] = keys[t]
        sampled += 1
    floor = floor_from_sample(scratch[:sampled], m)
    if floor != floor:
        return np.nan
    count = 0
    for t in range(n):
        key = keys[t]
        if key >= floor:
            scratch[count] = key
            count += 1
    if count < m:
        return np.nan
    return kth_smallest(scratch, count, count - m)


@njit(cache=True, nogil=True)
def select_top_m(keys, rows, m, scratch, out_mask):
    """Set out_mask[rows[t]] = 1 for the top ``m`` entries of the group whose
    keys are ``keys`` (ordered by ascending row, i.e. rows is increasing),
    by (key desc, row asc, NaN last).  ``scratch``: a buffer of at least
    len(keys) elements of keys' dtype (clobbered)."""
    n = keys.shape[0]
    if m <= 0 or n == 0:
        return
    if m >= n:
        for t in range(n):
            out_mask[rows[t]] = 1
        return
    if n >= 4096 and m * 8 < n:
        cut = _cut_from_sample(keys, m, scratch)
        if cut == cut:
            mark_top(keys, rows, m, cut, out_mask)
            return
    count = 0
    for t in range(n):
        key = keys[t]
        if key == key:  # not NaN
            scratch[count] = key
            count += 1
    if m >= count:  # every non-NaN key, then NaN rows by index
        extra = m - count
        for t in range(n):
            key = keys[t]
            if key == key:
                out_mask[rows[t]] = 1
            elif extra > 0:
                out_mask[rows[t]] = 1
                extra -= 1
        return
    mark_top(keys, rows, m, kth_smallest(scratch, count, count - m), out_mask)


@njit(cache=True)
def select_top_m_all(keys, m, out_mask):
    """``select_top_m`` over rows 0..n-1 (used by select_lowest and tests)."""
    n = keys.shape[0]
    select_top_m(keys, np.arange(n), m, np.empty(n, keys.dtype), out_mask)
