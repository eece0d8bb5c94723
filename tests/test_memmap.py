"""Memory-mapped .npy input: the normal API reads it in place (no N x K
copy) and gives the in-memory answers; the chunked path streams it with a
few bytes of anonymous memory per row."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import labelsieve
import labelsieve.chunked as lc
from datasets import noisy_dataset
from labelsieve._problem import Problem
from scale_data import FILTERS, assert_same

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def save_pair(directory, labels, probs):
    np.save(directory / "labels.npy", labels)
    np.save(directory / "pred_probs.npy", probs)
    return (np.load(directory / "labels.npy", mmap_mode="r"), np.load(directory / "pred_probs.npy", mmap_mode="r"))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_api_reads_memmap_in_place(tmp_path, dtype):
    labels, probs = noisy_dataset(3, 4000, 4, dtype, "rounded")
    mm_labels, mm_probs = save_pair(tmp_path, labels, probs)
    problem = Problem(mm_labels, mm_probs)
    assert np.shares_memory(problem.pred_probs, mm_probs)  # no N x K copy
    assert np.shares_memory(problem.labels, mm_labels)  # int64 labels used in place too
    for f in FILTERS:
        assert np.array_equal(labelsieve.find_issues(labels, probs, filter_by=f),
                              labelsieve.find_issues(mm_labels, mm_probs, filter_by=f)), f
    assert_same(labelsieve.confident_thresholds(labels, probs), labelsieve.confident_thresholds(mm_labels, mm_probs))
    chunks = lc.from_arrays(mm_labels, mm_probs, chunk_rows=900)
    for f in ("prune_by_noise_rate", "both", "low_self_confidence"):
        assert np.array_equal(labelsieve.find_issues(labels, probs, filter_by=f), lc.find_issues(chunks, filter_by=f))


def test_memmap_chunks_are_views(tmp_path):
    labels, probs = noisy_dataset(4, 1000, 3, np.float32)
    mm_labels, mm_probs = save_pair(tmp_path, labels, probs)
    for lab, p in lc.from_arrays(mm_labels, mm_probs, chunk_rows=300)():
        assert np.shares_memory(p, mm_probs) and np.shares_memory(lab, mm_labels)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_chunked_anonymous_memory_is_small(tmp_path):
    """1M x 10 float32 (40 MB) memory-mapped, 100k-row chunks: the chunked
    find_issues grows anonymous memory by far less than the array (the
    bound it meets at scale is 16 B/row; see bench/RESULTS.md)."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from bench_scale import child_env, write_files
    finally:
        sys.path.pop(0)
    n = 1_000_000
    write_files(tmp_path, n, block=250_000)
    env = child_env()  # the child imports the labelsieve under test
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_scale.py"), "_child", "chunked",
                          str(tmp_path), "100000", "1"], capture_output=True, text=True, env=env, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["rows"] == n
    assert result["flagged"] > 0
    assert result["peak_anon_increase"] < n * 10 * 4 / 2, result  # never a copy of pred_probs
