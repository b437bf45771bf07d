"""Property tests over random architectures, batch sizes and both losses (hypothesis)."""
from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backprop_lib.checkpoint import CheckpointedSequential
from backprop_lib.gradcheck import check_model, rel_error
from backprop_lib.layers import Identity, Linear, ReLU, Residual, Sequential, Sigmoid, Tanh, unbroadcast
from backprop_lib.losses import MSELoss, SoftmaxCrossEntropy, softmax

ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "identity": Identity}
SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def problems(draw):
    """A random MLP, a batch and a loss with matching targets."""
    n_in = draw(st.integers(1, 4))
    widths = draw(st.lists(st.integers(1, 6), min_size=0, max_size=3))
    acts = draw(st.lists(st.sampled_from(sorted(ACTIVATIONS)), min_size=len(widths), max_size=len(widths)))
    n_out = draw(st.integers(1, 4))
    N = draw(st.integers(1, 6))
    loss_name = draw(st.sampled_from(["ce", "mse"]))
    residual = draw(st.booleans())
    seed = draw(st.integers(0, 2 ** 31 - 1))
    init = draw(st.sampled_from(["he", "xavier", 0.5]))
    rng = np.random.default_rng(seed)
    layers, d = [], n_in
    for w, a in zip(widths, acts):
        layers += [Linear(d, w, init=init, rng=rng), ACTIVATIONS[a]()]
        d = w
    if residual:
        layers.append(Residual(Sequential(Linear(d, d, init=init, rng=rng), Tanh())))
    layers.append(Linear(d, n_out, init=init, rng=rng))
    for layer in layers:
        for p in layer.parameters():
            if p.name == "b":
                p.data[:] = 0.5 * rng.standard_normal(p.shape)
    X = rng.standard_normal((N, n_in))
    if loss_name == "ce":
        y, loss = rng.integers(0, n_out, N), SoftmaxCrossEntropy()
    else:
        y, loss = rng.standard_normal((N, n_out)), MSELoss()
    return layers, X, y, loss


def relu_inputs_are_away_from_kinks(net, X, margin=1e-4):
    """True if no input of any ReLU is within ``margin`` of 0 (finite differences would straddle it)."""
    h = X
    for layer in net.layers:
        if isinstance(layer, ReLU) and h.size and np.min(np.abs(h)) < margin:
            return False
        h = layer.forward(h)
    return True


@SETTINGS
@given(problems())
def test_gradients_match_finite_differences(problem):
    layers, X, y, loss = problem
    net = Sequential(*layers)
    assume(relu_inputs_are_away_from_kinks(net, X))
    report = check_model(net, loss, X, y)
    for name, err in report.errors.items():
        a, n = report.analytic[name], report.numerical[name]
        if np.linalg.norm(a) + np.linalg.norm(n) > 1e-3:
            assert err < 1e-7, str(report)
        else:
            # a tiny gradient: the finite-difference noise (~ eps |L| / h ~ 1e-11) dominates the
            # relative error, so compare absolutely; a wrong gradient is still off by far more
            assert np.linalg.norm(a - n) < 1e-9, str(report)


@SETTINGS
@given(problems(), st.integers(1, 8))
def test_checkpointed_equals_plain(problem, segments):
    layers, X, y, loss = problem
    segments = min(segments, len(layers))
    results = []
    for net in (Sequential(*layers), CheckpointedSequential(*layers, segments=segments)):
        net.zero_grad()
        value = loss.forward(net.forward(X), y)
        dx = net.backward(loss.backward())
        results.append((value, dx, [p.grad.copy() for p in net.parameters()]))
    (va, dxa, ga), (vb, dxb, gb) = results
    assert va == vb
    np.testing.assert_array_equal(dxa, dxb)
    for a, b in zip(ga, gb):
        np.testing.assert_array_equal(a, b)


@SETTINGS
@given(problems())
def test_sequential_is_the_composition_of_its_layers(problem):
    layers, X, _, _ = problem
    h = X
    for layer in layers:
        h = layer.forward(h)
    np.testing.assert_array_equal(Sequential(*layers).forward(X), h)


@SETTINGS
@given(problems())
def test_input_grad_false_gives_the_same_parameter_gradients(problem):
    layers, X, y, loss = problem
    net = Sequential(*layers)
    grads = []
    for input_grad in (True, False):
        net.zero_grad()
        loss.forward(net.forward(X), y)
        out = net.backward(loss.backward(), input_grad=input_grad)
        assert (out is None) == (not input_grad)
        grads.append([p.grad.copy() for p in net.parameters()])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)


@st.composite
def broadcast_pairs(draw):
    big = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    k = draw(st.integers(0, len(big)))
    small = tuple(s if draw(st.booleans()) else 1 for s in big[len(big) - k:])
    return small, big, draw(st.integers(0, 2 ** 31 - 1))


@SETTINGS
@given(broadcast_pairs())
def test_unbroadcast_is_adjoint_to_broadcasting(pair):
    # <broadcast(b), G> == <b, unbroadcast(G)> for all b, G: unbroadcast is the transpose of broadcasting
    small, big, seed = pair
    rng = np.random.default_rng(seed)
    b, G = rng.standard_normal(small), rng.standard_normal(big)
    lhs = float(np.sum(np.broadcast_to(b, big) * G))
    rhs = float(np.sum(b * unbroadcast(G, small)))
    assert abs(lhs - rhs) <= 1e-12 * (1 + abs(lhs))
    assert unbroadcast(G, small).shape == small


@SETTINGS
@given(st.integers(1, 5), st.integers(1, 6), st.floats(-1e3, 1e3), st.integers(0, 2 ** 31 - 1))
def test_cross_entropy_gradient_is_shift_invariant_and_rows_sum_to_zero(N, C, shift, seed):
    rng = np.random.default_rng(seed)
    z = 5 * rng.standard_normal((N, C))
    y = rng.integers(0, C, N)
    ce = SoftmaxCrossEntropy()
    la = ce.forward(z, y)
    da = ce.backward()
    lb = ce.forward(z + shift, y)
    db = ce.backward()
    assert abs(la - lb) <= 1e-9 * (1 + abs(la))
    assert rel_error(da, db) < 1e-9
    np.testing.assert_allclose(da.sum(axis=1), 0.0, atol=1e-15)
    np.testing.assert_allclose(softmax(z).sum(axis=1), 1.0, rtol=1e-14)
