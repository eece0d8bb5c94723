"""Exact per-class threshold sums from row chunks (SPEC 0.2).

A class threshold is NumPy's mean of ``p[i, c]`` over the rows labelled c,
in row order.  NumPy sums pairwise, and the pairwise tree is fixed by the
class size ``n_c`` alone (float16 adds NumPy's cast buffers: the values are
summed in consecutive segments of 8192, each segment pairwise, the segment
sums added in order).  So once the class sizes are known, every chunk of
rows owns a contiguous range ``[a, b)`` of each class's value sequence, and
the tree nodes lying wholly inside that range can be summed by the chunk on
its own.

A :class:`Partial` describes one contiguous range of one class's sequence:
the sums of the maximal tree nodes inside it, and the raw values of the (at
most two) leaves that straddle its ends.  Partials of adjacent ranges
:func:`merge` into the partial of their union (node sums whose two children
are now known are formed exactly as the tree does; straddling leaves that
become complete are summed from their raw values).  Any grouping of the
merges -- sequential, or a tree reduction on a cluster -- therefore gives
the same bits, equal to ``labelsieve.confident_thresholds`` on the whole
data.  The work outside the chunks is K x O(log n) nodes per chunk.

Node and leaf sums use ``np.add.reduce`` on a contiguous 1-D array, which is
``0 + pw(x)``: it differs from ``pw(x)`` only in the sign of a zero result,
and the sign of a zero sum never changes a threshold (it is clipped to 2e-6).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LEAF_SIZE = 128  # pairwise blocks of at most this many values are summed directly
CAST_BUFFER = 8192  # NumPy's default buffer size (float16 is cast through it)

Node = tuple  # (start, length) inside the class sequence


@dataclass
class Partial:
    """Sums for the positions ``[start, stop)`` of one class's sequence."""

    start: int
    stop: int
    nodes: dict = field(default_factory=dict)  # (s, l) -> sum (accumulator scalar)
    raw: dict = field(default_factory=dict)  # leaf (s, l) -> {position: values}


def segments(size: int, buffered: bool) -> list:
    """The independent pairwise trees of a class of ``size`` values."""
    if not buffered:
        return [(0, size)] if size else []
    return [(s, min(CAST_BUFFER, size - s)) for s in range(0, size, CAST_BUFFER)]


def _split(start: int, length: int) -> tuple:
    half = length // 2
    half -= half % 8
    return (start, half), (start + half, length - half)


def _walk(start: int, length: int, lo: int, hi: int, on_inside, on_leaf) -> None:
    """Visit the maximal nodes inside [lo, hi) and the partial leaves."""
    end = start + length
    if end <= lo or start >= hi:
        return
    if lo <= start and end <= hi:
        on_inside(start, length)
    elif length <= LEAF_SIZE:
        on_leaf(start, length)
    else:
        left, right = _split(start, length)
        _walk(*left, lo, hi, on_inside, on_leaf)
        _walk(*right, lo, hi, on_inside, on_leaf)


def chunk_partial(values: np.ndarray, start: int, size: int, buffered: bool) -> Partial:
    """The partial of ``values`` = positions ``[start, start + len(values))``
    of a class with ``size`` values in total (``values`` in the accumulator
    dtype, contiguous)."""
    stop = start + values.shape[0]
    part = Partial(start, stop)
    if stop == start:
        return part

    def inside(s: int, length: int) -> None:
        part.nodes[(s, length)] = np.add.reduce(values[s - start : s - start + length])

    def leaf(s: int, length: int) -> None:
        a, b = max(s, start), min(s + length, stop)
        part.raw[(s, length)] = {a: values[a - start : b - start]}

    for seg in segments(size, buffered):
        _walk(*seg, start, stop, inside, leaf)
    return part


def _leaf_values(pieces: dict) -> np.ndarray:
    return np.concatenate([pieces[p] for p in sorted(pieces)])


def _node_sum(node: Node, nodes: dict, raw: dict):
    """Sum of a node wholly inside the merged range, from known node sums,
    complete leaves, or its two children (added as the tree adds them)."""
    if node in nodes:
        return nodes[node]
    start, length = node
    if length <= LEAF_SIZE:
        return np.add.reduce(_leaf_values(raw[node]))
    left, right = _split(start, length)
    return _node_sum(left, nodes, raw) + _node_sum(right, nodes, raw)


def merge(parts: list, size: int, buffered: bool) -> Partial:
    """Merge partials of adjacent ranges (given in sequence order)."""
    parts = [p for p in parts if p.stop > p.start]
    if not parts:
        return Partial(0, 0)
    for before, after in zip(parts, parts[1:]):
        if before.stop != after.start:
            raise ValueError("partials to merge must cover adjacent ranges, in order")
    nodes: dict = {}
    raw: dict = {}
    for p in parts:
        nodes.update(p.nodes)
        for leaf, pieces in p.raw.items():
            raw.setdefault(leaf, {}).update(pieces)
    merged = Partial(parts[0].start, parts[-1].stop)

    def inside(s: int, length: int) -> None:
        merged.nodes[(s, length)] = _node_sum((s, length), nodes, raw)

    def leaf(s: int, length: int) -> None:
        merged.raw[(s, length)] = raw[(s, length)]

    for seg in segments(size, buffered):
        _walk(*seg, merged.start, merged.stop, inside, leaf)
    return merged


def total(part: Partial, size: int, buffered: bool, acc_dtype: np.dtype):
    """The class sum (what ``class_sums`` returns) from the partial of the
    whole sequence ``[0, size)``."""
    result = np.zeros((), dtype=acc_dtype)[()]
    if size == 0:
        return result
    if (part.start, part.stop) != (0, size):
        raise ValueError(f"partial covers [{part.start}, {part.stop}), expected [0, {size})")
    for seg in segments(size, buffered):
        result = result + part.nodes[seg]
    return result
