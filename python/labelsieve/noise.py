"""Synthetic label noise for benchmarks: random noise matrices with a given
trace and noisy labels drawn from them.

Same parameters and, for the same seed, the same numbers as cleanlab 2.9.0's
``cleanlab.benchmarking.noise_generation``: every random draw comes from
NumPy's legacy ``RandomState`` (MT19937) in the same order (SPEC 2.14).

Randomness, as in cleanlab: an integer ``seed`` given to
:func:`generate_noise_matrix_from_trace` re-seeds NumPy's *global* legacy
generator (``np.random.seed``), and :func:`generate_noisy_labels` by default
continues drawing from that global generator, so the usual two-step recipe
gives cleanlab's labels too.  Pass a ``numpy.random.RandomState`` instead
(``seed=`` / ``random_state=``) to leave the global state alone.

    noise_matrix[s][y] = P(given label = s | true label = y)   (columns sum to 1)
"""

from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np

from labelsieve._validate import _labels_to_array, check_square_matrix

ArrayLike = Any
SLACK = 1e-6  # cleanlab's floating-point comparison slack

__all__ = ["generate_noise_matrix_from_trace", "generate_noisy_labels", "noise_matrix_is_valid"]


# ------------------------------------------------------------------ input checks


def _as_py(py: ArrayLike, k: int) -> np.ndarray:
    arr = np.asarray(py, dtype=np.float64)
    if arr.shape != (k,):
        raise ValueError(f"py must have shape ({k},) (one prior per class), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("py contains NaN or infinite values")
    return arr


def _as_noise_matrix(noise_matrix: ArrayLike) -> np.ndarray:
    matrix = check_square_matrix(noise_matrix, "noise_matrix")
    return matrix.astype(np.float64, copy=False)


def _check_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    return int(value)


def _check_number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def _generator(random_state: Any) -> Any:
    """None -> NumPy's global legacy generator; int -> a new RandomState;
    RandomState -> itself."""
    if random_state is None:
        return np.random
    if isinstance(random_state, np.random.RandomState):
        return random_state
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return np.random.RandomState(random_state)
    raise TypeError(
        "random_state must be None (NumPy's global generator), an int seed or a "
        f"numpy.random.RandomState, got {type(random_state).__name__}"
    )


# ------------------------------------------------------------------ the three public functions


def noise_matrix_is_valid(noise_matrix: ArrayLike, py: ArrayLike, *, verbose: bool = False) -> bool:
    """True if ``noise_matrix`` (P(given | true)) with true-class priors
    ``py`` is learnable by confident learning: the joint ``noise_matrix * py``
    sums to 1 (within 1e-6), and for every class k,
    ``P(given=k) * P(true=k) < P(given=k, true=k)``.

    ``verbose`` prints the per-class comparison."""
    matrix = _as_noise_matrix(noise_matrix)
    priors = _as_py(py, matrix.shape[0])
    given = np.dot(matrix, priors)
    joint = np.multiply(matrix, priors)
    if not abs(joint.sum() - 1.0) < SLACK:
        if verbose:
            print(f"joint sums to {joint.sum()!r}, not 1")
        return False
    for k in range(len(priors)):
        ok = given[k] * priors[k] < joint[k][k]
        if verbose:
            product = given[k] * priors[k]
            print(f"class {k}: P(given)*P(true) = {product:.6g} < P(given, true) = {joint[k][k]:.6g}: {ok}")
        if not ok:
            return False
    return True


def generate_noise_matrix_from_trace(
    K: int,
    trace: float,
    *,
    max_trace_prob: float = 1.0,
    min_trace_prob: float = 1e-5,
    max_noise_rate: float = 1 - 1e-5,
    min_noise_rate: float = 0.0,
    valid_noise_matrix: bool = True,
    py: Optional[ArrayLike] = None,
    frac_zero_noise_rates: float = 0.0,
    seed: Union[int, None, np.random.RandomState] = 0,
    max_iter: int = 10000,
) -> Optional[np.ndarray]:
    """A random K x K noise matrix P(given | true) whose diagonal sums to
    ``trace`` (columns sum to 1).

    The diagonal entries lie in [min_trace_prob, max_trace_prob], the
    off-diagonal noise rates in [min_noise_rate, max_noise_rate]; about
    ``frac_zero_noise_rates`` of the off-diagonal entries are exactly 0.
    With ``valid_noise_matrix`` (K > 2 needs the priors ``py``), draws are
    repeated until :func:`noise_matrix_is_valid` holds, at most ``max_iter``
    times; returns None if none was valid (or ``max_iter < 1``).  K = 2 is
    never checked for validity.

    ``seed``: an int (or None) re-seeds NumPy's global legacy generator, as
    cleanlab does; a ``numpy.random.RandomState`` is used as is.
    """
    K = _check_int(K, "K")
    max_iter = _check_int(max_iter, "max_iter")
    trace = _check_number(trace, "trace")
    for name, value in (
        ("max_trace_prob", max_trace_prob),
        ("min_trace_prob", min_trace_prob),
        ("max_noise_rate", max_noise_rate),
        ("min_noise_rate", min_noise_rate),
        ("frac_zero_noise_rates", frac_zero_noise_rates),
    ):
        _check_number(value, name)
    if valid_noise_matrix and trace <= 1:
        raise ValueError(f"trace must be > 1 when valid_noise_matrix=True, got trace = {trace}")
    if valid_noise_matrix and py is None and K > 2:
        raise ValueError("py (the true-class priors) is required when valid_noise_matrix=True and K > 2")
    if K <= 1:
        raise ValueError(f"K must be >= 2, got K = {K}")
    priors = None if py is None else _as_py(py, K)
    if max_iter < 1:
        return None
    if isinstance(seed, np.random.RandomState):
        rng = seed
    else:
        if seed is not None:
            _check_int(seed, "seed")
        np.random.seed(seed)
        rng = np.random

    if K == 2:
        return _two_class_matrix(rng, trace, frac_zero_noise_rates)
    for _ in range(max_iter):
        matrix = _draw_matrix(
            rng, K, trace, max_trace_prob, min_trace_prob, max_noise_rate, min_noise_rate, frac_zero_noise_rates
        )
        if not valid_noise_matrix or noise_matrix_is_valid(matrix, priors):
            return matrix
    return None


def generate_noisy_labels(
    true_labels: ArrayLike,
    noise_matrix: ArrayLike,
    *,
    random_state: Union[int, None, np.random.RandomState] = None,
) -> np.ndarray:
    """Flip labels so that about ``noise_matrix[s][y] * P(true=y) * N``
    examples of each true class y get label s (counts truncated; the exact
    number, not a per-example coin flip).

    Class y is left unflipped when it has fewer examples than flips asked
    of it.  ``random_state``: None (default, like cleanlab) draws from
    NumPy's global legacy generator; an int or ``RandomState`` uses its own.
    Returns a new array of the same dtype as ``true_labels``.
    """
    matrix = _as_noise_matrix(noise_matrix)
    k = matrix.shape[0]
    try:
        true = np.array(_labels_to_array(true_labels))
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"true_labels: {exc}") from None
    if true.size == 0:
        raise ValueError("true_labels is empty")
    if int(true.min()) < 0 or int(true.max()) >= k:
        raise ValueError(
            f"true_labels must be class indices in 0..{k - 1} (noise_matrix is {k} x {k}), "
            f"found {int(true.min())}..{int(true.max())}"
        )
    rng = _generator(random_state)
    n = len(true)
    class_counts = np.bincount(true, minlength=k)
    counts = (matrix * (class_counts / float(n)) * n).astype(np.int64)
    np.fill_diagonal(counts, 0)

    labels = true.copy()
    # Before class y is processed, its examples still carry label y (only
    # class y's own step flips them), so its candidates are simply the
    # ascending indices of true class y.
    order = np.argsort(true, kind="stable")
    starts = np.concatenate(([0], np.cumsum(class_counts)))
    for y in range(k):
        targets = np.flatnonzero(counts[:, y])
        new_labels = np.repeat(targets, counts[targets, y])
        candidates = order[starts[y] : starts[y + 1]]
        if len(candidates) and len(new_labels) and len(candidates) >= len(new_labels):
            labels[rng.choice(candidates, len(new_labels), replace=False)] = new_labels
    return labels


# ------------------------------------------------------------------ random building blocks


def _probabilities_summing_to(
    rng: Any, n: int, total: float, max_prob: float = 1.0, min_prob: float = 0.0
) -> np.ndarray:
    """n random values summing to ``total``: a flat Dirichlet draw, then
    random pairwise moves of mass until all lie in [min_prob, max_prob]
    (within 1e-6)."""
    if n == 0:
        return np.array([])
    if max_prob + SLACK < total / float(n):
        raise ValueError(
            f"cannot split {total} into {n} values of at most {max_prob}: the maximum "
            f"(max_trace_prob or max_noise_rate) must be >= {total}/{n} = {total / float(n)}"
        )
    if min_prob > (total + SLACK) / float(n):
        raise ValueError(
            f"cannot split {total} into {n} values of at least {min_prob}: the minimum "
            f"(min_trace_prob or min_noise_rate) must be <= {total}/{n} = {total / float(n)}"
        )
    values = rng.dirichlet(np.ones(n)) * total
    low, high = values.min(), values.max()
    while high > max_prob + SLACK:
        raised = low + (high - max_prob)
        shift = (max_prob - raised) * rng.rand()
        values[np.argmin(values)] = raised + shift
        values[np.argmax(values)] = max_prob - shift
        low, high = values.min(), values.max()
    while low < min_prob - SLACK:
        lowered = high - (min_prob - low)
        shift = (lowered - min_prob) * rng.rand()
        values[np.argmax(values)] = lowered - shift
        values[np.argmin(values)] = min_prob + shift
        low, high = values.min(), values.max()
    return values


def _balls_into_bins(rng: Any, balls: int, bins: int, max_per_bin: int) -> np.ndarray:
    """``balls`` integers spread at random over ``bins`` (each <= max_per_bin)."""
    if balls == 0:
        return np.zeros(bins, dtype=np.int64)
    max_per_bin = min(max_per_bin, balls)
    if balls / float(bins) > max_per_bin:
        balls = max_per_bin * bins
    shares = _probabilities_summing_to(rng, bins, 1, max_prob=max_per_bin / float(balls), min_prob=0.0)
    spread = np.round(shares * balls)
    while spread.sum() != balls:
        while spread.sum() > balls:
            spread[np.argmax(spread)] -= 1
        while spread.sum() < balls:
            spread[np.argmin(spread)] += 1
    return spread.astype(np.int64)


def _two_class_matrix(rng: Any, trace: float, frac_zero_noise_rates: float) -> np.ndarray:
    if frac_zero_noise_rates >= 0.5:
        matrix = np.array([[1.0, 1 - (trace - 1.0)], [0.0, trace - 1.0]])
        return matrix if rng.rand() > 0.5 else matrix[::-1, ::-1].copy()
    diagonal = _probabilities_summing_to(rng, 2, trace)
    return np.array([[diagonal[0], 1 - diagonal[1]], [1 - diagonal[0], diagonal[1]]])


def _draw_matrix(
    rng: Any,
    k: int,
    trace: float,
    max_trace_prob: float,
    min_trace_prob: float,
    max_noise_rate: float,
    min_noise_rate: float,
    frac_zero_noise_rates: float,
) -> np.ndarray:
    """One candidate noise matrix for K > 2 (columns with diagonal exactly 1
    get no noise)."""
    diagonal = _probabilities_summing_to(rng, k, trace, max_prob=max_trace_prob, min_prob=min_trace_prob)
    matrix = np.diag(diagonal)
    noisy_columns = np.flatnonzero(diagonal != 1)
    zeros = int(k * (k - 1) * frac_zero_noise_rates) - (k - len(noisy_columns)) * (k - 1)
    zeros_per_column = _balls_into_bins(rng, max(zeros, 0), len(noisy_columns), k - 2)
    for column, n_zero in zip(noisy_columns, zeros_per_column):
        n_rates = k - 1 - int(n_zero)
        rates = _probabilities_summing_to(
            rng, n_rates, 1 - diagonal[column], max_prob=max_noise_rate, min_prob=min_noise_rate
        )
        rows = rng.choice([row for row in range(k) if row != column], n_rates, replace=False)
        matrix[rows, column] = rates[::-1]
    return matrix
