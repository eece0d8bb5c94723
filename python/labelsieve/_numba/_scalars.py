"""Type-generic scalar helpers, resolved at compile time from numba types.

Kernels see three "carrier" dtypes: ``uint16`` (float16 bits), ``float32``
and ``float64``.  A carrier's *work type* is the float type its values are
computed in: float32 for uint16/float32, float64 for float64.

* ``widen(x)``: a carrier scalar as its work-type value (exact).
* ``to_work(x, carrier)``: widen ``x`` then convert to ``carrier``'s work
  type (exact whenever that type is at least as wide, which callers ensure).
* ``narrow_like(x, carrier)``: round a work-type result to ``carrier``'s
  type (float16: round-to-nearest-even to half, kept as a float32 value).
* ``store(out, i, x)``: write a (already rounded) work value into ``out``.
* ``zero_of(x)`` / ``neg_zero_of(x)``: +0 / -0 of a scalar's or array's
  float type (numba's float literals are float64, which would promote).
* ``work_empty(carrier, n)``: an uninitialised work-type buffer.
"""

import numpy as np
from numba import types
from numba.extending import overload

from labelsieve._numba._half import float_to_half, half_to_float, round_half


def _dtype(t):
    return t.dtype if isinstance(t, types.Array) else t


def _is_half(t):
    return _dtype(t) == types.uint16


def _work_is_64(t):
    return _dtype(t) == types.float64


def widen(x):  # pragma: no cover - replaced by the overload in jitted code
    raise NotImplementedError


def to_work(x, carrier):  # pragma: no cover
    raise NotImplementedError


def narrow_like(x, carrier):  # pragma: no cover
    raise NotImplementedError


def store(out, i, x):  # pragma: no cover
    raise NotImplementedError


def zero_of(x):  # pragma: no cover
    raise NotImplementedError


def neg_zero_of(x):  # pragma: no cover
    raise NotImplementedError


def work_empty(carrier, n):  # pragma: no cover
    raise NotImplementedError


@overload(widen)
def _widen(x):
    if _is_half(x):
        return lambda x: half_to_float(x)
    if isinstance(x, types.Float):
        return lambda x: x
    return None


@overload(to_work)
def _to_work(x, carrier):
    if _work_is_64(carrier):
        return lambda x, carrier: np.float64(widen(x))
    return lambda x, carrier: np.float32(widen(x))


@overload(narrow_like)
def _narrow_like(x, carrier):
    if _is_half(carrier):
        return lambda x, carrier: round_half(np.float32(x))
    if _dtype(carrier) == types.float32:
        return lambda x, carrier: np.float32(x)
    if _dtype(carrier) == types.float64:
        return lambda x, carrier: np.float64(x)
    return None


@overload(store)
def _store(out, i, x):
    if _is_half(out):

        def impl(out, i, x):
            out[i] = float_to_half(np.float32(x))

        return impl

    def impl(out, i, x):
        out[i] = x

    return impl


@overload(zero_of)
def _zero_of(x):
    if _dtype(x) == types.float32:
        return lambda x: np.float32(0.0)
    if _dtype(x) == types.float64:
        return lambda x: np.float64(0.0)
    return None


@overload(neg_zero_of)
def _neg_zero_of(x):
    if _dtype(x) == types.float32:
        return lambda x: np.float32(-0.0)
    if _dtype(x) == types.float64:
        return lambda x: np.float64(-0.0)
    return None


@overload(work_empty)
def _work_empty(carrier, n):
    if _work_is_64(carrier):
        return lambda carrier, n: np.empty(n, np.float64)
    return lambda carrier, n: np.empty(n, np.float32)
