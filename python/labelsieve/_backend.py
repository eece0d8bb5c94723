"""The primitive table: the only functions that touch the N x K array.

Every backend (the C++ extension ``labelsieve._core`` and the numba module
``labelsieve._numba``) exposes the functions below with exactly these
signatures and exactly these results (bit for bit).  Everything else in
labelsieve is O(K^2) or O(N) NumPy on top of their small outputs.

Conventions shared by all primitives
------------------------------------
* ``labels``: 1-D C-contiguous ``int32`` or ``int64`` array, length N, every
  value in ``[0, K)`` (validated by the caller); also ``uint8`` for a
  backend whose ``reads_one_byte_labels`` is True (the caller then narrows
  labels to one byte when K <= 256).
* ``pred_probs``: 2-D C-contiguous ``float16``, ``float32`` or ``float64``
  array (N, K), finite, validated by the caller.  Read-only and memory-mapped
  arrays are allowed: primitives never write to inputs.
* "T" is the input float type.  The accumulator type "A" is ``float32`` for
  float16/float32 input and ``float64`` for float64 input.  Half values are
  converted exactly to float32; an arithmetic operation "in float16" means:
  convert operands to float32, do the operation in float32, round the result
  to float16 (round-to-nearest-even) -- which is what NumPy does.
* ``pw(x[0..n))`` is NumPy's pairwise summation (SPEC.md section 0.2) in the
  accumulator type: n < 8: r = -0.0, add sequentially; n <= 128: 8 partial
  accumulators a[j] = x[j], then a[j] += x[i+j] in steps of 8 while
  i < n - n % 8, r = ((a0+a1)+(a2+a3))+((a4+a5)+(a6+a7)), then the tail
  sequentially; else split at m = n/2 rounded down to a multiple of 8 and
  return pw(left) + pw(right).  A reduction result is ``0 + pw(x)``.
* Outputs are preallocated by the caller and passed in (``out_*``), so no
  backend ever allocates an N x K array.
* ``n_threads`` >= 1.  Results never depend on it.
* "Top m of a group by (key desc, index asc)" means: order the group's rows by
  key descending, ties by ascending row index (a total order, hence
  deterministic for any thread count), and take the first m (all rows if
  m >= group size; none if m <= 0).

Primitives
----------
``value_range(pred_probs, out, n_threads)``
    out: A[2] = (min, max) over every value of pred_probs (any finite or
    non-finite input; this is the validation pass), both NaN if any value is
    NaN, (inf, -inf) for an empty array; the sign of a zero result is
    unspecified.  One read (NumPy's min and max are two).

``narrow_labels(labels, k, out, n_threads) -> bool``
    labels: int32[N] or int64[N], 1 <= k <= 256, out: uint8[N].
    out[i] = labels[i] (as one byte) and True when every label is in
    [0, k); False otherwise (out is then partly written).  The range check
    and the narrowing in one read (for ``reads_one_byte_labels`` backends).

``class_sums(labels, pred_probs, out_counts, out_sums, n_threads, out_range=None)``
    out_counts: int64[K], out_sums: A[K]; out_range: None or A[2], which
    then receives exactly what ``value_range`` would (the validation pass
    fused into the class pass: one read of pred_probs for both).
    counts[k] = #{i : labels[i] == k};
    sums[k] = 0 + pw(p[i, k] for i with labels[i] == k, ascending i), in A
    (exactly ``np.sum(p[labels == k, k])``) for float32/float64 input.
    float16 input: the float32 sum NumPy's ``np.mean`` forms, which casts
    through a buffer of 8192 elements: s = 0; for each consecutive chunk of
    8192 values (the last one shorter): s = s + pw(chunk), in float32.
    (Exactly ``np.sum(p[labels == k, k], dtype=np.float32)``.)

``joint_pass(labels, pred_probs, cut, paper_rule, out_guess, out_joint, out_flags, n_threads)``
    cut: A[K] (the caller has already rounded ``threshold - 1e-6`` up to A, so
    ``p >= cut`` in A equals NumPy's comparison in the promoted dtype).
    Per row i: S = {k : A(p[i,k]) >= cut[k]}.
      |S| == 0 -> guess = -1 (row ignored);
      |S| == 1 -> guess = the only member;
      |S| >= 2 -> guess = first argmax of p[i, :] over ALL k
                  (paper_rule=True: first argmax over the members of S only).
    out_guess: int32[N];  out_joint: int64[K, K], out_joint[labels[i], guess] += 1
    for every row with guess >= 0 (no diagonal floor: the caller applies it).
    out_guess may be None (out_flags alone), or both may be None (only
    out_joint is computed); out_guess without out_flags is a TypeError.
    out_flags: uint8[N], bit 0 (FLAG_LABEL_IS_BOOSTED_TOP = 1):
        q = T(p[i, y] + T(1e-6)) computed in T (float16: float16 arithmetic);
        set iff q > p[i, k] for all k < y and q >= p[i, k] for all k > y
        (closed form of cleanlab's ``_reduce_issues``, SPEC 2.6).
      bit 1 (FLAG_ARGMAX_IS_LABEL = 2): first argmax of p[i, :] == y.

``row_stats(labels, pred_probs, shift, out_self, out_other, n_threads, rows=None, out_range=None)``
    Per-row numbers for the self_confidence and normalized_margin scores.
    rows: None (every row; outputs have N entries) or int64[M] row indices in
    [0, N) (output j describes row rows[j]; only those rows are read).
    shift is None: work type P = T; v_k = p[i, k].
    shift = (t, tmax) with t: P[K] and tmax: P scalar given as a 1-element
      P array (P = T, or float64 when the caller's thresholds are float64):
      q_k = (P(p[i,k]) - t[k]) + tmax, each operation rounded to P;
      s = 0 + pw(q_0..q_{K-1}) (for P = float16: accumulate the half values in
      float32 with pw, round the total to float16); v_k = q_k / s rounded to P.
    out_self[i] = v_y;  out_other[i] = max over k != y of v_k (NaN when K = 1).  Both arrays have dtype P (float16 as float16).
    out_other may be None when shift is None: only out_self is computed (one
    element of each row is read).
    out_range: None or A[2] (only with shift None and rows None), which then
    receives exactly what ``value_range`` would (validation in the same read).

``entropy_sums(pred_probs, out, n_threads)``
    out: E[N] where E = float32 for float32 input and float64 for float16 AND
    float64 input (scipy's xlogy has no float16 loop, so float16 goes
    through its double loop).  out[i] = 0 + pw(xlogy(p[i,k], p[i,k]) for k)
    where xlogy(x, x) = 0 if x == 0 else x * log(x), computed in E (float32:
    logf on the float32 value; float64: log on the exactly converted value).
    The caller forms the confidence-weighted-entropy score from it with NumPy.

``prune_by_noise_rate(labels, pred_probs, prune_counts, class_ok, out_mask, n_threads)``
    prune_counts: int64[K, K], entry [j, k] = how many examples with given
    label k to flag in favour of true class j; class_ok: uint8[K].
    For every class k with class_ok[k] and every j != k with
    prune_counts[j, k] > 0: within the rows of given label k take the top
    prune_counts[j, k] by (key desc, index asc) with key = T(p[i,j] - p[i,k])
    (computed in T; float16 arithmetic for float16).  out_mask (uint8[N],
    zero-filled by the caller) = 1 on the union of all selected rows.

``prune_by_class(labels, pred_probs, num_per_class, out_mask, n_threads)``
    num_per_class: int64[K].  For every class k with num_per_class[k] > 0:
    within the rows of given label k take the top num_per_class[k] by
    (key desc, index asc) with key = -p[i, k] (i.e. the smallest
    self-probabilities, ties to the lower index).  out_mask = 1 on them.

``multilabel_sums(onehot, pred_probs, out_counts, out_sums, n_threads)``
    Multi-label class pass over the K one-vs-rest binary problems.
    onehot: uint8[N, K] (nonzero = example i has class k), C-contiguous.
    out_counts: int64[K] = #positives of class k; out_sums: A[K, 2] with
    sums[k, 1] = NumPy's sum of p[i, k] over the positives and sums[k, 0] =
    NumPy's sum of T(1 - p[i, k]) (computed in T) over the negatives, each in
    ascending row order, with the same pairwise / float16-buffer rules as
    ``class_sums``.  (The C++ core streams both groups of every class out of
    one read of the rows; the numba twin gathers per class.)

``multilabel_joint_pass(onehot, pred_probs, cut, out_joint, out_codes, n_threads)``
    cut: A[K, 2] (per class, the binary problem's two cuts, prepared as for
    ``joint_pass``).  Per (i, k): one = p[i, k], zero = T(1 - one), y = onehot
    != 0; c0 = A(zero) >= cut[k, 0], c1 = A(one) >= cut[k, 1]; guess =
    none if neither, the confident side if one, else 1 iff one > zero.
    out_joint: int64[K, 2, 2], [k, y, guess] += 1 for rows with a guess.
    out_codes: uint8[N, K] bits: 1 = has a guess, 2 = guess is 1,
    4 = the given side boosted by T(1e-6) is the binary row's first argmax
    (y = 1: T(one + 1e-6) > zero; y = 0: T(zero + 1e-6) >= one),
    8 = one > zero (first argmax is 1), 16 = y (the example has class k).

``multilabel_select(onehot, pred_probs, sizes, by_margin, out_mask, n_threads)``
    sizes: int64[K, 2]; out_mask: uint8[N, K] (zero-filled by the caller).
    For class k and given side y (rows with (onehot[i, k] != 0) == y): the
    top sizes[k, y] rows by (key desc, index asc) with, for q = (zero, one)
    as above, key = T(q[1 - y] - q[y]) (by_margin: prune_by_noise_rate) or
    -q[y] (prune_by_class); out_mask[i, k] = 1 on them.

``multilabel_ema_scores(onehot, pred_probs, margin, alpha, out, n_threads)``
    out: float64[N].  Per row: s_k = float64(q[y]) (margin: float64 of
    T((T(q[y] - q[1 - y]) + 1) / 2), each operation in T), sorted
    descending; ema = s_0, then ema = alpha * s_t + (1 - alpha) * ema in
    float64 (cleanlab's default multi-label score, exactly).

``select_lowest(scores, count, out_mask, n_threads)``
    scores: 1-D float16/float32/float64 array.  out_mask = 1 on the top
    ``count`` rows by (key desc, index asc) with key = -scores[i], i.e. the
    first ``count`` entries of a stable ascending argsort of scores.
"""

from __future__ import annotations

import os
from types import ModuleType

FLAG_LABEL_IS_BOOSTED_TOP = 1
FLAG_ARGMAX_IS_LABEL = 2

BACKENDS = ("cpp", "numba")
_ENV_VAR = "LABELSIEVE_BACKEND"


def _load(name: str) -> ModuleType:
    if name == "cpp":
        from labelsieve import _core  # the compiled extension

        return _core
    if name == "numba":
        from labelsieve import _numba

        return _numba
    raise ValueError(f"backend must be one of {BACKENDS} or None, got {name!r}")


def get_backend(name: str | None = None) -> ModuleType:
    """Resolve ``backend=`` (then ``$LABELSIEVE_BACKEND``, then cpp-else-numba)."""
    if name is None:
        name = os.environ.get(_ENV_VAR) or None
    if name is not None:
        if name not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS} or None, got {name!r}")
        try:
            return _load(name)
        except ImportError as exc:
            raise ImportError(
                f"labelsieve backend {name!r} is not available: {exc}. "
                "The 'cpp' backend needs the compiled extension; the 'numba' backend "
                "needs `pip install labelsieve[numba]`."
            ) from exc
    try:
        return _load("cpp")
    except ImportError:
        pass
    try:
        return _load("numba")
    except ImportError as exc:
        raise ImportError(
            "labelsieve has no usable backend: the compiled extension is missing and "
            "numba is not installed (`pip install labelsieve[numba]`)."
        ) from exc
