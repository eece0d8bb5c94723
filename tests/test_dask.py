"""labelsieve.dask (and the api functions given Dask arrays) equal the
in-memory answers: threaded scheduler, tree reductions of every width, and a
real distributed.LocalCluster with 2 worker processes."""

import warnings

import numpy as np
import pytest

import labelsieve
from datasets import noisy_dataset
from scale_data import (CIFAR_SETS, DTYPES, FILTERS, assert_all_same, assert_same, in_memory_results,
                        load_cifar, other_results)

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
import labelsieve.dask as ld  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture
def threads():
    with dask.config.set(scheduler="threads"):
        yield


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("kind", ["continuous", "rounded", "missing_class"])
def test_threads_every_answer(threads, kind, dtype):
    labels, probs = noisy_dataset(21, 3000, 5, dtype, kind)
    expected = in_memory_results(labels, probs)
    dl = da.from_array(labels, chunks=(500, 700, 1, 1000, 799))
    dp = da.from_array(probs, chunks=((500, 700, 1, 1000, 799), (2, 3)))  # column chunks get merged
    assert_all_same(expected, other_results(ld, dl, dp))


@pytest.mark.parametrize("split_every", [2, 3, 8, 100])
def test_any_tree_width(threads, split_every):
    """Combining partial sums in any grouping gives the same bits."""
    labels, probs = noisy_dataset(4, 4000, 3, np.float32, "continuous")
    probs[labels == 0, 0] = np.random.default_rng(0).uniform(0.9, 1.0, int((labels == 0).sum()))
    dl, dp = da.from_array(labels, chunks=137), da.from_array(probs, chunks=(137, 3))
    assert_same(labelsieve.confident_thresholds(labels, probs), ld.confident_thresholds(dl, dp, split_every=split_every))
    assert np.array_equal(labelsieve.find_issues(labels, probs), ld.find_issues(dl, dp, split_every=split_every))


def test_api_dispatch_and_mixed_inputs(threads):
    labels, probs = noisy_dataset(6, 1500, 4, np.float32, "rounded")
    dl, dp = da.from_array(labels, chunks=400), da.from_array(probs, chunks=(300, 4))
    assert np.array_equal(labelsieve.find_issues(dl, dp), labelsieve.find_issues(labels, probs))
    assert np.array_equal(labelsieve.find_issues(labels, dp, filter_by="both"),
                          labelsieve.find_issues(labels, probs, filter_by="both"))  # numpy labels, split like dp
    assert np.array_equal(labelsieve.find_issues(dl, probs), labelsieve.find_issues(labels, probs))
    assert_same(labelsieve.label_quality_scores(labels, probs), labelsieve.label_quality_scores(dl, dp))
    assert_same(labelsieve.confident_joint(labels, probs), labelsieve.confident_joint(dl, dp))
    for a, b in zip(labelsieve.estimate_noise(labels, probs), labelsieve.estimate_noise(dl, dp)):
        assert_same(a, b)
    assert labelsieve.num_label_issues(labels, probs) == ld.num_label_issues(dl, dp)


def test_bad_inputs(threads):
    labels, probs = noisy_dataset(6, 100, 3, np.float32)
    with pytest.raises(ValueError, match="same length"):
        ld.find_issues(da.from_array(labels[:50]), da.from_array(probs))
    with pytest.raises(ValueError, match="2-D"):
        ld.find_issues(da.from_array(labels), da.from_array(probs[:, 0]))
    with pytest.raises(ValueError, match="between 0 and 1"):
        ld.find_issues(da.from_array(labels, chunks=30), da.from_array(probs * 2, chunks=(30, 3)))
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        dp = da.from_array(probs, chunks=(30, 3))
        ld.find_issues(labels, dp[dp[:, 0] >= 0])
    with pytest.raises(ValueError, match="split_every"):
        ld.find_issues(da.from_array(labels), da.from_array(probs), split_every=1)


@pytest.mark.skipif(len(CIFAR_SETS) != 13, reason="CIFAR-10 sets not found")
@pytest.mark.parametrize("name", CIFAR_SETS[::4])
def test_cifar_threads(threads, name):
    labels, probs = load_cifar(name)
    dl, dp = da.from_array(labels, chunks=6000), da.from_array(probs, chunks=(6000, 10))
    for f in FILTERS:
        assert np.array_equal(labelsieve.find_issues(labels, probs, filter_by=f), ld.find_issues(dl, dp, filter_by=f)), f


@pytest.fixture(scope="module")
def cluster_client():
    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=40)
        client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def test_local_cluster_two_processes(cluster_client):
    assert len(cluster_client.scheduler_info()["workers"]) == 2
    labels, probs = noisy_dataset(31, 4000, 5, np.float16, "rounded")
    expected = in_memory_results(labels, probs)
    dl, dp = da.from_array(labels, chunks=900), da.from_array(probs, chunks=(900, 5))
    from distributed import get_task_stream

    with get_task_stream(cluster_client) as tasks:  # the default scheduler is now the cluster
        actual = other_results(ld, dl, dp)
    assert_all_same(expected, actual)
    workers = {t["worker"] for t in tasks.data}
    assert len(workers) == 2, workers  # both worker processes ran blocks


@pytest.mark.skipif(len(CIFAR_SETS) != 13, reason="CIFAR-10 sets not found")
def test_local_cluster_cifar(cluster_client):
    labels, probs = load_cifar("cifar10_sparsity00_noise20.npz")
    dl, dp = da.from_array(labels, chunks=12500), da.from_array(probs, chunks=(12500, 10))
    for f in ("prune_by_noise_rate", "both", "low_normalized_margin"):
        assert np.array_equal(labelsieve.find_issues(labels, probs, filter_by=f), labelsieve.find_issues(dl, dp, filter_by=f))
    assert_same(labelsieve.confident_thresholds(labels, probs), ld.confident_thresholds(dl, dp))
