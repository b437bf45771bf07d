"""Checkers of notebook 14 (backprop through attention) against right and known-wrong answers."""
from __future__ import annotations

import numpy as np
import pytest
from checker_helpers import fails_with, stub

from backprop_lib.checks.nb14_attention import check_attention_backward, check_softmax_vjp


def softmax_vjp(dA, A):
    return A * (dA - (dA * A).sum(axis=-1, keepdims=True))


@pytest.mark.parametrize("hidden", [False, True])
def test_softmax_vjp_correct(hidden, capsys):
    check_softmax_vjp(softmax_vjp, hidden=hidden)
    assert "✔ Exercise 14.1 softmax_vjp" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (lambda dA, A: A * (1 - A) * dA, ["only the diagonal"]),
    (lambda dA, A: A * (dA - np.sum(dA * A)), ["whole array"]),
    (lambda dA, A: A * (dA - dA.sum(axis=-1, keepdims=True)), ["weight it by A"]),
    (lambda dA, A: dA - (dA * A).sum(axis=-1, keepdims=True), ["leading factor A"]),
    (lambda dA, A: A * (dA - (dA * A).sum(axis=-1)), ["keepdims=True is missing"]),
    (stub, ["not written yet"]),
])
def test_softmax_vjp_wrong(fn, fragments):
    fails_with(check_softmax_vjp, fn, "Exercise 14.1", *fragments)


def attention_backward(dO, Q, K, V, A, *, scale=True, transpose_dV=True, transpose_dK=True):
    s = np.sqrt(Q.shape[-1]) if scale else 1.0
    dV = A.T @ dO if transpose_dV else A @ dO
    dS = softmax_vjp(dO @ V.T, A) / s
    dK = dS.T @ Q if transpose_dK else dS @ Q
    return dS @ K, dK, dV


@pytest.mark.parametrize("hidden", [False, True])
def test_attention_backward_correct(hidden, capsys):
    check_attention_backward(attention_backward, hidden=hidden)
    assert "✔ Exercise 14.2 attention_backward" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (lambda *a: attention_backward(*a, transpose_dV=False), ["dV", "transposed"]),
    (lambda *a: attention_backward(*a, scale=False), ["dQ", "scale"]),
    (lambda *a: attention_backward(*a, transpose_dK=False), ["dK", "dS^T Q"]),
    (lambda *a: attention_backward(*a)[:2], ["should return 3 values"]),
    (stub, ["not written yet"]),
])
def test_attention_backward_wrong(fn, fragments):
    fails_with(check_attention_backward, fn, "Exercise 14.2", *fragments)
