"""NumPy's pairwise summation, operation for operation (SPEC 0.2).

``pairwise(x, start, n)`` sums ``x[start:start+n]`` in ``x``'s float type:
n < 8: -0.0 plus the values sequentially; n <= 128: eight partial sums over
strides of 8, combined ((a0+a1)+(a2+a3))+((a4+a5)+(a6+a7)), then the tail;
otherwise split at n/2 rounded down to a multiple of 8.  ``numpy_sum`` is
what a NumPy add-reduction returns (``0 + pairwise``), and
``numpy_sum_through_buffer`` is ``np.sum(x, dtype=float32)`` of a float16
array, which NumPy casts through 8192-element buffers.
"""

import numpy as np
from numba import njit

from labelsieve._numba._scalars import neg_zero_of, zero_of

CAST_BUFFER_SIZE = 8192  # np.getbufsize() default


@njit(cache=True, nogil=True)
def _leaf(x, start, n):
    if n < 8:
        total = neg_zero_of(x)
        for i in range(n):
            total += x[start + i]
        return total
    a0 = x[start]
    a1 = x[start + 1]
    a2 = x[start + 2]
    a3 = x[start + 3]
    a4 = x[start + 4]
    a5 = x[start + 5]
    a6 = x[start + 6]
    a7 = x[start + 7]
    limit = n - n % 8
    i = 8
    while i < limit:
        a0 += x[start + i]
        a1 += x[start + i + 1]
        a2 += x[start + i + 2]
        a3 += x[start + i + 3]
        a4 += x[start + i + 4]
        a5 += x[start + i + 5]
        a6 += x[start + i + 6]
        a7 += x[start + i + 7]
        i += 8
    total = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
    while i < n:
        total += x[start + i]
        i += 1
    return total


@njit(cache=True, nogil=True)
def pairwise(x, start, n):
    """NumPy's pairwise sum of x[start:start+n], n >= 0.

    Iterative post-order walk of NumPy's split tree (numba's caching and
    parallel lowering do not cope with a recursive version).  A frame is
    (start, size, stage, left sum); depth < 64 for any int64 size."""
    if n <= 128:
        return _leaf(x, start, n)
    frame_start = np.empty(64, np.int64)
    frame_size = np.empty(64, np.int64)
    frame_stage = np.empty(64, np.int64)
    frame_left = np.empty(64, x.dtype)
    top = 0
    frame_start[0] = start
    frame_size[0] = n
    frame_stage[0] = 0
    value = neg_zero_of(x)
    have_value = False
    while True:
        if have_value:  # deliver ``value`` to the frame on top
            if frame_stage[top] == 0:  # it is the left half's sum: do the right half
                frame_left[top] = value
                frame_stage[top] = 1
                half = frame_size[top] // 2
                half -= half % 8
                have_value = False
                frame_start[top + 1] = frame_start[top] + half
                frame_size[top + 1] = frame_size[top] - half
                frame_stage[top + 1] = 0
                top += 1
            else:  # both halves are done
                value = frame_left[top] + value
                if top == 0:
                    return value
                top -= 1
            continue
        size = frame_size[top]
        if size <= 128:
            value = _leaf(x, frame_start[top], size)
            have_value = True
            top -= 1  # the parent exists: the root has size > 128
        else:
            half = size // 2
            half -= half % 8
            frame_start[top + 1] = frame_start[top]
            frame_size[top + 1] = half
            frame_stage[top + 1] = 0
            top += 1


@njit(cache=True, nogil=True)
def numpy_sum(x, start, n):
    """``np.sum`` of x[start:start+n]: 0 + pairwise."""
    return zero_of(x) + pairwise(x, start, n)


@njit(cache=True, nogil=True)
def numpy_sum_through_buffer(x, start, n):
    """``np.sum(h, dtype=float32)`` of float16 values h (given widened in x)."""
    total = zero_of(x)
    offset = 0
    while offset < n:
        size = min(CAST_BUFFER_SIZE, n - offset)
        total = total + pairwise(x, start + offset, size)
        offset += size
    return total
