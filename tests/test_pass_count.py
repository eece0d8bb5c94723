"""How often each public call reads pred_probs, and what the joint pass
writes: a spy backend records every primitive call.  The pruning filters
need the counts and the per-row flags but not the per-row guesses (4 bytes a
row, written and never read); calls that need the guesses get them from the
one joint pass that also gives the counts."""

import types

import numpy as np
import pytest

import labelsieve
from labelsieve import _backend, _problem
from datasets import noisy_dataset

BACKENDS = ("cpp", "numba")
LABELLED = ("class_sums", "joint_pass", "row_stats", "prune_by_noise_rate", "prune_by_class")


class Calls(list):
    """(name, out_guess given, out_flags given) per call, and the label dtypes the kernels got."""

    def __init__(self):
        super().__init__()
        self.label_dtypes = set()


@pytest.fixture(params=BACKENDS)
def spied(request, monkeypatch):
    """(calls, backend name): every primitive call as (name, out_guess given, out_flags given)."""
    try:
        real = _backend.get_backend(request.param)
    except ImportError as exc:
        pytest.skip(f"{request.param} backend unavailable: {exc}")
    calls = Calls()

    def recording(name):
        def call(*args, **kwargs):
            if name in LABELLED:
                calls.label_dtypes.add(args[0].dtype)
            if name == "joint_pass":
                calls.append((name, args[4] is not None, args[6] is not None))
            else:
                calls.append((name, None, None))
            return getattr(real, name)(*args, **kwargs)

        return call

    public = {n: getattr(real, n) for n in dir(real) if not n.startswith("_")}
    spy = types.SimpleNamespace(
        **{n: recording(n) if callable(v) else v for n, v in public.items()}, __name__=real.__name__
    )
    monkeypatch.setattr(_problem, "get_backend", lambda name=None: spy)
    return calls, request.param


@pytest.fixture(scope="module")
def data():
    return noisy_dataset(3, 3000, 5, np.float32, "continuous")


def joint_passes(calls):
    return [(guess, flags) for name, guess, flags in calls if name == "joint_pass"]


@pytest.mark.parametrize("filter_by", ["prune_by_noise_rate", "prune_by_class", "both"])
def test_pruning_filters_write_flags_but_no_guesses(spied, data, filter_by):
    calls, backend = spied
    labels, p = data
    mask = labelsieve.find_issues(labels, p, filter_by=filter_by, backend=backend)
    assert joint_passes(calls) == [(False, True)]
    assert [name for name, _, _ in calls].count("class_sums") == 1
    assert "value_range" not in [name for name, _, _ in calls]  # validated in the class pass
    calls.clear()
    # The same answer as a run that computed the guesses first (the full joint pass).
    problem = _problem.Problem(labels, p, backend=backend, needs_thresholds=True)
    _ = problem.joint
    assert joint_passes(calls) == [(True, True)]
    assert problem.flags_only is problem.joint
    full_flags = problem.flags_only.label_is_boosted_top()
    flags_alone = _problem.Problem(labels, p, backend=backend, needs_thresholds=True)
    assert np.array_equal(flags_alone._counts_and_flags.label_is_boosted_top(), full_flags)
    assert np.array_equal(flags_alone._counts_and_flags.counts, problem.joint.counts)
    assert mask.sum() > 0


def test_calls_needing_guesses_run_one_joint_pass(spied, data):
    calls, backend = spied
    labels, p = data
    joint, indices = labelsieve.confident_joint(labels, p, return_indices_of_off_diagonals=True, backend=backend)
    assert joint_passes(calls) == [(True, True)]
    calls.clear()
    assert np.array_equal(labelsieve.confident_joint(labels, p, backend=backend), joint)
    assert joint_passes(calls) == [(False, False)]  # the counts alone
    calls.clear()
    mask = labelsieve.find_issues(labels, p, filter_by="confident_learning", backend=backend)
    assert joint_passes(calls) == [(True, True)]
    assert set(np.flatnonzero(mask)) <= set(indices.tolist()) and mask.sum() > 0


def test_health_summary_runs_one_joint_pass(spied, data):
    pytest.importorskip("pandas")
    calls, backend = spied
    labels, p = data
    summary = labelsieve.health_summary(labels, p, backend=backend, verbose=False)
    assert joint_passes(calls) == [(True, True)]
    issues = labelsieve.find_issues(labels, p, filter_by="confident_learning", backend=backend)
    assert summary["overall_label_health_score"] == pytest.approx(1 - issues.sum() / labels.size)


@pytest.mark.parametrize("k", [5, 256, 257])
def test_labels_reach_the_kernels_in_one_byte_when_they_fit(spied, k):
    """Both backends get uint8 labels for K <= 256 (narrowed once, after
    the range check) in calls that read the labels in several passes;
    K > 256 and one-pass calls keep int32/int64."""
    calls, backend = spied
    rng = np.random.default_rng(k)
    p = rng.dirichlet(np.full(k, 0.3), 4000).astype(np.float32)
    labels = np.where(rng.random(4000) < 0.8, p.argmax(1), rng.integers(0, k, 4000))
    narrow = k <= 256
    mask = labelsieve.find_issues(labels, p, backend=backend)
    assert calls.label_dtypes == ({np.dtype(np.uint8)} if narrow else {labels.dtype})
    calls.label_dtypes.clear()
    labelsieve.confident_joint(labels, p, backend=backend)
    assert calls.label_dtypes == ({np.dtype(np.uint8)} if narrow else {labels.dtype})
    calls.label_dtypes.clear()
    scores = labelsieve.label_quality_scores(labels, p, backend=backend)
    labelsieve.confident_thresholds(labels, p, backend=backend)
    assert calls.label_dtypes == {labels.dtype}  # one pass over the labels: not narrowed
    for dtype in (np.int32, np.uint8, np.uint16):
        if np.iinfo(dtype).max >= k - 1:
            same = labels.astype(dtype)
            assert np.array_equal(labelsieve.find_issues(same, p, backend=backend), mask)
            assert np.array_equal(labelsieve.label_quality_scores(same, p, backend=backend), scores)
    assert mask.sum() > 0
