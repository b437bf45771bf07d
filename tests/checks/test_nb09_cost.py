"""Checkers of notebook 09 (the cost of backprop) against right and known-wrong answers."""
from __future__ import annotations

import numpy as np
import pytest
from checker_helpers import fails_with
from checker_helpers import stub as _stub

from backprop_lib.checkpoint import CheckpointedSequential, activation_bytes
from backprop_lib.checks.nb09_cost import (
    check_checkpointed_gradient,
    check_count_matmuls,
    check_fd_forward_passes,
    check_fd_gradient,
    check_stored_activation_bytes,
)
from backprop_lib.gradcheck import check_model, numerical_gradient
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


def fd_gradient(params, loss, h=1e-5):
    grads = []
    for p in params:
        g = np.zeros_like(p.data)
        for i in np.ndindex(p.data.shape):
            old = p.data[i]
            p.data[i] = old + h
            plus = loss()
            p.data[i] = old - h
            minus = loss()
            p.data[i] = old
            g[i] = (plus - minus) / (2 * h)
        grads.append(g)
    return grads


def fd_gradient_with_library(params, loss, h=1e-5):
    """The package's numerical_gradient, one parameter at a time."""
    return [numerical_gradient(lambda _: loss(), p.data, h=h) for p in params]


def fd_gradient_flat(params, loss, h=1e-5):
    """Through a flat view and += / -= (restores to within an ulp or two)."""
    out = []
    for p in params:
        flat, g = p.data.reshape(-1), np.zeros(p.size)
        for i in range(p.size):
            flat[i] += h
            plus = loss()
            flat[i] -= 2 * h
            minus = loss()
            flat[i] += h
            g[i] = (plus - minus) / (2 * h)
        out.append(g.reshape(p.shape))
    return tuple(out)


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", [fd_gradient, fd_gradient_with_library, fd_gradient_flat])
def test_fd_gradient_correct(fn, hidden, capsys):
    check_fd_gradient(fn, hidden=hidden)
    assert "✔ Exercise 9.1 fd_gradient" in capsys.readouterr().out


def _fd_wrong(kind):
    def fn(params, loss, h=1e-5):
        grads = []
        base = loss() if kind in ("one_sided", "extra_base") else None
        for p in params:
            g = np.zeros_like(p.data)
            for i in np.ndindex(p.data.shape):
                old = p.data[i]
                p.data[i] = old + h
                plus = loss()
                if kind == "one_sided":
                    p.data[i] = old
                    g[i] = (plus - base) / h
                    continue
                p.data[i] = old - h
                minus = loss()
                if kind != "no_restore":
                    p.data[i] = old
                g[i] = {"over_h": (plus - minus) / h, "flipped": (minus - plus) / (2 * h)}.get(
                    kind, (plus - minus) / (2 * h))
            grads.append(g)
        if kind == "last_only":
            return grads[-1]
        if kind == "short":
            return grads[:-1]
        return grads
    return fn


@pytest.mark.parametrize("kind, fragments", [
    ("one_sided", ["called 27 times", "2P = 52", "one-sided"]),
    ("extra_base", ["called 53 times", "not needed"]),
    ("no_restore", ["left changed", "put each entry back"]),
    ("over_h", ["gradient of 0.W", "divide by 2 * h"]),
    ("flipped", ["gradient of 0.W", "upside down"]),
    ("last_only", ["one gradient array per parameter (4 of them)", "got a ndarray"]),
    ("short", ["one gradient array per parameter", "got a list of 3 items"]),
])
def test_fd_gradient_wrong(kind, fragments):
    fails_with(check_fd_gradient, _fd_wrong(kind), "Exercise 9.1", *fragments)


def test_fd_gradient_one_sided_values_named():
    """One-sided values with a centered call count: the value check names them."""
    def fn(params, loss, h=1e-5):
        grads = []
        for p in params:
            g = np.zeros_like(p.data)
            for i in np.ndindex(p.data.shape):
                old = p.data[i]
                base = loss()
                p.data[i] = old + h
                g[i] = (loss() - base) / h
                p.data[i] = old
            grads.append(g)
        return grads
    fails_with(check_fd_gradient, fn, "Exercise 9.1", "one-sided difference")


def test_fd_gradient_none_and_stub():
    fails_with(check_fd_gradient, lambda params, loss, h=1e-5: None, "called 0 times")
    fails_with(check_fd_gradient, _stub, "not written yet")


# ---------------------------------------------------------------- Exercise 9.2

@pytest.mark.parametrize("hidden", [False, True])
def test_fd_forward_passes_correct(hidden, capsys):
    check_fd_forward_passes(lambda sizes: 2 * _P(sizes), hidden=hidden)
    assert "✔ Exercise 9.2" in capsys.readouterr().out


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
    fails_with(check_fd_forward_passes, fn, "Exercise 9.2", *fragments)


# ---------------------------------------------------------------- Exercise 9.3

@pytest.mark.parametrize("hidden", [False, True])
def test_count_matmuls_correct(hidden, capsys):
    check_count_matmuls(lambda L: (L, 2 * L - 1), hidden=hidden)
    check_count_matmuls(lambda L: [L, 2 * L - 1], hidden=hidden)
    assert "✔ Exercise 9.3" in capsys.readouterr().out


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
    fails_with(check_count_matmuls, fn, "Exercise 9.3", *fragments)


# ---------------------------------------------------------------- Exercise 9.4

def stored(N, sizes, itemsize):
    L = len(sizes) - 1
    return N * (itemsize * sum(sizes[:L]) + sum(sizes[1:L]))


@pytest.mark.parametrize("hidden", [False, True])
def test_stored_activation_bytes_correct(hidden, capsys):
    check_stored_activation_bytes(stored, hidden=hidden)
    assert "✔ Exercise 9.4" in capsys.readouterr().out


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
    fails_with(check_stored_activation_bytes, _stored_wrong(kind), "Exercise 9.4", *fragments)


def test_stored_activation_bytes_none_raises_stub():
    fails_with(check_stored_activation_bytes, lambda N, s, i: None, "is None")
    fails_with(check_stored_activation_bytes, lambda N, s, i: N * i * s.sum(), "raised AttributeError")
    fails_with(check_stored_activation_bytes, _stub, "not written yet")


# ---------------------------------------------------------------- Exercise 9.5


def checkpointed_gradient(layers, bounds, X, loss_grad):
    last = len(bounds) - 1
    checkpoints, h = [], X
    for s, (a, b) in enumerate(bounds):
        checkpoints.append(h)
        for layer in layers[a:b]:
            h = layer.forward(h)
        if s < last:
            for layer in layers[a:b]:
                layer.clear_cache()
    dout = loss_grad(h)
    for s in range(last, -1, -1):
        a, b = bounds[s]
        if s < last:
            h = checkpoints[s]
            for layer in layers[a:b]:
                h = layer.forward(h)
        for layer in reversed(layers[a:b]):
            dout = layer.backward(dout)
        for layer in layers[a:b]:
            layer.clear_cache()
    return dout


def checkpointed_with_library(layers, bounds, X, loss_grad):
    """The package's CheckpointedSequential (same segment rule) does the same."""
    net = CheckpointedSequential(*layers, segments=len(bounds))
    assert net.bounds == [tuple(b) for b in bounds]
    return net.backward(loss_grad(net.forward(X)))


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", [checkpointed_gradient, checkpointed_with_library])
def test_checkpointed_gradient_correct(fn, hidden, capsys):
    check_checkpointed_gradient(fn, hidden=hidden)
    assert "✔ Exercise 9.5 checkpointed_gradient" in capsys.readouterr().out


def _ckpt_wrong(kind):
    def fn(layers, bounds, X, loss_grad):
        last = len(bounds) - 1
        checkpoints, h = [], X
        for s, (a, b) in enumerate(bounds):
            checkpoints.append(h)
            for layer in layers[a:b]:
                h = layer.forward(h)
            if s < last and kind != "keep_all":
                for layer in layers[a:b]:
                    layer.clear_cache()
        dout = loss_grad(h)
        if kind == "two_loss_calls":
            loss_grad(h)
        order = range(last + 1) if kind == "forward_order" else range(last, -1, -1)
        for s in order:
            a, b = bounds[s]
            if (s < last or kind == "recompute_last") and kind not in ("no_recompute", "keep_all"):
                h = checkpoints[s]
                for layer in layers[a:b]:
                    h = layer.forward(h)
            for layer in reversed(layers[a:b]):
                dout = layer.backward(dout)
            if kind not in ("no_drop_after", "keep_all"):
                for layer in layers[a:b]:
                    layer.clear_cache()
            if kind == "stop_early" and s == 1:
                break
        return None if kind == "no_return" else dout
    return fn


@pytest.mark.parametrize("kind, fragments", [
    ("no_recompute", ["raised RuntimeError", "no cache for its backward pass", "not recomputed"]),
    ("keep_all", ["held their caches at the same time", "drop its caches"]),
    ("no_drop_after", ["held their caches at the same time", "after a segment's backward"]),
    ("recompute_last", ["of the last segment ran forward 2 times", "needs no recomputation"]),
    ("forward_order", ["raised RuntimeError", "from the last to the first"]),
    ("two_loss_calls", ["`loss_grad` was called 2 times"]),
    ("stop_early", ["never reached layer 0"]),
    ("no_return", ["returned dX", "is None"]),
])
def test_checkpointed_gradient_wrong(kind, fragments):
    fails_with(check_checkpointed_gradient, _ckpt_wrong(kind), "Exercise 9.5", *fragments)


def test_checkpointed_gradient_stub():
    fails_with(check_checkpointed_gradient, _stub, "not written yet")
