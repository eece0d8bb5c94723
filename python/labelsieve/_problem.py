"""One validated (labels, pred_probs) pair and the passes computed over it.

Each pass over ``pred_probs`` runs at most once per public call: thresholds,
the joint pass (guesses, confident joint, per-row flags) and the per-row
score statistics are computed lazily and cached here.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np

from labelsieve import _kxk, _passes
from labelsieve._backend import get_backend
from labelsieve._validate import check_choice, check_extremes, check_inputs, range_buffer, resolve_n_jobs

GUESS_RULES = ("cleanlab", "paper")


class Problem:
    def __init__(
        self,
        labels: Any,
        pred_probs: Any,
        *,
        n_jobs: Any = None,
        backend: str | None = None,
        guess_rule: str = "cleanlab",
        thresholds: Any = None,
        needs_thresholds: bool = False,
        needs_self_probs: bool = False,
        narrow_labels: bool | None = None,
    ):
        """``needs_thresholds`` / ``needs_self_probs``: the caller will use the
        per-class thresholds / every row's p[i, labels[i]], so the value-range
        validation is done in the same read of pred_probs as that pass (same
        checks, same errors, one pass fewer).  ``narrow_labels``: one-byte
        labels for the kernels where the backend reads them (worth it from
        two passes over the labels on; default: with ``needs_thresholds``)."""
        check_choice(guess_rule, "guess_rule", GUESS_RULES)
        self.n_threads = resolve_n_jobs(n_jobs)
        self.backend = get_backend(backend)
        fuse_thresholds = needs_thresholds and thresholds is None
        fuse_self = needs_self_probs and not fuse_thresholds
        # With thresholds the labels are read by the class pass, the joint pass and more.
        inputs = check_inputs(
            labels, pred_probs, self.backend, self.n_threads, check_range=not (fuse_thresholds or fuse_self),
            narrow=needs_thresholds if narrow_labels is None else narrow_labels,
        )
        self.labels = inputs.labels
        self.pred_probs = inputs.pred_probs
        self.min_prob = inputs.min_prob
        self.max_prob = inputs.max_prob
        if fuse_thresholds or fuse_self:
            extremes = range_buffer(self.pred_probs)
            # Each result goes where its cached_property would have put it.
            if fuse_thresholds:
                self.__dict__["_threshold_pass"] = _passes.thresholds(
                    self.backend, self.labels, self.pred_probs, self.n_threads, out_range=extremes
                )
            else:
                self.__dict__["_plain_self"] = _passes.row_stats(
                    self.backend, self.labels, self.pred_probs, None, self.n_threads, want_other=False,
                    out_range=extremes,
                )[0]
            self.min_prob, self.max_prob = check_extremes(extremes, self.pred_probs.dtype)
        self.n, self.k = self.pred_probs.shape
        self.paper_rule = guess_rule == "paper"
        self._user_thresholds = None if thresholds is None else self._check_thresholds(thresholds)

    def _check_thresholds(self, thresholds: Any) -> np.ndarray:
        t = np.asarray(thresholds)
        if t.shape == (self.k, 1):  # documented as allowed by cleanlab
            t = t[:, 0]
        if t.shape != (self.k,):
            raise ValueError(f"thresholds must have shape ({self.k},), got {t.shape}")
        if t.dtype.kind not in "iuf":
            raise TypeError(f"thresholds must be numeric, got dtype {t.dtype}")
        if not np.all(np.isfinite(t)):
            raise ValueError("thresholds contains NaN or infinite values")
        return t

    # ---- passes over pred_probs -------------------------------------------------
    @cached_property
    def _threshold_pass(self) -> tuple[np.ndarray, np.ndarray]:
        return _passes.thresholds(self.backend, self.labels, self.pred_probs, self.n_threads)

    @property
    def thresholds(self) -> np.ndarray:
        return self._threshold_pass[0]

    @cached_property
    def class_counts(self) -> np.ndarray:
        if "_threshold_pass" in self.__dict__:
            return self._threshold_pass[1]
        return _kxk.class_counts(self.labels, self.k)

    @cached_property
    def joint(self) -> _passes.JointPass:
        return self._joint_pass(guesses=True, flags=True)

    @cached_property
    def _counts_and_flags(self) -> _passes.JointPass:
        """The joint pass without the per-row guesses (the pruning filters
        need only the counts and the flags), unless the full one has run."""
        if "joint" in self.__dict__:
            return self.joint
        return self._joint_pass(guesses=False, flags=True)

    def _joint_pass(self, guesses: bool, flags: bool) -> _passes.JointPass:
        t = self.thresholds if self._user_thresholds is None else self._user_thresholds
        return _passes.JointPass(
            self.backend, self.labels, self.pred_probs, t, self.paper_rule, self.n_threads, guesses, flags
        )

    @cached_property
    def flags_only(self) -> _passes.JointPass:
        """The per-row flags, from a joint pass already run, else from one
        without thresholds (no class is ever confident)."""
        for cached in ("joint", "_counts_and_flags"):
            if cached in self.__dict__:
                return self.__dict__[cached]
        never = np.full(self.k, np.inf)
        return _passes.JointPass(
            self.backend, self.labels, self.pred_probs, never, self.paper_rule, self.n_threads, guesses=False
        )

    @cached_property
    def _plain_row_stats(self) -> tuple[np.ndarray, np.ndarray]:
        return _passes.row_stats(self.backend, self.labels, self.pred_probs, None, self.n_threads)

    @cached_property
    def _plain_self(self) -> np.ndarray:
        return _passes.row_stats(self.backend, self.labels, self.pred_probs, None, self.n_threads, want_other=False)[0]

    def self_probs(self, rows: np.ndarray | None = None) -> np.ndarray:
        """p[i, labels[i]] for every row or only for ``rows`` (one element of
        each row is read; the cached full statistics are reused if present)."""
        for cached in ("_plain_row_stats", "_plain_self"):
            if cached in self.__dict__:
                values = self.__dict__[cached]
                values = values[0] if isinstance(values, tuple) else values
                return values if rows is None else values[rows]
        if rows is not None:
            return _passes.row_stats(
                self.backend, self.labels, self.pred_probs, None, self.n_threads, rows, want_other=False
            )[0]
        return self._plain_self

    def row_stats(self, adjust: bool, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per-row (self, best other) for every row, or only for ``rows``
        (int64 indices: only those rows are read, unless every row's
        statistics are already cached)."""
        if not adjust and (rows is None or "_plain_row_stats" in self.__dict__):
            own, other = self._plain_row_stats
            return (own, other) if rows is None else (own[rows], other[rows])
        shift = self.thresholds if adjust else None
        return _passes.row_stats(self.backend, self.labels, self.pred_probs, shift, self.n_threads, rows)

    # ---- K x K results -------------------------------------------------------------
    def raw_confident_joint(self, counts_only: bool = False) -> np.ndarray:
        """Counts with the diagonal floored at 1, Fortran-ordered like
        cleanlab's (the layout decides the calibration's summation order).
        ``counts_only``: the caller needs no per-row result of the joint pass,
        so unless one has run already, a pass writing no per-row output does;
        otherwise the pass keeps the flags (and the guesses if they were
        computed: a caller needing them asks for ``joint`` first)."""
        ran = [self.__dict__[name] for name in ("joint", "_counts_and_flags") if name in self.__dict__]
        if ran:
            joint = ran[0].counts
        elif counts_only:
            joint = self._joint_pass(guesses=False, flags=False).counts
        else:
            joint = self._counts_and_flags.counts
        counts = np.asfortranarray(joint.copy())
        np.fill_diagonal(counts, np.maximum(np.diagonal(counts), 1))
        return counts

    @cached_property
    def calibrated_confident_joint(self) -> np.ndarray:
        return _kxk.calibrate(self.raw_confident_joint(), self.class_counts)

    def confident_joint(self, calibrate: bool, counts_only: bool = False) -> np.ndarray:
        """``counts_only``: see raw_confident_joint (the calibration is then not cached)."""
        if not counts_only:
            return self.calibrated_confident_joint if calibrate else self.raw_confident_joint()
        raw = self.raw_confident_joint(counts_only=True)
        return _kxk.calibrate(raw, self.class_counts) if calibrate else raw

    @cached_property
    def off_diagonal_issue_mask(self) -> np.ndarray:
        """cleanlab's "confident_learning" set: off-diagonal rows of the
        confident joint minus those whose label is the (boosted) top class."""
        guess = self.joint.guess
        mask = (guess >= 0) & (guess != self.labels)
        self.joint.unflag_label_is_boosted_top(mask)
        return mask
