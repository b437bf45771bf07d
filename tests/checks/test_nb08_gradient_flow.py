"""Checkers of notebook 08 (gradient flow) against right and known-wrong answers."""
from __future__ import annotations

import math

import numpy as np
import pytest
from checker_helpers import fails_with
from checker_helpers import stub as _stub

from backprop_lib.checks.nb08_gradient_flow import check_he_std, check_residual_backward, check_sigmoid_chain_grad
from backprop_lib.layers import Linear, ReLU, Residual, Sequential

# ---------------------------------------------------------------- Exercise 8.1

@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", [
    lambda fan_in: math.sqrt(2 / fan_in),
    lambda fan_in: np.sqrt(2.0 / fan_in),          # a numpy float is fine
    lambda fan_in: np.array(2.0 / fan_in) ** 0.5,  # so is a 0-d array
])
def test_he_std_correct(fn, hidden, capsys):
    check_he_std(fn, hidden=hidden)
    assert "✔ Exercise 8.1 he_std" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (lambda n: 2 / n, ["the variance 2 / fan_in", "square root"]),
    (lambda n: math.sqrt(1 / n), ["ReLU zeroes", "doubles the variance"]),
    (lambda n: math.sqrt(2 * n), ["upside down"]),
    (lambda n: math.sqrt(2) / n, ["not sqrt(2) / fan_in"]),
    (lambda n: 2 / math.sqrt(n), ["not 2 / sqrt(fan_in)"]),
    (lambda n: -math.sqrt(2 / n), ["wrong"]),
    (lambda n: 0.01, ["is wrong", "fan_in = 100"]),
    (lambda n: [math.sqrt(2 / n)] * 2, ["should be a single number"]),
    (lambda n: None, ["is None"]),
    (lambda n: "sqrt(2/n)", ["should be numbers"]),
    (lambda n: math.sqrt(2 / (n - 100)), ["raised ZeroDivisionError", "fan_in = 100"]),
    (_stub, ["`he_std` is not written yet"]),
])
def test_he_std_wrong(fn, fragments):
    fails_with(check_he_std, fn, "Exercise 8.1", *fragments)


def test_he_std_stack_check():
    """Right for the listed fan_in values but not for 64: the 30-layer stack check catches it."""
    fails_with(check_he_std, lambda n: 0.3 if n == 64 else math.sqrt(2 / n), "30-layer ReLU stack",
           "changed by a factor of")


def test_he_std_matches_library():
    from backprop_lib.init import he_std
    check_he_std(lambda n: he_std(n, 1), quiet=True)


# ---------------------------------------------------------------- Exercise 8.2

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
    assert "✔ Exercise 8.2" in capsys.readouterr().out


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
    fails_with(check_sigmoid_chain_grad, _chain_wrong(kind), "Exercise 8.2", *fragments)


def test_sigmoid_chain_grad_none_and_stub():
    fails_with(check_sigmoid_chain_grad, lambda x, w: None, "is None")
    fails_with(check_sigmoid_chain_grad, _stub, "not written yet")
    fails_with(check_sigmoid_chain_grad, lambda x, w: np.ones(len(w)), "should be a single number")


# ---------------------------------------------------------------- Exercise 8.3

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
    assert "✔ Exercise 8.3" in capsys.readouterr().out


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
    fails_with(check_residual_backward, _res_wrong(kind), "Exercise 8.3", *fragments)


def test_residual_backward_none_raises_stub():
    fails_with(check_residual_backward, lambda X, W, b, dout: None, "returned None")
    fails_with(check_residual_backward, lambda X, W, b, dout: (X @ np.ones((2, 2)), 0, 0), "raised ValueError")
    fails_with(check_residual_backward, _stub, "not written yet")
