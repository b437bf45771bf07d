"""Checkers of notebook 09 (the cost of backprop) against right and known-wrong answers."""
from __future__ import annotations

import numpy as np
import pytest
from checker_helpers import fails_with
from checker_helpers import stub as _stub

from backprop_lib.checkpoint import activation_bytes
from backprop_lib.checks.nb09_cost import check_count_matmuls, check_fd_forward_passes, check_stored_activation_bytes
from backprop_lib.gradcheck import check_model
from backprop_lib.layers import Linear, ReLU, Sequential
from backprop_lib.losses import SoftmaxCrossEntropy


def _P(sizes):
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def _mlp(sizes, dtype=np.float64):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(a, b, seed=i, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(ReLU())
    return Sequential(*layers)


# ---------------------------------------------------------------- Exercise 9.1

@pytest.mark.parametrize("hidden", [False, True])
def test_fd_forward_passes_correct(hidden, capsys):
    check_fd_forward_passes(lambda sizes: 2 * _P(sizes), hidden=hidden)
    assert "✔ Exercise 9.1" in capsys.readouterr().out


def test_fd_count_is_what_gradcheck_measures():
    """The checker's 2P is what check_model counts (X is checked too: 2 more per entry of X)."""
    sizes = [3, 4, 2]
    net = _mlp(sizes)
    X = np.random.default_rng(0).standard_normal((2, 3))
    report = check_model(net, SoftmaxCrossEntropy(), X, np.array([0, 1]))
    assert report.n_forward == 2 * _P(sizes) + 2 * X.size


@pytest.mark.parametrize("fn, fragments", [
    (lambda s: _P(s), ["one pass per parameter", "twice per parameter"]),
    (lambda s: _P(s) + 1, ["one-sided differences"]),
    (lambda s: 2 * _P(s) + 1, ["no extra pass"]),
    (lambda s: 2 * sum(a * b for a, b in zip(s[:-1], s[1:])), ["biases are parameters too"]),
    (lambda s: 2 * sum(s), ["count parameters, not units"]),
    (lambda s: 4 * _P(s), ["off by a factor of 2.0"]),
    (lambda s: None, ["is None"]),
    (lambda s: (2 * _P(s),), ["should be a single number"]),
    (lambda s: 2 * s[5], ["raised IndexError"]),
    (_stub, ["not written yet"]),
])
def test_fd_forward_passes_wrong(fn, fragments):
    fails_with(check_fd_forward_passes, fn, "Exercise 9.1", *fragments)


# ---------------------------------------------------------------- Exercise 9.2

@pytest.mark.parametrize("hidden", [False, True])
def test_count_matmuls_correct(hidden, capsys):
    check_count_matmuls(lambda L: (L, 2 * L - 1), hidden=hidden)
    check_count_matmuls(lambda L: [L, 2 * L - 1], hidden=hidden)
    assert "✔ Exercise 9.2" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (lambda L: (L, 2 * L), ["`backward`", "first layer's input is the data"]),
    (lambda L: (L, L), ["`backward`", "two products in backward"]),
    (lambda L: (L, 3 * L - 1), ["`backward`", "count the backward pass only"]),
    (lambda L: (L, 2 * L - 2), ["`backward`", "only the first layer skips"]),
    (lambda L: (2 * L, 2 * L - 1), ["`forward`", "one matrix product per Linear layer"]),
    (lambda L: (2 * L - 1, 2 * L - 1), ["`forward`", "that is the backward count"]),
    (lambda L: (L + 1, 2 * L - 1), ["`forward`", "wrong"]),
    (lambda L: 2 * L - 1, ["should return 2 values (forward, backward)"]),
    (lambda L: None, ["returned None"]),
    (_stub, ["not written yet"]),
])
def test_count_matmuls_wrong(fn, fragments):
    fails_with(check_count_matmuls, fn, "Exercise 9.2", *fragments)


# ---------------------------------------------------------------- Exercise 9.3

def stored(N, sizes, itemsize):
    L = len(sizes) - 1
    return N * (itemsize * sum(sizes[:L]) + sum(sizes[1:L]))


@pytest.mark.parametrize("hidden", [False, True])
def test_stored_activation_bytes_correct(hidden, capsys):
    check_stored_activation_bytes(stored, hidden=hidden)
    assert "✔ Exercise 9.3" in capsys.readouterr().out


@pytest.mark.parametrize("N, sizes, dtype", [
    (32, [2, 16, 16, 3], np.float64), (10, [5, 7, 3], np.float32), (4, [6, 6], np.float64),
    (8, [4, 9, 9, 9, 2], np.float32),
])
def test_formula_matches_the_library(N, sizes, dtype):
    """The checker's formula is what activation_bytes measures after a forward pass."""
    net = _mlp(sizes, dtype)
    X = np.random.default_rng(0).standard_normal((N, sizes[0])).astype(dtype)
    net.forward(X)
    assert activation_bytes(net) == stored(N, sizes, np.dtype(dtype).itemsize)


def _stored_wrong(kind):
    def fn(N, sizes, itemsize):
        L = len(sizes) - 1
        inputs, masks = sum(sizes[:L]), sum(sizes[1:L])
        return {
            "no_masks": N * itemsize * inputs,
            "mask_itemsize": N * itemsize * (inputs + masks),
            "with_output": N * (itemsize * (inputs + sizes[-1]) + masks),
            "no_input": N * (itemsize * (inputs - sizes[0]) + masks),
            "no_N": itemsize * inputs + masks,
            "bits": 8 * N * (itemsize * inputs + masks),
            "all_sizes": N * itemsize * sum(sizes),
        }[kind]
    return fn


@pytest.mark.parametrize("kind, fragments", [
    ("no_masks", ["ReLU masks are missing"]),
    ("mask_itemsize", ["1 byte per entry, not itemsize"]),
    ("with_output", ["output (the logits) is not kept"]),
    ("no_input", ["keeps its input X too"]),
    ("no_N", ["multiply by the batch size N"]),
    ("bits", ["bits, not bytes"]),
    ("all_sizes", ["`bytes` is wrong"]),
])
def test_stored_activation_bytes_wrong(kind, fragments):
    fails_with(check_stored_activation_bytes, _stored_wrong(kind), "Exercise 9.3", *fragments)


def test_stored_activation_bytes_none_raises_stub():
    fails_with(check_stored_activation_bytes, lambda N, s, i: None, "is None")
    fails_with(check_stored_activation_bytes, lambda N, s, i: N * i * s.sum(), "raised AttributeError")
    fails_with(check_stored_activation_bytes, _stub, "not written yet")
