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


@pytest.fixture(params=BACKENDS)
def spied(request, monkeypatch):
    """(calls, backend name): every primitive call as (name, out_guess given, out_flags given)."""
    try:
        real = _backend.get_backend(request.param)
    except ImportError as exc:
        pytest.skip(f"{request.param} backend unavailable: {exc}")
    calls = []

    def recording(name):
        def call(*args, **kwargs):
            if name == "joint_pass":
                calls.append((name, args[4] is not None, args[6] is not None))
            else:
                calls.append((name, None, None))
            return getattr(real, name)(*args, **kwargs)

        return call

    names = [n for n in dir(real) if not n.startswith("_") and callable(getattr(real, n))]
    spy = types.SimpleNamespace(**{n: recording(n) for n in names}, __name__=real.__name__)
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
