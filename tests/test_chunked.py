"""labelsieve.chunked equals the in-memory API on random data and CIFAR-10,
for every filter, ranking and option; bad chunk streams raise clear errors."""

import warnings

import numpy as np
import pytest

import labelsieve
import labelsieve.chunked as lc
from datasets import noisy_dataset
from scale_data import (CIFAR_SETS, DTYPES, FILTERS, assert_all_same, assert_same, in_memory_results,
                        load_cifar, other_results, split_rows)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


CASES = [("rounded", d) for d in DTYPES] + [(k, np.float32) for k in ("continuous", "missing_class", "singletons")]


@pytest.mark.parametrize("kind,dtype", CASES, ids=[f"{k}-{np.dtype(d).name}" for k, d in CASES])
def test_random_data_every_answer(kind, dtype):
    labels, probs = noisy_dataset(11, 2500, 5, dtype, kind)
    expected = in_memory_results(labels, probs)
    # uneven chunks, including an empty one and a 1-row one
    chunks = split_rows(labels, probs, [0, 1, 400, 400, 1313, 2499])
    assert_all_same(expected, other_results(lc, chunks))


@pytest.mark.parametrize("rows,n", [(1, 40), (7, 250), (1000, 1200), (10**6, 1200)])
def test_chunk_sizes(rows, n):
    labels, probs = noisy_dataset(5, n, 4, np.float32, "rounded")
    chunks = lc.from_arrays(labels, probs, chunk_rows=rows)
    for f in ("prune_by_noise_rate", "both", "low_normalized_margin"):
        assert np.array_equal(labelsieve.find_issues(labels, probs, filter_by=f), lc.find_issues(chunks, filter_by=f))


@pytest.mark.parametrize("filter_by", ["prune_by_noise_rate", "prune_by_class", "both"])
def test_prune_options(filter_by):
    labels, probs = noisy_dataset(8, 3000, 6, np.float32, "rounded", noise=0.3)
    chunks = lc.from_arrays(labels, probs, chunk_rows=333)
    cj = labelsieve.confident_joint(labels, probs, calibrate=False)
    options = [
        dict(frac_noise=0.5),
        dict(min_examples_per_class=600),
        dict(num_to_remove_per_class=[5, 0, 3, 1, 2, 9]),
        dict(confident_joint=cj),
        dict(guess_rule="paper"),
        dict(return_indices_ranked_by="confidence_weighted_entropy"),
        dict(return_indices_ranked_by="self_confidence", rank_by_kwargs={"adjust_pred_probs": True}),
    ]
    for opts in options:
        expected = labelsieve.find_issues(labels, probs, filter_by=filter_by, **opts)
        assert_same(expected, lc.find_issues(chunks, filter_by=filter_by, **opts), opts)


def test_other_functions_and_options():
    labels, probs = noisy_dataset(9, 2000, 4, np.float64, "missing_class")
    chunks = lc.from_arrays(labels, probs, chunk_rows=256)
    t = np.array([0.5, 0.6, 0.7, 0.8])
    assert_same(labelsieve.confident_joint(labels, probs, thresholds=t, calibrate=False),
                lc.confident_joint(chunks, thresholds=t, calibrate=False))
    assert_same(labelsieve.confident_joint(labels, probs, guess_rule="paper"),
                lc.confident_joint(chunks, guess_rule="paper"))
    for a, b in zip(labelsieve.estimate_noise(labels, probs, converge_latent_estimates=False, calibrate=False),
                    lc.estimate_noise(chunks, converge_latent_estimates=False, calibrate=False)):
        assert_same(a, b)
    for method in ("off_diagonal", "off_diagonal_calibrated"):
        assert labelsieve.num_label_issues(labels, probs, estimation_method=method) == lc.num_label_issues(
            chunks, estimation_method=method)
    cj = labelsieve.confident_joint(labels, probs)
    assert labelsieve.num_label_issues(labels, probs, confident_joint=cj, estimation_method="off_diagonal_custom") \
        == lc.num_label_issues(chunks, confident_joint=cj, estimation_method="off_diagonal_custom")
    for method in ("self_confidence", "normalized_margin", "confidence_weighted_entropy"):
        assert_same(labelsieve.label_quality_scores(labels, probs, method=method),
                    lc.label_quality_scores(chunks, method=method))


@pytest.mark.skipif(len(CIFAR_SETS) != 13, reason="CIFAR-10 sets not found")
@pytest.mark.parametrize("name", CIFAR_SETS)
def test_cifar(name):
    labels, probs = load_cifar(name)
    chunks = lc.from_arrays(labels, probs, chunk_rows=7001)
    filters = FILTERS if name in CIFAR_SETS[::6] else ("prune_by_noise_rate",)
    for f in filters:
        assert np.array_equal(labelsieve.find_issues(labels, probs, filter_by=f), lc.find_issues(chunks, filter_by=f)), f
    assert_same(labelsieve.confident_thresholds(labels, probs), lc.confident_thresholds(chunks))


def test_progress_callback_and_stderr(capsys):
    labels, probs = noisy_dataset(1, 500, 3, np.float32)
    seen = []
    lc.find_issues(lc.from_arrays(labels, probs, chunk_rows=100), progress=lambda *a: seen.append(a))
    stages = [s for s, _, _ in seen]
    assert stages == ["validate"] * 5 + ["thresholds"] * 5 + ["joint"] * 5 + ["prune"] * 5
    assert seen[-1] == ("prune", 5, 5)
    lc.confident_thresholds(lc.from_arrays(labels, probs, chunk_rows=250), progress=True)
    assert "labelsieve thresholds: chunk 2/2" in capsys.readouterr().err
    with pytest.raises(TypeError, match="progress"):
        lc.find_issues([(labels, probs)], progress="yes")


def test_bad_chunk_streams():
    labels, probs = noisy_dataset(2, 300, 3, np.float32)
    with pytest.raises(TypeError, match="read several times"):
        lc.find_issues(iter([(labels, probs)]))
    with pytest.raises(TypeError, match="read several times"):
        lc.find_issues((c for c in [(labels, probs)]))
    with pytest.raises(ValueError, match="empty"):
        lc.find_issues([])
    with pytest.raises(TypeError, match="pair"):
        lc.find_issues([labels])
    with pytest.raises(ValueError, match="chunk 1: .*columns"):
        lc.find_issues([(labels[:10], probs[:10]), (labels[10:], probs[10:, :2])])
    with pytest.raises(TypeError, match="chunk 1: .*dtype"):
        lc.find_issues([(labels[:10], probs[:10]), (labels[10:], probs[10:].astype(np.float64))])
    with pytest.raises(ValueError, match="chunk 0: .*between 0 and 1"):
        lc.find_issues([(labels, probs * 3)])
    with pytest.raises(ValueError, match="chunk 0: labels"):
        lc.find_issues([(labels + 5, probs)])
    with pytest.raises(ValueError, match="chunk_rows"):
        lc.from_arrays(labels, probs, chunk_rows=0)
    calls = []

    def shrinking():
        calls.append(1)
        return [(labels, probs)] if len(calls) == 1 else [(labels[:5], probs[:5])]

    with pytest.raises(ValueError, match="changed"):
        lc.find_issues(shrinking)


def test_top_m_selection_with_ties():
    """The candidate selection keeps exactly the first m by (key desc|asc, row asc)."""
    from labelsieve._chunk_passes import _top

    rng = np.random.default_rng(0)
    for trial in range(300):
        n = int(rng.integers(0, 40))
        keys = rng.integers(0, 4, n).astype(np.float32)  # heavy ties
        index = rng.permutation(1000)[:n].astype(np.uint32)
        m = int(rng.integers(0, 45))
        for descending in (True, False):
            _, got = _top(keys, index, m, descending)
            order = np.lexsort((index, -keys if descending else keys))[:m]
            assert sorted(got.tolist()) == sorted(index[order].tolist())
