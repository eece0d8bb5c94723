"""Noise-corrected cross-entropy losses for PyTorch.

``import labelsieve`` never imports torch; importing this module does
(``pip install "labelsieve[torch]"``).  The losses are the ones of
:mod:`labelsieve.losses` (same formulas, same conventions) as
``torch.nn.Module`` s, differentiated by autograd:

* :class:`ForwardCorrectedCrossEntropy` ``(noise_matrix)``: ``-log (noise_matrix @ softmax(logits))[label]``
  with ``noise_matrix[i][j] = P(given = i | true = j)`` (columns sum to 1,
  e.g. the second value returned by :func:`labelsieve.estimate_noise`);
* :class:`NoiseAdaptedCrossEntropy` ``(epsilon)``: ``-log (epsilon / K + (1 - epsilon) * softmax(logits))[label]``.

Example::

    from labelsieve.torch import ForwardCorrectedCrossEntropy
    py, noise_matrix, inv, cj = labelsieve.estimate_noise(labels, pred_probs)
    loss_fn = ForwardCorrectedCrossEntropy(noise_matrix)
    loss = loss_fn(model(x), y)      # y: given (noisy) labels
    loss.backward()
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labelsieve.losses import _check_reduction, check_epsilon, check_noise_matrix, uniform_noise_matrix

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ImportError(
        'labelsieve.torch needs PyTorch: pip install "labelsieve[torch]" (or install torch)'
    ) from exc

__all__ = ["ForwardCorrectedCrossEntropy", "NoiseAdaptedCrossEntropy", "forward_corrected_loss"]


def _check_inputs(logits: "torch.Tensor", labels: "torch.Tensor", k: int) -> None:
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise TypeError("logits must be a floating-point torch.Tensor")
    if logits.ndim != 2 or logits.shape[0] == 0:
        raise ValueError(f"logits must have shape (N, K) with N >= 1, got {tuple(logits.shape)}")
    if logits.shape[1] != k:
        raise ValueError(f"logits must have {k} columns (one per class of the noise matrix), got {logits.shape[1]}")
    if (
        not isinstance(labels, torch.Tensor)
        or labels.dtype.is_floating_point
        or labels.dtype.is_complex
        or labels.dtype == torch.bool
    ):
        raise TypeError("labels must be an integer torch.Tensor of class indices")
    if labels.shape != (logits.shape[0],):
        raise ValueError(f"labels must have shape ({logits.shape[0]},) to match logits, got {tuple(labels.shape)}")
    if int(labels.min()) < 0 or int(labels.max()) >= k:
        raise ValueError(f"labels must be class indices in [0, {k - 1}]")


def forward_corrected_loss(
    logits: "torch.Tensor", labels: "torch.Tensor", log_noise: "torch.Tensor", reduction: str = "mean"
) -> "torch.Tensor":
    """``-log sum_j exp(log_noise[label, j] + log_softmax(logits)[j])`` per
    row, reduced; ``log_noise = log(noise_matrix)`` (``-inf`` for zeros).
    The functional form behind both modules (inputs checked by the modules)."""
    terms = log_noise.to(logits.dtype)[labels.long()] + torch.log_softmax(logits, dim=1)
    losses = -torch.logsumexp(terms, dim=1)
    if not bool(torch.isfinite(losses).all()):
        raise ValueError("a given label has probability 0 under the noise matrix (an all-zero row): infinite loss")
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


class _NoiseModelLoss(nn.Module):
    """Cross-entropy of the given labels under a fixed K x K noise model."""

    def __init__(self, noise_matrix: np.ndarray, reduction: str) -> None:
        super().__init__()
        self.reduction = _check_reduction(reduction)
        with np.errstate(divide="ignore"):
            log_noise = np.log(noise_matrix)
        self.register_buffer("log_noise", torch.as_tensor(log_noise, dtype=torch.float64))

    @property
    def num_classes(self) -> int:
        return int(self.log_noise.shape[0])

    def forward(self, logits: "torch.Tensor", labels: "torch.Tensor") -> "torch.Tensor":
        """Loss of ``logits`` (N, K) against the given ``labels`` (N,)."""
        _check_inputs(logits, labels, self.num_classes)
        return forward_corrected_loss(logits, labels, self.log_noise.to(logits.device), self.reduction)


class ForwardCorrectedCrossEntropy(_NoiseModelLoss):
    """Forward-corrected cross-entropy: ``-log (noise_matrix @ softmax(logits))[label]``.

    ``noise_matrix[i][j] = P(given = i | true = j)`` (K x K, columns sum to
    1; numpy array, list or tensor).  ``reduction``: "mean", "sum" or
    "none".  The model's softmax then estimates the *true* class."""

    def __init__(self, noise_matrix: Any, reduction: str = "mean") -> None:
        if isinstance(noise_matrix, torch.Tensor):
            noise_matrix = noise_matrix.detach().cpu().numpy()
        super().__init__(check_noise_matrix(noise_matrix), reduction)


class NoiseAdaptedCrossEntropy(nn.Module):
    """Cross-entropy under uniform noise: ``-log (epsilon / K + (1 - epsilon) * softmax(logits))[label]``.

    ``epsilon`` in [0, 1]; the number of classes K is taken from the logits.
    ``reduction``: "mean", "sum" or "none"."""

    def __init__(self, epsilon: float, reduction: str = "mean") -> None:
        super().__init__()
        self.epsilon = check_epsilon(epsilon)
        self.reduction = _check_reduction(reduction)
        self._log_noise: dict = {}  # K -> log of the uniform noise matrix (float64, CPU)

    def forward(self, logits: "torch.Tensor", labels: "torch.Tensor") -> "torch.Tensor":
        """Loss of ``logits`` (N, K) against the given ``labels`` (N,)."""
        k = logits.shape[-1] if isinstance(logits, torch.Tensor) and logits.ndim == 2 else -1
        _check_inputs(logits, labels, k)
        if k not in self._log_noise:
            with np.errstate(divide="ignore"):
                self._log_noise[k] = torch.as_tensor(np.log(uniform_noise_matrix(self.epsilon, k)))
        return forward_corrected_loss(logits, labels, self._log_noise[k].to(logits.device), self.reduction)

    def extra_repr(self) -> str:
        return f"epsilon={self.epsilon}, reduction={self.reduction!r}"
