"""labelsieve.noise vs cleanlab 2.9.0's cleanlab.benchmarking.noise_generation:
the same matrices, labels and validity verdicts for the same seed, and the
same global RNG state afterwards, over many seeds, K, priors, validity
settings, zero-noise fractions, bounds and max_iter; CIFAR-10 noise
matrices; bad inputs; the examples of docs/noise.md."""

import contextlib
import io
import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from cleanlab.benchmarking import noise_generation as cn
from labelsieve import noise as ln

ROOT = Path(__file__).resolve().parents[1]
CIFAR = ROOT.parent / "shared" / "data" / "cifar10-cl"
CIFAR_SETS = sorted(p.name for p in CIFAR.glob("cifar10_*.npz")) if CIFAR.is_dir() else []


def global_state():
    _, keys, pos, *_ = np.random.get_state()
    return keys.copy(), pos


def call_both(args, kwargs):
    """Run cleanlab then labelsieve from the same global state; return both
    results (or exception types) and the global states each left behind."""
    out = []
    for module in (cn, ln):
        np.random.seed(12345)
        try:
            result = module.generate_noise_matrix_from_trace(*args, **kwargs)
        except ValueError:
            result = ValueError
        out.append((result, global_state()))
    return out


def assert_same(args, kwargs):
    (theirs, their_state), (ours, our_state) = call_both(args, kwargs)
    if theirs is None or theirs is ValueError:
        assert ours is theirs, (args, kwargs)
    else:
        assert ours is not None and ours is not ValueError, (args, kwargs)
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs), (args, kwargs)
    assert np.array_equal(our_state[0], their_state[0]) and our_state[1] == their_state[1]
    return ours


def matrix_cases():
    rng = np.random.RandomState(2024)
    for seed in range(40):
        k = (2, 3, 4, 5, 8, 12)[seed % 6]
        py = rng.dirichlet(np.ones(k) * (0.5 + 3 * rng.rand()))
        for valid, frac in itertools.product((True, False), (0.0, 0.25, 0.5, 0.9)):
            low = 1.0 if valid else 0.0
            trace = low + (k - low) * rng.uniform(0.05, 0.95)
            yield (k, trace), dict(py=py, valid_noise_matrix=valid, frac_zero_noise_rates=frac, seed=seed,
                                   max_iter=(1, 5, 200)[seed % 3])


MATRIX_CASES = list(matrix_cases())


def test_noise_matrices_match_cleanlab_over_many_settings():
    made = 0
    for args, kwargs in MATRIX_CASES:
        matrix = assert_same(args, kwargs)
        if isinstance(matrix, np.ndarray):
            made += 1
            k, trace = args
            assert np.allclose(matrix.sum(axis=0), 1) and np.isclose(np.trace(matrix), trace)
            if kwargs["valid_noise_matrix"] and k > 2:
                assert ln.noise_matrix_is_valid(matrix, kwargs["py"])
    assert made > len(MATRIX_CASES) // 2  # most settings give a matrix, some (max_iter=1) give None


@pytest.mark.parametrize("k", [3, 6])
def test_bounds_on_the_diagonal_and_noise_rates_match_cleanlab(k):
    py = np.full(k, 1.0 / k)
    for seed in range(12):
        for bounds in (
            dict(max_trace_prob=0.9, min_trace_prob=0.3),
            dict(max_noise_rate=0.3, min_noise_rate=0.05),
            dict(max_trace_prob=0.8, min_trace_prob=0.5, max_noise_rate=0.25, min_noise_rate=0.01,
                 frac_zero_noise_rates=0.4),
            dict(max_trace_prob=0.2),  # impossible: trace / K > max -> ValueError in both
        ):
            matrix = assert_same((k, 0.65 * k), dict(py=py, seed=seed, **bounds))
            if isinstance(matrix, np.ndarray):
                diagonal = np.diagonal(matrix)
                assert np.all(diagonal <= bounds.get("max_trace_prob", 1) + 1e-6)
                assert np.all(diagonal >= bounds.get("min_trace_prob", 1e-5) - 1e-6)


def test_two_classes_both_branches_and_no_validity_check():
    for seed in range(30):
        for frac in (0.0, 0.49, 0.5, 1.0):
            for trace in (1.2, 1.5, 1.9):
                matrix = assert_same((2, trace), dict(frac_zero_noise_rates=frac, seed=seed))
                assert np.allclose(matrix.sum(axis=0), 1) and np.isclose(np.trace(matrix), trace)
    # K = 2 with valid_noise_matrix needs no py; an invalid trace for K = 2 without the check
    assert_same((2, 0.4), dict(valid_noise_matrix=False, seed=3))


def test_random_state_object_leaves_the_global_generator_alone():
    py = [0.2, 0.3, 0.5]
    np.random.seed(7)
    before = global_state()
    ours = ln.generate_noise_matrix_from_trace(3, 2.2, py=py, seed=np.random.RandomState(11))
    after = global_state()
    assert np.array_equal(before[0], after[0]) and before[1] == after[1]
    assert np.array_equal(ours, cn.generate_noise_matrix_from_trace(3, 2.2, py=py, seed=11))


def test_max_iter_below_one_returns_none_without_touching_the_generator():
    np.random.seed(5)
    before = global_state()
    assert ln.generate_noise_matrix_from_trace(4, 2.0, py=np.full(4, 0.25), max_iter=0) is None
    after = global_state()
    assert np.array_equal(before[0], after[0]) and before[1] == after[1]


def test_generate_noisy_labels_matches_cleanlab():
    rng = np.random.RandomState(99)
    for seed in range(25):
        k = 2 + seed % 9
        n = int(rng.randint(k, 3000))
        true = rng.randint(0, k, n).astype((np.int64, np.int32, np.uint8)[seed % 3])
        true[:k] = np.arange(k)  # cleanlab needs every class present
        py = np.bincount(true, minlength=k) / n
        valid = k > 2 or seed % 2 == 0
        matrix = cn.generate_noise_matrix_from_trace(k, k * rng.uniform(0.45, 0.9), py=py, seed=seed,
                                                     frac_zero_noise_rates=0.3 * (seed % 3),
                                                     valid_noise_matrix=valid)
        if matrix is None:
            continue
        np.random.seed(seed)
        theirs = cn.generate_noisy_labels(true, matrix)
        their_state = global_state()
        np.random.seed(seed)
        ours = ln.generate_noisy_labels(true, matrix)
        our_state = global_state()
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)
        assert np.array_equal(our_state[0], their_state[0]) and our_state[1] == their_state[1]
        # an explicit seed / RandomState gives the same draw without the global generator
        assert np.array_equal(ln.generate_noisy_labels(true, matrix, random_state=seed), theirs)
        assert np.array_equal(ln.generate_noisy_labels(true, matrix, random_state=np.random.RandomState(seed)),
                              theirs)
        # the flip counts are the truncated products
        expected = (matrix * py * n).astype(int)
        np.fill_diagonal(expected, 0)
        counts = np.zeros((k, k), dtype=int)
        np.add.at(counts, (ours, true), 1)
        np.fill_diagonal(counts, 0)
        feasible = expected.sum(axis=0) <= np.bincount(true, minlength=k)
        assert np.array_equal(counts[:, feasible], expected[:, feasible])


def test_the_two_step_recipe_reproduces_cleanlab():
    """matrix with a seed, then labels from the global generator, as in cleanlab's docs."""
    true = np.repeat(np.arange(5), 200)
    py = np.full(5, 0.2)
    theirs = cn.generate_noisy_labels(true, cn.generate_noise_matrix_from_trace(5, 3.5, py=py, seed=4))
    ours = ln.generate_noisy_labels(true, ln.generate_noise_matrix_from_trace(5, 3.5, py=py, seed=4))
    assert np.array_equal(ours, theirs) and 0.25 < np.mean(ours != true) < 0.35


def test_noise_matrix_is_valid_matches_cleanlab():
    rng = np.random.RandomState(3)
    verdicts = []
    for _ in range(300):
        k = rng.randint(2, 9)
        matrix = rng.dirichlet(np.ones(k), size=k).T  # column-stochastic
        matrix[np.diag_indices(k)] += rng.uniform(0, 3)
        matrix /= matrix.sum(axis=0)
        if rng.rand() < 0.1:
            matrix *= 1.01  # joint does not sum to 1
        py = rng.dirichlet(np.ones(k))
        verdict = ln.noise_matrix_is_valid(matrix, py)
        assert verdict == cn.noise_matrix_is_valid(matrix, py)
        verdicts.append(verdict)
    assert 30 < sum(verdicts) < 270  # both outcomes exercised
    with contextlib.redirect_stdout(io.StringIO()) as out:
        ln.noise_matrix_is_valid(np.array([[0.9, 0.2], [0.1, 0.8]]), [0.5, 0.5], verbose=True)
    assert "class 1" in out.getvalue()


@pytest.mark.skipif(len(CIFAR_SETS) != 13, reason=f"CIFAR-10 sets not found in {CIFAR}")
def test_cifar10_noise_matrices():
    """The published CIFAR-10 noise matrices: validity and noisy labels drawn
    from the true labels agree with cleanlab."""
    for index, name in enumerate(CIFAR_SETS):
        with np.load(CIFAR / name) as d:
            true, matrix = d["true_labels"].astype(np.int64), d["noise_matrix"]
        py = np.bincount(true, minlength=10) / len(true)
        assert ln.noise_matrix_is_valid(matrix, py) == cn.noise_matrix_is_valid(matrix, py)
        if index % 3 == 0:  # labels for a few of them (50,000 examples each)
            np.random.seed(index)
            theirs = cn.generate_noisy_labels(true, matrix)
            assert np.array_equal(ln.generate_noisy_labels(true, matrix, random_state=index), theirs)


def test_missing_true_class_is_allowed():
    """Documented difference: cleanlab's priors drop absent classes (and then
    fail to broadcast); labelsieve gives an absent class prior 0."""
    true = np.repeat([0, 2], 300)
    matrix = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])
    noisy = ln.generate_noisy_labels(true, matrix, random_state=0)
    counts = np.zeros((3, 3), dtype=int)
    np.add.at(counts, (noisy, true), 1)
    assert counts[:, 1].sum() == 0 and counts[1, 0] == 30 and counts[2, 0] == 30 and counts[0, 2] == 30


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="trace"):
        ln.generate_noise_matrix_from_trace(3, 1.0, py=[0.3, 0.3, 0.4])
    with pytest.raises(ValueError, match="py"):
        ln.generate_noise_matrix_from_trace(3, 2.0)
    with pytest.raises(ValueError, match="K"):
        ln.generate_noise_matrix_from_trace(1, 2.0, valid_noise_matrix=False)
    with pytest.raises(TypeError, match="K"):
        ln.generate_noise_matrix_from_trace(3.0, 2.0, py=[0.3, 0.3, 0.4])
    with pytest.raises(TypeError, match="trace"):
        ln.generate_noise_matrix_from_trace(3, "2", py=[0.3, 0.3, 0.4])
    with pytest.raises(ValueError, match="py"):
        ln.generate_noise_matrix_from_trace(3, 2.0, py=[0.5, 0.5])
    with pytest.raises(TypeError, match="max_iter"):
        ln.generate_noise_matrix_from_trace(3, 2.0, py=[0.3, 0.3, 0.4], max_iter=None)
    with pytest.raises(TypeError, match="seed"):
        ln.generate_noise_matrix_from_trace(3, 2.0, py=[0.3, 0.3, 0.4], seed="x")
    with pytest.raises(TypeError, match="frac_zero_noise_rates"):
        ln.generate_noise_matrix_from_trace(3, 2.0, py=[0.3, 0.3, 0.4], frac_zero_noise_rates="half")
    with pytest.raises(ValueError, match="max_noise_rate"):
        ln.generate_noise_matrix_from_trace(3, 2.0, py=[0.3, 0.3, 0.4], max_noise_rate=np.nan)
    with pytest.raises(TypeError, match="true_labels"):
        ln.generate_noisy_labels(["a", "b"], np.eye(2))
    with pytest.raises(ValueError, match="true_labels"):
        ln.generate_noisy_labels([[0, 1]], np.eye(2))
    with pytest.raises(ValueError, match="max_trace_prob"):
        ln.generate_noise_matrix_from_trace(4, 3.0, py=np.full(4, 0.25), max_trace_prob=0.5)
    with pytest.raises(ValueError, match="min_trace_prob"):
        ln.generate_noise_matrix_from_trace(4, 1.5, py=np.full(4, 0.25), min_trace_prob=0.5)
    with pytest.raises(ValueError, match="noise_matrix"):
        ln.generate_noisy_labels([0, 1, 1], np.ones((2, 3)))
    with pytest.raises(ValueError, match="true_labels"):
        ln.generate_noisy_labels([0, 1, 5], np.eye(3))
    with pytest.raises(ValueError, match="true_labels"):
        ln.generate_noisy_labels([], np.eye(3))
    with pytest.raises(TypeError, match="random_state"):
        ln.generate_noisy_labels([0, 1, 2], np.eye(3), random_state="seed")
    with pytest.raises(ValueError, match="py"):
        ln.noise_matrix_is_valid(np.eye(3), [0.5, 0.5])
    with pytest.raises(ValueError, match="noise_matrix"):
        ln.noise_matrix_is_valid(np.eye(3)[:2], [0.5, 0.5])


def test_docs_noise_examples_run():
    """Every python block of docs/noise.md runs, in order, in one namespace."""
    text = (ROOT / "docs" / "noise.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 3
    namespace = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for block in blocks:
            exec(compile(block, "docs/noise.md", "exec"), namespace)
    assert "noisy_labels" in namespace
