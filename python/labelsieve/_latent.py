"""Latent algebra on K x K matrices (SPEC 2.8, 2.9).

Notation: ``noise_matrix[s][y] = P(given=s | true=y)`` and
``inverse_noise_matrix[y][s] = P(true=y | given=s)`` (columns sum to 1),
``ps[s] = P(given=s)``, ``py[y] = P(true=y)``.  All float64.  Expressions keep
the operand layouts SPEC describes, because axis sums of Fortran- vs
C-ordered matrices round differently for K >= 8.
"""

from __future__ import annotations

import numpy as np

from labelsieve._kxk import TINY_VALUE, class_counts

PY_METHODS = ("cnt", "eqn", "marginal", "marginal_ps")
NOISE_RATE_CAP = 0.9999


def clip_noise_rates(matrix: np.ndarray) -> np.ndarray:
    """Off-diagonal rates into [0, 0.9999], diagonal kept, columns renormalised."""
    diagonal = np.diagonal(matrix)
    clipped = np.clip(matrix, 0, NOISE_RATE_CAP)
    np.fill_diagonal(clipped, diagonal)
    return clipped / np.clip(clipped.sum(axis=0), TINY_VALUE, None)


def clip_values(x: np.ndarray, low: float, high: float, new_sum: float | None = None) -> np.ndarray:
    total = np.sum(x) if new_sum is None else new_sum
    x = np.clip(x, low, high)
    return x * total / np.clip(np.sum(x), TINY_VALUE, None)


def compute_py(
    ps: np.ndarray,
    noise_matrix: np.ndarray,
    inverse_noise_matrix: np.ndarray,
    py_method: str = "cnt",
    true_labels_class_counts: np.ndarray | None = None,
) -> np.ndarray:
    if py_method == "cnt":
        py = (
            inverse_noise_matrix.diagonal()
            / np.clip(noise_matrix.diagonal(), TINY_VALUE, None)
            * ps
        )
    elif py_method == "eqn":
        py = np.linalg.inv(noise_matrix).dot(ps)
    elif py_method == "marginal":
        if true_labels_class_counts is None:
            raise ValueError("py_method='marginal' needs true_labels_class_counts")
        total = float(sum(true_labels_class_counts))
        py = true_labels_class_counts / np.clip(total, TINY_VALUE, None)
    elif py_method == "marginal_ps":
        py = np.dot(inverse_noise_matrix, ps)
    else:
        raise ValueError(f"py_method must be one of {', '.join(PY_METHODS)}; got {py_method!r}")
    return clip_values(py, low=1e-6, high=1.0, new_sum=1.0)


def compute_inv_noise_matrix(py: np.ndarray, noise_matrix: np.ndarray, ps: np.ndarray) -> np.ndarray:
    joint = noise_matrix * py
    return clip_noise_rates(joint.T / np.clip(ps, TINY_VALUE, None))


def compute_noise_matrix_from_inverse(
    ps: np.ndarray, inverse_noise_matrix: np.ndarray, py: np.ndarray
) -> np.ndarray:
    joint = (inverse_noise_matrix * ps).T
    return clip_noise_rates(joint / np.clip(py, TINY_VALUE, None))


def _converge(ps, py, noise_matrix, inverse_noise_matrix, inner: int = 5, outer: int = 3):
    for _ in range(outer):
        for _ in range(inner):
            inverse_noise_matrix = compute_inv_noise_matrix(py, noise_matrix, ps)
            py = compute_py(ps, noise_matrix, inverse_noise_matrix)
        noise_matrix = compute_noise_matrix_from_inverse(ps, inverse_noise_matrix, py)
    return py, noise_matrix, inverse_noise_matrix


def estimate_latent_from_joint(
    confident_joint: np.ndarray,
    labels: np.ndarray,
    py_method: str = "cnt",
    converge_latent_estimates: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(py, noise_matrix, inverse_noise_matrix) from a confident joint."""
    if py_method not in PY_METHODS:
        raise ValueError(f"py_method must be one of {', '.join(PY_METHODS)}; got {py_method!r}")
    num_classes = len(confident_joint)
    ps = class_counts(labels, num_classes) / float(len(labels))
    given_totals = confident_joint.sum(axis=1).astype(float)
    true_totals = confident_joint.sum(axis=0).astype(float)
    noise_matrix = confident_joint / np.clip(true_totals, TINY_VALUE, None)
    inverse_noise_matrix = confident_joint.T / np.clip(given_totals, TINY_VALUE, None)
    py = compute_py(ps, noise_matrix, inverse_noise_matrix, py_method, true_totals)
    noise_matrix = clip_noise_rates(noise_matrix)
    inverse_noise_matrix = clip_noise_rates(inverse_noise_matrix)
    if converge_latent_estimates:
        py, noise_matrix, inverse_noise_matrix = _converge(ps, py, noise_matrix, inverse_noise_matrix)
        py = clip_values(py, low=1e-5, high=1.0, new_sum=1.0)
        noise_matrix = clip_noise_rates(noise_matrix)
        inverse_noise_matrix = clip_noise_rates(inverse_noise_matrix)
    return py, noise_matrix, inverse_noise_matrix
