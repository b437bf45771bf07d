"""The gradient checker itself: it must accept right gradients and catch wrong ones."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.gradcheck import (
    CallCounter,
    centered_difference,
    check_layer,
    check_model,
    compare,
    numerical_gradient,
    rel_error,
    verdict,
)
from backprop_lib.layers import ArrayModule, Linear, Parameter, ReLU, Sequential, Tanh
from backprop_lib.losses import MSELoss, SoftmaxCrossEntropy

RNG = np.random.default_rng(21)


def test_numerical_gradient_of_known_functions():
    x = RNG.standard_normal((3, 4))
    g, n = numerical_gradient(lambda v: float(np.sum(v ** 3)), x, return_count=True)
    assert rel_error(g, 3 * x ** 2) < 1e-9
    assert n == 2 * x.size
    A = RNG.standard_normal((4, 4))
    v = RNG.standard_normal(4)
    g = numerical_gradient(lambda u: float(u @ A @ u), v)
    assert rel_error(g, (A + A.T) @ v) < 1e-9


def test_numerical_gradient_restores_x_and_perturbs_in_place():
    W = RNG.standard_normal((2, 3))
    before = W.copy()
    X = RNG.standard_normal((5, 2))
    # f ignores its argument and reads W through the closure: the in-place perturbation is what it sees
    g = numerical_gradient(lambda _: float(np.sum(np.tanh(X @ W))), W)
    np.testing.assert_array_equal(W, before)
    assert rel_error(g, X.T @ (1 - np.tanh(X @ W) ** 2)) < 1e-9


def test_numerical_gradient_counts_calls_like_call_counter():
    f = CallCounter(lambda v: float(v.sum()))
    x = np.zeros(7)
    _, n = numerical_gradient(f, x, return_count=True)
    assert f.calls == n == 14


def test_centered_beats_one_sided_difference():
    x = np.array([0.7])
    exact = np.cos(0.7)
    centered = numerical_gradient(lambda v: float(np.sin(v[0])), x.copy(), h=1e-3)[0]
    one_sided = (np.sin(0.7 + 1e-3) - np.sin(0.7)) / 1e-3
    assert abs(centered - exact) < 1e-3 * abs(one_sided - exact)


def test_centered_difference_of_one_number():
    f = CallCounter(lambda t: t ** 3)
    assert centered_difference(f, 2.0, 0.1) == pytest.approx(12.0 + 0.1 ** 2, rel=1e-12)   # 3x^2 + h^2 exactly
    assert f.calls == 2
    assert centered_difference(np.sin, 0.7, 1e-3) == numerical_gradient(lambda v: float(np.sin(v[0])),
                                                                         np.array([0.7]), h=1e-3)[0]
    with pytest.raises(ValueError, match="h"):
        centered_difference(np.sin, 0.7, 0.0)


def test_rel_error_properties():
    a = RNG.standard_normal(10)
    assert rel_error(a, a) == 0.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0            # the floor avoids 0/0
    assert rel_error(a, -a) == pytest.approx(1.0)
    assert rel_error(1e-6 * a, 1e-6 * a * (1 + 1e-6)) == pytest.approx(rel_error(a, a * (1 + 1e-6)), rel=1e-6)
    # the element-wise form is stricter when one entry is nearly zero
    b = np.array([1.0, 1e-9])
    c = np.array([1.0, 2e-9])
    assert rel_error(b, c) < 1e-8 and rel_error(b, c, elementwise=True) == pytest.approx(1 / 3)
    assert rel_error(2.0, 2.0 + 2e-8) == pytest.approx(5e-9, rel=1e-6)


@pytest.mark.parametrize("rel,expected", [(0.5, "wrong"), (1.01e-2, "wrong"), (1e-2, "suspicious"),
                                          (1e-3, "suspicious"), (1e-4, "acceptable near kinks"),
                                          (1e-6, "acceptable near kinks"), (1e-7, "acceptable near kinks"),
                                          (9.9e-8, "good"), (0.0, "good"), (float("nan"), "wrong")])
def test_verdict_ladder(rel, expected):
    assert verdict(rel) == expected


class BrokenLinear(ArrayModule):
    """A Linear layer with one classic bug each, to show the checker catches them."""

    def __init__(self, bug):
        super().__init__()
        self.bug = bug
        self.W = Parameter(RNG.standard_normal((3, 3)), "W")     # square, so a transpose still runs
        self.b = Parameter(RNG.standard_normal(3), "b")
        self._params = [self.W, self.b]

    def forward_unchecked(self, x):
        self.cache = x
        self._out_shape = (x.shape[0], 3)
        return x @ self.W.data + self.b.data

    def backward_unchecked(self, dZ, input_grad=True):
        x = self.cache
        self.W.grad += (x.T @ dZ).T if self.bug == "transposed dW" else x.T @ dZ
        self.b.grad += dZ.mean(axis=0) if self.bug == "mean for db" else dZ.sum(axis=0)
        return dZ @ self.W.data if self.bug == "no transpose in dX" else dZ @ self.W.data.T


@pytest.mark.parametrize("bug,where", [("transposed dW", "W"), ("mean for db", "b"), ("no transpose in dX", "x")])
def test_check_layer_catches_classic_bugs(bug, where):
    report = check_layer(BrokenLinear(bug), RNG.standard_normal((4, 3)))
    assert not report.ok
    assert verdict(report.errors[where]) == "wrong"
    assert report.verdict == "wrong"
    others = {k: v for k, v in report.errors.items() if k != where}
    assert all(v < 1e-7 for v in others.values()), report.errors


def test_check_layer_passes_a_correct_layer_and_reports_cost():
    layer = Linear(3, 4, seed=0)
    x = RNG.standard_normal((5, 3))
    report = check_layer(layer, x)
    assert report.ok and report.verdict == "good"
    assert report.n_forward == 2 * (x.size + layer.num_parameters())
    assert "rel error" in str(report) and f"{report.n_forward} forward passes" in str(report)
    np.testing.assert_array_equal(report.analytic["W"], layer.W.grad)


def test_check_model_on_a_network_and_on_a_broken_loss():
    net = Sequential(Linear(2, 4, seed=0), Tanh(), Linear(4, 3, seed=1))
    X, y = RNG.standard_normal((6, 2)), RNG.integers(0, 3, 6)
    report = check_model(net, SoftmaxCrossEntropy(), X, y)
    assert report.ok, str(report)
    assert set(report.errors) == {"X", "0.W", "0.b", "2.W", "2.b"}
    assert report.n_forward == 2 * (X.size + net.num_parameters())

    class ForgotToAverage(SoftmaxCrossEntropy):
        def backward(self):
            return super().backward() * self.cache[0].shape[0]      # missing the 1/N

    bad = check_model(net, ForgotToAverage(), X, y)
    assert not bad.ok and bad.verdict == "wrong"


def test_relu_kink_is_flagged_by_size_of_error():
    # an input exactly at the kink: the centered difference straddles it and sees slope 1/2
    layer = ReLU()
    report = check_layer(layer, np.array([[0.0, 1.0, -1.0]]))
    assert report.errors["x"] > 1e-2
    report_away = check_layer(layer, np.array([[0.5, 1.0, -1.0]]))
    assert report_away.errors["x"] < 1e-10


def test_compare_prints_and_returns(capsys):
    a = RNG.standard_normal((3, 2))
    assert compare("dW", a, a.copy()) is True
    assert compare("db", a, a + 1e-13) is True
    assert compare("dX", a, a + 1e-3) is False
    assert compare("dZ", a, a.T) is False
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("dW") and "exact: True" in lines[0] and "max difference: 0.00e+00" in lines[0]
    assert "exact: False" in lines[1] and "close: True" in lines[1]
    assert "close: False" in lines[2] and "max difference: 1.00e-03" in lines[2]
    assert "shape mismatch" in lines[3] and "(3, 2)" in lines[3] and "(2, 3)" in lines[3]


def test_compare_accepts_torch_tensors(torch, capsys):
    a = RNG.standard_normal(4)
    assert compare("x", a, torch.from_numpy(a.copy()).requires_grad_(True)) is True
    assert "exact: True" in capsys.readouterr().out


def test_mse_model_check():
    net = Sequential(Linear(1, 5, seed=0), Tanh(), Linear(5, 1, seed=1))
    report = check_model(net, MSELoss(), RNG.standard_normal((4, 1)), RNG.standard_normal(4))
    assert report.ok, str(report)
