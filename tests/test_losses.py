"""NumPy noise-corrected losses: values from first principles, gradients vs
central finite differences (float64), reductions to plain cross-entropy,
numerical stability, and bad inputs."""

import numpy as np
import pytest

import labelsieve
from labelsieve.losses import forward_corrected_cross_entropy, noise_adapted_cross_entropy


def random_noise_matrix(rng, k, zero_frac=0.0):
    """Columns sum to 1 (P(given | true)), diagonal dominant, some zeros."""
    m = rng.uniform(0.0, 1.0, (k, k))
    m[rng.random((k, k)) < zero_frac] = 0.0
    m += np.eye(k) * k
    return m / m.sum(axis=0, keepdims=True)


def problem(seed, n=7, k=5, scale=3.0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, k)) * scale, rng.integers(0, k, n), rng


def naive_loss(logits, labels, noise_matrix):
    """Direct, unstabilised formula: mean of -log((nm @ softmax(z))[label])."""
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    p_tilde = p @ noise_matrix.T  # p_tilde[n, i] = sum_j nm[i, j] p[n, j]
    return -np.mean(np.log(p_tilde[np.arange(len(labels)), labels]))


def finite_difference_grad(f, z, h=1e-6):
    grad = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[idx] += h
        down[idx] -= h
        grad[idx] = (f(up) - f(down)) / (2 * h)
    return grad


@pytest.mark.parametrize("seed", range(6))
def test_forward_loss_value_and_gradient(seed):
    z, y, rng = problem(seed, k=2 + seed)
    nm = random_noise_matrix(rng, z.shape[1], zero_frac=0.3)
    loss, grad = forward_corrected_cross_entropy(z, y, nm)
    assert loss == pytest.approx(naive_loss(z, y, nm), rel=1e-12)
    numeric = finite_difference_grad(lambda w: forward_corrected_cross_entropy(w, y, nm)[0], z)
    np.testing.assert_allclose(grad, numeric, atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("epsilon", [0.0, 0.05, 0.3, 0.9, 1.0])
def test_noise_adapted_value_and_gradient(epsilon):
    z, y, _ = problem(11, k=6)
    k = z.shape[1]
    loss, grad = noise_adapted_cross_entropy(z, y, epsilon)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(epsilon / k + (1 - epsilon) * p[np.arange(len(y)), y]))
    assert loss == pytest.approx(expected, rel=1e-12)
    numeric = finite_difference_grad(lambda w: noise_adapted_cross_entropy(w, y, epsilon)[0], z)
    np.testing.assert_allclose(grad, numeric, atol=1e-8, rtol=1e-6)
    if epsilon == 1.0:
        assert loss == pytest.approx(np.log(k), rel=1e-14)
        np.testing.assert_allclose(grad, 0.0, atol=1e-16)


def test_noise_adapted_is_forward_correction_with_a_uniform_matrix():
    z, y, _ = problem(3, n=20, k=4)
    eps, k = 0.25, 4
    uniform = np.full((k, k), eps / k) + (1 - eps) * np.eye(k)
    a = noise_adapted_cross_entropy(z, y, eps)
    b = forward_corrected_cross_entropy(z, y, uniform)
    assert a[0] == pytest.approx(b[0], rel=1e-14)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-12, atol=1e-15)


def plain_cross_entropy(z, y):
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    p = np.exp(log_p)
    onehot = np.eye(z.shape[1])[y]
    return -log_p[np.arange(len(y)), y].mean(), (p - onehot) / len(y)


@pytest.mark.parametrize("seed", range(3))
def test_zero_noise_is_plain_cross_entropy(seed):
    z, y, _ = problem(seed, n=30, k=7)
    expected_loss, expected_grad = plain_cross_entropy(z, y)
    for loss, grad in (
        noise_adapted_cross_entropy(z, y, 0.0),
        forward_corrected_cross_entropy(z, y, np.eye(7)),
    ):
        assert loss == pytest.approx(expected_loss, rel=1e-14)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-17)


def test_reductions_and_per_example_gradients():
    z, y, rng = problem(5, n=9, k=3)
    nm = random_noise_matrix(rng, 3)
    mean_loss, mean_grad = forward_corrected_cross_entropy(z, y, nm)
    sum_loss, sum_grad = forward_corrected_cross_entropy(z, y, nm, reduction="sum")
    each, each_grad = forward_corrected_cross_entropy(z, y, nm, reduction="none")
    assert each.shape == (9,) and sum_loss == pytest.approx(each.sum()) and mean_loss == pytest.approx(each.mean())
    np.testing.assert_allclose(sum_grad, each_grad)
    np.testing.assert_allclose(mean_grad * 9, sum_grad)
    # row n of the "none" gradient is the gradient of example n's loss alone
    for n in range(9):
        single = forward_corrected_cross_entropy(z[n : n + 1], y[n : n + 1], nm)
        assert single[0] == pytest.approx(each[n], rel=1e-14)
        np.testing.assert_allclose(single[1][0], each_grad[n], rtol=1e-12, atol=1e-17)


def test_huge_logits_are_stable():
    z = np.array([[1000.0, -1000.0, 0.0], [-800.0, 800.0, 799.0], [1e5, 1e5, -1e5]])
    y = np.array([1, 2, 0])
    nm = np.array([[0.8, 0.1, 0.0], [0.2, 0.8, 0.1], [0.0, 0.1, 0.9]])
    loss, grad = forward_corrected_cross_entropy(z, y, nm, reduction="none")
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
    # row 0: p = (1, 0, 0) up to e^-1000, p_tilde[1] = 0.2
    assert loss[0] == pytest.approx(-np.log(0.2), rel=1e-12)
    # row 1: p ~ (0, 1/(1+e^-1), e^-1/(1+e^-1)); p_tilde[2] = 0.1 p1 + 0.9 p2
    p1, p2 = 1 / (1 + np.exp(-1.0)), np.exp(-1.0) / (1 + np.exp(-1.0))
    assert loss[1] == pytest.approx(-np.log(0.1 * p1 + 0.9 * p2), rel=1e-12)
    # plain cross-entropy would be 1000 for row 0 of this batch; the noise model caps it
    ce, _ = noise_adapted_cross_entropy(z[:1], y[:1], 0.0)
    assert ce == pytest.approx(2000.0, rel=1e-12)
    # gradients stay probability differences: every row sums to 0
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-12)


def test_float32_stays_float32_and_close_to_float64():
    z, y, rng = problem(8, n=50, k=5)
    nm = random_noise_matrix(rng, 5)
    loss32, grad32 = forward_corrected_cross_entropy(z.astype(np.float32), y, nm)
    loss64, grad64 = forward_corrected_cross_entropy(z, y, nm)
    assert grad32.dtype == np.float32
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    np.testing.assert_allclose(grad32, grad64, atol=1e-6)


def test_exported_from_the_package():
    assert labelsieve.forward_corrected_cross_entropy is forward_corrected_cross_entropy
    assert labelsieve.noise_adapted_cross_entropy is noise_adapted_cross_entropy


def test_works_with_the_estimated_noise_matrix():
    """The matrix labelsieve.estimate_noise returns is accepted as is."""
    rng = np.random.default_rng(0)
    true = rng.integers(0, 4, 400)
    p = rng.dirichlet(np.ones(4), 400)
    p[np.arange(400), true] += 1
    p /= p.sum(axis=1, keepdims=True)
    labels = np.where(rng.random(400) < 0.3, rng.integers(0, 4, 400), true)
    _, nm, inv, _ = labelsieve.estimate_noise(labels, p)
    assert not np.allclose(nm.sum(axis=1), 1)
    loss, grad = forward_corrected_cross_entropy(np.log(p), labels, nm)
    assert np.isfinite(loss) and grad.shape == p.shape
    with pytest.raises(ValueError, match="transposed"):
        forward_corrected_cross_entropy(np.log(p), labels, nm.T)


GOOD_Z = np.zeros((3, 2))
GOOD_Y = np.array([0, 1, 1])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(logits=np.zeros(3)), ValueError, "logits"),
        (dict(logits=np.zeros((0, 2)), labels=np.zeros(0, int)), ValueError, "logits"),
        (dict(logits=np.array([[0.0, np.nan]] * 3)), ValueError, "logits"),
        (dict(logits=np.array([["a", "b"]] * 3)), TypeError, "logits"),
        (dict(labels=np.array([0, 1])), ValueError, "labels"),
        (dict(labels=np.array([0, 1, 2])), ValueError, "labels"),
        (dict(labels=np.array([0, -1, 1])), ValueError, "labels"),
        (dict(labels=np.array([0.0, 1.0, 1.0])), TypeError, "labels"),
        (dict(noise_matrix=np.eye(3)), ValueError, "noise_matrix"),
        (dict(noise_matrix=np.ones(2)), ValueError, "noise_matrix"),
        (dict(noise_matrix=np.array([[0.9, 0.9], [0.1, 0.1]]).T), ValueError, "columns must sum to 1"),
        (dict(noise_matrix=np.array([[1.5, 0.0], [-0.5, 1.0]])), ValueError, "noise_matrix"),
        (dict(noise_matrix=np.array([[1.0, np.nan], [0.0, 1.0]])), ValueError, "noise_matrix"),
        (dict(reduction="avg"), ValueError, "reduction"),
    ],
)
def test_forward_bad_inputs(kwargs, error, match):
    args = dict(logits=GOOD_Z, labels=GOOD_Y, noise_matrix=np.eye(2))
    args.update(kwargs)
    with pytest.raises(error, match=match):
        forward_corrected_cross_entropy(args.pop("logits"), args.pop("labels"), args.pop("noise_matrix"), **args)


def test_all_zero_noise_row_for_a_given_label():
    nm = np.array([[1.0, 1.0], [0.0, 0.0]])  # nobody is ever labelled 1
    assert forward_corrected_cross_entropy(GOOD_Z[:1], np.array([0]), nm)[0] == pytest.approx(0.0, abs=1e-15)
    with pytest.raises(ValueError, match="row 1 is all zero"):
        forward_corrected_cross_entropy(GOOD_Z, GOOD_Y, nm)


@pytest.mark.parametrize("epsilon, error", [(-0.1, ValueError), (1.5, ValueError), ("0.1", TypeError),
                                            (None, TypeError), (True, TypeError), (np.nan, ValueError)])
def test_noise_adapted_bad_epsilon(epsilon, error):
    with pytest.raises(error, match="epsilon"):
        noise_adapted_cross_entropy(GOOD_Z, GOOD_Y, epsilon)
