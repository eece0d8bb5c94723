"""The same bits whatever the thread count (1, 2, 4, 7) or backend."""

import warnings
from pathlib import Path

import numpy as np
import pytest

import labelsieve
from labelsieve import _backend
from datasets import noisy_dataset

CIFAR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cifar10-cl" / "cifar10_sparsity20_noise40.npz"
if not CIFAR.exists():  # the bundled copy
    CIFAR = Path(labelsieve.__file__).parent / "data" / "cifar10_sparsity00_noise20.npz"


def datasets():
    yield "rounded-f32", noisy_dataset(11, 150_000, 7, np.float32, "rounded")
    yield "continuous-f64", noisy_dataset(12, 120_000, 13, np.float64, "continuous")
    yield "missing-f16", noisy_dataset(13, 100_000, 5, np.float16, "missing_class")
    with np.load(CIFAR) as d:
        yield "cifar-f16", (d["noisy_labels"], d["pred_probs"])


DATASETS = dict(datasets())


def all_outputs(labels, p, **options):
    warnings.simplefilter("ignore")
    out = {}
    for filter_by in ("prune_by_noise_rate", "prune_by_class", "both", "confident_learning",
                      "predicted_neq_given", "low_normalized_margin", "low_self_confidence"):
        out[filter_by] = labelsieve.find_issues(labels, p, filter_by=filter_by, **options)
    out["ranked"] = labelsieve.find_issues(labels, p, return_indices_ranked_by="confidence_weighted_entropy",
                                           **options)
    out["joint"] = labelsieve.confident_joint(labels, p, **options)
    out["thresholds"] = labelsieve.confident_thresholds(labels, p, **options)
    for i, matrix in enumerate(labelsieve.estimate_noise(labels, p, **options)):
        out[f"noise{i}"] = matrix
    for method in ("self_confidence", "normalized_margin", "confidence_weighted_entropy"):
        out[method] = labelsieve.label_quality_scores(labels, p, method=method, **options)
    out["adjusted"] = labelsieve.label_quality_scores(labels, p, adjust_pred_probs=True, **options)
    return {name: (np.asarray(v).dtype.str, np.asarray(v).tobytes()) for name, v in out.items()}


def available_backends():
    names = []
    for name in _backend.BACKENDS:
        try:
            _backend.get_backend(name)
            names.append(name)
        except ImportError:
            pass
    return names


@pytest.mark.parametrize("name", list(DATASETS))
def test_thread_count_and_backend_never_change_a_bit(name):
    labels, p = DATASETS[name]
    backends = available_backends()
    assert backends, "no backend available"
    reference = all_outputs(labels, p, n_jobs=1, backend=backends[0])
    for backend in backends:
        for n_jobs in (1, 2, 4, 7):
            got = all_outputs(labels, p, n_jobs=n_jobs, backend=backend)
            for key in reference:
                assert got[key] == reference[key], f"{key} differs: backend={backend} n_jobs={n_jobs}"


def test_both_backends_are_compared_when_installed():
    pytest.importorskip("numba")
    pytest.importorskip("labelsieve._core")
    assert available_backends() == ["cpp", "numba"]
