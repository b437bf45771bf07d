"""Checkers of notebook 12 (an autograd engine for arrays) against right and known-wrong answers."""
from __future__ import annotations

import numpy as np
import pytest
from checker_helpers import fails_with, stub

from backprop_lib.checks.nb12_tensor import check_gather_vjp, check_log_softmax_vjp, check_max_vjp, check_sum_vjp
from backprop_lib.losses import softmax

# ---------------------------------------------------------------- Exercise 12.1


def sum_vjp(g, shape, axis, keepdims):
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape).copy()


@pytest.mark.parametrize("hidden", [False, True])
def test_sum_vjp_correct(hidden, capsys):
    check_sum_vjp(sum_vjp, hidden=hidden)
    assert "✔ Exercise 12.1 sum_vjp" in capsys.readouterr().out


def _mean_like(g, shape, axis, keepdims):
    count = np.prod(shape) // max(np.size(g), 1)
    return sum_vjp(g, shape, axis, keepdims) / count


def _wrong_axis(g, shape, axis, keepdims):
    return np.broadcast_to(g, shape)


@pytest.mark.parametrize("fn, fragments", [
    (_mean_like, ["VJP of the mean"]),
    (_wrong_axis, ["raised ValueError"]),                   # (3,) cannot stretch to (3, 4)
    (lambda g, shape, axis, keepdims: g, ["shape"]),
    (lambda g, shape, axis, keepdims: None, ["is None"]),
    (stub, ["not written yet"]),
])
def test_sum_vjp_wrong(fn, fragments):
    fails_with(check_sum_vjp, fn, "Exercise 12.1", *fragments)


def test_sum_vjp_wrong_axis_on_a_square_is_named():
    def wrong_axis_only_when_square(g, shape, axis, keepdims):
        if len(shape) == 2 and shape[0] == shape[1] and not keepdims:
            return np.broadcast_to(g, shape).copy()
        return sum_vjp(g, shape, axis, keepdims)

    fails_with(check_sum_vjp, wrong_axis_only_when_square, "wrong axis", "np.expand_dims")


# ---------------------------------------------------------------- Exercise 12.2


def gather_vjp(g, shape, index):
    dx = np.zeros(shape)
    np.add.at(dx, index, g)
    return dx


def gather_assign(g, shape, index):
    dx = np.zeros(shape)
    dx[index] += g
    return dx


@pytest.mark.parametrize("hidden", [False, True])
def test_gather_vjp_correct(hidden, capsys):
    check_gather_vjp(gather_vjp, hidden=hidden)
    assert "✔ Exercise 12.2 gather_vjp" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (gather_assign, ["repeated index", "np.add.at"]),
    (lambda g, shape, index: -gather_vjp(g, shape, index), ["wrong sign"]),
    (lambda g, shape, index: g, ["shape"]),
    (stub, ["not written yet"]),
])
def test_gather_vjp_wrong(fn, fragments):
    fails_with(check_gather_vjp, fn, "Exercise 12.2", *fragments)


# ---------------------------------------------------------------- Exercise 12.3


def log_softmax_vjp(g, x):
    return g - softmax(x, axis=-1) * g.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("hidden", [False, True])
def test_log_softmax_vjp_correct(hidden, capsys):
    check_log_softmax_vjp(log_softmax_vjp, hidden=hidden)
    assert "✔ Exercise 12.3 log_softmax_vjp" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (lambda g, x: g - softmax(x, axis=-1), ["row of g sums to 1"]),
    (lambda g, x: g * (1 - softmax(x, axis=-1)), ["only the diagonal"]),
    (lambda g, x: g - softmax(x, axis=-1) * g.sum(), ["each row"]),
    (lambda g, x: g - softmax(x, axis=-1) * g, ["only the diagonal", "row SUM"]),
    (lambda g, x: g - softmax(x, axis=-1) * g.sum(axis=-1), ["raised ValueError"]),  # no keepdims
    (stub, ["not written yet"]),
])
def test_log_softmax_vjp_wrong(fn, fragments):
    fails_with(check_log_softmax_vjp, fn, "Exercise 12.3", *fragments)


# ---------------------------------------------------------------- Exercise 12.4


def max_vjp(g, x):
    dx = np.zeros_like(x)
    dx[np.arange(x.shape[0]), x.argmax(axis=-1)] = g
    return dx


@pytest.mark.parametrize("hidden", [False, True])
def test_max_vjp_correct(hidden, capsys):
    check_max_vjp(max_vjp, hidden=hidden)
    assert "✔ Exercise 12.4 max_vjp" in capsys.readouterr().out


def _argmin(g, x):
    dx = np.zeros_like(x)
    dx[np.arange(x.shape[0]), x.argmin(axis=-1)] = g
    return dx


@pytest.mark.parametrize("fn, fragments", [
    (lambda g, x: np.broadcast_to(g[:, None], x.shape), ["as for a sum"]),
    (lambda g, x: np.broadcast_to(g[:, None] / x.shape[1], x.shape), ["as for a mean"]),
    (_argmin, ["argmin"]),
    (lambda g, x: max_vjp(g, x).T, ["shape"]),
    (stub, ["not written yet"]),
])
def test_max_vjp_wrong(fn, fragments):
    fails_with(check_max_vjp, fn, "Exercise 12.4", *fragments)
