"""The scalar engine (one Value per number) and the vectorized engine give the same gradients."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.layers import Identity, Linear, ReLU, Sequential, Sigmoid, Tanh
from backprop_lib.losses import MSELoss, SoftmaxCrossEntropy
from backprop_lib.scalar import MLP, Value

VECTOR_ACT = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "linear": Identity}


def vectorized_twin(mlp_weights, activation):
    """A Sequential with the scalar MLP's weights (both use Z = XW + b, W of shape (n_in, n_out))."""
    layers = []
    for k, (W, b) in enumerate(mlp_weights):
        W, b = np.array(W), np.array(b)
        lin = Linear(*W.shape, seed=0)
        lin.W.data[...] = W
        lin.b.data[...] = b
        layers.append(lin)
        if k < len(mlp_weights) - 1:
            layers.append(VECTOR_ACT[activation]())
    return Sequential(*layers)


def scalar_cross_entropy(outputs, y):
    """Mean softmax cross-entropy written with Value operations (shifted by the max for stability)."""
    total = Value(0.0)
    for logits, label in zip(outputs, y):
        m = max(v.data for v in logits)              # a constant shift: it does not change the gradient
        lse = sum(((v - m).exp() for v in logits), Value(0.0)).log() + m
        total = total + (lse - logits[int(label)])
    return total * (1.0 / len(outputs))


def scalar_mse(outputs, targets):
    total = Value(0.0)
    for out, t in zip(outputs, targets):
        for o, ti in zip(out, t):
            total = total + (o - float(ti)) ** 2
    return total * (1.0 / (len(outputs) * len(outputs[0])))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("sizes", [[4, 3], [5, 4, 3], [1, 2]])
@pytest.mark.parametrize("loss_name", ["ce", "mse"])
@pytest.mark.parametrize("fused", [True, False])
def test_same_mlp_same_gradients(activation, sizes, loss_name, fused):
    rng = np.random.default_rng(len(sizes) * 10 + sizes[0])
    n_in, N = 3, 6
    scalar = MLP(n_in, sizes, activation=activation, fused=fused, seed=1)
    # non-trivial biases too, so a bias bug cannot hide behind zeros
    dims = [n_in] + sizes
    weights = [(rng.standard_normal((dims[k], dims[k + 1])), 0.5 * rng.standard_normal(dims[k + 1]))
               for k in range(len(sizes))]
    scalar.set_weights(weights)
    net = vectorized_twin(scalar.get_weights(), activation)
    X = rng.standard_normal((N, n_in))
    C = sizes[-1]

    outputs = []
    for row in X:
        out = scalar([float(v) for v in row])
        outputs.append(out if isinstance(out, list) else [out])
    if loss_name == "ce":
        y = rng.integers(0, C, N)
        loss_fn = SoftmaxCrossEntropy()
        scalar_loss = scalar_cross_entropy(outputs, y)
    else:
        y = rng.standard_normal((N, C))
        loss_fn = MSELoss()
        scalar_loss = scalar_mse(outputs, y)
    scalar.zero_grad()
    scalar_loss.backward()

    Z = net.forward(X)
    np.testing.assert_allclose(Z, [[v.data for v in out] for out in outputs], rtol=1e-12, atol=1e-13)
    loss = loss_fn.forward(Z, y)
    assert loss == pytest.approx(scalar_loss.data, rel=1e-12, abs=1e-14)
    net.backward(loss_fn.backward())

    linears = [layer for layer in net.layers if isinstance(layer, Linear)]
    for (dW, db), lin in zip(scalar.get_grads(), linears):
        np.testing.assert_allclose(lin.W.grad, np.array(dW), rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(lin.b.grad, np.array(db), rtol=1e-10, atol=1e-13)
    assert any(np.abs(lin.W.grad).max() > 1e-6 for lin in linears)   # the comparison is not between zeros
