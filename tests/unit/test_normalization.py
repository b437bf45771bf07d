"""RowNorm: forward statistics, backward against finite differences and PyTorch's layer_norm."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.gradcheck import check_layer, numerical_gradient, rel_error
from backprop_lib.layers import Linear, ReLU, Sequential
from backprop_lib.normalization import BatchNorm1d, LayerNorm, RowNorm, set_training

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


# ---- LayerNorm and BatchNorm1d -------------------------------------------------------------


def _with_random_affine(layer, d):
    layer.gamma.data = 1.0 + 0.5 * RNG.standard_normal(d)
    layer.beta.data = RNG.standard_normal(d)
    return layer


def _grads_by_finite_differences(layer, X, dout):
    """dX, dgamma, dbeta of sum(layer(X) * dout) by centered differences (a copy of the layer)."""
    def loss(x):
        return float(np.sum(layer.forward(x) * dout))
    saved = (layer.running_mean.copy(), layer.running_var.copy()) if hasattr(layer, "running_mean") else None
    dX = numerical_gradient(loss, X.copy())
    grads = []
    for p in (layer.gamma, layer.beta):
        grads.append(numerical_gradient(lambda v, p=p: (p.data.__setitem__(slice(None), v), loss(X))[1],
                                        p.data.copy()))
    if saved is not None:
        layer.running_mean, layer.running_var = saved
    return dX, *grads


@pytest.mark.parametrize("make, shape", [(LayerNorm, (5, 7)), (LayerNorm, (1, 4)),
                                         (BatchNorm1d, (6, 4)), (BatchNorm1d, (3, 4)), (BatchNorm1d, (9, 9))])
def test_affine_norms_match_finite_differences(make, shape):
    X = 2.0 + 3.0 * RNG.standard_normal(shape)
    dout = RNG.standard_normal(shape)
    layer = _with_random_affine(make(shape[1]), shape[1])
    layer.forward(X)
    dX = layer.backward(dout)
    num_dX, num_dgamma, num_dbeta = _grads_by_finite_differences(layer, X, dout)
    assert rel_error(dX, num_dX) < 1e-7
    assert rel_error(layer.gamma.grad, num_dgamma) < 1e-7
    assert rel_error(layer.beta.grad, num_dbeta) < 1e-7
    assert check_layer(_with_random_affine(make(shape[1]), shape[1]), X).ok


def test_batchnorm_eval_backward_matches_finite_differences():
    bn = _with_random_affine(BatchNorm1d(5), 5)
    bn.running_mean = RNG.standard_normal(5)
    bn.running_var = 0.5 + RNG.random(5)
    bn.eval()
    X = RNG.standard_normal((3, 5))
    dout = RNG.standard_normal((3, 5))
    bn.forward(X)
    dX = bn.backward(dout)
    num_dX, num_dgamma, num_dbeta = _grads_by_finite_differences(bn, X, dout)
    assert rel_error(dX, num_dX) < 1e-7
    assert rel_error(bn.gamma.grad, num_dgamma) < 1e-7 and rel_error(bn.beta.grad, num_dbeta) < 1e-7


def test_batchnorm_training_output_and_running_statistics():
    X = 4.0 + 2.0 * RNG.standard_normal((8, 3))
    bn = BatchNorm1d(3, momentum=0.25)
    out = bn.forward(X)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), X.var(axis=0) / (X.var(axis=0) + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean, 0.25 * X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, 0.75 + 0.25 * X.var(axis=0, ddof=1), rtol=1e-12)
    bn.eval()
    before = bn.running_mean.copy()
    single = bn.forward(X[:1])                      # one example is fine in eval mode
    np.testing.assert_array_equal(bn.running_mean, before)
    np.testing.assert_allclose(single, (X[:1] - bn.running_mean) / np.sqrt(bn.running_var + 1e-5), rtol=1e-12)
    # in eval mode an example's output does not depend on its batch; in training it does
    np.testing.assert_allclose(bn.forward(X)[:1], single, rtol=1e-14)
    bn.train()
    assert not np.allclose(bn.forward(X[:2])[0], bn.forward(X[:3])[0])


def test_set_training_reaches_nested_layers():
    bn1, bn2 = BatchNorm1d(4), BatchNorm1d(2)
    net = Sequential(Linear(3, 4, seed=0), bn1, ReLU(), Sequential(Linear(4, 2, seed=1), bn2))
    assert set_training(net, False) is net
    assert not bn1.training and not bn2.training
    set_training(net)
    assert bn1.training and bn2.training
    assert [n for n, _ in net.named_parameters()] == ["0.W", "0.b", "1.gamma", "1.beta",
                                                      "3.0.W", "3.0.b", "3.1.gamma", "3.1.beta"]


def test_input_grad_false_still_fills_parameter_grads():
    for layer in (BatchNorm1d(3), LayerNorm(3)):
        layer.forward(RNG.standard_normal((4, 3)))
        assert layer.backward(RNG.standard_normal((4, 3)), input_grad=False) is None
        assert np.abs(layer.gamma.grad).sum() > 0 and np.abs(layer.beta.grad).sum() > 0


def test_affine_norms_bad_input():
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\) expects input of shape \(N, 3\).*got \(4, 2\)"):
        BatchNorm1d(3).forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"LayerNorm\(3\) expects input of shape \(N, 3\).*got \(3,\).*reshape"):
        LayerNorm(3).forward(np.ones(3))
    with pytest.raises(ValueError, match=r"at least 2 examples.*got 1.*\.eval\(\)"):
        BatchNorm1d(3).forward(np.ones((1, 3)))
    with pytest.raises(ValueError, match="momentum must be between 0 and 1, got 1.5"):
        BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match="d must be"):
        LayerNorm(0)
    with pytest.raises(ValueError, match="eps must be > 0"):
        BatchNorm1d(3, eps=-1.0)
    with pytest.raises(RuntimeError, match="before forward"):
        BatchNorm1d(3).backward(np.ones((2, 3)))


@pytest.mark.torch
@pytest.mark.parametrize("momentum, eps", [(0.1, 1e-5), (0.3, 0.01)])
def test_batchnorm_matches_torch_over_several_steps(torch, momentum, eps):
    d = 5
    ours = _with_random_affine(BatchNorm1d(d, momentum=momentum, eps=eps), d)
    theirs = torch.nn.BatchNorm1d(d, momentum=momentum, eps=eps, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.gamma.data))
        theirs.bias.copy_(torch.tensor(ours.beta.data))
    for step, N in enumerate((6, 3, 10)):
        X = 1.0 + 2.0 * RNG.standard_normal((N, d))
        dout = RNG.standard_normal((N, d))
        ours.zero_grad()
        theirs.zero_grad()
        out = ours.forward(X)
        dX = ours.backward(dout)
        x = torch.tensor(X, requires_grad=True)
        o = theirs(x)
        o.backward(torch.tensor(dout))
        np.testing.assert_allclose(out, o.detach().numpy(), rtol=1e-12, atol=1e-12, err_msg=f"step {step}")
        np.testing.assert_allclose(dX, x.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.gamma.grad, theirs.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.beta.grad, theirs.bias.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
    ours.eval()
    theirs.eval()
    X = RNG.standard_normal((4, d))
    dout = RNG.standard_normal((4, d))
    x = torch.tensor(X, requires_grad=True)
    o = theirs(x)
    o.backward(torch.tensor(dout))
    np.testing.assert_allclose(ours.forward(X), o.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.backward(dout), x.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.torch
def test_layernorm_matches_torch(torch):
    d = 6
    ours = _with_random_affine(LayerNorm(d, eps=1e-3), d)
    theirs = torch.nn.LayerNorm(d, eps=1e-3, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.gamma.data))
        theirs.bias.copy_(torch.tensor(ours.beta.data))
    X = 3.0 * RNG.standard_normal((4, d))
    dout = RNG.standard_normal((4, d))
    x = torch.tensor(X, requires_grad=True)
    o = theirs(x)
    o.backward(torch.tensor(dout))
    np.testing.assert_allclose(ours.forward(X), o.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.backward(dout), x.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.gamma.grad, theirs.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.beta.grad, theirs.bias.grad.numpy(), rtol=1e-10, atol=1e-12)
