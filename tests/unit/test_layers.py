"""Layers of the vectorized engine: forward values, gradients (finite differences), API."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from backprop_lib import init as init_mod
from backprop_lib.gradcheck import check_layer, numerical_gradient, rel_error
from backprop_lib.layers import (
    ArrayModule,
    Identity,
    Linear,
    Parameter,
    ReLU,
    Residual,
    Sequential,
    Sigmoid,
    Tanh,
    unbroadcast,
)

RNG = np.random.default_rng(1234)


def away_from_zero(shape, rng, margin=0.1):
    """Random values with |x| >= margin, so a ReLU kink is never within h of any entry."""
    x = rng.standard_normal(shape)
    return np.sign(x) * (margin + np.abs(x))


# ---------------------------------------------------------------- forward values
def test_linear_forward_is_xw_plus_b():
    layer = Linear(3, 4, seed=0)
    layer.b.data[:] = RNG.standard_normal(4)
    X = RNG.standard_normal((5, 3))
    expected = np.array([[sum(X[n, i] * layer.W.data[i, j] for i in range(3)) + layer.b.data[j]
                          for j in range(4)] for n in range(5)])
    np.testing.assert_allclose(layer.forward(X), expected, rtol=1e-12, atol=1e-12)
    assert layer.W.shape == (3, 4) and layer.b.shape == (4,)


def test_linear_without_bias_has_only_w():
    layer = Linear(3, 2, bias=False, seed=0)
    assert layer.b is None
    assert [p.name for p in layer.parameters()] == ["W"]
    X = RNG.standard_normal((4, 3))
    np.testing.assert_array_equal(layer.forward(X), X @ layer.W.data)
    assert repr(layer) == "Linear(3, 2, bias=False)"


def test_activation_values():
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
    np.testing.assert_array_equal(ReLU().forward(x), [[0, 0, 0, 0.5, 3.0]])
    np.testing.assert_allclose(Tanh().forward(x), np.tanh(x), rtol=0, atol=0)
    np.testing.assert_allclose(Sigmoid().forward(x), 1 / (1 + np.exp(-x)), rtol=1e-15)
    np.testing.assert_array_equal(Identity().forward(x), x)


def test_sigmoid_and_tanh_are_stable_at_large_inputs():
    x = np.array([[-1000.0, -40.0, 0.0, 40.0, 1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            s = Sigmoid()
            out = s.forward(x)
            ds = s.backward(np.ones_like(x))
            t = Tanh()
            th = t.forward(x)
            dt = t.backward(np.ones_like(x))
    assert out[0, 0] == 0.0 and out[0, -1] == 1.0 and out[0, 2] == 0.5
    # relative precision kept in the far negative tail: sigma(-40) = e^-40 / (1 + e^-40)
    assert abs(out[0, 1] / (np.exp(-40.0) / (1 + np.exp(-40.0))) - 1) < 1e-14
    assert np.all(np.isfinite(ds)) and np.all(np.isfinite(dt))
    np.testing.assert_array_equal(th[0, [0, -1]], [-1.0, 1.0])


# ---------------------------------------------------------------- gradients vs finite differences
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(1, 1, 1), (5, 3, 4), (7, 2, 6)])
def test_linear_gradients_match_finite_differences(shape, bias):
    N, n_in, n_out = shape
    layer = Linear(n_in, n_out, bias=bias, seed=N)
    if bias:
        layer.b.data[:] = RNG.standard_normal(n_out)
    report = check_layer(layer, RNG.standard_normal((N, n_in)), seed=N)
    assert set(report.errors) == ({"x", "W", "b"} if bias else {"x", "W"})
    assert report.worst < 1e-7, str(report)


@pytest.mark.parametrize("make", [Tanh, Sigmoid, Identity])
@pytest.mark.parametrize("shape", [(1, 1), (4, 5), (3, 2, 2)])
def test_smooth_activation_gradients_match_finite_differences(make, shape):
    report = check_layer(make(), 2 * RNG.standard_normal(shape), seed=len(shape))
    assert report.worst < 1e-7, str(report)


@pytest.mark.parametrize("shape", [(1, 1), (6, 5)])
def test_relu_gradient_away_from_the_kink(shape):
    report = check_layer(ReLU(), away_from_zero(shape, RNG), seed=3)
    assert report.worst < 1e-7, str(report)


def test_relu_gradient_at_zero_is_zero_like_pytorch():
    layer = ReLU()
    layer.forward(np.array([[0.0, -0.0, 1.0]]))
    np.testing.assert_array_equal(layer.backward(np.array([[5.0, 5.0, 5.0]])), [[0.0, 0.0, 5.0]])


def test_sequential_and_residual_gradients_match_finite_differences():
    net = Sequential(Linear(3, 5, seed=1), Tanh(), Residual(Sequential(Linear(5, 5, seed=2), Sigmoid())),
                     Linear(5, 2, seed=3))
    for p in net.parameters():
        if p.name == "b":
            p.data[:] = RNG.standard_normal(p.shape)
    report = check_layer(net, RNG.standard_normal((4, 3)), seed=7)
    assert set(report.errors) == {"x", "0.W", "0.b", "2.inner.0.W", "2.inner.0.b", "3.W", "3.b"}
    assert report.worst < 1e-7, str(report)


def test_residual_backward_adds_the_identity_path():
    inner = Linear(4, 4, seed=0)
    res = Residual(inner)
    X = RNG.standard_normal((3, 4))
    np.testing.assert_array_equal(res.forward(X), X + inner.forward(X))
    G = RNG.standard_normal((3, 4))
    res.forward(X)
    dx = res.backward(G)
    np.testing.assert_allclose(dx, G + G @ inner.W.data.T, rtol=1e-14, atol=1e-14)


def test_residual_requires_shape_preserving_inner():
    with pytest.raises(ValueError, match=r"keeps the shape.*\(2, 3\) to \(2, 5\)"):
        Residual(Linear(3, 5)).forward(np.ones((2, 3)))
    with pytest.raises(TypeError):
        Residual(lambda x: x)


# ---------------------------------------------------------------- unbroadcast
@pytest.mark.parametrize("small,big", [((3,), (4, 3)), ((1, 3), (4, 3)), ((4, 1), (4, 3)),
                                       ((2, 1, 3), (5, 2, 4, 3)), ((), (2, 3)), ((4, 3), (4, 3))])
def test_unbroadcast_is_the_gradient_of_broadcasting(small, big):
    b = RNG.standard_normal(small)
    G = RNG.standard_normal(big)
    numeric = numerical_gradient(lambda v: float(np.sum(np.broadcast_to(v, big) * G)), b)
    got = unbroadcast(G, small)
    assert got.shape == small
    assert rel_error(got, numeric) < 1e-9


def test_unbroadcast_rejects_incompatible_shapes():
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(2,\)"):
        unbroadcast(np.ones((4, 3)), (2,))


def test_linear_bias_gradient_sums_over_rows():
    layer = Linear(2, 3, seed=0)
    X = RNG.standard_normal((6, 2))
    G = RNG.standard_normal((6, 3))
    layer.forward(X)
    layer.backward(G)
    np.testing.assert_allclose(layer.b.grad, G.sum(axis=0), rtol=1e-14)
    np.testing.assert_allclose(layer.W.grad, X.T @ G, rtol=1e-14)


# ---------------------------------------------------------------- gradient bookkeeping
def test_gradients_accumulate_and_zero_grad_resets():
    net = Sequential(Linear(2, 3, seed=0), Tanh(), Linear(3, 2, seed=1))
    X, G = RNG.standard_normal((4, 2)), RNG.standard_normal((4, 2))
    net.forward(X)
    net.backward(G)
    once = [p.grad.copy() for p in net.parameters()]
    net.forward(X)
    net.backward(G)
    for g1, p in zip(once, net.parameters()):
        np.testing.assert_allclose(p.grad, 2 * g1, rtol=1e-14)
    net.zero_grad()
    assert all(not p.grad.any() for p in net.parameters())
    assert any(g.any() for g in once)


def test_input_grad_false_skips_dx_but_keeps_parameter_grads():
    def build():
        return Sequential(ReLU(), Linear(3, 4, seed=0), Tanh(), Linear(4, 2, seed=1))
    X, G = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))
    a, b = build(), build()
    a.forward(X)
    dx = a.backward(G)
    b.forward(X)
    assert b.backward(G, input_grad=False) is None
    assert dx.shape == X.shape
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(pa.grad, pb.grad)


def test_sequential_steps_are_the_passes_one_layer_at_a_time():
    net = Sequential(ReLU(), Linear(3, 4, seed=0), Tanh(), Linear(4, 2, seed=1))
    X, G = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))
    outputs, x = [], X
    for layer in net.layers:
        x = layer.forward(x)
        outputs.append(x)
    steps = list(net.forward_steps(X))
    assert [(i, layer) for i, layer, _ in steps] == list(enumerate(net.layers))
    for (_, _, H), expected in zip(steps, outputs):
        np.testing.assert_array_equal(H, expected)
    assert [i for i, *_ in net.forward_steps(X, 1, 3)] == [1, 2]

    net.forward(X)
    dx = net.backward(G)
    grads = [p.grad.copy() for p in net.parameters()]
    net.zero_grad()
    back = list(net.backward_steps(G))
    assert [i for i, *_ in back] == [3, 2, 1, 0]
    np.testing.assert_array_equal(back[0][2], G)
    for (_, _, _, passed_back), (_, _, received, _) in zip(back, back[1:]):
        assert received is passed_back                      # dX of layer i is dH of layer i - 1
    np.testing.assert_array_equal(back[-1][3], dx)
    for p, g in zip(net.parameters(), grads):
        np.testing.assert_array_equal(p.grad, g)
    net.zero_grad()
    skipped = list(net.backward_steps(G, input_grad=False))
    assert [i for i, *_ in skipped] == [3, 2, 1] and skipped[-1][3] is None   # ReLU (0) has no parameters


def test_backward_before_forward_raises():
    with pytest.raises(RuntimeError, match="before forward"):
        Linear(2, 3).backward(np.ones((1, 3)))
    layer = Tanh()
    layer.forward(np.ones((2, 2)))
    layer.clear_cache()
    with pytest.raises(RuntimeError, match="cache"):
        layer.backward(np.ones((2, 2)))


def test_backward_returns_input_shaped_gradient():
    net = Sequential(Linear(3, 7, seed=0), ReLU(), Linear(7, 2, seed=1))
    X = RNG.standard_normal((9, 3))
    out = net.forward(X)
    assert out.shape == (9, 2)
    assert net.backward(np.ones_like(out)).shape == X.shape


# ---------------------------------------------------------------- dtype
def test_float32_in_float32_out():
    net = Sequential(Linear(3, 4, dtype=np.float32, seed=0), ReLU(), Linear(4, 4, dtype=np.float32, seed=1),
                     Tanh(), Linear(4, 2, dtype=np.float32, seed=2), Sigmoid())
    X = RNG.standard_normal((5, 3)).astype(np.float32)
    out = net.forward(X)
    assert out.dtype == np.float32
    dx = net.backward(np.ones_like(out))
    assert dx.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in net.parameters())
    assert repr(net[0]) == "Linear(3, 4, dtype=float32)"


def test_float32_weights_are_the_rounded_float64_weights():
    a = Linear(5, 3, seed=11)
    b = Linear(5, 3, seed=11, dtype=np.float32)
    np.testing.assert_array_equal(b.W.data, a.W.data.astype(np.float32))


def test_astype_casts_parameters():
    net = Sequential(Linear(2, 3, seed=0), Tanh())
    W64 = net[0].W.data.copy()
    net.astype(np.float32)
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in net.parameters())
    np.testing.assert_array_equal(net[0].W.data, W64.astype(np.float32))


# ---------------------------------------------------------------- initialization
@pytest.mark.parametrize("init,expected", [("he", np.sqrt(2 / 400)), ("xavier", np.sqrt(2 / 700)),
                                           (0.01, 0.01), (1.0, 1.0)])
def test_init_scales(init, expected):
    W = Linear(400, 300, init=init, seed=5).W.data
    # 120000 draws: the sample std is within 1% of the target with overwhelming probability
    assert abs(W.std() / expected - 1) < 0.01
    assert abs(W.mean()) < 0.01 * expected


def test_init_std_formulas():
    assert init_mod.init_std("he", 8, 2) == pytest.approx(0.5)
    assert init_mod.init_std("xavier", 3, 5) == pytest.approx(0.5)
    assert init_mod.init_std(0.3, 3, 5) == 0.3
    assert init_mod.init_std("kaiming", 8, 2) == init_mod.he_std(8, 2)
    assert init_mod.init_std("glorot", 3, 5) == init_mod.xavier_std(3, 5)


def test_zero_scale_gives_zero_weights_and_symmetric_units():
    layer = Linear(3, 4, init=0.0, seed=0)
    assert not layer.W.data.any()


def test_seeds_make_weights_reproducible_and_layers_differ():
    np.testing.assert_array_equal(Linear(4, 4, seed=3).W.data, Linear(4, 4, seed=3).W.data)
    np.testing.assert_array_equal(Linear(4, 4, rng=np.random.default_rng(3)).W.data,
                                  Linear(4, 4, seed=3).W.data)
    assert not np.array_equal(Linear(4, 4, seed=3).W.data, Linear(4, 4, seed=4).W.data)
    # without a seed: the module generator; two layers differ, manual_seed replays them
    init_mod.manual_seed(42)
    a1, a2 = Linear(4, 4), Linear(4, 4)
    init_mod.manual_seed(42)
    b1, b2 = Linear(4, 4), Linear(4, 4)
    assert not np.array_equal(a1.W.data, a2.W.data)
    np.testing.assert_array_equal(a1.W.data, b1.W.data)
    np.testing.assert_array_equal(a2.W.data, b2.W.data)


def test_init_weights_shapes_and_dtypes():
    rng = np.random.default_rng(0)
    assert init_mod.init_weights(3, 5, "he", rng).shape == (3, 5)
    assert init_mod.init_weights(3, 5, "xavier", rng, dtype=np.float32).dtype == np.float32
    assert init_mod.init_weights(2, 2, 0.5, rng).shape == (2, 2)


# ---------------------------------------------------------------- containers, repr, parameters
def test_sequential_container_api():
    l0, l1, l2 = Linear(2, 16, seed=0), ReLU(), Linear(16, 3, seed=1)
    net = Sequential(l0, l1, l2)
    assert net.layers == [l0, l1, l2]
    assert len(net) == 3 and net[0] is l0 and net[-1] is l2
    assert list(net) == [l0, l1, l2]
    sub = net[1:]
    assert isinstance(sub, Sequential) and sub.layers == [l1, l2]
    assert net.parameters() == [l0.W, l0.b, l2.W, l2.b]
    assert [n for n, _ in net.named_parameters()] == ["0.W", "0.b", "2.W", "2.b"]
    assert net.num_parameters() == 2 * 16 + 16 + 16 * 3 + 3
    assert repr(net) == "Sequential(\n  (0): Linear(2, 16)\n  (1): ReLU()\n  (2): Linear(16, 3)\n)"
    assert Sequential([l0, l1]).layers == [l0, l1]


def test_shared_layer_parameters_listed_once():
    shared = Linear(3, 3, seed=0)
    net = Sequential(shared, Tanh(), shared)
    assert net.parameters() == [shared.W, shared.b]


def test_reprs():
    assert repr(Linear(2, 16)) == "Linear(2, 16)"
    assert repr(ReLU()) == "ReLU()" and repr(Tanh()) == "Tanh()"
    assert repr(Sigmoid()) == "Sigmoid()" and repr(Identity()) == "Identity()"
    assert repr(Residual(Linear(4, 4))) == "Residual(Linear(4, 4))"
    p = Parameter(np.zeros((2, 3)), "W")
    assert repr(p) == "Parameter('W', shape=(2, 3), dtype=float64)"
    assert p.grad.shape == (2, 3) and p.name == "W"


def test_module_call_is_forward():
    layer = Linear(2, 2, seed=0)
    X = RNG.standard_normal((3, 2))
    np.testing.assert_array_equal(layer(X), layer.forward(X))
    assert isinstance(layer, ArrayModule)


def test_he_std_needs_only_the_fan_in():
    import math

    from backprop_lib.init import he_std

    assert he_std(50) == he_std(50, 7) == math.sqrt(2 / 50)


def test_a_subclass_needs_only_the_two_unchecked_passes():
    """A layer written as in notebook 08 (forward_unchecked + backward_unchecked, nothing else)
    works through the public forward/backward, which check dout's shape against the output."""
    from backprop_lib.layers import ArrayModule

    class Double(ArrayModule):
        def forward_unchecked(self, x):
            return 2 * x

        def backward_unchecked(self, dout, input_grad=True):
            return 2 * dout

    layer = Double()
    assert np.array_equal(layer.forward(np.ones((2, 3))), 2 * np.ones((2, 3)))
    assert np.array_equal(layer.backward(np.ones((2, 3))), 2 * np.ones((2, 3)))
    with pytest.raises(ValueError, match="dout"):
        layer.backward(np.ones((3, 2)))
