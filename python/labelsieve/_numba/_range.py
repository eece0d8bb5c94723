"""The validation read's extremes (min, max, any NaN) over a range of rows,
vectorised.

Float min/max with NaN around are not reassociable, so LLVM keeps a plain
loop scalar (10x the C++ core's time at 10M x 10), and fastmath would also
let it fold the NaN test away.  Here each value's bit pattern, read as a
signed integer and with the magnitude bits flipped for negative values,
orders exactly like the floats (-0.0 just below +0.0, whose order the
contract leaves open); integer min, max and "or" reductions vectorise.
NaN is a magnitude above infinity's bits.
"""

import numpy as np
from numba import njit, types
from numba.extending import overload

from labelsieve._numba._half import half_to_float


def signed_bits(flat):  # pragma: no cover - replaced by the overload in jitted code
    raise NotImplementedError


def float_of_bits(bits, like):  # pragma: no cover
    raise NotImplementedError


@overload(signed_bits)
def _signed_bits(flat):
    """The carrier's values as signed integers of the same width (a view)."""
    view_as = {types.uint16: np.int16, types.float32: np.int32, types.float64: np.int64}.get(flat.dtype)
    if view_as is None:
        return None
    return lambda flat: flat.view(view_as)


@overload(float_of_bits)
def _float_of_bits(bits, like):
    """The work-type value (as float64) of the carrier value with these bits."""
    if like.dtype == types.uint16:
        return lambda bits, like: np.float64(half_to_float(np.uint16(bits & 0xFFFF)))
    if like.dtype == types.float32:
        return lambda bits, like: np.float64(np.uint32(bits & 0xFFFFFFFF).view(np.float32))
    if like.dtype == types.float64:
        return lambda bits, like: np.int64(bits).view(np.float64)
    return None


@njit(cache=True, nogil=True)
def fold_range(p, first_row, stop_row):
    """(lo, hi, saw_nan) over p[first_row:stop_row] (C-contiguous carrier
    rows); lo and hi are meaningless when saw_nan, (inf, -inf) when empty."""
    # A slice indexed from 0: numba's negative-index wrap-around then folds
    # away (an index of unknown sign made LLVM gather the values).
    bits = signed_bits(p.reshape(-1))[first_row * p.shape[1] : max(first_row, stop_row) * p.shape[1]]
    sign_shift = bits.itemsize * 8 - 1
    magnitude = (np.int64(1) << sign_shift) - 1
    exponent_bits = 5 if bits.itemsize == 2 else (8 if bits.itemsize == 4 else 11)
    infinity = ((np.int64(1) << exponent_bits) - 1) << (sign_shift - exponent_bits)
    lo_key = magnitude  # above every key
    hi_key = -magnitude - 1  # below every key
    nan = 0
    for t in range(bits.shape[0]):
        v = np.int64(bits[t])
        key = v ^ ((v >> sign_shift) & magnitude)
        lo_key = key if key < lo_key else lo_key
        hi_key = key if key > hi_key else hi_key
        nan |= (v & magnitude) > infinity
    if stop_row <= first_row or p.shape[1] == 0:
        return np.inf, -np.inf, False
    lo = float_of_bits(lo_key ^ ((lo_key >> sign_shift) & magnitude), p)
    hi = float_of_bits(hi_key ^ ((hi_key >> sign_shift) & magnitude), p)
    return lo, hi, nan != 0
