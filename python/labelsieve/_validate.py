"""Input checking and normalisation, done once per public call.

Everything here is O(N) over the labels plus two reductions (min, max) over
``pred_probs``; no N x K temporary is made unless the caller hands us a
non-contiguous, byte-swapped or non-float array, which is copied once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

SUPPORTED_FLOATS = (np.float16, np.float32, np.float64)
PROB_SLACK = 1e-6  # cleanlab accepts probabilities in [-1e-6, 1 + 1e-6]

FILTERS = (
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
)
SCORE_METHODS = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")


@dataclass(frozen=True)
class Inputs:
    """Validated inputs: labels as int32/int64 (uint8 when K <= 256 and the
    backend reads one-byte labels), pred_probs C-contiguous float."""

    labels: np.ndarray
    pred_probs: np.ndarray
    min_prob: float
    max_prob: float

    @property
    def n(self) -> int:
        return self.pred_probs.shape[0]

    @property
    def k(self) -> int:
        return self.pred_probs.shape[1]


def _labels_to_array(labels: Any) -> np.ndarray:
    if labels is None:
        raise TypeError("labels must be an array of integer class indices, got None")
    if hasattr(labels, "to_numpy"):  # pandas Series / single-column DataFrame
        arr = labels.to_numpy()
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
    else:
        arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {arr.shape}")
    if arr.dtype == np.bool_:
        raise TypeError("labels must be integer class indices, got a boolean array")
    if arr.dtype.kind in "USO":
        if arr.dtype.kind == "O" and all(isinstance(v, (int, np.integer)) for v in arr):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(
                f"labels must be integer class indices (0..K-1), got dtype {arr.dtype}; "
                "map class names to indices first"
            )
    if arr.dtype.kind == "f":
        if arr.size and (not np.all(np.isfinite(arr)) or np.any(arr != np.floor(arr))):
            raise ValueError("labels must be integer class indices; found non-integer values")
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"labels must be integer class indices, got dtype {arr.dtype}")
    return arr


def _labels_below(arr: np.ndarray, k: int) -> bool:
    """Every label in 0..k-1, from one read of the labels (min and max would
    take two): viewed as unsigned, a negative label exceeds every class."""
    if arr.dtype.kind == "i":
        arr = arr.view(arr.dtype.str.replace("i", "u"))
    return int(arr.max()) < k


def _native_int_labels(arr: np.ndarray, k: int) -> np.ndarray:
    """int32/int64 C-contiguous, aligned, native-endian view or (small) copy."""
    if arr.dtype.byteorder not in "=|" or not arr.flags.c_contiguous or not arr.flags.aligned:
        arr = np.require(arr, dtype=arr.dtype.newbyteorder("="), requirements=["C_CONTIGUOUS", "ALIGNED"])
    if arr.dtype in (np.dtype(np.int32), np.dtype(np.int64)):
        return arr
    return arr.astype(np.int32 if k < 2**31 else np.int64)


def as_pred_probs(pred_probs: Any) -> np.ndarray:
    """C-contiguous native float16/32/64 array (a copy only when unavoidable)."""
    if pred_probs is None:
        raise TypeError("pred_probs must be a 2-D array of probabilities, got None")
    arr = np.asarray(pred_probs)
    if arr.dtype.kind != "f" or arr.dtype.type not in SUPPORTED_FLOATS:
        raise TypeError(
            "pred_probs must be a float16, float32 or float64 array of probabilities, "
            f"got dtype {arr.dtype}"
        )
    if arr.ndim != 2:
        raise ValueError(f"pred_probs must be 2-D (num_examples x num_classes), got shape {arr.shape}")
    if arr.dtype.byteorder not in "=|" or not arr.flags.c_contiguous or not arr.flags.aligned:
        # Documented: Fortran-ordered, strided, byte-swapped (or misaligned) input is copied once.
        try:
            arr = np.require(arr, dtype=arr.dtype.newbyteorder("="), requirements=["C_CONTIGUOUS", "ALIGNED"])
        except MemoryError as error:  # e.g. a broadcast view of 2 x 2**40 entries
            raise MemoryError(
                f"pred_probs of shape {arr.shape} is not C-contiguous and its contiguous copy "
                f"({arr.size * arr.dtype.itemsize / 2**30:.3g} GiB) does not fit in memory"
            ) from error
    return arr


def range_buffer(pred_probs: np.ndarray) -> np.ndarray:
    """Where a backend writes (min, max) of pred_probs."""
    return np.empty(2, dtype=np.float64 if pred_probs.dtype == np.float64 else np.float32)


def check_prob_range(pred_probs: np.ndarray, backend: Any, n_threads: int) -> tuple[float, float]:
    """Reject NaN/inf and values outside [-1e-6, 1 + 1e-6]; return (min, max).
    One read of the array (the backend's value_range primitive)."""
    extremes = range_buffer(pred_probs)
    backend.value_range(pred_probs, extremes, n_threads)
    return check_extremes(extremes, pred_probs.dtype)


def check_extremes(extremes: np.ndarray, dtype: np.dtype) -> tuple[float, float]:
    """The checks of check_prob_range on (min, max) computed elsewhere."""
    lo, hi = extremes
    if np.isnan(lo) or np.isnan(hi):
        raise ValueError("pred_probs contains NaN values")
    if np.isinf(lo) or np.isinf(hi):
        raise ValueError("pred_probs contains infinite values")
    # Compared in the array's dtype, as cleanlab's validation does.
    dtype = np.dtype(dtype).type
    if lo < dtype(-PROB_SLACK) or hi > dtype(1 + PROB_SLACK):
        raise ValueError(
            f"pred_probs values must be between 0 and 1 (found min {float(lo):g}, max {float(hi):g})"
        )
    return float(lo), float(hi)


def check_inputs(
    labels: Any, pred_probs: Any, backend: Any, n_threads: int, check_range: bool = True, narrow: bool = False
) -> Inputs:
    """check_range=False: everything but the value range (min_prob and
    max_prob are NaN); the caller checks it with check_extremes.
    ``narrow``: the caller will read the labels in several passes (see
    _checked_labels)."""
    probs = as_pred_probs(pred_probs)
    arr = _labels_to_array(labels)
    n, k = probs.shape
    if arr.shape[0] != n:
        raise ValueError(
            f"labels and pred_probs must have the same length, got {arr.shape[0]} labels "
            f"and {n} rows of pred_probs"
        )
    if n == 0:
        raise ValueError("labels and pred_probs are empty (0 examples)")
    if k == 0:
        raise ValueError("pred_probs has 0 columns (classes)")
    kernel_labels = _checked_labels(arr, k, backend, n_threads, narrow)
    lo, hi = check_prob_range(probs, backend, n_threads) if check_range else (float("nan"), float("nan"))
    return Inputs(kernel_labels, probs, lo, hi)


def _checked_labels(arr: np.ndarray, k: int, backend: Any, n_threads: int, narrow: bool) -> np.ndarray:
    """Range-checked labels as the backend's kernels read them.  ``narrow``
    (the caller reads them in several passes): one byte each when K <= 256
    and the backend reads uint8 labels, else int32/int64.  The copy costs
    about one read of int64 labels and each later pass then reads 1 byte a
    label instead of 8: it pays from two passes on (find_issues 10M x 10
    ~0.93x the time, confident_joint ~0.89x; label_quality_scores, one pass,
    1.07x, so it does not narrow).  int32/int64 labels are checked and
    narrowed by the backend in one threaded read where that is faster than
    NumPy's two single-threaded ones (see _one_read_narrows_faster)."""
    one_byte = narrow and k <= 256 and getattr(backend, "reads_one_byte_labels", False)
    native = arr.dtype in _NARROWABLE and arr.flags.c_contiguous and arr.flags.aligned
    if one_byte and native and _one_read_narrows_faster(backend, n_threads):
        out = np.empty(arr.shape[0], np.uint8)
        if not backend.narrow_labels(arr, k, out, n_threads):
            _raise_label_range(arr, k)
        return out
    if not _labels_below(arr, k):
        _raise_label_range(arr, k)
    if one_byte:
        return np.require(arr, dtype=np.uint8, requirements=["C_CONTIGUOUS", "ALIGNED"])
    return _native_int_labels(arr, k)


_NARROWABLE = (np.dtype(np.int32), np.dtype(np.int64))  # native byte order


def _one_read_narrows_faster(backend: Any, n_threads: int) -> bool:
    """10M int64 labels: NumPy's check and astype take ~7.4 ms; a backend's
    one read ~4.0 ms with AVX-512 on one thread, ~10 ms otherwise (compilers
    narrow int64 to bytes slowly with SSE2/AVX2), ~5 ms on two threads."""
    return n_threads > 1 or getattr(backend, "simd_level", lambda: "")() == "avx512"


def _raise_label_range(arr: np.ndarray, k: int) -> NoReturn:
    lo_label = int(arr.min())
    if lo_label < 0:
        raise ValueError(f"labels must be non-negative class indices, found {lo_label}")
    raise ValueError(
        f"labels contain class {int(arr.max())} but pred_probs has only {k} columns "
        "(labels must be in 0..K-1)"
    )


def check_labels_only(labels: Any, num_classes: int) -> np.ndarray:
    """Labels for the K x K functions (no pred_probs)."""
    arr = _labels_to_array(labels)
    if arr.shape[0] == 0:
        raise ValueError("labels is empty")
    if not _labels_below(arr, num_classes):
        if int(arr.min()) < 0:
            raise ValueError("labels must be non-negative class indices")
        raise ValueError(
            f"labels contain class {int(arr.max())} but the matrix has only {num_classes} classes"
        )
    return _native_int_labels(arr, num_classes)


def check_square_matrix(matrix: Any, name: str) -> np.ndarray:
    arr = np.asarray(matrix)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty K x K matrix, got shape {arr.shape}")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def resolve_n_jobs(n_jobs: Any) -> int:
    """Thread count: None -> the CPUs this process may use."""
    if n_jobs is None:
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not Linux
            return max(1, os.cpu_count() or 1)
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)):
        raise TypeError(f"n_jobs must be a positive integer or None, got {n_jobs!r}")
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1 (or None for all cores), got {n_jobs}")
    return int(n_jobs)
