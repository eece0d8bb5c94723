"""Shared data helpers for the chunked / Dask / memmap tests."""

from pathlib import Path

import numpy as np

import labelsieve

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cifar10-cl"
CIFAR_SETS = sorted(path.name for path in DATA.glob("cifar10_*.npz")) if DATA.is_dir() else []

FILTERS = (
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
)
DTYPES = (np.float16, np.float32, np.float64)


def load_cifar(name, dtype=np.float16):
    with np.load(DATA / name) as d:
        return d["noisy_labels"].astype(np.int64), d["pred_probs"].astype(dtype)


def split_rows(labels, pred_probs, bounds):
    """(labels, pred_probs) chunks cut at the given row boundaries."""
    edges = [0, *bounds, len(labels)]
    return [(labels[a:b], pred_probs[a:b]) for a, b in zip(edges, edges[1:])]


def assert_same(expected, actual, what=""):
    """Equal values, shapes and dtypes (bit for bit for floats)."""
    expected, actual = np.asarray(expected), np.asarray(actual)
    assert expected.dtype == actual.dtype, (what, expected.dtype, actual.dtype)
    assert expected.shape == actual.shape, (what, expected.shape, actual.shape)
    assert expected.tobytes() == actual.tobytes(), what


def in_memory_results(labels, pred_probs):
    """Every answer the chunked/Dask paths must reproduce, from the in-memory API."""
    out = {}
    for f in FILTERS:
        out[("find", f, None)] = labelsieve.find_issues(labels, pred_probs, filter_by=f)
    out[("find", "prune_by_noise_rate", "normalized_margin")] = labelsieve.find_issues(
        labels, pred_probs, return_indices_ranked_by="normalized_margin"
    )
    out[("find", "low_self_confidence", "self_confidence")] = labelsieve.find_issues(
        labels, pred_probs, filter_by="low_self_confidence", return_indices_ranked_by="self_confidence"
    )
    out["thresholds"] = labelsieve.confident_thresholds(labels, pred_probs)
    out["joint"] = labelsieve.confident_joint(labels, pred_probs, return_indices_of_off_diagonals=True)
    out["noise"] = labelsieve.estimate_noise(labels, pred_probs)
    out["scores"] = labelsieve.label_quality_scores(labels, pred_probs, method="normalized_margin",
                                                    adjust_pred_probs=True)
    return out


def other_results(module, *args):
    """The same answers from labelsieve.chunked (args = (chunks,)) or labelsieve.dask (labels, pred_probs)."""
    out = {}
    for f in FILTERS:
        out[("find", f, None)] = module.find_issues(*args, filter_by=f)
    out[("find", "prune_by_noise_rate", "normalized_margin")] = module.find_issues(
        *args, return_indices_ranked_by="normalized_margin"
    )
    out[("find", "low_self_confidence", "self_confidence")] = module.find_issues(
        *args, filter_by="low_self_confidence", return_indices_ranked_by="self_confidence"
    )
    out["thresholds"] = module.confident_thresholds(*args)
    out["joint"] = module.confident_joint(*args, return_indices_of_off_diagonals=True)
    out["noise"] = module.estimate_noise(*args)
    out["scores"] = module.label_quality_scores(*args, method="normalized_margin", adjust_pred_probs=True)
    return out


def assert_all_same(expected, actual):
    assert expected.keys() == actual.keys()
    for key, value in expected.items():
        if isinstance(value, tuple):
            assert len(value) == len(actual[key])
            for i, (a, b) in enumerate(zip(value, actual[key])):
                assert_same(a, b, (key, i))
        else:
            assert_same(value, actual[key], key)
