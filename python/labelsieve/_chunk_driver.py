"""The multi-pass algorithm over chunks, shared by ``labelsieve.chunked``
(chunks read one after another) and ``labelsieve.dask`` (blocks of Dask
arrays, small results tree-reduced on the cluster).

A *runner* supplies the data and one method::

    runner.run(fn, args, combine=None, sink=None, stage="") -> combined small result
        calls fn(labels, pred_probs, ctx, *args) on every chunk (ctx from
        runner.contexts once set, else a Context with only the index);
        each call returns (small, rows); combine(*smalls of adjacent chunks,
        in order) reduces the smalls (None: return the list of smalls);
        sink(ctx, rows) receives each chunk's per-row results.

Passes: 0 validate + count labels; 1 threshold partial sums (only when
thresholds are needed); 2 joint counts + per-row flags/scores; 3 pruning
candidates (prune_* filters only).  The K x K steps are the in-memory
ones, run on a Problem stand-in that holds the combined counts.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Optional

import numpy as np

from labelsieve import _chunk_passes as cp
from labelsieve import _passes, api
from labelsieve._kxk import calibrate
from labelsieve._latent import estimate_latent_from_joint
from labelsieve._problem import GUESS_RULES, Problem
from labelsieve._scores import _check_rank_kwargs, stable_argsort
from labelsieve._validate import SCORE_METHODS, check_choice, resolve_n_jobs


class Driver:
    def __init__(self, runner, *, n_jobs=None, backend=None, guess_rule="cleanlab", default_threads=None):
        check_choice(guess_rule, "guess_rule", GUESS_RULES)
        n_threads = resolve_n_jobs(n_jobs) if (n_jobs is not None or default_threads is None) else default_threads
        self.runner = runner
        scans = runner.run(cp.scan_chunk, (backend, n_threads), stage="validate")
        total = cp.combine_scans(scans)
        runner.contexts = cp.contexts(scans)
        self.summary = cp.Summary(
            n=total.n, k=total.k, dtype=total.dtype, counts=total.counts, min_prob=total.min_prob,
            max_prob=total.max_prob, backend=backend, n_threads=n_threads, paper_rule=guess_rule == "paper",
        )
        self.n, self.k = total.n, total.k

    # ---- passes -----------------------------------------------------------------
    def compute_thresholds(self) -> np.ndarray:
        if self.summary.thresholds is None:
            s = self.summary
            combine = functools.partial(cp.combine_thresholds, summary=s)
            parts = self.runner.run(cp.threshold_chunk, (s,), combine=combine, stage="thresholds")
            self.summary = s.with_(thresholds=cp.thresholds_from_partials(parts, s))
        return self.summary.thresholds

    def set_user_thresholds(self, thresholds: Any) -> None:
        self.summary = self.summary.with_(user_thresholds=self.problem()._check_thresholds(thresholds))

    def joint_pass(self, need_joint: bool, score_specs: tuple = ()) -> tuple:
        """(K x K counts, per-row flags uint8[N], {spec: per-row scores})."""
        if (need_joint and self.summary.user_thresholds is None) or any(adj for _, adj in score_specs):
            self.compute_thresholds()
        flags = np.empty(self.n, dtype=np.uint8)
        scores: dict = {}

        def sink(ctx, rows):
            stop = ctx.row_offset + rows["flags"].shape[0]
            flags[ctx.row_offset : stop] = rows["flags"]
            for spec in score_specs:
                if spec not in scores:
                    scores[spec] = np.empty(self.n, dtype=rows[spec].dtype)
                scores[spec][ctx.row_offset : stop] = rows[spec]

        counts = self.runner.run(
            cp.joint_chunk, (self.summary, need_joint, tuple(score_specs)), combine=cp.combine_counts,
            sink=sink, stage="joint",
        )
        return counts, flags, scores

    def problem(self, counts: Optional[np.ndarray] = None) -> Problem:
        """A Problem stand-in for the K x K steps (no per-row data)."""
        p = Problem.__new__(Problem)
        s = self.summary
        p.n, p.k, p.n_threads, p.paper_rule = s.n, s.k, s.n_threads, s.paper_rule
        p.backend = None
        p._user_thresholds = s.user_thresholds
        p.__dict__["class_counts"] = s.counts
        if s.thresholds is not None:
            p.__dict__["_threshold_pass"] = (s.thresholds, s.counts)
        if counts is not None:
            joint = _passes.JointPass.__new__(_passes.JointPass)
            joint.counts = counts
            p.__dict__["joint"] = joint
        return p

    def prune(self, plan: dict) -> np.ndarray:
        combine = functools.partial(cp.combine_candidates, plan=plan)
        cells = self.runner.run(cp.prune_chunk, (self.summary, plan), combine=combine, stage="prune")
        masks = {kind: np.zeros(self.n, dtype=bool) for kind, key in (("class", "class"), ("rate", "noise_rate"))
                 if plan.get(key) is not None}
        for cell, rows in cp.selected_rows(cells, plan):
            masks[cell[0]][rows] = True
        if len(masks) == 2:  # "both"
            masks["rate"] &= masks.pop("class")
        return masks.popitem()[1]


# ---- public operations (called by labelsieve.chunked and labelsieve.dask) -------------------
def confident_thresholds(driver: Driver) -> np.ndarray:
    return driver.compute_thresholds().copy()


def confident_joint(driver: Driver, *, thresholds=None, calibrate=True, return_indices_of_off_diagonals=False):
    if thresholds is not None:
        driver.set_user_thresholds(thresholds)
    counts, flags, _ = driver.joint_pass(True)
    joint = driver.problem(counts).confident_joint(calibrate)
    if return_indices_of_off_diagonals:
        return joint, np.flatnonzero(flags & cp.OFF_DIAGONAL)
    return joint


def estimate_noise(driver: Driver, *, thresholds=None, converge_latent_estimates=True, py_method="cnt",
                   calibrate=True):
    if thresholds is not None:
        driver.set_user_thresholds(thresholds)
    counts, _, _ = driver.joint_pass(True)
    joint = driver.problem(counts).confident_joint(calibrate)
    labels_proxy = np.repeat(np.arange(driver.k), driver.summary.counts)
    py, noise, inverse = estimate_latent_from_joint(joint, labels_proxy, py_method, converge_latent_estimates)
    return py, noise, inverse, joint


def label_quality_scores(driver: Driver, *, method="self_confidence", adjust_pred_probs=False) -> np.ndarray:
    check_choice(method, "method", SCORE_METHODS)
    spec = (method, bool(adjust_pred_probs))
    if spec[1] and method == "confidence_weighted_entropy":
        raise ValueError("adjust_pred_probs is not supported for confidence_weighted_entropy")
    _, _, scores = driver.joint_pass(False, (spec,))
    return scores[spec]


def num_label_issues(driver: Driver, *, confident_joint=None, estimation_method="off_diagonal") -> int:
    check_choice(estimation_method, "estimation_method", api.ESTIMATION_METHODS)
    if estimation_method == "off_diagonal_custom":
        if confident_joint is None:
            raise ValueError("estimation_method='off_diagonal_custom' needs a confident_joint")
        joint = api.estimate_joint(np.repeat(np.arange(driver.k), driver.summary.counts),
                                   confident_joint=confident_joint)
        return int(np.rint((1 - np.trace(joint)) * driver.n))
    counts, flags, _ = driver.joint_pass(True)
    if estimation_method == "off_diagonal":
        return int(np.count_nonzero(flags & cp.OFF_DIAGONAL_ISSUE))
    calibrated = driver.problem(counts).calibrated_confident_joint
    joint = api._joint_from_counts(calibrate(calibrated, driver.summary.counts))
    return int(np.rint((1 - np.trace(joint)) * driver.n))


def find_issues(
    driver: Driver,
    *,
    filter_by="prune_by_noise_rate",
    return_indices_ranked_by=None,
    rank_by_kwargs=None,
    frac_noise=1.0,
    num_to_remove_per_class=None,
    min_examples_per_class=1,
    confident_joint=None,
) -> np.ndarray:
    remove = api._check_find_options(filter_by, frac_noise, num_to_remove_per_class, min_examples_per_class, driver.k)
    specs = []
    if return_indices_ranked_by is not None:
        check_choice(return_indices_ranked_by, "return_indices_ranked_by", SCORE_METHODS)
        rank_spec = (return_indices_ranked_by, _check_rank_kwargs(return_indices_ranked_by, rank_by_kwargs))
        specs.append(rank_spec)
    if filter_by == "confident_learning" and confident_joint is not None:
        warnings.warn("confident_joint is ignored with filter_by='confident_learning' (it is re-estimated)",
                      UserWarning, stacklevel=3)
    low_spec = None
    if filter_by in api._LOW_FILTERS:
        method = "normalized_margin" if filter_by == "low_normalized_margin" else "self_confidence"
        low_spec = (method, False)
        if low_spec not in specs:
            specs.append(low_spec)
    if low_spec is not None and driver.k < 2 and low_spec[0] == "normalized_margin":
        raise ValueError("method='normalized_margin' needs pred_probs with at least 2 classes")

    need_joint = filter_by != "predicted_neq_given" and not (
        filter_by in api._PRUNE_FILTERS and confident_joint is not None
    )
    counts, flags, scores = driver.joint_pass(need_joint, tuple(specs))

    if filter_by in api._PRUNE_FILTERS:
        problem = driver.problem(counts if need_joint else None)
        matrix = api._prune_matrix(problem, confident_joint, min_examples_per_class, frac_noise, remove)
        plan = _prune_plan(problem.class_counts, filter_by, matrix, min_examples_per_class)
        mask = driver.prune(plan)
    elif filter_by == "confident_learning":
        mask = (flags & cp.OFF_DIAGONAL_ISSUE) != 0
    elif filter_by == "predicted_neq_given":
        mask = (flags & cp.ARGMAX_IS_LABEL) == 0
    else:
        count = int(np.count_nonzero(flags & cp.OFF_DIAGONAL_ISSUE))
        backend = cp.get_backend(driver.summary.backend)
        mask = _passes.select_lowest(backend, scores[low_spec], count, driver.summary.n_threads)

    if filter_by not in api._LOW_FILTERS:
        _passes.clear_flagged(mask, flags, cp.BOOSTED_TOP)
    if return_indices_ranked_by is not None:
        flagged = np.flatnonzero(mask)
        values = scores[rank_spec][flagged]
        return flagged[stable_argsort(values)].astype(np.int64)
    return mask


def _prune_plan(counts: np.ndarray, filter_by: str, matrix: np.ndarray, min_examples_per_class: int) -> dict:
    """Which cells to select, exactly as api._prune_mask decides them."""
    class_ok = (counts > min_examples_per_class) & (counts > 1)
    api.warn_too_few_examples(counts, min_examples_per_class, stacklevel=5)
    plan: dict = {"noise_rate": None, "class": None}
    matrix = np.ascontiguousarray(matrix, dtype=np.int64)
    if filter_by in ("prune_by_class", "both"):
        plan["class"] = np.ascontiguousarray(np.where(class_ok, counts - np.diagonal(matrix), 0), dtype=np.int64)
    if filter_by in ("prune_by_noise_rate", "both"):
        plan["noise_rate"] = (matrix, np.ascontiguousarray(class_ok, dtype=np.uint8))
    return plan
