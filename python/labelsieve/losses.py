"""Noise-corrected cross-entropy losses in NumPy (loss and gradient).

Both losses train a classifier on noisy labels by modelling the noise
instead of trusting the labels ("change the model, not the loss"): the
network predicts the *true* class distribution ``p = softmax(logits)``, and
the loss compares the given label with the distribution of the *given*
label that ``p`` implies under a noise model:

* ``forward_corrected_cross_entropy``: ``p̃ = noise_matrix @ p`` per example,
  with cleanlab's convention ``noise_matrix[i][j] = P(given = i | true = j)``
  (columns sum to 1, as returned by :func:`labelsieve.estimate_noise`), so
  ``p̃[given] = sum_j noise_matrix[given, j] * p[j]``.
* ``noise_adapted_cross_entropy``: uniform noise of rate ``epsilon``,
  ``p̃ = epsilon / K + (1 - epsilon) * p``.  This is forward correction
  with ``noise_matrix = epsilon / K + (1 - epsilon) * I``.

The loss of example ``n`` is ``-log p̃[n, labels[n]]``.  Everything is
computed in log space (log-softmax and log-sum-exp), so huge logits and
near-zero probabilities neither overflow nor lose the gradient.  The
gradient with respect to the logits has the closed form ``p - q`` where
``q[j] = noise_matrix[given, j] * p[j] / p̃[given]`` is the posterior of the
true class given the noisy label.

The same losses for PyTorch are in :mod:`labelsieve.torch`.
"""

from __future__ import annotations

from typing import Any, Tuple, Union

import numpy as np

ArrayLike = Any
REDUCTIONS = ("mean", "sum", "none")
COLUMN_SUM_TOLERANCE = 1e-6  # |sum_i noise_matrix[i, j] - 1| allowed per column


def _check_logits(logits: ArrayLike) -> np.ndarray:
    arr = np.asarray(logits)
    if arr.dtype.kind not in "fiu" or arr.dtype == np.bool_:
        raise TypeError(f"logits must be a real-valued array, got dtype {arr.dtype}")
    if arr.dtype.kind != "f" or arr.dtype == np.float16:
        arr = arr.astype(np.float64)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"logits must have shape (N, K) with N >= 1 and K >= 1, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("logits must be finite (found NaN or inf)")
    return arr


def _check_labels(labels: ArrayLike, n: int, k: int) -> np.ndarray:
    arr = np.asarray(labels)
    if arr.dtype.kind not in "iu" or arr.dtype == np.bool_:
        raise TypeError(f"labels must be integer class indices, got dtype {arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(f"labels must have shape ({n},) to match logits, got {arr.shape}")
    if n and (arr.min() < 0 or arr.max() >= k):
        raise ValueError(f"labels must be class indices in [0, {k - 1}], got values in [{arr.min()}, {arr.max()}]")
    return arr.astype(np.intp, copy=False)


def check_epsilon(epsilon: Any) -> float:
    """``epsilon`` as a float in [0, 1]; TypeError/ValueError otherwise."""
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float, np.integer, np.floating)):
        raise TypeError(f"epsilon must be a number in [0, 1], got {epsilon!r}")
    value = float(epsilon)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon!r}")
    return value


def check_noise_matrix(noise_matrix: ArrayLike, k: Union[int, None] = None) -> np.ndarray:
    """``noise_matrix`` as a float64 K x K array whose columns sum to 1.

    Convention (cleanlab's): ``noise_matrix[i][j] = P(given = i | true = j)``.
    A matrix whose *rows* sum to 1 instead (most likely transposed) is
    rejected with a message saying so."""
    arr = np.asarray(noise_matrix)
    if arr.dtype.kind not in "fiu" or arr.dtype == np.bool_:
        raise TypeError(f"noise_matrix must be a real-valued array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise ValueError(f"noise_matrix must be a square K x K matrix, got shape {arr.shape}")
    if k is not None and arr.shape[0] != k:
        raise ValueError(f"noise_matrix must be {k} x {k} to match the {k} logits per example, got {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr > 1):
        raise ValueError("noise_matrix entries must be probabilities in [0, 1]")
    sums = arr.sum(axis=0)
    if np.any(np.abs(sums - 1.0) > COLUMN_SUM_TOLERANCE):
        worst = int(np.argmax(np.abs(sums - 1.0)))
        raise ValueError(
            "noise_matrix columns must sum to 1 (noise_matrix[i][j] = P(given=i | true=j)); "
            f"column {worst} sums to {sums[worst]!r}; a matrix whose rows sum to 1 is probably transposed"
        )
    return arr


def uniform_noise_matrix(epsilon: float, k: int) -> np.ndarray:
    """The K x K noise matrix of uniform noise: ``epsilon / K + (1 - epsilon) * I``."""
    eps = check_epsilon(epsilon)
    return np.full((k, k), eps / k) + (1.0 - eps) * np.eye(k)


def _check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


def _log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _forward_loss(
    logits: np.ndarray, labels: np.ndarray, log_noise: np.ndarray, reduction: str
) -> Tuple[Union[float, np.ndarray], np.ndarray]:
    """Loss and gradient of ``-log (noise @ softmax(z))[label]`` per row, given
    ``log_noise = log(noise_matrix)`` (``-inf`` for zero entries)."""
    log_p = _log_softmax(logits)
    terms = log_noise[labels].astype(logits.dtype, copy=False) + log_p  # log(nm[y, j] * p[j])
    peak = terms.max(axis=1, keepdims=True)
    if not np.all(np.isfinite(peak)):
        bad = int(labels[np.flatnonzero(~np.isfinite(peak[:, 0]))[0]])
        raise ValueError(
            f"noise_matrix row {bad} is all zero, so the given label {bad} has probability 0 "
            "under the noise model (infinite loss)"
        )
    exp_terms = np.exp(terms - peak)
    norm = exp_terms.sum(axis=1, keepdims=True)
    log_p_tilde = (peak + np.log(norm))[:, 0]
    losses = -log_p_tilde
    grad = np.exp(log_p) - exp_terms / norm  # p - q, q = posterior of the true class
    if reduction == "mean":
        n = logits.shape[0]
        return float(losses.mean()), grad / n
    if reduction == "sum":
        return float(losses.sum()), grad
    return losses, grad


def forward_corrected_cross_entropy(
    logits: ArrayLike, labels: ArrayLike, noise_matrix: ArrayLike, *, reduction: str = "mean"
) -> Tuple[Union[float, np.ndarray], np.ndarray]:
    """Forward-corrected cross-entropy and its gradient with respect to ``logits``.

    ``p = softmax(logits)`` is the model's distribution of the true class;
    the loss of example n is ``-log p̃[n, labels[n]]`` with
    ``p̃[n, i] = sum_j noise_matrix[i, j] * p[n, j]``, where
    ``noise_matrix[i][j] = P(given = i | true = j)`` (columns sum to 1; the
    matrix :func:`labelsieve.estimate_noise` returns second).

    Parameters: ``logits`` (N, K) float (float32 stays float32, anything else
    becomes float64); ``labels`` (N,) integer given labels in [0, K);
    ``noise_matrix`` (K, K); ``reduction`` "mean" (default), "sum" or "none".

    Returns ``(loss, grad)``: the mean (or sum) loss as a float — or the N
    per-example losses with ``reduction="none"`` — and the (N, K) gradient of
    that loss with respect to ``logits`` (for "none": row n is the gradient
    of example n's loss).

    Example::

        py, noise_matrix, inv, cj = labelsieve.estimate_noise(labels, pred_probs)
        loss, grad = labelsieve.forward_corrected_cross_entropy(logits, labels, noise_matrix)
    """
    z = _check_logits(logits)
    y = _check_labels(labels, *z.shape)
    nm = check_noise_matrix(noise_matrix, z.shape[1])
    with np.errstate(divide="ignore"):
        log_noise = np.log(nm)
    return _forward_loss(z, y, log_noise, _check_reduction(reduction))


def noise_adapted_cross_entropy(
    logits: ArrayLike, labels: ArrayLike, epsilon: float, *, reduction: str = "mean"
) -> Tuple[Union[float, np.ndarray], np.ndarray]:
    """Cross-entropy under uniform label noise and its gradient w.r.t. ``logits``.

    The loss of example n is ``-log p̃[n, labels[n]]`` with
    ``p̃ = epsilon / K + (1 - epsilon) * softmax(logits)``: with probability
    ``epsilon`` a label was replaced by a class drawn uniformly from all K
    (so a wrong label has probability ``epsilon * (K - 1) / K``).
    ``epsilon=0`` is plain cross-entropy; ``epsilon=1`` gives a constant
    loss ``log K`` and a zero gradient.

    Same arguments and return value as :func:`forward_corrected_cross_entropy`
    with ``epsilon`` in [0, 1] instead of the noise matrix.

    Example::

        loss, grad = labelsieve.noise_adapted_cross_entropy(logits, labels, epsilon=0.3)
    """
    z = _check_logits(logits)
    y = _check_labels(labels, *z.shape)
    nm = uniform_noise_matrix(epsilon, z.shape[1])
    with np.errstate(divide="ignore"):
        log_noise = np.log(nm)
    return _forward_loss(z, y, log_noise, _check_reduction(reduction))
