"""Trainer: one step equals forward/backward/update by hand; NaN stops with the step number."""
from __future__ import annotations

import re

import numpy as np
import pytest

from backprop_lib.datasets import make_moons, make_regression_1d
from backprop_lib.layers import Linear, ReLU, Sequential, Tanh
from backprop_lib.losses import MSELoss, SoftmaxCrossEntropy
from backprop_lib.optim import SGD, Adam
from backprop_lib.training import Trainer, accuracy, predict


def mlp(seed=0, n_out=2):
    return Sequential(Linear(2, 16, seed=seed), ReLU(), Linear(16, 16, seed=seed + 1), Tanh(),
                      Linear(16, n_out, seed=seed + 2))


def test_full_batch_step_equals_manual_step():
    X, y = make_moons(40, seed=1)
    a, b = mlp(), mlp()
    trainer = Trainer(a, SoftmaxCrossEntropy(), SGD(a.parameters(), lr=0.3), X, y)
    loss_a = trainer.step()
    ce = SoftmaxCrossEntropy()
    loss_b = ce.forward(b.forward(X), y)
    b.backward(ce.backward())
    opt = SGD(b.parameters(), lr=0.3)
    opt.step()
    opt.zero_grad()
    assert loss_a == loss_b
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
        assert not pa.grad.any()                   # zero_grad was called
    assert trainer.step_count == 1 and trainer.history == [loss_a]


def test_training_learns_moons():
    X, y = make_moons(200, noise=0.1, seed=0)
    net = mlp()
    trainer = Trainer(net, SoftmaxCrossEntropy(), Adam(net.parameters(), lr=0.02), X, y, batch_size=32, seed=0)
    losses = trainer.run(400)
    assert len(losses) == 400 and trainer.step_count == 400 and trainer.history == losses
    assert np.mean(losses[-20:]) < 0.3 * np.mean(losses[:5])
    assert accuracy(net, X, y) > 0.95


def test_training_regression_with_mse():
    X, y = make_regression_1d(100, seed=0)
    net = Sequential(Linear(1, 32, seed=0), Tanh(), Linear(32, 1, seed=1))
    trainer = Trainer(net, MSELoss(), Adam(net.parameters(), lr=0.01), X, y)
    first = trainer.step()
    trainer.run(500)
    assert trainer.history[-1] < 0.1 * first


def test_minibatches_are_seeded_and_cover_each_epoch():
    X, y = make_moons(30, seed=0)
    runs = []
    for seed in (0, 0, 1):
        net = mlp()
        runs.append(Trainer(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1), X, y,
                            batch_size=7, seed=seed).run(10))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_one_epoch_of_minibatches_partitions_the_data():
    # the targets each batch sees: one epoch of batches is a partition of the data set
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 2))
    y = rng.standard_normal(10)
    net = Sequential(Linear(2, 1, seed=0))
    seen = []

    class Spy(MSELoss):
        def forward(self, pred, target):
            seen.append(np.asarray(target).copy())
            return super().forward(pred, target)

    trainer = Trainer(net, Spy(), SGD(net.parameters(), lr=1e-9), X, y, batch_size=4, seed=3)
    trainer.run(3)                                  # batches of 4, 4, 2 = one epoch
    assert [len(s) for s in seen] == [4, 4, 2]
    np.testing.assert_array_equal(np.sort(np.concatenate(seen)), np.sort(y))


def test_divergence_stops_with_the_step_number():
    X, y = make_regression_1d(50, seed=0)
    net = Sequential(Linear(1, 8, seed=0), ReLU(), Linear(8, 1, seed=1))
    trainer = Trainer(net, MSELoss(), SGD(net.parameters(), lr=3.0), X, y)
    with pytest.raises(FloatingPointError) as info:
        trainer.run(1000)
    msg = str(info.value)
    m = re.fullmatch(r"loss became (nan|inf) at step (\d+); try a smaller learning rate \(lr=3\)", msg)
    assert m, msg
    assert int(m.group(2)) == trainer.step_count + 1 == len(trainer.history) + 1


def test_predict_and_accuracy():
    net = Sequential(Linear(2, 2, seed=0))
    net[0].W.data[...] = np.eye(2)
    net[0].b.data[...] = 0
    X = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 3.0], [5.0, -1.0]])
    np.testing.assert_array_equal(predict(net, X), [0, 1, 1, 0])
    assert predict(net, X).dtype == np.int64
    assert accuracy(net, X, np.array([0, 1, 0, 0])) == 0.75
    one = Sequential(Linear(2, 1, seed=0))
    one[0].W.data[...] = [[1.0], [0.0]]
    one[0].b.data[...] = 0
    np.testing.assert_array_equal(predict(one, X[[0, 1]] - 0.5), [1, 0])
