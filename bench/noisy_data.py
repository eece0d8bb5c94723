"""The benchmark data: confident-ish softmax predictions with 20% of the
labels redrawn at random (shared by compare.py and the microbenchmarks)."""

from __future__ import annotations

import numpy as np


def noisy_predictions(n: int, k: int, dtype="float32", seed: int = 0, out=None):
    """(labels int64[n], pred_probs[n, k]); ``out`` may be a preallocated
    (e.g. memory-mapped) array to fill block by block."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    probs = np.empty((n, k), dtype=dtype) if out is None else out
    block = 1_000_000
    for start in range(0, n, block):
        stop = min(n, start + block)
        logits = rng.normal(size=(stop - start, k)).astype(np.float32) * 1.5
        logits[np.arange(stop - start), true[start:stop]] += 3.0
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        probs[start:stop] = logits
    labels = true.copy()
    flip = rng.random(n) < 0.2
    labels[flip] = rng.integers(0, k, int(flip.sum()))
    return labels, probs
