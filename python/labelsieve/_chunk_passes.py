"""Per-chunk work for the chunked and Dask paths, and how the small results combine.

Every function named ``*_chunk`` takes one chunk ``(labels, pred_probs)``,
its :class:`Context` (where the chunk sits in the whole data) and a
:class:`Summary` (what earlier passes found), runs the ordinary backend
primitives on the chunk through a :class:`~labelsieve._problem.Problem`
that carries the *global* thresholds, and returns ``(small, rows)``:
``small`` is combined across chunks with the matching ``combine_*``
function (associative over adjacent chunks, in order; any grouping gives
the same bits), ``rows`` holds per-row results for the chunk's rows.
All functions are module-level so that Dask can ship them to workers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Optional

import numpy as np

from labelsieve import _chunk_sums, _passes
from labelsieve._backend import get_backend
from labelsieve._problem import Problem
from labelsieve._scores import scores as _scores
from labelsieve._validate import _labels_to_array, _native_int_labels, as_pred_probs, check_inputs

# bits of the per-row flags kept between passes
BOOSTED_TOP = 1  # given label is the +1e-6-boosted argmax (cleanlab's _reduce_issues)
ARGMAX_IS_LABEL = 2
OFF_DIAGONAL_ISSUE = 4  # counted off the diagonal of the confident joint, and not BOOSTED_TOP
OFF_DIAGONAL = 8  # counted off the diagonal of the confident joint


@dataclass(frozen=True)
class Context:
    index: int  # chunk number
    row_offset: int  # global index of the chunk's first row
    class_offsets: Optional[np.ndarray] = None  # rows of each class in earlier chunks
    n_rows: int = 0  # rows in this chunk


@dataclass(frozen=True)
class Summary:
    """What the driver knows about the whole data (small, picklable)."""

    n: int
    k: int
    dtype: np.dtype
    counts: np.ndarray  # int64[K] rows per class
    min_prob: float
    max_prob: float
    backend: Optional[str] = None
    n_threads: int = 1
    paper_rule: bool = False
    user_thresholds: Optional[np.ndarray] = None
    thresholds: Optional[np.ndarray] = None

    def with_(self, **changes: Any) -> "Summary":
        return replace(self, **changes)


def chunk_problem(labels: Any, pred_probs: Any, summary: Summary) -> Problem:
    """A Problem over one chunk that uses the global thresholds and range
    (inputs were validated by the scan pass)."""
    problem = Problem.__new__(Problem)
    problem.n_threads = summary.n_threads
    problem.backend = get_backend(summary.backend)
    problem.pred_probs = as_pred_probs(pred_probs)
    problem.labels = _native_int_labels(_labels_to_array(labels), summary.k)
    problem.n, problem.k = problem.pred_probs.shape
    problem.min_prob, problem.max_prob = summary.min_prob, summary.max_prob
    problem.paper_rule = summary.paper_rule
    problem._user_thresholds = summary.user_thresholds
    if summary.thresholds is not None:
        problem.__dict__["_threshold_pass"] = (summary.thresholds, summary.counts)
    return problem


# ---- pass 0: validation and class counts ------------------------------------------------
@dataclass(frozen=True)
class Scan:
    n: int
    k: int
    dtype: np.dtype
    counts: np.ndarray
    min_prob: float
    max_prob: float


def scan_chunk(labels: Any, pred_probs: Any, ctx: Context, backend: Optional[str], n_threads: int):
    try:
        probs = as_pred_probs(pred_probs)
        arr = _labels_to_array(labels)
        if probs.shape[0] == 0 and arr.shape[0] == 0:
            return Scan(0, probs.shape[1], probs.dtype, np.zeros(probs.shape[1], np.int64), np.inf, -np.inf), None
        inputs = check_inputs(arr, probs, get_backend(backend), n_threads)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"chunk {ctx.index}: {exc}") from exc
    k = probs.shape[1]
    counts = np.bincount(inputs.labels, minlength=k).astype(np.int64)
    return Scan(probs.shape[0], k, probs.dtype, counts, inputs.min_prob, inputs.max_prob), None


def combine_scans(scans: list) -> Scan:
    first = scans[0]
    for i, s in enumerate(scans):
        if s.k != first.k:
            raise ValueError(f"chunk {i}: pred_probs has {s.k} columns, chunk 0 has {first.k}")
        if s.dtype != first.dtype:
            raise TypeError(f"chunk {i}: pred_probs dtype {s.dtype} differs from chunk 0's {first.dtype}")
    n = sum(s.n for s in scans)
    if n == 0:
        raise ValueError("labels and pred_probs are empty (0 examples)")
    return Scan(
        n,
        first.k,
        first.dtype,
        np.sum([s.counts for s in scans], axis=0).astype(np.int64),
        min(s.min_prob for s in scans),
        max(s.max_prob for s in scans),
    )


def contexts(scans: list) -> list:
    """Row and per-class offsets of every chunk (from the scan pass)."""
    out = []
    row, classes = 0, np.zeros(scans[0].k, dtype=np.int64)
    for i, s in enumerate(scans):
        out.append(Context(i, row, classes.copy(), s.n))
        row += s.n
        classes += s.counts
    return out


def _stable_order(labels: np.ndarray, k: int) -> np.ndarray:
    """Stable argsort of class indices (NumPy radix-sorts 8/16-bit keys)."""
    if k <= 256:
        labels = labels.astype(np.uint8)
    elif k <= 65536:
        labels = labels.astype(np.uint16)
    return np.argsort(labels, kind="stable")


# ---- pass 1: threshold partial sums ------------------------------------------------------
def threshold_chunk(labels: Any, pred_probs: Any, ctx: Context, summary: Summary):
    probs = as_pred_probs(pred_probs)
    lab = _native_int_labels(_labels_to_array(labels), summary.k)
    acc = _passes.accumulator_dtype(summary.dtype)
    buffered = summary.dtype == np.float16
    values = probs[np.arange(lab.shape[0]), lab].astype(acc)[_stable_order(lab, summary.k)]
    local = np.bincount(lab, minlength=summary.k)
    ends = np.cumsum(local)
    parts = []
    for c in range(summary.k):
        vals = np.ascontiguousarray(values[ends[c] - local[c] : ends[c]])
        parts.append(_chunk_sums.chunk_partial(vals, int(ctx.class_offsets[c]), int(summary.counts[c]), buffered))
    return parts, None


def combine_thresholds(*items: list, summary: Summary) -> list:
    buffered = summary.dtype == np.float16
    return [
        _chunk_sums.merge([item[c] for item in items], int(summary.counts[c]), buffered)
        for c in range(summary.k)
    ]


def thresholds_from_partials(parts: list, summary: Summary) -> np.ndarray:
    acc = _passes.accumulator_dtype(summary.dtype)
    buffered = summary.dtype == np.float16
    sums = np.array(
        [_chunk_sums.total(parts[c], int(summary.counts[c]), buffered, acc) for c in range(summary.k)], dtype=acc
    )
    return _passes.thresholds_from_sums(sums, summary.counts, summary.dtype)


# ---- pass 2: confident joint, per-row flags, per-row scores ------------------------------
def joint_chunk(labels: Any, pred_probs: Any, ctx: Context, summary: Summary, need_joint: bool, score_specs: tuple):
    """K x K counts (int64, no diagonal floor) and per-row flags/scores.
    ``score_specs``: (method, adjust) pairs whose per-row scores to return."""
    problem = chunk_problem(labels, pred_probs, summary)
    k = summary.k
    if need_joint:
        joint = problem.joint
        counts = joint.counts
        flags = joint.flags & (BOOSTED_TOP | ARGMAX_IS_LABEL)
        flags |= problem.off_diagonal_issue_mask.astype(np.uint8) * np.uint8(OFF_DIAGONAL_ISSUE)
        off = np.zeros(problem.n, dtype=np.uint8)
        off[joint.off_diagonal_indices(problem.labels)] = OFF_DIAGONAL
        flags |= off
    else:
        counts = np.zeros((k, k), dtype=np.int64)
        flags = problem.flags_only.flags & (BOOSTED_TOP | ARGMAX_IS_LABEL)
    rows = {"flags": flags.astype(np.uint8)}
    for method, adjust in score_specs:
        rows[(method, adjust)] = _scores(problem, method, adjust)
    return counts, rows


def combine_counts(*items: np.ndarray) -> np.ndarray:
    return np.sum(items, axis=0)


# ---- pass 3: pruning candidates ----------------------------------------------------------
def _top(keys: np.ndarray, index: np.ndarray, m: int, descending: bool) -> tuple:
    """The set of the first m rows by (key desc [asc], index asc), in no
    particular order: a linear-time partition, with the rows tied at the
    cut-off taken by ascending index."""
    if keys.shape[0] <= m:
        return keys, index
    if m <= 0:
        return keys[:0], index[:0]
    pos = keys.shape[0] - m if descending else m - 1
    cut = np.partition(keys, pos)[pos]
    strictly = keys > cut if descending else keys < cut
    tied = np.flatnonzero(keys == cut)
    need = m - int(np.count_nonzero(strictly))
    if need < tied.shape[0]:  # row numbers are unique: keep the `need` smallest
        tied_rows = index[tied]
        tied = tied[tied_rows <= np.partition(tied_rows, need - 1)[need - 1]] if need > 0 else tied[:0]
    chosen = np.concatenate([np.flatnonzero(strictly), tied])
    return keys[chosen], index[chosen]


def _by_label(labels: np.ndarray, rows: np.ndarray):
    """(class, its rows in ascending order) for the classes present in rows."""
    picked_labels = labels[rows]
    order = _stable_order(picked_labels, int(picked_labels.max(initial=0)) + 1)
    classes, starts = np.unique(picked_labels[order], return_index=True)
    for c, a, b in zip(classes, starts, [*starts[1:], rows.shape[0]]):
        yield int(c), rows[order[a:b]]


def prune_chunk(labels: Any, pred_probs: Any, ctx: Context, summary: Summary, plan: dict):
    """Per selection cell, this chunk's candidates: the chunk's own top m
    (key desc, global index asc) -- a superset of its rows in the global top m.
    ``plan``: {"noise_rate": (matrix, class_ok) or None, "class": num_per_class or None}."""
    problem = chunk_problem(labels, pred_probs, summary)
    lab, probs = problem.labels, problem.pred_probs
    # the chunk's own top m is all its rows when m exceeds them: clip m to the
    # chunk's class sizes (same selection, and the kernels size buffers by m)
    local = np.bincount(lab, minlength=summary.k).astype(np.int64)
    index_dtype = np.uint32 if summary.n < 2**32 else np.int64  # 4 bytes per candidate saved
    offset = index_dtype(ctx.row_offset)
    cells: dict = {}
    if plan.get("noise_rate") is not None:
        matrix, class_ok = plan["noise_rate"]
        local_matrix = np.minimum(matrix, local[np.newaxis, :])
        off = local_matrix * (1 - np.eye(summary.k, dtype=np.int64))
        covering = (off == 0) | (off == local[np.newaxis, :])
        if covering.all():  # every cell takes all its class's rows here: nothing to select
            ok_rows = class_ok[lab] != 0
            picked = np.flatnonzero(ok_rows & (off.sum(axis=0) > 0)[lab])
        else:
            picked = np.flatnonzero(
                _passes.prune_by_noise_rate(problem.backend, lab, probs, local_matrix, class_ok, problem.n_threads)
            )
        for k, rows in _by_label(lab, picked):
            global_rows = rows.astype(index_dtype) + offset
            own = probs[rows, k]
            for j in np.flatnonzero(matrix[:, k] > 0):
                if j == k:
                    continue
                keys = probs[rows, j] - own  # T(p_j - p_k), as the primitive computes it
                cells[("rate", int(j), int(k))] = _compact(keys, global_rows, int(matrix[j, k]))
    if plan.get("class") is not None:
        num = plan["class"]
        picked = np.flatnonzero(
            _passes.prune_by_class(problem.backend, lab, probs, np.minimum(num, local), problem.n_threads)
        )
        for k, rows in _by_label(lab, picked):
            # smallest self-probability first = largest negated one (negation is exact)
            cells[("class", int(k))] = _compact(-probs[rows, k], rows.astype(index_dtype) + offset, int(num[k]))
    return cells, None


def _cell_size(cell: tuple, plan: dict) -> int:
    if cell[0] == "rate":
        return int(plan["noise_rate"][0][cell[1], cell[2]])
    return int(plan["class"][cell[1]])


def _compact(keys: np.ndarray, index: np.ndarray, m: int) -> tuple:
    """(keys, index, floor): the first m by (key desc, index asc); floor is
    the worst of them once there are m (None before)."""
    keys, index = _top(keys, index, m, True)
    if m <= 0 or keys.shape[0] < m:
        return keys, index, None
    worst = keys.min()
    return keys, index, (worst, index[keys == worst].max())


def _not_worse(keys: np.ndarray, index: np.ndarray, floor: tuple) -> np.ndarray:
    key, row = floor
    return (keys > key) | ((keys == key) & (index <= row))


def combine_candidates(*items: dict, plan: dict) -> dict:
    """Merge per-cell candidates of adjacent chunks.

    Invariant of a cell's (keys, index, floor): it contains the cell's
    global top m among the rows seen, and, once a floor exists, at least m
    entries none worse than it.  Rows worse than the strongest floor are
    dropped on arrival; the set is compacted back to m only when it exceeds
    2m, so the merge costs O(arrivals) amortised, not O(m) per chunk.
    Consumes (empties) its input dicts so old candidates are freed early."""
    merged: dict = {}
    for cells in items:
        for cell in list(cells):
            merged.setdefault(cell, []).append(cells.pop(cell))
    out = {}
    for cell in list(merged):
        values = merged.pop(cell)
        m = _cell_size(cell, plan)
        floors = [v[2] for v in values if v[2] is not None]
        floor = max(floors, key=lambda f: (f[0], -int(f[1]))) if floors else None
        keys, index = [], []
        for k, i, _ in values:
            if floor is not None:
                keep = _not_worse(k, i, floor)
                k, i = k[keep], i[keep]
            keys.append(k)
            index.append(i)
        del values
        keys, index = np.concatenate(keys), np.concatenate(index)
        if keys.shape[0] > (2 * m if floor is not None else m):
            out[cell] = _compact(keys, index, m)
        else:
            out[cell] = (keys, index, floor)
    return out


def selected_rows(cells: dict, plan: dict):
    """(cell, global rows selected in it) from the fully merged candidates."""
    for cell in list(cells):
        keys, index, _ = cells.pop(cell)
        yield cell, _top(keys, index, _cell_size(cell, plan), True)[1]
