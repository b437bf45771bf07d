"""Checkers of notebook 08 (gradient flow) against right and known-wrong answers."""
from __future__ import annotations

import math

import numpy as np
import pytest
from checker_helpers import fails_with
from checker_helpers import stub as _stub

from backprop_lib.checks.nb08_gradient_flow import (
    check_clip_grad_norm,
    check_leaky_relu_std,
    check_output_grad_norms,
    check_residual_backward,
    check_row_norm,
    check_sigmoid_chain_grad,
)
from backprop_lib.layers import ArrayModule, Linear, ReLU, Residual, Sequential
from backprop_lib.normalization import RowNorm
from backprop_lib.optim import clip_grad_norm

# ---------------------------------------------------------------- Exercise 8.1


def output_grad_norms(layers, dout):
    norms = []
    for layer in reversed(layers):
        norms.append(np.linalg.norm(dout))
        dout = layer.backward(dout)
    return norms[::-1]


def output_grad_norms_unchecked(layers, dout):
    """The same through the unchecked passes, as an array."""
    norms = np.zeros(len(layers))
    for k in range(len(layers) - 1, -1, -1):
        norms[k] = np.sqrt(np.sum(dout ** 2))
        dout = layers[k].backward_unchecked(dout, True)
    return norms


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", [output_grad_norms, output_grad_norms_unchecked])
def test_output_grad_norms_correct(fn, hidden, capsys):
    check_output_grad_norms(fn, hidden=hidden)
    assert "✔ Exercise 8.1 output_grad_norms" in capsys.readouterr().out


def _norms_wrong(kind):
    def fn(layers, dout):
        before, after = [], []                 # the norm of dout before and after each layer's backward
        for layer in reversed(layers):
            before.append(np.linalg.norm(dout))
            dout = layer.backward(dout)
            after.append(np.linalg.norm(dout))
        return {"reversed": before, "after": after, "after_forward_order": after[::-1],
                "squared": [n ** 2 for n in before[::-1]], "short": before[::-1][1:]}[kind]
    return fn


@pytest.mark.parametrize("kind, fragments", [
    ("reversed", ["backward order", "reverse it"]),
    ("after", ["passes back", "and in backward order"]),
    ("after_forward_order", ["passes back", "one step too late", "*before* passing it"]),
    ("squared", ["squared norms"]),
    ("short", ["one norm per layer: there are 5 layers, but you returned 4 numbers"]),
])
def test_output_grad_norms_wrong(kind, fragments):
    fails_with(check_output_grad_norms, _norms_wrong(kind), "Exercise 8.1", *fragments)


def test_output_grad_norms_none_and_stub():
    fails_with(check_output_grad_norms, lambda layers, dout: None, "is None")
    fails_with(check_output_grad_norms, _stub, "not written yet")
    fails_with(check_output_grad_norms, lambda layers, dout: [layer.backward(dout) for layer in layers], "raised")


# ---------------------------------------------------------------- Exercise 8.2


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", [
    lambda n, a: math.sqrt(2 / ((1 + a * a) * n)),
    lambda n, a: np.sqrt(2.0 / (1 + a ** 2) / n),               # a numpy float is fine
    lambda n, a: np.array(2.0 / ((1 + a * a) * n)) ** 0.5,      # so is a 0-d array
])
def test_leaky_relu_std_correct(fn, hidden, capsys):
    check_leaky_relu_std(fn, hidden=hidden)
    assert "✔ Exercise 8.2 leaky_relu_std" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (lambda n, a: math.sqrt(2 / n), ["He's sqrt(2 / fan_in)", "slope**2"]),
    (lambda n, a: math.sqrt(2 / ((1 + a) * n)), ["the slope enters squared"]),
    (lambda n, a: math.sqrt(2 / ((1 + a) ** 2 * n)), ["(1 + slope)**2 squares the sum"]),
    (lambda n, a: math.sqrt(1 / ((1 + a * a) * n)), ["with a 1/2"]),
    (lambda n, a: 2 / ((1 + a * a) * n), ["this is the variance"]),
    (lambda n, a: math.sqrt(2 * (1 + a * a) / n), ["upside down"]),
    (lambda n, a: math.sqrt(2 / (1 + a * a)) / n, ["the whole fraction"]),
    (lambda n, a: -math.sqrt(2 / ((1 + a * a) * n)), ["wrong"]),
    (lambda n, a: [0.1, 0.1], ["should be a single number"]),
    (lambda n, a: None, ["is None"]),
    (_stub, ["`leaky_relu_std` is not written yet"]),
])
def test_leaky_relu_std_wrong(fn, fragments):
    fails_with(check_leaky_relu_std, fn, "Exercise 8.2", *fragments)


def test_leaky_relu_std_stack_check():
    """Right for the listed cases but not for (48, 0.2): the 30-layer stack check catches it."""
    def fn(n, a):
        return 0.4 if (n, a) == (48, 0.2) else math.sqrt(2 / ((1 + a * a) * n))
    fails_with(check_leaky_relu_std, fn, "30-layer leaky-ReLU stack", "changed by a factor of")


# ---------------------------------------------------------------- Exercise 8.3

def _sig(z):
    return 1 / (1 + np.exp(-z))


def chain_grad(x, w):
    h, grad = x, 1.0
    for wk in w:
        h = _sig(wk * h)
        grad *= wk * h * (1 - h)
    return grad


def chain_grad_with_values(x, w):
    """The same, through the scalar engine."""
    from backprop_lib.scalar import Value
    xv = Value(float(x))
    h = xv
    for wk in w:
        h = (h * float(wk)).sigmoid()
    h.backward()
    return xv.grad


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", [chain_grad, chain_grad_with_values])
def test_sigmoid_chain_grad_correct(fn, hidden, capsys):
    check_sigmoid_chain_grad(fn, hidden=hidden)
    assert "✔ Exercise 8.3" in capsys.readouterr().out


def _chain_wrong(kind):
    def fn(x, w):
        h, terms = x, []
        for wk in w:
            z = wk * (x if kind == "from_x" else h)
            h = _sig(z)
            d = h * (1 - h)
            terms.append({"output": wk * h, "no_w": d, "from_x": wk * d}.get(kind, wk * d))
        if kind == "sum":
            return sum(terms)
        if kind == "last":
            return terms[-1]
        if kind == "sign":
            return -np.prod(terms)
        if kind == "bound":
            return np.prod(np.abs(w)) / 4 ** len(w)
        return float(np.prod(terms))
    return fn


@pytest.mark.parametrize("kind, fragments", [
    ("output", ["multiplied by sigma(z_k), the output"]),
    ("no_w", ["multiplies by its weight w_k"]),
    ("sum", ["local derivatives multiply"]),
    ("last", ["only the last link"]),
    ("from_x", ["uses the previous output"]),
    ("bound", ["this is the bound"]),
    ("sign", ["wrong"]),
])
def test_sigmoid_chain_grad_wrong(kind, fragments):
    fails_with(check_sigmoid_chain_grad, _chain_wrong(kind), "Exercise 8.3", *fragments)


def test_sigmoid_chain_grad_none_and_stub():
    fails_with(check_sigmoid_chain_grad, lambda x, w: None, "is None")
    fails_with(check_sigmoid_chain_grad, _stub, "not written yet")
    fails_with(check_sigmoid_chain_grad, lambda x, w: np.ones(len(w)), "should be a single number")


# ---------------------------------------------------------------- Exercise 8.4

def residual_backward(X, W, b, dout):
    Z = X @ W + b
    dZ = dout * (Z > 0)
    return dout + dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)


def residual_backward_with_layers(X, W, b, dout):
    """The same through the library's Residual(Sequential(Linear, ReLU))."""
    lin = Linear(W.shape[0], W.shape[1])
    lin.W.data[...] = W
    lin.b.data[...] = b
    block = Residual(Sequential(lin, ReLU()))
    block.forward(X)
    dX = block.backward(dout)
    return dX, lin.W.grad, lin.b.grad


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", [residual_backward, residual_backward_with_layers])
def test_residual_backward_correct(fn, hidden, capsys):
    check_residual_backward(fn, hidden=hidden)
    assert "✔ Exercise 8.4" in capsys.readouterr().out


def _res_wrong(kind):
    def fn(X, W, b, dout):
        Z = X @ W + b
        mask = Z > 0
        dZ = dout * mask
        dX, dW, db = dout + dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)
        if kind == "no_skip":
            dX = dZ @ W.T
        elif kind == "no_block":
            dX = dout
        elif kind == "no_mask_dX":
            dX = dout + dout @ W.T
        elif kind == "masked_skip":
            dX = dZ + dZ @ W.T
        elif kind == "no_T":
            dX = dout + dZ @ W
        elif kind == "sign":
            dX = -dX
        elif kind == "no_mask_dW":
            dW = X.T @ dout
        elif kind == "output_dW":
            dW = (X + np.maximum(Z, 0)).T @ dZ
        elif kind == "transposed_dW":
            dW = dZ.T @ X
        elif kind == "no_mask_db":
            db = dout.sum(axis=0)
        elif kind == "db_keepdims":
            db = dZ.sum(axis=0, keepdims=True)
        elif kind == "db_mean":
            db = dZ.mean(axis=0)
        elif kind == "two_values":
            return dX, dW
        return dX, dW, db
    return fn


@pytest.mark.parametrize("kind, fragments", [
    ("no_skip", ["`dX`", "dropped the skip path"]),
    ("no_block", ["`dX`", "dropped the path through the block"]),
    ("no_mask_dX", ["`dX`", "ReLU's derivative is missing"]),
    ("masked_skip", ["`dX`", "the ReLU is only on the block path"]),
    ("no_T", ["`dX`", "dZ @ W (without .T)"]),
    ("sign", ["`dX`", "wrong sign"]),
    ("no_mask_dW", ["`dW`", "ReLU's derivative is missing"]),
    ("output_dW", ["`dW`", "not its output H"]),
    ("transposed_dW", ["`dW`", "transpose"]),
    ("no_mask_db", ["`db`", "ReLU's derivative is missing"]),
    ("db_keepdims", ["`db`", "expected shape (3,), got (1, 3)"]),
    ("db_mean", ["`db`", "1/N = 1/4"]),
    ("two_values", ["should return 3 values (dX, dW, db), but returned 2"]),
])
def test_residual_backward_wrong(kind, fragments):
    fails_with(check_residual_backward, _res_wrong(kind), "Exercise 8.4", *fragments)


def test_residual_backward_none_raises_stub():
    fails_with(check_residual_backward, lambda X, W, b, dout: None, "returned None")
    fails_with(check_residual_backward, lambda X, W, b, dout: (X @ np.ones((2, 2)), 0, 0), "raised ValueError")
    fails_with(check_residual_backward, _stub, "not written yet")


# ---------------------------------------------------------------- Exercise 8.5


def _row_norm_class(forward=None, backward=None, base=ArrayModule):
    """A student's RowNorm with one method replaced by a wrong version."""
    class StudentRowNorm(base):
        eps = 1e-5

        def forward_unchecked(self, Z):
            if forward is not None:
                out = forward(Z, self.eps)
                self.cache = (Z, out, np.sqrt(Z.var(axis=1, keepdims=True) + self.eps))
                return out
            mu = Z.mean(axis=1, keepdims=True)
            s = np.sqrt(Z.var(axis=1, keepdims=True) + self.eps)
            Z_hat = (Z - mu) / s
            self.cache = (Z, Z_hat, s)
            return Z_hat

        def backward_unchecked(self, dout, input_grad=True):
            Z, Z_hat, s = self.need_cache()
            if backward is not None:
                return backward(dout, Z, Z_hat, s)
            return (dout - dout.mean(axis=1, keepdims=True)
                    - Z_hat * (dout * Z_hat).mean(axis=1, keepdims=True)) / s
    return StudentRowNorm


def _m(a, axis=1):
    return a.mean(axis=axis, keepdims=True)


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("cls", [RowNorm, _row_norm_class()])
def test_row_norm_correct(cls, hidden, capsys):
    check_row_norm(cls, hidden=hidden)
    assert "✔ Exercise 8.5 RowNorm" in capsys.readouterr().out


@pytest.mark.parametrize("forward, fragments", [
    (lambda Z, eps: (Z - _m(Z)) / np.sqrt(Z.var(axis=1, keepdims=True)), ["Z_hat", "the eps is missing"]),
    (lambda Z, eps: (Z - _m(Z)) / (Z.std(axis=1, keepdims=True) + eps), ["inside the square root"]),
    (lambda Z, eps: (Z - _m(Z)) / np.sqrt(Z.var(axis=1, ddof=1, keepdims=True) + eps), ["not by d - 1"]),
    (lambda Z, eps: (Z - Z.mean(axis=0)) / np.sqrt(Z.var(axis=0) + eps), ["each column", "axis=1"]),
    (lambda Z, eps: Z / np.sqrt(Z.var(axis=1, keepdims=True) + eps), ["subtract the row's mean"]),
    (lambda Z, eps: (Z - _m(Z)) / (Z.var(axis=1, keepdims=True) + eps), ["not by the variance"]),
    (lambda Z, eps: (Z - Z.mean(axis=1)) / np.sqrt(Z.var(axis=1) + eps),
     ["RowNorm.forward_unchecked` raised ValueError", "shapes do not fit"]),
])
def test_row_norm_wrong_forward(forward, fragments):
    fails_with(check_row_norm, _row_norm_class(forward=forward), "Exercise 8.5", *fragments)


def _sd(Z):
    return np.sqrt(Z.var(axis=1, keepdims=True))


@pytest.mark.parametrize("backward, fragments", [
    (lambda d, Z, Zh, s: d / s, ["treated the mean and the spread as constants"]),
    (lambda d, Z, Zh, s: (d - _m(d)) / s, ["path through the spread s is missing"]),
    (lambda d, Z, Zh, s: (d - Zh * _m(d * Zh)) / s, ["path through the mean is missing", "every entry"]),
    (lambda d, Z, Zh, s: (d - _m(d) + Zh * _m(d * Zh)) / s, ["wrong sign"]),
    (lambda d, Z, Zh, s: d * (1 - 1 / Z.shape[1] - Zh ** 2 / Z.shape[1]) / s, ["only the i = j terms"]),
    (lambda d, Z, Zh, s: (d - d.sum(axis=1, keepdims=True) - Zh * (d * Zh).sum(axis=1, keepdims=True)) / s,
     ["sums where means belong"]),
    (lambda d, Z, Zh, s: (d - d.mean(axis=0) - Zh * (d * Zh).mean(axis=0)) / s, ["over the batch (axis 0)"]),
    (lambda d, Z, Zh, s: (d - _m(d) - Zh * _m(d * Zh) / s) / s, ["one factor 1/s too many"]),
    (lambda d, Z, Zh, s: (d - _m(d) - (Z - _m(Z)) * _m(d * (Z - _m(Z))) / (s * _sd(Z))) / s,
     ["eps included", "without the eps"]),
    (lambda d, Z, Zh, s: (d - _m(d) - Zh * _m(d * Zh)) * s, ["multiplied by s where you should divide"]),
    (lambda d, Z, Zh, s: -(d - _m(d) - Zh * _m(d * Zh)) / s, ["wrong sign"]),
    (lambda d, Z, Zh, s: None, ["`dZ` is None"]),
])
def test_row_norm_wrong_backward(backward, fragments):
    fails_with(check_row_norm, _row_norm_class(backward=backward), "Exercise 8.5", "dZ", *fragments)


def test_row_norm_not_a_module_and_stubs():
    class Plain:
        def forward_unchecked(self, Z):
            return Z
    fails_with(check_row_norm, Plain, "Exercise 8.5", "subclass of ArrayModule", "built Plain")

    class Stubbed(ArrayModule):
        def forward_unchecked(self, Z):
            # YOUR CODE HERE
            raise NotImplementedError()

        def backward_unchecked(self, dout, input_grad=True):
            # YOUR CODE HERE
            raise NotImplementedError()
    fails_with(check_row_norm, Stubbed, "Exercise 8.5", "not written yet")


def test_row_norm_without_cache():
    """Backward that recomputes from a forgotten cache: need_cache says forward has not run."""
    class NoCache(ArrayModule):
        def forward_unchecked(self, Z):
            return (Z - _m(Z)) / np.sqrt(Z.var(axis=1, keepdims=True) + 1e-5)

        def backward_unchecked(self, dout, input_grad=True):
            Z_hat, s = self.need_cache()
            return dout
    fails_with(check_row_norm, NoCache, "Exercise 8.5", "raised RuntimeError", "needs the cache")


def test_row_norm_in_place():
    class InPlace(ArrayModule):
        eps = 1e-5

        def forward_unchecked(self, Z):
            s = np.sqrt(Z.var(axis=1, keepdims=True) + 1e-5)
            Z -= Z.mean(axis=1, keepdims=True)
            Z /= s
            self.cache = (Z, s)
            return Z

        def backward_unchecked(self, dout, input_grad=True):
            Z_hat, s = self.need_cache()
            dout -= _m(dout) + Z_hat * _m(dout * Z_hat)
            return dout / s
    fails_with(check_row_norm, InPlace, "Exercise 8.5", "changed its input Z in place")
    InPlace.forward_unchecked = RowNorm.forward_unchecked
    fails_with(check_row_norm, InPlace, "Exercise 8.5", "changed dout in place")


def test_row_norm_network_check():
    """Right on its own, but the cache lives in the class, so two RowNorm layers in one network
    share it: only the network check can tell."""
    class ClassCache(ArrayModule):
        saved = None

        def forward_unchecked(self, Z):
            s = np.sqrt(Z.var(axis=1, keepdims=True) + 1e-5)
            ClassCache.saved = ((Z - _m(Z)) / s, s)
            return ClassCache.saved[0]

        def backward_unchecked(self, dout, input_grad=True):
            Z_hat, s = ClassCache.saved
            return (dout - _m(dout) - Z_hat * _m(dout * Z_hat)) / s
    fails_with(check_row_norm, ClassCache, "Exercise 8.5", "two of your layers in one network", "raised ValueError")


# ---------------------------------------------------------------- Exercise 8.6


def clip_by_hand(params, max_norm):
    total = math.sqrt(sum(float(np.sum(p.grad ** 2)) for p in params))
    if total > max_norm:
        for p in params:
            p.grad *= max_norm / total
    return total


def clip_rebinding(params, max_norm):
    """Rebinding p.grad to a new array is fine too."""
    total = np.linalg.norm(np.concatenate([p.grad.ravel() for p in params]))
    factor = min(1.0, max_norm / total)
    for p in params:
        p.grad = p.grad * factor
    return total


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", [clip_grad_norm, clip_by_hand, clip_rebinding])
def test_clip_grad_norm_correct(fn, hidden, capsys):
    check_clip_grad_norm(fn, hidden=hidden)
    assert "✔ Exercise 8.6 clip_grad_norm" in capsys.readouterr().out


def _clip_wrong(kind):
    def fn(params, max_norm):
        norms = [float(np.linalg.norm(p.grad)) for p in params]
        total = math.sqrt(sum(n * n for n in norms))
        if kind == "nothing":
            return total
        if kind == "local":
            for p in params:
                g = p.grad * min(1.0, max_norm / total)     # noqa: F841 - the mistake: never stored
            return total
        if kind == "per_param":
            for p, n in zip(params, norms):
                if n > max_norm:
                    p.grad *= max_norm / n
            return total
        if kind == "np_clip":
            for p in params:
                np.clip(p.grad, -max_norm, max_norm, out=p.grad)
            return total
        if kind == "always":
            for p in params:
                p.grad *= max_norm / total
            return total
        if kind == "inverted":
            if total > max_norm:
                for p in params:
                    p.grad *= total / max_norm
            return total
        if kind == "sum_norms":
            s = sum(norms)
            if s > max_norm:
                for p in params:
                    p.grad *= max_norm / s
            return total
        if kind == "squares":
            sq = total ** 2
            if sq > max_norm:
                for p in params:
                    p.grad *= max_norm / sq
            return total
        # the gradients are right from here on; only the returned value is wrong
        if total > max_norm:
            for p in params:
                p.grad *= max_norm / total
        return {"after": min(total, max_norm), "ret_squares": total ** 2, "ret_sum": sum(norms),
                "none": None}[kind]
    return fn


@pytest.mark.parametrize("kind, fragments", [
    ("nothing", ["did not change", "in place"]),
    ("local", ["did not change"]),
    ("per_param", ["by its own norm"]),
    ("np_clip", ["np.clip limits each entry"]),
    ("always", ["must stay as they are"]),
    ("inverted", ["upside down"]),
    ("sum_norms", ["not the sum of the parameters' norms"]),
    ("squares", ["you used the sum of squares itself"]),
    ("after", ["returned norm", "*before* clipping"]),
    ("ret_squares", ["returned norm", "you returned the sum of squares"]),
    ("ret_sum", ["returned norm", "not the sum of the parameters' norms"]),
    ("none", ["returned norm", "is None"]),
])
def test_clip_grad_norm_wrong(kind, fragments):
    fails_with(check_clip_grad_norm, _clip_wrong(kind), "Exercise 8.6", *fragments)


def test_clip_grad_norm_stub():
    fails_with(check_clip_grad_norm, _stub, "not written yet")
