"""Type stub for ``labelsieve._core``, the compiled C++ backend.

The primitives and their exact results are specified in
``labelsieve._backend`` (the primitive contract).  Every function checks its
arguments (raising ``TypeError``/``ValueError`` naming the argument), writes
into the caller's preallocated ``out_*`` arrays and returns ``None``
(``narrow_labels`` returns whether every label was in range).  Inputs
are read in place and never modified.
"""

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

#: Labels: 1-D C-contiguous int32 or int64, values in [0, K).
Labels: TypeAlias = npt.NDArray[np.int32] | npt.NDArray[np.int64] | npt.NDArray[np.uint8]
#: Predicted probabilities (N, K) or scores (N,): float16, float32 or float64, C-contiguous.
Floats: TypeAlias = npt.NDArray[np.float16] | npt.NDArray[np.float32] | npt.NDArray[np.float64]
#: The accumulator type: float32 for float16/float32 input, float64 for float64 input.
Accumulators: TypeAlias = npt.NDArray[np.float32] | npt.NDArray[np.float64]

reads_one_byte_labels: bool

def narrow_labels(
    labels: npt.NDArray[np.int32] | npt.NDArray[np.int64],
    k: int,
    out: npt.NDArray[np.uint8],
    n_threads: int,
) -> bool: ...

def value_range(
    pred_probs: Floats,
    out: Accumulators,
    n_threads: int,
) -> None: ...
def class_sums(
    labels: Labels,
    pred_probs: Floats,
    out_counts: npt.NDArray[np.int64],
    out_sums: Accumulators,
    n_threads: int,
    out_range: Accumulators | None = None,
) -> None: ...
def joint_pass(
    labels: Labels,
    pred_probs: Floats,
    cut: Accumulators,
    paper_rule: bool,
    out_guess: npt.NDArray[np.int32] | None,
    out_joint: npt.NDArray[np.int64],
    out_flags: npt.NDArray[np.uint8] | None,
    n_threads: int,
) -> None: ...
def row_stats(
    labels: Labels,
    pred_probs: Floats,
    shift: tuple[Floats, Floats] | None,
    out_self: Floats,
    out_other: Floats | None,
    n_threads: int,
    rows: npt.NDArray[np.int64] | None = None,
    out_range: Accumulators | None = None,
) -> None: ...
def entropy_sums(
    pred_probs: Floats,
    out: Accumulators,
    n_threads: int,
) -> None: ...
def prune_by_noise_rate(
    labels: Labels,
    pred_probs: Floats,
    prune_counts: npt.NDArray[np.int64],
    class_ok: npt.NDArray[np.uint8],
    out_mask: npt.NDArray[np.uint8],
    n_threads: int,
) -> None: ...
def prune_by_class(
    labels: Labels,
    pred_probs: Floats,
    num_per_class: npt.NDArray[np.int64],
    out_mask: npt.NDArray[np.uint8],
    n_threads: int,
) -> None: ...
def multilabel_sums(
    onehot: npt.NDArray[np.uint8],
    pred_probs: Floats,
    out_counts: npt.NDArray[np.int64],
    out_sums: Accumulators,
    n_threads: int,
) -> None: ...
def multilabel_joint_pass(
    onehot: npt.NDArray[np.uint8],
    pred_probs: Floats,
    cut: Accumulators,
    out_joint: npt.NDArray[np.int64],
    out_codes: npt.NDArray[np.uint8],
    n_threads: int,
) -> None: ...
def multilabel_select(
    onehot: npt.NDArray[np.uint8],
    pred_probs: Floats,
    sizes: npt.NDArray[np.int64],
    by_margin: bool,
    out_mask: npt.NDArray[np.uint8],
    n_threads: int,
) -> None: ...
def multilabel_ema_scores(
    onehot: npt.NDArray[np.uint8],
    pred_probs: Floats,
    margin: bool,
    alpha: float,
    out: npt.NDArray[np.float64],
    n_threads: int,
) -> None: ...
def multilabel_select(
    onehot: npt.NDArray[np.uint8],
    pred_probs: Floats,
    sizes: npt.NDArray[np.int64],
    by_margin: bool,
    out_mask: npt.NDArray[np.uint8],
    n_threads: int,
) -> None: ...
def multilabel_ema_scores(
    onehot: npt.NDArray[np.uint8],
    pred_probs: Floats,
    margin: bool,
    alpha: float,
    out: npt.NDArray[np.float64],
    n_threads: int,
) -> None: ...
def select_lowest(
    scores: Floats,
    count: int,
    out_mask: npt.NDArray[np.uint8],
    n_threads: int,
) -> None: ...
def simd_level() -> str:
    """The SIMD loops the C++ core runs on this CPU now: ``"avx512"``,
    ``"avx2"`` or ``"portable"`` (``LABELSIEVE_SIMD=off`` forces portable,
    ``LABELSIEVE_SIMD=avx2`` caps it at AVX2)."""
