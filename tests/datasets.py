"""Seeded noisy-label datasets for the parity tests."""

import numpy as np

KINDS = ("continuous", "rounded", "missing_class", "singletons", "unnormalised")


def noisy_dataset(seed, n, k, dtype, kind="continuous", noise=0.2):
    """(labels int64, pred_probs of dtype): softmax predictions that mostly
    favour the true class, and `noise` of the labels redrawn at random."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) * rng.uniform(1.0, 3.0)
    logits[np.arange(n), true] += rng.uniform(1.0, 4.0)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    labels = true.copy()
    flip = rng.random(n) < noise
    labels[flip] = rng.integers(0, k, int(flip.sum()))
    if kind == "rounded":  # many exactly equal probabilities and margins
        p = np.round(p, 2)
    elif kind == "missing_class" and k > 2:
        labels[labels == k - 1] = 0
    elif kind == "singletons" and k > 2 and n > 2 * k:
        # classes 1 and 2 get exactly one example each
        for c in (1, 2):
            rows = np.flatnonzero(labels == c)
            labels[rows[1:]] = 0
            if rows.size == 0:
                labels[c] = c
    elif kind == "unnormalised":
        p = p * rng.uniform(0.6, 1.0, (n, 1))
    return labels, p.astype(dtype)
