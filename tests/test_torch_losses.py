"""labelsieve.torch losses: equal to the NumPy losses (float64, ~1e-12),
autograd gradients equal the NumPy closed-form gradients, finite differences
(torch.autograd.gradcheck), reductions to torch's cross_entropy, bad inputs,
and `import labelsieve` does not import torch."""

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from labelsieve.losses import forward_corrected_cross_entropy, noise_adapted_cross_entropy  # noqa: E402
from labelsieve.torch import ForwardCorrectedCrossEntropy, NoiseAdaptedCrossEntropy  # noqa: E402
from test_losses import problem, random_noise_matrix  # noqa: E402


def torch_loss_and_grad(module, z, y):
    zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    loss = module(zt, torch.as_tensor(y))
    loss.sum().backward()  # "none": row n of the gradient belongs to example n
    return loss.detach().numpy(), zt.grad.numpy()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("seed", range(5))
def test_forward_matches_numpy(seed, reduction):
    z, y, rng = problem(seed, n=40, k=2 + 2 * seed, scale=4.0)
    nm = random_noise_matrix(rng, z.shape[1], zero_frac=0.3)
    loss, grad = torch_loss_and_grad(ForwardCorrectedCrossEntropy(nm, reduction=reduction), z, y)
    np_loss, np_grad = forward_corrected_cross_entropy(z, y, nm, reduction=reduction)
    np.testing.assert_allclose(loss, np_loss, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(grad, np_grad, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("epsilon", [0.0, 0.1, 0.5, 1.0])
def test_noise_adapted_matches_numpy(epsilon, reduction):
    z, y, _ = problem(21, n=30, k=10, scale=5.0)
    loss, grad = torch_loss_and_grad(NoiseAdaptedCrossEntropy(epsilon, reduction=reduction), z, y)
    np_loss, np_grad = noise_adapted_cross_entropy(z, y, epsilon, reduction=reduction)
    np.testing.assert_allclose(loss, np_loss, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(grad, np_grad, rtol=1e-10, atol=1e-13)


def test_gradcheck_against_finite_differences():
    z, y, rng = problem(4, n=6, k=4)
    nm = torch.tensor(random_noise_matrix(rng, 4, zero_frac=0.2))
    zt = torch.tensor(z, requires_grad=True)
    yt = torch.as_tensor(y)
    assert torch.autograd.gradcheck(lambda w: ForwardCorrectedCrossEntropy(nm)(w, yt), (zt,))
    assert torch.autograd.gradcheck(lambda w: NoiseAdaptedCrossEntropy(0.2, reduction="none")(w, yt), (zt,))


def test_zero_noise_is_torch_cross_entropy():
    z, y, _ = problem(2, n=25, k=6)
    zt, yt = torch.tensor(z), torch.as_tensor(y)
    expected = torch.nn.functional.cross_entropy(zt, yt).item()
    assert NoiseAdaptedCrossEntropy(0.0)(zt, yt).item() == pytest.approx(expected, rel=1e-14)
    assert ForwardCorrectedCrossEntropy(np.eye(6))(zt, yt).item() == pytest.approx(expected, rel=1e-14)


def test_float32_and_module_behaviour():
    z, y, rng = problem(6, n=12, k=3)
    nm = random_noise_matrix(rng, 3)
    module = ForwardCorrectedCrossEntropy(torch.tensor(nm))  # a tensor noise matrix works too
    out = module(torch.tensor(z, dtype=torch.float32), torch.as_tensor(y, dtype=torch.int32))
    assert out.dtype == torch.float32
    assert out.item() == pytest.approx(forward_corrected_cross_entropy(z, y, nm)[0], rel=1e-5)
    assert "log_noise" in dict(module.named_buffers())  # moves with .to(device)
    assert "epsilon=0.3" in repr(NoiseAdaptedCrossEntropy(0.3))


def test_trains_a_linear_model():
    """A few SGD steps with the forward-corrected loss lower it."""
    z, y, rng = problem(9, n=200, k=3)
    nm = random_noise_matrix(rng, 3)
    x = torch.tensor(z)
    model = torch.nn.Linear(3, 3).double()
    optimiser = torch.optim.SGD(model.parameters(), lr=0.5)
    loss_fn = ForwardCorrectedCrossEntropy(nm)
    first = loss_fn(model(x), torch.as_tensor(y)).item()
    for _ in range(50):
        optimiser.zero_grad()
        loss = loss_fn(model(x), torch.as_tensor(y))
        loss.backward()
        optimiser.step()
    assert loss.item() < first - 0.1


@pytest.mark.parametrize(
    "make, logits, labels, error, match",
    [
        (lambda: ForwardCorrectedCrossEntropy(np.eye(2)), torch.zeros(3, 3), torch.zeros(3, dtype=torch.long),
         ValueError, "logits"),
        (lambda: ForwardCorrectedCrossEntropy(np.eye(2)), torch.zeros(3), torch.zeros(3, dtype=torch.long),
         ValueError, "logits"),
        (lambda: ForwardCorrectedCrossEntropy(np.eye(2)), np.zeros((3, 2)), torch.zeros(3, dtype=torch.long),
         TypeError, "logits"),
        (lambda: ForwardCorrectedCrossEntropy(np.eye(2)), torch.zeros(3, 2), torch.zeros(3), TypeError, "labels"),
        (lambda: ForwardCorrectedCrossEntropy(np.eye(2)), torch.zeros(3, 2), torch.zeros(2, dtype=torch.long),
         ValueError, "labels"),
        (lambda: NoiseAdaptedCrossEntropy(0.1), torch.zeros(3, 2), torch.tensor([0, 1, 2]), ValueError, "labels"),
        (lambda: NoiseAdaptedCrossEntropy(0.1), torch.zeros(3, 2, 1), torch.tensor([0, 1, 1]), ValueError, "logits"),
    ],
)
def test_bad_call_inputs(make, logits, labels, error, match):
    with pytest.raises(error, match=match):
        make()(logits, labels)


def test_bad_constructor_inputs():
    with pytest.raises(ValueError, match="columns must sum to 1"):
        ForwardCorrectedCrossEntropy(np.array([[0.9, 0.9], [0.1, 0.1]]).T)
    with pytest.raises(ValueError, match="noise_matrix"):
        ForwardCorrectedCrossEntropy(np.ones((2, 3)) / 2)
    with pytest.raises(ValueError, match="epsilon"):
        NoiseAdaptedCrossEntropy(1.2)
    with pytest.raises(ValueError, match="reduction"):
        NoiseAdaptedCrossEntropy(0.1, reduction="max")
    with pytest.raises(ValueError, match="all-zero row"):
        ForwardCorrectedCrossEntropy(np.array([[1.0, 1.0], [0.0, 0.0]]))(torch.zeros(2, 2), torch.tensor([0, 1]))


def test_import_labelsieve_imports_neither_torch_nor_sklearn():
    code = "import sys, labelsieve; print('torch' in sys.modules, 'sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
