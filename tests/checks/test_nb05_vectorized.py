"""Checkers of notebook 05 (vectorizing backprop) against right and known-wrong answers."""
from __future__ import annotations

import numpy as np
import pytest
from checker_helpers import fails_with

from backprop_lib.checks.nb05_vectorized import check_linear_backward, check_linear_dW_loops, check_unbroadcast
from backprop_lib.layers import unbroadcast as reference_unbroadcast

# ---------------------------------------------------------------- Exercise 5.1

def dW_loops(X, dout):
    N, n_in = X.shape
    dW = np.zeros((n_in, dout.shape[1]))
    for n in range(N):
        for i in range(n_in):
            for j in range(dout.shape[1]):
                dW[i, j] += X[n, i] * dout[n, j]
    return dW


def dW_overwrite(X, dout):
    dW = np.zeros((X.shape[1], dout.shape[1]))
    for n in range(X.shape[0]):
        dW[:, :] = np.outer(X[n], dout[n])
    return dW


@pytest.mark.parametrize("hidden", [False, True])
def test_dW_loops_correct(hidden, capsys):
    check_linear_dW_loops(dW_loops, hidden=hidden)
    assert "✔ Exercise 5.1" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (dW_overwrite, ["`=` instead of `+=`"]),
    (lambda X, dout: X.T @ dout / X.shape[0], ["average over the examples"]),
    (lambda X, dout: -(X.T @ dout), ["wrong sign"]),
    (lambda X, dout: dout.T @ X, ["transpose of W's shape"]),
    (lambda X, dout: 2 * X.T @ dout, ["factor of 2"]),
    (lambda X, dout: None, ["is None", "return"]),
    (lambda X, dout: X @ dout, ["raised ValueError", "shapes do not fit"]),
])
def test_dW_loops_wrong(fn, fragments):
    fails_with(check_linear_dW_loops, fn, "Exercise 5.1", *fragments)


def test_dW_loops_swapped_indices_on_square():
    calls = []

    def swapped(X, dout):
        calls.append(X.shape)
        if X.shape[1] != dout.shape[1]:
            return X.T @ dout
        return (X.T @ dout).T
    fails_with(check_linear_dW_loops, swapped, "indices are swapped")


def test_dW_loops_stub():
    def stub(X, dout):
        raise NotImplementedError()
    msg = fails_with(check_linear_dW_loops, stub, "not written yet")
    assert "with X of shape" not in msg  # a stub fails whatever the inputs


# ---------------------------------------------------------------- Exercise 5.2

def lb(X, W, dout):
    return dout @ W.T, X.T @ dout, dout.sum(axis=0)


@pytest.mark.parametrize("hidden", [False, True])
def test_linear_backward_correct(hidden, capsys):
    check_linear_backward(lb, hidden=hidden)
    assert "checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (lambda X, W, d: (d @ W.T, -(X.T @ d), d.sum(axis=0)), ["`dW`", "wrong sign"]),
    (lambda X, W, d: (d @ W.T, d.T @ X, d.sum(axis=0)), ["`dW`", "did you transpose?"]),
    (lambda X, W, d: (d @ W.T, X.T @ d, d), ["`db`", "forget to sum over the batch"]),
    (lambda X, W, d: (d @ W.T, X.T @ d, d.sum(axis=1)), ["`db`", "summed over axis=1"]),
    (lambda X, W, d: (d @ W.T, X.T @ d, d.mean(axis=0)), ["`db`", "mean over the batch"]),
    (lambda X, W, d: (d @ W.T, X.T @ d / len(X), d.sum(axis=0)), ["`dW`", "you divided by N"]),
    (lambda X, W, d: (d @ W.T / len(X), X.T @ d, d.sum(axis=0)), ["`dX`", "you divided by N"]),
    (lambda X, W, d: (d @ W.T, 2 * X.T @ d, d.sum(axis=0)), ["`dW`", "factor of 2"]),
    (lambda X, W, d: (d @ W, X.T @ d, d.sum(axis=0)), ["raised ValueError"]),
    (lambda X, W, d: (X.T @ d, d.sum(axis=0)), ["should return 3 values (dX, dW, db)", "returned 2"]),
    (lambda X, W, d: None, ["returned None", "forget `return`"]),
    (lambda X, W, d: 1 / 0, ["ZeroDivisionError"]),
])
def test_linear_backward_wrong(fn, fragments):
    fails_with(check_linear_backward, fn, "Exercise 5.2", *fragments)


def test_linear_backward_dX_without_transpose_on_square_layer():
    def square_bug(X, W, d):
        dX = d @ W if W.shape[0] == W.shape[1] else d @ W.T
        return dX, X.T @ d, d.sum(axis=0)
    fails_with(check_linear_backward, square_bug, "`dX`", "without transposing", "dout @ W.T")


def test_linear_backward_dW_swapped_on_square_layer():
    def square_bug(X, W, d):
        dW = d.T @ X if W.shape[0] == W.shape[1] else X.T @ d
        return d @ W.T, dW, d.sum(axis=0)
    fails_with(check_linear_backward, square_bug, "`dW`", "dout.T @ X is the transpose")


# ---------------------------------------------------------------- Exercise 5.3

def ub(grad, shape):
    shape = tuple(shape)
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


@pytest.mark.parametrize("fn", [ub, reference_unbroadcast])
@pytest.mark.parametrize("hidden", [False, True])
def test_unbroadcast_correct(fn, hidden, capsys):
    check_unbroadcast(fn, hidden=hidden)
    assert "✔ Exercise 5.3" in capsys.readouterr().out


def ub_mean(grad, shape):
    out = ub(grad, shape)
    return out * np.prod(shape) / grad.size


def ub_no_keepdims(grad, shape):
    return ub(grad, shape).reshape([s for s in shape if s != 1]) if 1 in tuple(shape) else ub(grad, shape)


def ub_wrong_axis(grad, shape):
    if grad.ndim == 2 and len(shape) == 1:
        return grad.sum(axis=1)
    return ub(grad, shape)


@pytest.mark.parametrize("fn, fragments", [
    (lambda g, s: g, ["still has the shape of grad", "nothing was summed"]),
    (ub_mean, ["averaged instead of summing", "used 4 times"]),
    (ub_no_keepdims, ["keepdims=True"]),
    (ub_wrong_axis, ["wrong axes"]),
    (lambda g, s: -ub(g, s), ["wrong sign"]),
    (lambda g, s: None, ["is None"]),
    (lambda g, s: g.sum(axis=5), ["raised", "AxisError"]),
])
def test_unbroadcast_wrong(fn, fragments):
    fails_with(check_unbroadcast, fn, "Exercise 5.3", *fragments)
