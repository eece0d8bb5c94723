"""A slow, obviously-correct NumPy rendering of the primitive contract
(``labelsieve._backend``), used only by tests to check each real backend
primitive by primitive.  Readability over speed; never shipped."""

import numpy as np
from scipy.special import xlogy



def _acc(p):
    return np.float64 if p.dtype == np.float64 else np.float32


def class_sums(labels, p, out_counts, out_sums, n_threads, out_range=None):
    for k in range(p.shape[1]):
        sel = p[labels == k, k]
        out_counts[k] = sel.size
        out_sums[k] = np.sum(sel, dtype=_acc(p))
    if out_range is not None:
        value_range(p, out_range, n_threads)


def joint_pass(labels, p, cut, paper_rule, out_guess, out_joint, out_flags, n_threads):
    n, k = p.shape
    if out_guess is None:
        out_guess = np.empty(n, np.int32)
    if out_flags is None:
        out_flags = np.empty(n, np.uint8)
    confident = p.astype(cut.dtype) >= cut
    n_confident = confident.sum(1)
    argmax_all = np.argmax(p, 1)
    if paper_rule:
        argmax_confident = np.argmax(np.where(confident, p.astype(np.float64), -np.inf), 1)
    else:
        argmax_confident = argmax_all
    only_one = np.argmax(confident, 1)
    guess = np.where(n_confident == 0, -1, np.where(n_confident == 1, only_one, argmax_confident))
    out_guess[:] = guess.astype(np.int32)
    out_joint[:] = 0
    counted = guess >= 0
    np.add.at(out_joint, (labels[counted], guess[counted]), 1)
    boosted = p.copy()
    boosted[np.arange(n), labels] += 1e-6
    out_flags[:] = (np.argmax(boosted, 1) == labels).astype(np.uint8) | (
        (argmax_all == labels).astype(np.uint8) << 1
    )


def row_stats(labels, p, shift, out_self, out_other, n_threads, rows=None, out_range=None):
    if out_range is not None:
        value_range(p, out_range, n_threads)
    if rows is not None:
        labels, p = labels[rows], p[rows]
    n, k = p.shape
    if shift is None:
        q = p
    else:
        t, tmax = shift
        q = p - t
        q += tmax[0]
        q /= q.sum(axis=1, keepdims=True)
    out_self[:] = q[np.arange(n), labels]
    if out_other is None:
        return
    if k == 1:
        out_other[:] = np.nan
        return
    others = np.delete(q, np.arange(n) * k + labels, axis=None).reshape(n, k - 1)
    out_other[:] = np.max(others, axis=-1)


def value_range(p, out, n_threads):
    if p.size == 0:
        out[:] = (np.inf, -np.inf)
    else:
        out[:] = (p.min(), p.max())  # NaN propagates through both


def entropy_sums(p, out, n_threads):
    p = p.astype(np.float64) if p.dtype == np.float16 else p
    out[:] = np.sum(xlogy(p, p), axis=1)


def prune_by_noise_rate(labels, p, prune_counts, class_ok, out_mask, n_threads):
    for k in range(p.shape[1]):
        if not class_ok[k]:
            continue
        rows = np.flatnonzero(labels == k)
        for j in range(p.shape[1]):
            m = prune_counts[j, k]
            if j == k or m <= 0:
                continue
            key = p[rows, j] - p[rows, k]
            out_mask[rows[np.argsort(-key, kind="stable")[:m]]] = 1


def prune_by_class(labels, p, num_per_class, out_mask, n_threads):
    for k in range(p.shape[1]):
        if num_per_class[k] <= 0:
            continue
        rows = np.flatnonzero(labels == k)
        out_mask[rows[np.argsort(p[rows, k], kind="stable")[: num_per_class[k]]]] = 1


def select_lowest(scores, count, out_mask, n_threads):
    if count > 0:
        out_mask[np.argsort(scores, kind="stable")[:count]] = 1
