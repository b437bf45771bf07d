"""Checkers of notebook 06 (activations and losses) against right and known-wrong answers."""
from __future__ import annotations

import numpy as np
import pytest
from checker_helpers import fails_with

from backprop_lib.checks.nb06_activations import (
    check_hinge_loss,
    check_logsumexp,
    check_relu_layer,
    check_sigmoid_layer,
    check_softmax_cross_entropy,
    check_softmax_layer,
    check_softplus_layer,
    check_tanh_layer,
)
from backprop_lib.gradcheck import numerical_gradient, rel_error
from backprop_lib.layers import ReLU, Sigmoid, Tanh
from backprop_lib.losses import logsumexp as reference_logsumexp
from backprop_lib.losses import softmax


def _sig(z):
    return 1 / (1 + np.exp(-z))


def layer_class(forward, backward, name="Layer"):
    """A layer class whose forward stores Z and H, and whose backward is ``backward(Z, H, dout)``."""
    def fwd(self, Z):
        self.Z, self.H = Z, forward(Z)
        return self.H

    def bwd(self, dout):
        return backward(self.Z, self.H, dout)

    return type(name, (), {"forward": fwd, "backward": bwd})


def from_package(layer_type, name):
    """The package's layer behind the exercise's interface (forward/backward only)."""
    def init(self):
        self.layer = layer_type()
    return type(name, (), {"__init__": init,
                           "forward": lambda self, Z: self.layer.forward(Z),
                           "backward": lambda self, dout: self.layer.backward(dout)})


# ---------------------------------------------------------------- Exercise 6.1

class ReLULayer:
    def forward(self, Z):
        self.mask = Z > 0
        return Z * self.mask

    def backward(self, dout):
        return dout * self.mask


class TanhLayer:
    def forward(self, Z):
        self.H = np.tanh(Z)
        return self.H

    def backward(self, dout):
        return dout * (1 - self.H ** 2)


class SigmoidLayer:
    def forward(self, Z):
        self.H = 1 / (1 + np.exp(-Z))
        return self.H

    def backward(self, dout):
        return dout * self.H * (1 - self.H)


@pytest.mark.parametrize("checker, cls", [
    (check_relu_layer, ReLULayer), (check_tanh_layer, TanhLayer), (check_sigmoid_layer, SigmoidLayer),
    (check_relu_layer, from_package(ReLU, "ReLULayer")), (check_tanh_layer, from_package(Tanh, "TanhLayer")),
    (check_sigmoid_layer, from_package(Sigmoid, "SigmoidLayer")),
])
@pytest.mark.parametrize("hidden", [False, True])
def test_activation_layers_correct(checker, cls, hidden, capsys):
    checker(cls, hidden=hidden)
    assert "✔ Exercise 6.1" in capsys.readouterr().out


relu = lambda Z: np.maximum(Z, 0)  # noqa: E731


@pytest.mark.parametrize("cls, fragments", [
    (layer_class(lambda Z: (Z > 0).astype(float), lambda Z, H, d: d * (Z > 0)), ["returned the mask"]),
    (layer_class(relu, lambda Z, H, d: d * (Z >= 0)), ["Z = 0 exactly", "Z > 0, not Z >= 0"]),
    (layer_class(relu, lambda Z, H, d: d * H), ["multiplied dout by the output H"]),
    (layer_class(relu, lambda Z, H, d: d * (Z <= 0)), ["mask is inverted"]),
    (layer_class(relu, lambda Z, H, d: (Z > 0).astype(float)), ["upstream gradient is missing"]),
    (layer_class(relu, lambda Z, H, d: (Z > 0) + d), ["added the upstream gradient"]),
    (layer_class(relu, lambda Z, H, d: -d * (Z > 0)), ["wrong sign"]),
    (layer_class(relu, lambda Z, H, d: None), ["is None"]),
])
def test_relu_layer_wrong(cls, fragments):
    fails_with(check_relu_layer, cls, "Exercise 6.1 ReLULayer", *fragments)


class ReLUInPlace(ReLULayer):
    def backward(self, dout):
        dout *= self.mask
        return dout


class ReLUFirstCacheOnly:
    def forward(self, Z):
        if not hasattr(self, "mask"):
            self.mask = Z > 0
        return np.maximum(Z, 0)

    def backward(self, dout):
        return dout * self.mask


class ReLUNoBackward:
    def forward(self, Z):
        return np.maximum(Z, 0)


def test_relu_layer_changing_dout_in_place():
    fails_with(check_relu_layer, ReLUInPlace, "changed `dout` in place")


def test_relu_layer_stale_cache():
    fails_with(check_relu_layer, ReLUFirstCacheOnly, "input of an earlier forward pass")


def test_relu_layer_missing_method_and_not_a_class():
    fails_with(check_relu_layer, ReLUNoBackward, "needs two methods")
    fails_with(check_relu_layer, ReLULayer(), "should be a class")


def test_relu_layer_stub():
    class Stub:
        def forward(self, Z):
            raise NotImplementedError()

        def backward(self, dout):
            raise NotImplementedError()
    fails_with(check_relu_layer, Stub, "`Stub.forward` is not written yet")


@pytest.mark.parametrize("cls, fragments", [
    (layer_class(np.tanh, lambda Z, H, d: d * (1 - np.tanh(H) ** 2)), ["applied twice"]),
    (layer_class(np.tanh, lambda Z, H, d: d * (1 - H)), ["square is missing"]),
    (layer_class(np.tanh, lambda Z, H, d: d * H * (1 - H)), ["sigmoid's rule"]),
    (layer_class(np.tanh, lambda Z, H, d: d * (1 - Z ** 2)), ["1 - Z**2"]),
    (layer_class(np.tanh, lambda Z, H, d: 1 - H ** 2), ["upstream gradient is missing"]),
    (layer_class(np.tanh, lambda Z, H, d: 2 * d * (1 - H ** 2)), ["factor of 2"]),
])
def test_tanh_layer_wrong(cls, fragments):
    fails_with(check_tanh_layer, cls, "Exercise 6.1 TanhLayer", *fragments)


@pytest.mark.parametrize("cls, fragments", [
    (layer_class(lambda Z: _sig(-Z), lambda Z, H, d: d * H * (1 - H)), ["sigmoid(-Z)"]),
    (layer_class(_sig, lambda Z, H, d: d * _sig(H) * (1 - _sig(H))), ["applied the sigmoid to H again"]),
    (layer_class(_sig, lambda Z, H, d: H * (1 - H)), ["upstream gradient is missing"]),
    (layer_class(_sig, lambda Z, H, d: d * (1 - H ** 2)), ["tanh rule"]),
    (layer_class(_sig, lambda Z, H, d: d * H), ["(1 - H) is missing"]),
    (layer_class(_sig, lambda Z, H, d: d * (1 - H)), ["the factor H is missing"]),
    (layer_class(_sig, lambda Z, H, d: d * Z * (1 - Z)), ["Z * (1 - Z)"]),
    (layer_class(_sig, lambda Z, H, d: -d * H * (1 - H)), ["wrong sign"]),
    (layer_class(_sig, lambda Z, H, d: (d * H * (1 - H)).sum()), ["should be an array"]),
])
def test_sigmoid_layer_wrong(cls, fragments):
    fails_with(check_sigmoid_layer, cls, "Exercise 6.1 SigmoidLayer", *fragments)


# ---------------------------------------------------------------- Exercise 6.2

class SoftplusLayer:
    def forward(self, Z):
        self.Z = Z
        return np.logaddexp(0, Z)

    def backward(self, dout):
        return dout * _sig(self.Z)


class SoftplusFromOutput:
    """The derivative from the output alone: sigmoid(z) = 1 - exp(-softplus(z))."""
    def forward(self, Z):
        self.H = np.maximum(Z, 0) + np.log1p(np.exp(-np.abs(Z)))
        return self.H

    def backward(self, dout):
        return dout * -np.expm1(-self.H)


def softplus_stable(Z):
    return np.logaddexp(0, Z)


@pytest.mark.parametrize("cls", [SoftplusLayer, SoftplusFromOutput])
@pytest.mark.parametrize("hidden", [False, True])
def test_softplus_layer_correct(cls, hidden, capsys):
    check_softplus_layer(cls, hidden=hidden)
    assert "✔ Exercise 6.2" in capsys.readouterr().out


@pytest.mark.parametrize("cls, fragments", [
    (layer_class(lambda Z: np.log(1 + np.exp(Z)), lambda Z, H, d: d * _sig(Z)), ["returned inf or NaN", "logaddexp"]),
    (layer_class(lambda Z: Z, lambda Z, H, d: d * _sig(Z)), ["the 1 inside the log is missing"]),
    (layer_class(softplus_stable, lambda Z, H, d: d * np.exp(Z)), ["divide by 1 + exp(Z)"]),
    (layer_class(softplus_stable, lambda Z, H, d: d / (1 + np.exp(Z))), ["sigmoid(-Z)"]),
    (layer_class(softplus_stable, lambda Z, H, d: d * H), ["multiplied dout by the output H"]),
    (layer_class(softplus_stable, lambda Z, H, d: d * _sig(Z) * (1 - _sig(Z))), ["derivative of the sigmoid"]),
    (layer_class(softplus_stable, lambda Z, H, d: _sig(Z)), ["upstream gradient is missing"]),
])
def test_softplus_layer_wrong(cls, fragments, recwarn, capfd):
    fails_with(check_softplus_layer, cls, "Exercise 6.2 SoftplusLayer", *fragments)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    assert capfd.readouterr().err == ""


def test_softplus_reference_is_the_derivative():
    Z = np.array([[-3.0, -0.5, 0.2, 4.0]])
    numeric = numerical_gradient(lambda z: softplus_stable(z).sum(), Z.copy())
    assert rel_error(_sig(Z), numeric) < 1e-8


# ---------------------------------------------------------------- Exercise 6.3

def lse(Z):
    m = Z.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True)))[:, 0]


@pytest.mark.parametrize("fn", [lse, lambda Z: reference_logsumexp(Z, axis=1)])
@pytest.mark.parametrize("hidden", [False, True])
def test_logsumexp_correct(fn, hidden, capsys):
    check_logsumexp(fn, hidden=hidden)
    assert "✔ Exercise 6.3" in capsys.readouterr().out


def naive(Z):
    return np.log(np.exp(Z).sum(axis=1))


def test_logsumexp_naive_overflows_without_warnings(recwarn, capfd):
    msg = fails_with(check_logsumexp, naive, "contains inf", "overflows", "Subtract each row's maximum")
    assert "around +1000" in msg
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    assert capfd.readouterr().err == ""


def test_logsumexp_naive_underflow_named():
    def naive_small_ok(Z):  # stable for large logits but not for very negative ones
        if Z.max() > 100:
            return lse(Z)
        return naive(Z)
    fails_with(check_logsumexp, naive_small_ok, "underflows to 0", "-inf")


@pytest.mark.parametrize("fn, fragments", [
    (lambda Z: np.log(np.exp(Z - Z.max(axis=1, keepdims=True)).sum(axis=1)), ["did not add it back"]),
    (lambda Z: Z.max(axis=1), ["maximum alone"]),
    (lambda Z: lse(Z) - np.log(Z.shape[1]), ["log(mean(exp(z)))"]),
    (lambda Z: lse(Z.T), ["summed over axis=0"]),
    (lambda Z: lse(Z)[:, None], ["axis of length 1"]),
    (lambda Z: float(lse(Z).sum()), ["should be an array"]),
    (lambda Z: None, ["is None"]),
])
def test_logsumexp_wrong(fn, fragments):
    fails_with(check_logsumexp, fn, "Exercise 6.3", *fragments)


# ---------------------------------------------------------------- Exercise 6.4

def onehot(y, C):
    return np.eye(C)[y]


def sce(logits, y):
    N = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(N), y].mean()
    dlogits = np.exp(log_probs)
    dlogits[np.arange(N), y] -= 1
    return loss, dlogits / N


def sce_grad(Z, y):
    return sce(Z, y)[1]


def sce_loss(Z, y):
    return sce(Z, y)[0]


def with_grad(g):
    return lambda Z, y: (sce_loss(Z, y), g(Z, y))


def with_loss(f):
    return lambda Z, y: (f(Z, y), sce_grad(Z, y))


def test_sce_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    Z, y = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])
    numeric = numerical_gradient(lambda Z_: sce(Z_, y)[0], Z.copy())
    assert rel_error(sce_grad(Z, y), numeric) < 1e-8


@pytest.mark.parametrize("hidden", [False, True])
def test_sce_correct(hidden, capsys):
    check_softmax_cross_entropy(sce, hidden=hidden)
    assert "✔ Exercise 6.4" in capsys.readouterr().out


def rows_y(Z, y):
    return Z[np.arange(len(y)), y]


@pytest.mark.parametrize("fn, fragments", [
    (with_loss(lambda Z, y: -rows_y(Z, y).mean()), ["`loss`", "logsumexp term of the loss is missing"]),
    (with_loss(lambda Z, y: sce_loss(Z, y) * len(y)), ["`loss`", "sum over the 4 examples"]),
    (with_loss(lambda Z, y: -sce_loss(Z, y)), ["`loss`", "sign is flipped"]),
    (with_loss(lambda Z, y: (reference_logsumexp(Z, axis=1) - Z.max(axis=1)).mean()), ["`loss`", "predicted class"]),
    (with_loss(lambda Z, y: reference_logsumexp(Z, axis=1) - rows_y(Z, y)), ["`loss`", "single number"]),
    (with_loss(lambda Z, y: (np.log(np.exp(Z).sum(axis=1)) - rows_y(Z, y)).mean()), ["loss is inf or NaN", "logsumexp"]),
    (with_grad(lambda Z, y: sce_grad(Z, y) * len(y)), ["the 1/N is missing"]),
    (with_grad(lambda Z, y: softmax(Z) / len(y)), ["one-hot subtraction is missing"]),
    (with_grad(lambda Z, y: -sce_grad(Z, y)), ["sign is flipped"]),
    (with_grad(lambda Z, y: -onehot(y, Z.shape[1]) / len(y)), ["softmax part is missing"]),
    (with_grad(lambda Z, y: (softmax(Z) - onehot(np.argmax(Z, axis=1), Z.shape[1])) / len(y)), ["wrong column"]),
    (with_grad(lambda Z, y: sce_grad(Z, y) / len(y)), ["1/N = 1/4", "divide by N twice"]),
    (with_grad(lambda Z, y: sce_grad(Z, y).T), ["did you transpose?"]),
    (with_grad(lambda Z, y: sce_grad(Z, y).sum(axis=0)), ["sum over the batch (axis=0) where you should not"]),
    (with_grad(lambda Z, y: (np.exp(Z) - onehot(y, Z.shape[1])) / len(y)), ["without the normalization"]),
    (lambda Z, y: sce_grad(Z, y), ["should return 2 values (loss, dlogits)"]),
    (lambda Z, y: None, ["returned None"]),
])
def test_sce_wrong(fn, fragments):
    fails_with(check_softmax_cross_entropy, fn, "Exercise 6.4", *fragments)


def test_sce_unstable_softmax_is_named(recwarn, capfd):
    def unstable(Z, y):
        E = np.exp(Z)
        P = E / E.sum(axis=1, keepdims=True)
        return sce_loss(Z, y), (P - onehot(y, Z.shape[1])) / len(y)
    fails_with(check_softmax_cross_entropy, unstable, "NaN or inf", "Subtract each row's maximum")
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    assert capfd.readouterr().err == ""


# ---------------------------------------------------------------- Exercise 6.5

def softmax_backward(P, dP):
    return P * (dP - (P * dP).sum(axis=1, keepdims=True))


class SoftmaxLayer:
    def forward(self, Z):
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        self.P = E / E.sum(axis=1, keepdims=True)
        return self.P

    def backward(self, dP):
        return softmax_backward(self.P, dP)


class SoftmaxJacobian(SoftmaxLayer):
    def backward(self, dP):
        rows = []
        for p, dp in zip(self.P, dP):
            J = np.diag(p) - np.outer(p, p)
            rows.append(J.T @ dp)
        return np.array(rows)


def softmax_layer(forward=softmax, backward=softmax_backward, name="Softmax"):
    def fwd(self, Z):
        self.P = forward(Z)
        return self.P
    return type(name, (), {"forward": fwd, "backward": lambda self, dP: backward(self.P, dP)})


def test_softmax_backward_matches_finite_differences():
    rng = np.random.default_rng(2)
    Z, G = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    numeric = numerical_gradient(lambda Z_: np.sum(softmax(Z_) * G), Z.copy())
    assert rel_error(softmax_backward(softmax(Z), G), numeric) < 1e-8


@pytest.mark.parametrize("cls", [SoftmaxLayer, SoftmaxJacobian, softmax_layer()])
@pytest.mark.parametrize("hidden", [False, True])
def test_softmax_layer_correct(cls, hidden, capsys):
    check_softmax_layer(cls, hidden=hidden)
    assert "✔ Exercise 6.5" in capsys.readouterr().out


def naive_softmax(Z):
    return np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)


class SoftmaxInPlace(SoftmaxLayer):
    def backward(self, dP):
        dP -= (self.P * dP).sum(axis=1, keepdims=True)
        dP *= self.P
        return dP


class SoftmaxStale(SoftmaxLayer):
    def forward(self, Z):
        P = softmax(Z)
        if not hasattr(self, "P"):
            self.P = P
        return P


@pytest.mark.parametrize("cls, fragments", [
    (softmax_layer(backward=lambda P, d: P * d), ["only the diagonal"]),
    (softmax_layer(backward=lambda P, d: P * (d - (P * d).sum())), ["whole array instead of each row"]),
    (softmax_layer(backward=lambda P, d: P * (d - (P * d).sum(axis=0, keepdims=True))), ["wrong axis"]),
    (softmax_layer(backward=lambda P, d: P * (d - d.sum(axis=1, keepdims=True))), ["weights of the sum are missing"]),
    (softmax_layer(backward=lambda P, d: d * P * (1 - P)), ["p (1 - p)"]),
    (softmax_layer(backward=lambda P, d: np.diag(P[0]) - np.outer(P[0], P[0])), ["Jacobian"]),
    (softmax_layer(backward=lambda P, d: -softmax_backward(P, d)), ["wrong sign"]),
    (softmax_layer(backward=lambda P, d: None), ["is None"]),
    (softmax_layer(forward=naive_softmax), ["returned NaN or inf", "Subtract each row's maximum"]),
    (softmax_layer(forward=lambda Z: np.exp(Z - Z.max()) / np.exp(Z - Z.max()).sum()), ["rows do not sum to 1"]),
    (softmax_layer(forward=lambda Z: softmax(Z, axis=0)), ["each column sums to 1"]),
    (SoftmaxInPlace, ["changed `dP` in place"]),
    (SoftmaxStale, ["probabilities of an earlier forward pass"]),
])
def test_softmax_layer_wrong(cls, fragments, recwarn):
    fails_with(check_softmax_layer, cls, "Exercise 6.5", *fragments)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


# ---------------------------------------------------------------- Exercise 6.6

def hinge(logits, y):
    N = logits.shape[0]
    rows = np.arange(N)
    margins = logits - logits[rows, y][:, None] + 1.0
    margins[rows, y] = 0.0
    loss = np.maximum(margins, 0).sum() / N
    active = (margins > 0).astype(float)
    active[rows, y] = -active.sum(axis=1)
    return loss, active / N


def hinge_loops(logits, y):
    N, C = logits.shape
    loss, grad = 0.0, np.zeros_like(logits)
    for n in range(N):
        for c in range(C):
            if c == y[n]:
                continue
            margin = logits[n, c] - logits[n, y[n]] + 1
            if margin > 0:
                loss += margin
                grad[n, c] += 1
                grad[n, y[n]] -= 1
    return loss / N, grad / N


def test_hinge_matches_finite_differences_away_from_kinks():
    rng = np.random.default_rng(3)
    Z, y = rng.normal(scale=2.0, size=(5, 4)), np.array([0, 3, 1, 2, 2])
    numeric = numerical_gradient(lambda Z_: hinge(Z_, y)[0], Z.copy())
    assert rel_error(hinge(Z, y)[1], numeric) < 1e-8


@pytest.mark.parametrize("fn", [hinge, hinge_loops])
@pytest.mark.parametrize("hidden", [False, True])
def test_hinge_correct(fn, hidden, capsys):
    check_hinge_loss(fn, hidden=hidden)
    assert "✔ Exercise 6.6" in capsys.readouterr().out


def hinge_parts(logits, y):
    N, C = logits.shape
    rows = np.arange(N)
    margins = logits - logits[rows, y][:, None] + 1.0
    margins[rows, y] = 0.0
    active = (margins > 0).astype(float)
    return N, C, rows, margins, active


def true_column_zero(logits, y):
    N, C, rows, margins, active = hinge_parts(logits, y)
    return hinge(logits, y)[0], active / N


def true_minus_one(logits, y):
    N, C, rows, margins, active = hinge_parts(logits, y)
    active[rows, y] = -1
    return hinge(logits, y)[0], active / N


def count_includes_true(logits, y):
    N, C, rows, margins, active = hinge_parts(logits, y)
    margins[rows, y] = 1.0                       # the c = y term left in: max(0, 1) = 1
    active = (margins > 0).astype(float)
    active[rows, y] = -active.sum(axis=1)
    return hinge(logits, y)[0], active / N


def no_max_grad(logits, y):
    N, C, rows, margins, active = hinge_parts(logits, y)
    grad = np.ones_like(logits)
    grad[rows, y] = -(C - 1)
    return hinge(logits, y)[0], grad / N


def loss_with_true_class(logits, y):
    N, C, rows, margins, active = hinge_parts(logits, y)
    margins[rows, y] = 1.0
    return np.maximum(margins, 0).sum() / N, hinge(logits, y)[1]


@pytest.mark.parametrize("fn, fragments", [
    (true_column_zero, ["`dlogits`", "true class's column is 0"]),
    (true_minus_one, ["`dlogits`", "as in softmax cross-entropy"]),
    (count_includes_true, ["`dlogits`", "count includes the true class"]),
    (no_max_grad, ["`dlogits`", "also those with a negative margin"]),
    (lambda Z, y: (hinge(Z, y)[0], hinge(Z, y)[1] * len(y)), ["`dlogits`", "the 1/N is missing"]),
    (lambda Z, y: (hinge(Z, y)[0], -hinge(Z, y)[1]), ["`dlogits`", "wrong sign"]),
    (loss_with_true_class, ["`loss`", "includes c = y"]),
    (lambda Z, y: (hinge_parts(Z, y)[3].sum() / len(y), hinge(Z, y)[1]), ["`loss`", "max(0, ...) is missing"]),
    (lambda Z, y: (hinge(Z, y)[0] * len(y), hinge(Z, y)[1]), ["`loss`", "sum over the 4 examples"]),
    (lambda Z, y: hinge(Z, y)[1], ["should return 2 values (loss, dlogits)"]),
    (lambda Z, y: None, ["returned None"]),
])
def test_hinge_wrong(fn, fragments):
    fails_with(check_hinge_loss, fn, "Exercise 6.6", *fragments)
