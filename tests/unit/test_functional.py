"""backprop_lib.functional: the MLP as a pure function, against our engine, finite
differences, PyTorch and JAX."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.datasets import make_spirals
from backprop_lib.functional import linear_names, mlp_loss, mlp_loss_and_grad, params_of, sgd_train
from backprop_lib.gradcheck import numerical_gradient
from backprop_lib.layers import Linear, ReLU, Sequential, Tanh
from backprop_lib.losses import SoftmaxCrossEntropy
from backprop_lib.optim import SGD


def _net(act=ReLU, sizes=(2, 8, 6, 3), seed=0):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(a, b, seed=seed + i))
        if i < len(sizes) - 2:
            layers.append(act())
    return Sequential(*layers)


@pytest.fixture
def data():
    return make_spirals(n_per_class=10, k=3, noise=0.2, seed=0)


def _snapshot(params):
    return {k: v.copy() for k, v in params.items()}


@pytest.mark.parametrize("act, name", [(ReLU, "relu"), (Tanh, "tanh")])
def test_loss_and_gradient_match_our_network(data, act, name):
    X, y = data
    net = _net(act)
    params = params_of(net)
    before = _snapshot(params)
    loss_fn = SoftmaxCrossEntropy()
    expected = loss_fn.forward(net.forward(X), y)
    net.backward(loss_fn.backward())
    assert mlp_loss(params, X, y, activation=name) == pytest.approx(expected, rel=1e-14)
    loss, grads = mlp_loss_and_grad(params, X, y, activation=name)
    assert loss == pytest.approx(expected, rel=1e-14)
    assert sorted(grads) == sorted(params) == ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b"]
    for k, p in net.named_parameters():
        np.testing.assert_allclose(grads[k], p.grad, rtol=1e-12, atol=1e-15)
    for k in params:                                       # pure: nothing changed
        np.testing.assert_array_equal(params[k], before[k])


def test_gradient_matches_finite_differences(data):
    X, y = data
    params = params_of(_net(Tanh))
    _, grads = mlp_loss_and_grad(params, X, y, activation="tanh")
    for k in params:
        numeric = numerical_gradient(lambda _: mlp_loss(params, X, y, activation="tanh"), params[k])
        np.testing.assert_allclose(grads[k], numeric, rtol=1e-6, atol=1e-9)


def test_loss_is_stable_for_large_logits(data):
    X, y = data
    params = params_of(_net())
    params["4.W"] *= 1e4
    with np.errstate(over="raise", divide="raise", invalid="raise"):     # underflow to 0 is fine
        loss = mlp_loss(params, X, y)
    assert np.isfinite(loss) and loss > 10


def test_linear_names_checks_the_keys():
    assert linear_names({"0.W": 1, "0.b": 1, "2.W": 1, "2.b": 1}) == ["0", "2"]
    with pytest.raises(ValueError, match=r"should have the keys \['0.W', '0.b', '2.W', '2.b'\]"):
        linear_names({"0.W": 1, "0.b": 1, "1.W": 1, "1.b": 1})
    with pytest.raises(ValueError, match="got \\['0.W'\\]"):
        linear_names({"0.W": 1})
    with pytest.raises(TypeError, match="non-empty dict"):
        linear_names([("W", "b")])


def test_sgd_train_matches_our_optimizer_and_changes_nothing(data):
    X, y = data
    net = _net()
    params = params_of(net)
    before = _snapshot(params)
    new, losses = sgd_train(mlp_loss_and_grad, params, X, y, lr=0.3, steps=5)
    opt, loss_fn, expected = SGD(net.parameters(), lr=0.3), SoftmaxCrossEntropy(), []
    for _ in range(5):
        expected.append(loss_fn.forward(net.forward(X), y))
        net.backward(loss_fn.backward())
        opt.step()
        opt.zero_grad()
    np.testing.assert_allclose(losses, expected, rtol=1e-13)
    for k, p in net.named_parameters():
        np.testing.assert_allclose(new[k], p.data, rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(params[k], before[k])


@pytest.mark.jax
def test_jax_grad_of_mlp_loss_matches_our_backprop(jax, data):
    jnp = jax.numpy

    X, y = data
    for name, act in [("relu", ReLU), ("tanh", Tanh)]:
        params = params_of(_net(act))
        loss, grads = mlp_loss_and_grad(params, X, y, activation=name)
        jloss, jgrads = jax.jit(jax.value_and_grad(mlp_loss), static_argnums=(3, 4))(params, X, y, jnp, name)
        assert float(jloss) == pytest.approx(loss, rel=1e-13)
        for k in params:
            assert jgrads[k].dtype == jnp.float64
            np.testing.assert_allclose(np.asarray(jgrads[k]), grads[k], rtol=1e-11, atol=1e-14)


@pytest.mark.torch
def test_mlp_loss_and_grad_matches_torch(torch, data):
    X, y = data
    params = params_of(_net(Tanh))
    _, grads = mlp_loss_and_grad(params, X, y, activation="tanh")
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    loss = mlp_loss(leaves, torch.tensor(X), torch.tensor(y), xp=_TorchXp(torch), activation="tanh")
    loss.backward()
    for k in params:
        np.testing.assert_allclose(leaves[k].grad.numpy(), grads[k], rtol=1e-11, atol=1e-14)


class _TorchXp:
    """Enough of an array module on torch for mlp_loss (torch spells keepdims keepdim)."""

    def __init__(self, torch):
        self.t = torch

    def where(self, c, a, b):
        return self.t.where(c, a, self.t.tensor(b, dtype=a.dtype))

    def tanh(self, z):
        return self.t.tanh(z)

    def max(self, z, axis, keepdims):
        return self.t.amax(z, dim=axis, keepdim=keepdims)

    def sum(self, z, axis, keepdims):
        return self.t.sum(z, dim=axis, keepdim=keepdims)

    def exp(self, z):
        return self.t.exp(z)

    def log(self, z):
        return self.t.log(z)

    def mean(self, z):
        return self.t.mean(z)

    def arange(self, n):
        return self.t.arange(n)
