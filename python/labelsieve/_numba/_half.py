"""IEEE binary16 <-> binary32 conversion on raw bits, exact.

numba has no usable float16 type, so half arrays enter the kernels as their
``uint16`` bit patterns.  NumPy does float16 arithmetic as: widen both
operands exactly to float32, operate in float32, round the result back to
half with round-to-nearest-even.  ``half_to_float`` is the widening,
``float_to_half`` the rounding (subnormals, ties to even, overflow to inf).
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def half_to_float(h):
    """float32 value of the half whose bits are ``h`` (exact)."""
    bits16 = np.int64(h) & 0xFFFF
    sign = (bits16 & 0x8000) << 16
    exponent = (bits16 >> 10) & 0x1F
    mantissa = bits16 & 0x3FF
    if exponent == 0:
        # zero or subnormal: mantissa * 2**-24, exact in float32
        magnitude = np.float32(mantissa) * np.float32(5.9604644775390625e-8)
        if sign != 0:
            return -magnitude
        return magnitude
    elif exponent == 31:
        bits = sign | 0x7F800000 | (mantissa << 13)
    else:
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13)
    return np.uint32(bits).view(np.float32)


@njit(cache=True, nogil=True)
def float_to_half(value):
    """Bits of the half nearest to the float32 ``value`` (ties to even)."""
    x = np.int64(np.float32(value).view(np.uint32))
    sign = (x >> 16) & 0x8000
    magnitude = x & 0x7FFFFFFF
    if magnitude >= 0x7F800000:  # inf or NaN (NaN stays a quiet NaN)
        payload = 0
        if magnitude > 0x7F800000:
            payload = 0x200 | ((magnitude >> 13) & 0x3FF)
        return np.uint16(sign | 0x7C00 | payload)
    if magnitude >= 0x477FF000:  # >= 65520 rounds to infinity
        return np.uint16(sign | 0x7C00)
    if magnitude < 0x38800000:  # below 2**-14: half subnormal or zero
        if magnitude <= 0x33000000:  # <= 2**-25: the tie goes to (even) zero
            return np.uint16(sign)
        exponent = magnitude >> 23
        significand = (magnitude & 0x7FFFFF) | 0x800000
        shift = 126 - exponent
        rounded = significand >> shift
        remainder = significand & ((np.int64(1) << shift) - 1)
        halfway = np.int64(1) << (shift - 1)
        if remainder > halfway or (remainder == halfway and (rounded & 1) != 0):
            rounded += 1
        return np.uint16(sign | rounded)
    rounded = (magnitude - 0x38000000) >> 13  # rebias 127 -> 15
    remainder = magnitude & 0x1FFF
    if remainder > 0x1000 or (remainder == 0x1000 and (rounded & 1) != 0):
        rounded += 1  # may carry into the exponent, up to infinity
    return np.uint16(sign | rounded)


@njit(cache=True, nogil=True)
def round_half(value):
    """``value`` (float32) rounded to the nearest half, widened back to float32."""
    return half_to_float(float_to_half(value))


@njit(cache=True)
def halves_to_floats(bits):
    """Vectorised ``half_to_float`` (used by the tests)."""
    out = np.empty(bits.shape[0], np.float32)
    for i in range(bits.shape[0]):
        out[i] = half_to_float(bits[i])
    return out


@njit(cache=True)
def floats_to_halves(values):
    """Vectorised ``float_to_half`` (used by the tests)."""
    out = np.empty(values.shape[0], np.uint16)
    for i in range(values.shape[0]):
        out[i] = float_to_half(values[i])
    return out
