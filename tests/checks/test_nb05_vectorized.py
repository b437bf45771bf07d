"""Checkers of notebook 05 (vectorizing backprop) against right and known-wrong answers."""
from __future__ import annotations

import numpy as np
import pytest
from checker_helpers import fails_with

from backprop_lib.checks.nb05_vectorized import (
    check_distances_backward,
    check_linear_backward,
    check_linear_backward_loops,
    check_two_layer_backward,
    check_unbroadcast,
)
from backprop_lib.gradcheck import numerical_gradient, rel_error
from backprop_lib.layers import unbroadcast as reference_unbroadcast

# ---------------------------------------------------------------- Exercise 5.1

def lb_loops(X, W, dout):
    N, n_in = X.shape
    n_out = W.shape[1]
    dX, dW, db = np.zeros_like(X), np.zeros_like(W), np.zeros(n_out)
    for n in range(N):
        for i in range(n_in):
            for j in range(n_out):
                dW[i, j] += X[n, i] * dout[n, j]
                dX[n, i] += W[i, j] * dout[n, j]
        for j in range(n_out):
            db[j] += dout[n, j]
    return dX, dW, db


def loops_with(dX=None, dW=None, db=None):
    """The right loops, with one of the three results replaced by ``f(X, W, dout)``."""
    def fn(X, W, dout):
        right = lb_loops(X, W, dout)
        return tuple(f(X, W, dout) if f else r for f, r in zip((dX, dW, db), right))
    return fn


def dW_overwrite(X, W, dout):
    dW = np.zeros(W.shape)
    for n in range(X.shape[0]):
        dW[:, :] = np.outer(X[n], dout[n])
    return dW


def dX_overwrite_j(X, W, dout):
    dX = np.zeros(X.shape)
    for j in range(W.shape[1]):
        dX[:, :] = dout[:, j:j + 1] * W[:, j]
    return dX


@pytest.mark.parametrize("fn", [lb_loops, lambda X, W, d: (d @ W.T, X.T @ d, d.sum(axis=0))])
@pytest.mark.parametrize("hidden", [False, True])
def test_linear_backward_loops_correct(fn, hidden, capsys):
    check_linear_backward_loops(fn, hidden=hidden)
    assert "✔ Exercise 5.1" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (loops_with(dW=dW_overwrite), ["`dW`", "`=` instead of `+=`"]),
    (loops_with(dW=lambda X, W, d: X.T @ d / len(X)), ["`dW`", "average over the examples"]),
    (loops_with(dW=lambda X, W, d: -(X.T @ d)), ["`dW`", "wrong sign"]),
    (loops_with(dW=lambda X, W, d: d.T @ X), ["transpose of W's shape"]),
    (loops_with(db=lambda X, W, d: d.sum(axis=1)), ["`db` has shape", "one number per example"]),
    (loops_with(db=lambda X, W, d: d.mean(axis=0)), ["`db`", "mean over the examples"]),
    (loops_with(db=lambda X, W, d: d[-1].copy()), ["`db`", "only the last example"]),
    (loops_with(dX=dX_overwrite_j), ["`dX`", "only the last output j"]),
    (loops_with(dX=lambda X, W, d: np.tile((d @ W.T).sum(axis=0), (len(X), 1))), ["`dX`", "used only by example n"]),
    (loops_with(dX=lambda X, W, d: d @ W.T / len(X)), ["`dX`", "you divided by N"]),
    (loops_with(dX=lambda X, W, d: (d @ W.T).T), ["`dX` has shape", "transpose of X's shape"]),
    (loops_with(dX=lambda X, W, d: 2 * d @ W.T), ["`dX`", "factor of 2"]),
    (lambda X, W, d: None, ["returned None", "forget `return`"]),
    (lambda X, W, d: (X.T @ d, d.sum(axis=0)), ["should return 3 values (dX, dW, db)"]),
    (lambda X, W, d: X @ d, ["raised ValueError", "shapes do not fit"]),
])
def test_linear_backward_loops_wrong(fn, fragments):
    fails_with(check_linear_backward_loops, fn, "Exercise 5.1", *fragments)


def test_linear_backward_loops_swapped_W_indices_on_square():
    def swapped(X, W, d):
        dX = d @ W if W.shape[0] == W.shape[1] else d @ W.T
        return dX, X.T @ d, d.sum(axis=0)
    fails_with(check_linear_backward_loops, swapped, "`dX`", "indices of W are swapped")


def test_linear_backward_loops_swapped_dW_indices_on_square():
    def swapped(X, W, d):
        dW = (X.T @ d).T if W.shape[0] == W.shape[1] else X.T @ d
        return d @ W.T, dW, d.sum(axis=0)
    fails_with(check_linear_backward_loops, swapped, "`dW`", "indices are swapped")


def test_linear_backward_loops_stub():
    def stub(X, W, dout):
        raise NotImplementedError()
    msg = fails_with(check_linear_backward_loops, stub, "not written yet")
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


# ---------------------------------------------------------------- Exercise 5.4

def distances(X, C):
    return ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)


def db_right(X, C, dD):
    diff = X[:, None, :] - C[None, :, :]
    return 2 * (dD[:, :, None] * diff).sum(axis=1), -2 * (dD[:, :, None] * diff).sum(axis=0)


def db_matmul(X, C, dD):
    # the same gradients through matrix products: D = |X|^2 + |C|^2 - 2 X C^T
    dX = 2 * (dD.sum(axis=1)[:, None] * X - dD @ C)
    dC = 2 * (dD.sum(axis=0)[:, None] * C - dD.T @ X)
    return dX, dC


def test_distances_reference_matches_finite_differences():
    rng = np.random.default_rng(0)
    X, C, G = rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=(4, 2))
    dX, dC = db_right(X, C, G)
    assert rel_error(dX, numerical_gradient(lambda X_: np.sum(distances(X_, C) * G), X.copy())) < 1e-8
    assert rel_error(dC, numerical_gradient(lambda C_: np.sum(distances(X, C_) * G), C.copy())) < 1e-8


@pytest.mark.parametrize("fn", [db_right, db_matmul])
@pytest.mark.parametrize("hidden", [False, True])
def test_distances_backward_correct(fn, hidden, capsys):
    check_distances_backward(fn, hidden=hidden)
    assert "✔ Exercise 5.4" in capsys.readouterr().out


def _diff(X, C):
    return X[:, None, :] - C[None, :, :]


@pytest.mark.parametrize("fn, fragments", [
    (lambda X, C, d: (db_right(X, C, d)[0] / 2, db_right(X, C, d)[1]), ["`dX`", "2 of the square is missing"]),
    (lambda X, C, d: (2 * _diff(X, C).sum(axis=1), db_right(X, C, d)[1]), ["`dX`", "upstream gradient dD is missing"]),
    (lambda X, C, d: (2 * d.sum(axis=1)[:, None] * X, db_right(X, C, d)[1]), ["`dX`", "only the X**2 part"]),
    (lambda X, C, d: (db_right(X, C, d)[0] / len(C), db_right(X, C, d)[1]), ["`dX`", "average over the centres"]),
    (lambda X, C, d: (2 * d[:, :, None] * _diff(X, C), db_right(X, C, d)[1]), ["`dX` has shape", "sum over axis 1"]),
    (lambda X, C, d: (db_right(X, C, d)[0], -db_right(X, C, d)[1]), ["`dC`", "C enters the difference X - C with a minus sign"]),
    (lambda X, C, d: (db_right(X, C, d)[0], db_right(X, C, d)[1] / 2), ["`dC`", "2 of the square is missing"]),
    (lambda X, C, d: (db_right(X, C, d)[0], -2 * _diff(X, C).sum(axis=0)), ["`dC`", "upstream gradient dD is missing"]),
    (lambda X, C, d: (db_right(X, C, d)[0], db_right(X, C, d)[1] / len(X)), ["`dC`", "average over the examples"]),
    (lambda X, C, d: (db_right(X, C, d)[0], -2 * d[:, :, None] * _diff(X, C)), ["`dC` has shape", "sum over axis 0"]),
    (lambda X, C, d: (-db_right(X, C, d)[0], db_right(X, C, d)[1]), ["`dX`", "wrong sign"]),
    (lambda X, C, d: db_right(X, C, d)[0], ["should return 2 values (dX, dC)"]),
    (lambda X, C, d: None, ["returned None"]),
    (lambda X, C, d: X @ C, ["raised ValueError"]),
])
def test_distances_backward_wrong(fn, fragments):
    fails_with(check_distances_backward, fn, "Exercise 5.4", *fragments)


# ---------------------------------------------------------------- Exercise 5.5

def two_layer(X, Y, W1, b1, W2, b2, *, local="H", dz2_scale=2.0, dz2_div="size", w2_input="H",
              loss_div="size", transpose_W2=True):
    Z1 = X @ W1 + b1
    H = np.tanh(Z1)
    Z2 = H @ W2 + b2
    sq = (Z2 - Y) ** 2
    loss = {"size": sq.mean(), "N": sq.sum() / len(X), "none": sq.sum()}[loss_div]
    dZ2 = dz2_scale * (Z2 - Y) / {"size": Z2.size, "N": len(X), "none": 1}[dz2_div]
    dW2 = {"H": H, "Z1": Z1}[w2_input].T @ dZ2
    db2 = dZ2.sum(axis=0)
    dH = dZ2 @ (W2.T if transpose_W2 else W2)
    dZ1 = dH * {"H": 1 - H ** 2, "none": 1.0, "Z1": 1 - Z1 ** 2, "twice": 1 - np.tanh(H) ** 2}[local]
    return loss, X.T @ dZ1, dZ1.sum(axis=0), dW2, db2


def test_two_layer_reference_matches_finite_differences():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    params = [rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=(5, 2)), rng.normal(size=2)]
    _, *grads = two_layer(X, Y, *params)
    for k, (p, g) in enumerate(zip(params, grads)):          # W1, b1, W2, b2
        def f(p_, k=k):
            ps = list(params)
            ps[k] = p_
            return two_layer(X, Y, *ps)[0]
        assert rel_error(g, numerical_gradient(f, p.copy())) < 1e-7


@pytest.mark.parametrize("hidden", [False, True])
def test_two_layer_backward_correct(hidden, capsys):
    check_two_layer_backward(two_layer, hidden=hidden)
    assert "✔ Exercise 5.5" in capsys.readouterr().out


def wrong_two_layer(**kwargs):
    return lambda *args: two_layer(*args, **kwargs)


@pytest.mark.parametrize("fn, fragments", [
    (wrong_two_layer(loss_div="none"), ["`loss`", "sum of the squared errors"]),
    (wrong_two_layer(loss_div="N"), ["`loss`", "divided by N only"]),
    (wrong_two_layer(dz2_scale=1.0), ["`dW2`", "the 2 from the derivative of the square"]),
    (wrong_two_layer(dz2_div="N"), ["`dW2`", "divided by N only"]),
    (wrong_two_layer(dz2_div="none"), ["`dW2`", "no 1/Z2.size"]),
    (wrong_two_layer(dz2_scale=-2.0), ["`dW2`", "sign is flipped"]),
    (wrong_two_layer(w2_input="Z1"), ["`dW2`", "uses Z1"]),
    (wrong_two_layer(local="none"), ["`dW1`", "local derivative is missing"]),
    (wrong_two_layer(local="Z1"), ["`dW1`", "1 - Z1**2"]),
    (wrong_two_layer(local="twice"), ["`dW1`", "applied twice"]),
    (lambda *a: two_layer(*a)[:4], ["should return 5 values"]),
    (lambda *a: None, ["returned None"]),
])
def test_two_layer_backward_wrong(fn, fragments):
    fails_with(check_two_layer_backward, fn, "Exercise 5.5", *fragments)


def test_two_layer_untransposed_W2_on_square_layer():
    def square_bug(X, Y, W1, b1, W2, b2):
        return two_layer(X, Y, W1, b1, W2, b2, transpose_W2=W2.shape[0] != W2.shape[1])
    fails_with(check_two_layer_backward, square_bug, "`dW1`", "without transposing")


def test_two_layer_db1_before_the_tanh():
    def db1_bug(X, Y, W1, b1, W2, b2):
        loss, dW1, _, dW2, db2 = two_layer(X, Y, W1, b1, W2, b2)
        Z2 = np.tanh(X @ W1 + b1) @ W2 + b2
        return loss, dW1, (2 * (Z2 - Y) / Z2.size @ W2.T).sum(axis=0), dW2, db2
    fails_with(check_two_layer_backward, db1_bug, "`db1`", "sits inside the tanh")
