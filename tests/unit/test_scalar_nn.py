"""Neuron, Layer, MLP: structure, initialization, weights in the Z = XW + b layout, gradients."""
from __future__ import annotations

import math
import random

import numpy as np
import pytest

from backprop_lib.scalar import MLP, Layer, Module, Neuron, Value, topological_order

from .finite_differences import partial_difference


def rel_error(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-8)


def numerical_grad(loss_fn, params: list[Value], i: int) -> float:
    """Centered difference of ``loss_fn()`` (a float) in parameter ``i``; the parameters keep their values."""
    values = [p.data for p in params]

    def loss_at(xs: list[float]) -> float:
        params[i].data = xs[i]
        try:
            return loss_fn()
        finally:
            params[i].data = values[i]

    return partial_difference(loss_at, values, i)


def mse_loss(model, X, y) -> Value:
    preds = [model(x) for x in X]
    return sum((p - t) ** 2 for p, t in zip(preds, y)) * (1.0 / len(y))


def test_parameter_counts_and_reprs():
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == (2 + 1) * 16 + (16 + 1) * 16 + (16 + 1) * 1 == 337
    assert repr(Neuron(3, seed=0)) == "ReLUNeuron(3)"
    assert repr(Neuron(3, nonlin=False, seed=0)) == "LinearNeuron(3)"
    assert repr(Neuron(3, activation="tanh", seed=0)) == "TanhNeuron(3)"
    assert repr(Neuron(3, activation="sigmoid", seed=0)) == "SigmoidNeuron(3)"
    assert repr(Neuron(3, nonlin=False, activation="tanh", seed=0)) == "LinearNeuron(3)"
    assert repr(MLP(2, [2, 1], activation="tanh", seed=0)) == (
        "MLP of [Layer of [TanhNeuron(2), TanhNeuron(2)], Layer of [LinearNeuron(2)]]"
    )
    assert Module().parameters() == []


@pytest.mark.parametrize(
    "activation,fn",
    [("relu", lambda z: max(0.0, z)), ("tanh", math.tanh), ("sigmoid", lambda z: 1 / (1 + math.exp(-z))), ("linear", lambda z: z)],
)
def test_neuron_computes_activation_of_affine(activation, fn):
    n = Neuron(3, activation=activation, seed=1)
    n.set_weights([0.5, -1.0, 0.25], 0.1)
    x = [1.0, 0.3, -2.0]
    z = 0.1 + 0.5 * 1.0 - 1.0 * 0.3 + 0.25 * -2.0
    assert n(x).data == pytest.approx(fn(z), rel=1e-14)
    assert n.nonlin == (activation != "linear")


def test_initialization_is_uniform_in_minus_one_one_with_zero_bias():
    model = MLP(4, [50, 50], seed=2)
    ws = [w.data for layer in model.layers for n in layer.neurons for w in n.w]
    bs = [n.b.data for layer in model.layers for n in layer.neurons]
    assert all(-1 <= w <= 1 for w in ws) and all(b == 0.0 for b in bs)
    assert abs(sum(ws) / len(ws)) < 0.05 and min(ws) < -0.95 and max(ws) > 0.95


def test_seed_and_rng_make_initialization_reproducible():
    a = [p.data for p in MLP(3, [4, 2], seed=5).parameters()]
    b = [p.data for p in MLP(3, [4, 2], seed=5).parameters()]
    c = [p.data for p in MLP(3, [4, 2], seed=6).parameters()]
    d = [p.data for p in MLP(3, [4, 2], rng=random.Random(5)).parameters()]
    assert a == b == d and a != c
    layer = Layer(3, 4, seed=0)
    assert len({tuple(w.data for w in n.w) for n in layer.neurons}) == 4  # neurons differ


def test_default_initialization_uses_the_global_random_like_micrograd():
    random.seed(11)
    a = [p.data for p in MLP(2, [3, 1]).parameters()]
    random.seed(11)
    expected = [random.uniform(-1, 1) for _ in range(2)] + [0.0]
    assert a[:3] == expected


def test_layer_returns_a_value_for_one_neuron_and_a_list_otherwise():
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    out = Layer(2, 3, seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_mlp_gradients_match_finite_differences(activation):
    rng = random.Random(3)
    X = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(5)]
    y = [rng.uniform(-1, 1) for _ in range(5)]
    model = MLP(3, [4, 3, 1], activation=activation, seed=4)
    params = model.parameters()
    model.zero_grad()
    mse_loss(model, X, y).backward()
    for i, p in enumerate(params):
        numeric = numerical_grad(lambda: mse_loss(model, X, y).data, params, i)
        assert rel_error(p.grad, numeric) < 1e-7, (activation, i, p.grad, numeric)
    assert any(p.grad != 0 for p in params)


def test_fused_and_unfused_neurons_give_the_same_numbers():
    X = [[0.3, -1.2], [1.5, 0.4], [-0.7, 0.9]]
    y = [1.0, -1.0, 0.5]
    results = []
    for fused in (True, False):
        model = MLP(2, [5, 5, 1], activation="tanh", seed=9, fused=fused)
        loss = mse_loss(model, X, y)
        loss.backward()
        results.append((loss.data, [p.grad for p in model.parameters()], len(topological_order(loss))))
    (l1, g1, n1), (l2, g2, n2) = results
    assert l1 == l2
    assert g1 == pytest.approx(g2, rel=1e-12, abs=1e-15)
    assert n1 < n2 / 2  # one node per neuron instead of 2 nin + 1


def test_set_weights_uses_the_XW_plus_b_layout_and_round_trips():
    model = MLP(3, [2, 1], activation="linear", seed=0)
    W1 = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])  # (n_in, n_out)
    b1 = np.array([0.01, -0.02])
    W2 = [[1.5], [-2.0]]
    b2 = [0.25]
    model.set_weights([(W1, b1), (W2, b2)])
    x = np.array([1.0, -1.0, 2.0])
    expected = (x @ W1 + b1) @ np.array(W2) + np.array(b2)
    assert model(list(x)).data == pytest.approx(expected[0], rel=1e-14)
    assert model.layers[0].neurons[1].w[2].data == 0.6  # neuron j holds column j
    got = model.get_weights()
    assert got[0][0] == W1.tolist() and got[0][1] == b1.tolist()
    assert got[1] == (W2, b2)


def test_set_weights_keeps_the_parameter_objects():
    model = MLP(2, [2, 1], seed=0)
    before = model.parameters()
    model.set_weights([(np.ones((2, 2)), np.zeros(2)), (np.ones((2, 1)), np.zeros(1))])
    assert all(a is b for a, b in zip(before, model.parameters()))
    assert all(p.data in (0.0, 1.0) for p in before)


def test_get_grads_layout_matches_the_vectorized_formulas():
    model = MLP(3, [4, 1], activation="linear", seed=1)
    x = [0.5, -1.0, 2.0]
    out = model(x)
    out.backward()
    (dW1, db1), (dW2, db2) = model.get_grads()
    (W1, b1), (W2, b2) = model.get_weights()
    h = np.array(x) @ np.array(W1) + np.array(b1)
    # Z = XW + b with upstream 1: dW2 = h^T, db2 = 1, dH = W2^T, dW1 = x^T dH, db1 = dH
    assert np.allclose(dW2, h[:, None], rtol=1e-14) and db2 == [1.0]
    dH = np.array(W2)[:, 0]
    assert np.allclose(dW1, np.outer(x, dH), rtol=1e-14) and np.allclose(db1, dH, rtol=1e-14)


def test_set_weights_errors_name_expected_and_given_shapes():
    model = MLP(3, [2, 1], seed=0)
    with pytest.raises(ValueError, match=r"W must have shape \(3, 2\), got \(2, 3\) \(did you transpose\?\)"):
        model.set_weights([(np.zeros((2, 3)), np.zeros(2)), (np.zeros((2, 1)), np.zeros(1))])
    with pytest.raises(ValueError, match="expected 2 \\(W, b\\) pairs, one per layer, got 1"):
        model.set_weights([(np.zeros((3, 2)), np.zeros(2))])
    with pytest.raises(ValueError, match=r"b \(shape \(2,\)\) must have 2 entries, got 3"):
        model.set_weights([(np.zeros((3, 2)), np.zeros(3)), (np.zeros((2, 1)), np.zeros(1))])
    with pytest.raises(ValueError, match="expected 3 rows, got 2"):
        model.set_weights([([[0, 0], [0, 0]], [0, 0]), ([[0], [0]], [0])])
    with pytest.raises(TypeError, match="must contain numbers, got str"):
        model.set_weights([([["a", 0], [0, 0], [0, 0]], [0, 0]), ([[0], [0]], [0])])


def test_zero_grad_resets_every_parameter():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_bad_arguments():
    with pytest.raises(ValueError, match="activation must be one of 'relu', 'tanh', 'sigmoid', 'linear'; got 'elu'"):
        Neuron(2, activation="elu")
    with pytest.raises(TypeError, match="nin must be an int, got float"):
        Neuron(2.0)
    with pytest.raises(ValueError, match="nin must be at least 1, got 0"):
        MLP(0, [1])
    with pytest.raises(ValueError, match="nouts must list at least one layer size"):
        MLP(2, [])
    with pytest.raises(ValueError, match="pass either seed or rng, not both"):
        MLP(2, [1], seed=1, rng=random.Random(1))
    with pytest.raises(TypeError, match="rng must be a random.Random, got int"):
        Layer(2, 2, rng=3)
    with pytest.raises(TypeError, match="seed must be an int or None, got str"):
        Layer(2, 2, seed="3")


def test_wrong_number_of_inputs_is_an_error_not_a_silent_truncation():
    n = Neuron(3, seed=0)
    with pytest.raises(ValueError, match=r"ReLUNeuron\(3\) expects 3 inputs, got 2"):
        n([1.0, 2.0])
    with pytest.raises(TypeError, match="expects a list of 3 inputs, got NoneType"):
        n(None)
    assert isinstance(Neuron(1, seed=0)(2.0), Value)  # one input may be given bare
