"""RowNorm: forward statistics, backward against finite differences and PyTorch's layer_norm."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.gradcheck import check_layer, numerical_gradient, rel_error
from backprop_lib.layers import Linear, ReLU, Sequential
from backprop_lib.normalization import RowNorm

RNG = np.random.default_rng(13)


@pytest.mark.parametrize("shape", [(4, 6), (1, 3), (7, 2), (3, 50)])
def test_rows_have_mean_0_and_std_1(shape):
    Z = 3.0 + 5.0 * RNG.standard_normal(shape)
    out = RowNorm().forward(Z)
    assert out.shape == shape
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-12)
    # the eps inside the square root makes the std a little below 1
    np.testing.assert_allclose(out.std(axis=1), np.sqrt(Z.var(axis=1) / (Z.var(axis=1) + 1e-5)), rtol=1e-12)


@pytest.mark.parametrize("eps", [1e-5, 1e-2, 1.0])
def test_backward_matches_finite_differences(eps):
    Z = RNG.standard_normal((5, 7))
    layer = RowNorm(eps=eps)
    report = check_layer(layer, Z)
    assert report.ok, report
    # and by hand, for an arbitrary upstream gradient (the eps is exact, not an approximation)
    dout = RNG.standard_normal(Z.shape)
    layer.forward(Z)
    dZ = layer.backward(dout)
    numeric = numerical_gradient(lambda z: float(np.sum(RowNorm(eps=eps).forward(z) * dout)), Z.copy())
    assert rel_error(dZ, numeric) < 1e-8


def test_constant_row_is_safe():
    Z = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]])
    layer = RowNorm()
    out = layer.forward(Z)
    assert np.all(np.isfinite(out)) and np.all(out[0] == 0)
    assert np.all(np.isfinite(layer.backward(np.ones_like(Z))))


def test_inside_a_network():
    net = Sequential(Linear(4, 6, seed=1), RowNorm(), ReLU(), Linear(6, 3, seed=2))
    assert check_layer(net, RNG.standard_normal((5, 4))).ok


def test_bad_input_and_missing_cache():
    with pytest.raises(ValueError, match=r"expects input of shape \(N, d\).*got \(6,\)"):
        RowNorm().forward(np.ones(6))
    with pytest.raises(RuntimeError, match="before forward"):
        RowNorm().backward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="eps must be > 0"):
        RowNorm(eps=0)
    layer = RowNorm()
    layer.forward(np.ones((2, 3)))
    assert layer.backward(np.ones((2, 3)), input_grad=False) is None
    with pytest.raises(ValueError, match="dout"):
        layer.backward(np.ones((3, 2)))


@pytest.mark.torch
@pytest.mark.parametrize("eps", [1e-5, 0.1])
def test_matches_torch_layer_norm(torch, eps):
    Z = RNG.standard_normal((6, 9))
    dout = RNG.standard_normal((6, 9))
    layer = RowNorm(eps=eps)
    out = layer.forward(Z)
    dZ = layer.backward(dout)
    z = torch.tensor(Z, dtype=torch.float64, requires_grad=True)
    o = torch.nn.functional.layer_norm(z, (9,), eps=eps)
    o.backward(torch.tensor(dout, dtype=torch.float64))
    np.testing.assert_allclose(out, o.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dZ, z.grad.numpy(), rtol=1e-10, atol=1e-12)
