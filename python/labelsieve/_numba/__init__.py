"""The numba backend: the primitives of ``labelsieve._backend``.

Same signatures and bit-identical results as the C++ extension and as the
NumPy reference rendering of the contract.  This module only normalises the
arguments (float16 arrays are handed to the kernels as their uint16 bits,
memory-mapped arrays as plain ndarrays), sets numba's thread count for the
call, and dispatches to ``_kernels``.
"""

from __future__ import annotations

from contextlib import contextmanager

import numba
import numpy as np

from labelsieve._numba import _kernels, _multilabel

__all__ = [
    "class_sums",
    "joint_pass",
    "row_stats",
    "value_range",
    "narrow_labels",
    "entropy_sums",
    "prune_by_noise_rate",
    "prune_by_class",
    "select_lowest",
    "multilabel_sums",
    "multilabel_joint_pass",
    "multilabel_select",
    "multilabel_ema_scores",
]

# The kernels take uint8 labels too (numba compiles them per label type): the
# caller narrows checked labels to one byte for calls that read them in
# several passes (labelsieve._validate._checked_labels).
reads_one_byte_labels = True

_HALF_BOOST = np.float32(np.float16(1e-6))  # float16(1e-6), widened exactly


def _carrier(a: np.ndarray) -> np.ndarray:
    """An input as numba gets it: a plain C-contiguous ndarray (no subclass
    such as np.memmap), float16 as its uint16 bits, and always a read-only
    view, so writable and read-only inputs share one compiled kernel."""
    a = np.ascontiguousarray(a)  # no copy for C-contiguous input
    view = a.view(np.uint16) if a.dtype == np.float16 else a.view()
    view.flags.writeable = False
    return view


def _out(a: np.ndarray) -> np.ndarray:
    if not (isinstance(a, np.ndarray) and a.flags.c_contiguous and a.flags.writeable):
        raise ValueError("output arrays must be writable C-contiguous ndarrays")
    return a.view(np.uint16) if a.dtype == np.float16 else a


def _require_labels_in_range(labels_ok: bool, pred_probs) -> None:
    """The kernels skip rows whose label is outside [0, K) and report it;
    same message as the C++ core."""
    if not labels_ok:
        k = np.shape(pred_probs)[1]
        raise ValueError(
            f"labels must be integers in [0, {k}) (the number of columns of pred_probs)"
        )


def _require_output(a, dtype, shape, name, what) -> None:
    if not isinstance(a, np.ndarray) or a.dtype != dtype:
        raise TypeError(f"{name} must have dtype {np.dtype(dtype).name}, got {getattr(a, 'dtype', type(a).__name__)}")
    if a.shape != shape:
        raise ValueError(f"{name} must have {' x '.join(map(str, shape))} {what}, got {a.shape}")


@contextmanager
def _threads(n_threads):
    wanted = max(1, min(int(n_threads), numba.config.NUMBA_NUM_THREADS))
    previous = numba.get_num_threads()
    numba.set_num_threads(wanted)
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def class_sums(labels, pred_probs, out_counts, out_sums, n_threads, out_range=None):
    through_buffer = np.asarray(pred_probs).dtype == np.float16
    sums = _out(out_sums)
    # An empty range buffer means "not wanted" (one compiled signature for both).
    range_out = np.empty(0, sums.dtype) if out_range is None else _out(out_range)
    with _threads(n_threads):
        ok = _kernels.class_sums(
            _carrier(labels), _carrier(pred_probs), _out(out_counts), sums, through_buffer, range_out
        )
    _require_labels_in_range(ok, pred_probs)


def joint_pass(labels, pred_probs, cut, paper_rule, out_guess, out_joint, out_flags, n_threads):
    if out_guess is not None and out_flags is None:
        raise TypeError("out_guess needs out_flags: pass both, out_flags alone, or neither")
    # Outputs not wanted reach the kernel empty: it skips them.  The kernel
    # writes them unchecked, so their dtypes and shapes are checked here
    # (TypeError / ValueError naming the argument, as the C++ binding raises).
    n, k = np.shape(pred_probs)
    if out_guess is None:
        out_guess = np.empty(0, np.int32)
    else:
        _require_output(out_guess, np.int32, (n,), "out_guess", "entries")
    if out_flags is None:
        out_flags = np.empty(0, np.uint8)
    else:
        _require_output(out_flags, np.uint8, (n,), "out_flags", "entries")
    _require_output(out_joint, np.int64, (k, k), "out_joint", "rows and columns")
    p = _carrier(pred_probs)
    if p.dtype == np.uint16:
        boost = _HALF_BOOST
    else:
        boost = p.dtype.type(1e-6)
    with _threads(n_threads):
        ok = _kernels.joint_pass(
            _carrier(labels), p, _carrier(cut), bool(paper_rule), boost,
            _out(out_guess), _out(out_joint), _out(out_flags), numba.get_num_threads(),
        )
    _require_labels_in_range(ok, pred_probs)


_ALL_ROWS = np.empty(0, dtype=np.int64)


def _check_rows(rows, n):
    if rows is None:
        return _carrier(_ALL_ROWS)
    if not isinstance(rows, np.ndarray) or rows.dtype != np.int64 or rows.ndim != 1:
        raise TypeError("rows must be None or a 1-D int64 array")
    if rows.size and (rows.min() < 0 or rows.max() >= n):
        raise ValueError("rows must be row indices in [0, N)")
    return _carrier(rows)


def row_stats(labels, pred_probs, shift, out_self, out_other, n_threads, rows=None, out_range=None):
    if out_range is not None and (shift is not None or rows is not None):
        raise TypeError("out_range may be given only without a shift and without rows")
    labels, p = _carrier(labels), _carrier(pred_probs)
    row_list = _check_rows(rows, p.shape[0])
    expected = p.shape[0] if rows is None else row_list.shape[0]
    self_only = out_other is None
    if self_only:
        if shift is not None:
            raise TypeError("out_other may be None only without a shift")
        out_other = np.empty(0, dtype=np.asarray(out_self).dtype)  # the kernels' "not wanted"
    out_self, out_other = _out(out_self), _out(out_other)
    if out_self.shape[0] != expected or (out_other.shape[0] != expected and not self_only):
        raise ValueError(f"out_self and out_other must have {expected} entries")
    with _threads(n_threads):
        if shift is None:
            ok = _kernels.row_stats_plain(labels, p, row_list, out_self, out_other)
        else:
            t, tmax = shift
            ok = _kernels.row_stats_shifted(labels, p, _carrier(t), _carrier(tmax), row_list, out_self, out_other)
    _require_labels_in_range(ok, pred_probs)
    if out_range is not None:  # a second read here (the C++ core folds it into the same pass)
        value_range(pred_probs, out_range, n_threads)


def value_range(pred_probs, out, n_threads):
    with _threads(n_threads):
        _kernels.value_range(_carrier(pred_probs), _out(out))


def narrow_labels(labels, k, out, n_threads):
    labels = _carrier(labels)
    if labels.dtype not in (np.int32, np.int64) or labels.ndim != 1:
        raise TypeError("labels must be a 1-D int32 or int64 array to be narrowed")
    if not 1 <= k <= 256:
        raise ValueError(f"k must be in 1..256 to narrow labels to one byte, got {k}")
    out = _out(out)
    if out.dtype != np.uint8 or out.shape != labels.shape:
        raise ValueError(f"out must be a uint8 array of {labels.shape[0]} entries")
    with _threads(n_threads):
        return bool(_kernels.narrow_labels(labels, np.int64(k), out))


def entropy_sums(pred_probs, out, n_threads):
    with _threads(n_threads):
        _kernels.entropy_sums(_carrier(pred_probs), _out(out))


def prune_by_noise_rate(labels, pred_probs, prune_counts, class_ok, out_mask, n_threads):
    with _threads(n_threads):
        ok = _kernels.prune_by_noise_rate(
            _carrier(labels), _carrier(pred_probs), _carrier(prune_counts), _carrier(class_ok),
            _out(out_mask), numba.get_num_threads(),
        )
    _require_labels_in_range(ok, pred_probs)


def prune_by_class(labels, pred_probs, num_per_class, out_mask, n_threads):
    with _threads(n_threads):
        ok = _kernels.prune_by_class(
            _carrier(labels), _carrier(pred_probs), _carrier(num_per_class), _out(out_mask)
        )
    _require_labels_in_range(ok, pred_probs)


def select_lowest(scores, count, out_mask, n_threads):
    with _threads(n_threads):
        _kernels.select_lowest(_carrier(scores), int(count), _out(out_mask))


def multilabel_sums(onehot, pred_probs, out_counts, out_sums, n_threads):
    through_buffer = np.asarray(pred_probs).dtype == np.float16
    with _threads(n_threads):
        _multilabel.multilabel_sums(
            _carrier(onehot), _carrier(pred_probs), _out(out_counts), _out(out_sums), through_buffer
        )


def multilabel_joint_pass(onehot, pred_probs, cut, out_joint, out_codes, n_threads):
    p = _carrier(pred_probs)
    boost = _HALF_BOOST if p.dtype == np.uint16 else p.dtype.type(1e-6)
    with _threads(n_threads):
        _multilabel.multilabel_joint_pass(_carrier(onehot), p, _carrier(cut), boost, _out(out_joint), _out(out_codes))


def multilabel_select(onehot, pred_probs, sizes, by_margin, out_mask, n_threads):
    with _threads(n_threads):
        _multilabel.multilabel_select(
            _carrier(onehot), _carrier(pred_probs), _carrier(sizes), bool(by_margin), _out(out_mask).reshape(-1)
        )


def multilabel_ema_scores(onehot, pred_probs, margin, alpha, out, n_threads):
    with _threads(n_threads):
        _multilabel.multilabel_ema_scores(_carrier(onehot), _carrier(pred_probs), bool(margin), float(alpha), _out(out))
