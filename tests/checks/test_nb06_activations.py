"""Checkers of notebook 06 (activations and losses) against right and known-wrong answers."""
from __future__ import annotations

import numpy as np
import pytest
from checker_helpers import fails_with

from backprop_lib.checks.nb06_activations import (
    check_logsumexp,
    check_sigmoid_backward,
    check_softmax_cross_entropy_backward,
)
from backprop_lib.losses import logsumexp as reference_logsumexp
from backprop_lib.losses import softmax


def _sig(z):
    return 1 / (1 + np.exp(-z))


# ---------------------------------------------------------------- Exercise 6.1

@pytest.mark.parametrize("hidden", [False, True])
def test_sigmoid_backward_correct(hidden, capsys):
    check_sigmoid_backward(lambda H, dout: dout * H * (1 - H), hidden=hidden)
    assert "✔ Exercise 6.1" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (lambda H, d: d * _sig(H) * (1 - _sig(H)), ["applied the sigmoid to H again"]),
    (lambda H, d: H * (1 - H), ["upstream gradient is missing"]),
    (lambda H, d: d * (1 - H ** 2), ["tanh rule"]),
    (lambda H, d: -d * H * (1 - H), ["wrong sign"]),
    (lambda H, d: d * H, ["(1 - H) is missing"]),
    (lambda H, d: 2 * d * H * (1 - H), ["factor of 2"]),
    (lambda H, d: H * (1 - H) + d, ["added the upstream gradient"]),
    (lambda H, d: (d * H * (1 - H)).sum(), ["should be an array"]),
    (lambda H, d: None, ["is None"]),
    (lambda H, d: H.reshape(-1, 1) @ d.reshape(-1, 1), ["raised ValueError", "shapes do not fit"]),
])
def test_sigmoid_backward_wrong(fn, fragments):
    fails_with(check_sigmoid_backward, fn, "Exercise 6.1", *fragments)


def test_sigmoid_backward_stub():
    def sigmoid_backward(H, dout):
        # YOUR CODE HERE
        raise NotImplementedError()
    fails_with(check_sigmoid_backward, sigmoid_backward, "`sigmoid_backward` is not written yet")


# ---------------------------------------------------------------- Exercise 6.2

def lse(Z):
    m = Z.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True)))[:, 0]


@pytest.mark.parametrize("fn", [lse, lambda Z: reference_logsumexp(Z, axis=1)])
@pytest.mark.parametrize("hidden", [False, True])
def test_logsumexp_correct(fn, hidden, capsys):
    check_logsumexp(fn, hidden=hidden)
    assert "✔ Exercise 6.2" in capsys.readouterr().out


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
    fails_with(check_logsumexp, fn, "Exercise 6.2", *fragments)


# ---------------------------------------------------------------- Exercise 6.3

def sce(logits, y):
    N = logits.shape[0]
    P = softmax(logits)
    P[np.arange(N), y] -= 1
    return P / N


def onehot(y, C):
    return np.eye(C)[y]


@pytest.mark.parametrize("hidden", [False, True])
def test_sce_backward_correct(hidden, capsys):
    check_softmax_cross_entropy_backward(sce, hidden=hidden)
    assert "✔ Exercise 6.3" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (lambda Z, y: sce(Z, y) * len(y), ["the 1/N is missing"]),
    (lambda Z, y: softmax(Z) / len(y), ["one-hot subtraction is missing"]),
    (lambda Z, y: -sce(Z, y), ["sign is flipped"]),
    (lambda Z, y: -onehot(y, Z.shape[1]) / len(y), ["softmax part is missing"]),
    (lambda Z, y: (softmax(Z) - onehot(np.argmax(Z, axis=1), Z.shape[1])) / len(y), ["wrong column"]),
    (lambda Z, y: sce(Z, y) / len(y), ["1/N = 1/4", "divide by N twice"]),
    (lambda Z, y: sce(Z, y).T, ["did you transpose?"]),
    (lambda Z, y: sce(Z, y).sum(axis=0), ["sum over the batch (axis=0) where you should not"]),
    (lambda Z, y: None, ["is None"]),
    (lambda Z, y: Z[y], ["`dlogits`"]),
])
def test_sce_backward_wrong(fn, fragments):
    fails_with(check_softmax_cross_entropy_backward, fn, "Exercise 6.3", *fragments)


def test_sce_backward_unstable_softmax_is_named(recwarn, capfd):
    def unstable(Z, y):
        E = np.exp(Z)
        P = E / E.sum(axis=1, keepdims=True)
        return (P - onehot(y, Z.shape[1])) / len(y)
    fails_with(check_softmax_cross_entropy_backward, unstable, "NaN or inf", "Subtract each row's maximum")
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    assert capfd.readouterr().err == ""
