"""Gradient checkpointing: identical results, measurably less memory, recomputation counted."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.checkpoint import CheckpointedSequential, activation_bytes, measure_peak_bytes
from backprop_lib.layers import Linear, ReLU, Residual, Sequential, Tanh
from backprop_lib.losses import SoftmaxCrossEntropy
from backprop_lib.optim import SGD
from backprop_lib.training import Trainer

RNG = np.random.default_rng(8)


def deep_layers(depth=16, width=64, seed=0):
    layers = []
    for i in range(depth):
        layers += [Linear(width, width, init="xavier", seed=seed + i), Tanh()]
    return layers


def loss_and_grads(net, X, y):
    ce = SoftmaxCrossEntropy()
    net.zero_grad()
    loss = ce.forward(net.forward(X), y)
    dx = net.backward(ce.backward())
    return loss, dx, [p.grad.copy() for p in net.parameters()]


@pytest.mark.parametrize("segments", [1, 2, 3, 5, 8, 32])
def test_outputs_and_gradients_are_bit_identical(segments):
    X, y = RNG.standard_normal((20, 64)), RNG.integers(0, 64, 20)
    plain = Sequential(*deep_layers())
    ckpt = CheckpointedSequential(*deep_layers(), segments=segments)
    np.testing.assert_array_equal(plain.forward(X), ckpt.forward(X))
    loss_a, dx_a, grads_a = loss_and_grads(plain, X, y)
    loss_b, dx_b, grads_b = loss_and_grads(ckpt, X, y)
    assert loss_a == loss_b
    np.testing.assert_array_equal(dx_a, dx_b)
    for ga, gb in zip(grads_a, grads_b):
        np.testing.assert_array_equal(ga, gb)
    last_a, last_b = ckpt.bounds[-1]
    assert ckpt.recomputed_layers == len(ckpt.layers) - (last_b - last_a)


def test_activation_bytes_counts_shared_arrays_once():
    net = Sequential(Linear(5, 4, seed=0), Tanh())
    X = RNG.standard_normal((3, 5))
    assert activation_bytes(net) == 0
    H = net.forward(X)
    assert activation_bytes(net) == X.nbytes + H.nbytes          # Linear caches X, Tanh caches H
    net2 = Sequential(Linear(5, 4, seed=0), Tanh(), Linear(4, 4, seed=1))
    net2.forward(X)                                               # the second Linear caches H again
    assert activation_bytes(net2) == X.nbytes + H.nbytes
    net2.clear_cache()
    assert activation_bytes(net2) == 0
    relu = ReLU()
    relu.forward(X)
    assert activation_bytes(relu) == X.size                       # a boolean mask: 1 byte per entry


def test_checkpointing_holds_fewer_activations():
    X = RNG.standard_normal((64, 64))
    plain = Sequential(*deep_layers())
    ckpt = CheckpointedSequential(*deep_layers(), segments=4)
    plain.forward(X)
    ckpt.forward(X)
    one = X.nbytes
    assert activation_bytes(plain) == 17 * one                   # X and 16 tanh outputs
    # 4 checkpoints (X and 3 tanh outputs) + the live last segment (4 tanh outputs)
    assert activation_bytes(ckpt) == 8 * one


def test_measured_peak_memory_drops():
    X, y = RNG.standard_normal((256, 128)), RNG.integers(0, 128, 256)
    plain = Sequential(*deep_layers(depth=24, width=128))
    ckpt = CheckpointedSequential(*deep_layers(depth=24, width=128), segments=6)

    def train_pass(net):
        def run():
            ce = SoftmaxCrossEntropy()
            loss = ce.forward(net.forward(X), y)
            net.backward(ce.backward(), input_grad=False)
            net.clear_cache()
            return loss
        return run

    loss_a, peak_plain = measure_peak_bytes(train_pass(plain))
    loss_b, peak_ckpt = measure_peak_bytes(train_pass(ckpt))
    assert loss_a == loss_b
    one = X.nbytes
    assert peak_plain > 24 * one                 # every layer's activation alive at once
    assert peak_ckpt < 0.5 * peak_plain, (peak_ckpt, peak_plain)


def test_sequential_backward_holds_no_spent_gradient():
    """Beyond the caches, a backward pass needs about three batch-sized arrays at once (the
    gradient arriving, the one leaving, a temporary); a gradient kept after its layer has
    used it would show as a fourth."""
    N, width = 512, 32
    X, y = RNG.standard_normal((N, width)), RNG.integers(0, width, N)
    net = Sequential(*deep_layers(depth=12, width=width))
    ce = SoftmaxCrossEntropy()
    net.forward(X)
    held = activation_bytes(net)
    net.clear_cache()

    def run():
        ce.forward(net.forward(X), y)
        net.backward(ce.backward(), input_grad=False)
        net.clear_cache()

    _, peak = measure_peak_bytes(run)
    assert held < peak < held + 3.5 * X.nbytes, (peak - held) / X.nbytes


def test_measure_peak_bytes_sees_numpy_allocations():
    def alloc():
        a = np.ones(1_000_000)                  # 8 MB, freed before returning
        return float(a.sum())

    result, peak = measure_peak_bytes(alloc)
    assert result == 1_000_000.0
    assert 8_000_000 <= peak < 8_500_000


def test_backward_twice_and_training_match_plain():
    X, y = RNG.standard_normal((16, 64)), RNG.integers(0, 64, 16)
    plain = Sequential(*deep_layers(depth=6))
    ckpt = CheckpointedSequential(*deep_layers(depth=6), segments=3)
    for net in (plain, ckpt):
        ce = SoftmaxCrossEntropy()
        ce.forward(net.forward(X), y)
        d = ce.backward()
        net.backward(d)
        net.backward(d)                          # gradients accumulate, as with a plain Sequential
    for a, b in zip(plain.parameters(), ckpt.parameters()):
        np.testing.assert_array_equal(a.grad, b.grad)
    plain.zero_grad()
    ckpt.zero_grad()
    ha = Trainer(plain, SoftmaxCrossEntropy(), SGD(plain.parameters(), lr=0.1), X, y).run(5)
    hb = Trainer(ckpt, SoftmaxCrossEntropy(), SGD(ckpt.parameters(), lr=0.1), X, y).run(5)
    assert ha == hb


def test_nested_modules_and_segment_bounds():
    layers = [Linear(4, 4, seed=0), ReLU(), Residual(Sequential(Linear(4, 4, seed=1), Tanh())), Linear(4, 2, seed=2)]
    ckpt = CheckpointedSequential(*layers, segments=3)
    assert ckpt.bounds == [(0, 1), (1, 3), (3, 4)]
    covered = [i for a, b in ckpt.bounds for i in range(a, b)]
    assert covered == list(range(4))
    plain = Sequential(*layers)
    X, y = RNG.standard_normal((5, 4)), RNG.integers(0, 2, 5)
    _, dx_a, ga = loss_and_grads(plain, X, y)
    _, dx_b, gb = loss_and_grads(ckpt, X, y)
    np.testing.assert_array_equal(dx_a, dx_b)
    for a, b in zip(ga, gb):
        np.testing.assert_array_equal(a, b)
