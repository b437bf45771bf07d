"""Trainer: one step equals forward/backward/update by hand; NaN stops with the step number."""
from __future__ import annotations

import re

import numpy as np
import pytest

from backprop_lib.datasets import make_moons, make_regression_1d
from backprop_lib.layers import Linear, ReLU, Sequential, Tanh
from backprop_lib.losses import MSELoss, SoftmaxCrossEntropy
from backprop_lib.optim import SGD, Adam
from backprop_lib.training import Trainer, accuracy, fit, predict, shuffled_batches, train_val_split


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
    # the same facts as attributes, for code that must not depend on the message's language
    assert info.value.step == int(m.group(2)) and info.value.bad_parameters == []


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


# ---------------------------------------------------------------- epochs, batches, validation

def test_shuffled_batches_partition_each_epoch_in_a_fresh_order():
    rng = np.random.default_rng(0)
    first, second = shuffled_batches(10, 4, rng), shuffled_batches(10, 4, rng)
    for epoch in (first, second):
        assert [len(b) for b in epoch] == [4, 4, 2]
        np.testing.assert_array_equal(np.sort(np.concatenate(epoch)), np.arange(10))
    assert not np.array_equal(np.concatenate(first), np.concatenate(second))
    again = np.random.default_rng(0)
    assert all(np.array_equal(a, b) for a, b in zip(first, shuffled_batches(10, 4, again)))


@pytest.mark.parametrize("args, error", [((0, 4), ValueError), ((10, 0), ValueError), ((10.0, 4), TypeError)])
def test_shuffled_batches_rejects_bad_sizes(args, error):
    with pytest.raises(error):
        shuffled_batches(*args, np.random.default_rng(0))


def test_train_val_split_is_a_shuffled_partition_that_keeps_pairs():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10) // 5                         # sorted labels: the last rows are one class
    X_tr, y_tr, X_va, y_va = train_val_split(X, y, 0.3, np.random.default_rng(1))
    assert X_tr.shape == (7, 2) and X_va.shape == (3, 2) and y_tr.shape == (7,) and y_va.shape == (3,)
    rows = np.concatenate([X_tr, X_va])[:, 0] / 2
    np.testing.assert_array_equal(np.sort(rows), np.arange(10))
    np.testing.assert_array_equal(np.concatenate([y_tr, y_va]), rows.astype(int) // 5)   # pairs kept
    assert not np.array_equal(rows, np.arange(10))                                        # shuffled


@pytest.mark.parametrize("fraction", [0.0, 1.0, 0.01, 1.5])
def test_train_val_split_needs_rows_on_both_sides(fraction):
    with pytest.raises(ValueError, match="val_fraction"):
        train_val_split(np.zeros((10, 2)), np.zeros(10), fraction, np.random.default_rng(0))


def test_fit_equals_a_trainer_run_and_measures_held_out_accuracy():
    X, y = make_moons(60, noise=0.1, seed=0)
    X_tr, y_tr, X_va, y_va = train_val_split(X, y, 0.25, np.random.default_rng(0))
    a, b = mlp(), mlp()
    history = fit(a, SoftmaxCrossEntropy(), SGD(a.parameters(), lr=0.3), X_tr, y_tr, X_va, y_va,
                  epochs=3, batch_size=16, rng=np.random.default_rng(5))
    trainer = Trainer(b, SoftmaxCrossEntropy(), SGD(b.parameters(), lr=0.3), X_tr, y_tr, batch_size=16,
                      rng=np.random.default_rng(5))
    assert trainer.steps_per_epoch == 3                # 45 rows in batches of 16
    losses = trainer.run(9)
    np.testing.assert_allclose(history.train_loss, np.mean(np.reshape(losses, (3, 3)), axis=1), rtol=1e-12)
    assert len(history.val_accuracy) == 3 and history.val_accuracy[-1] == accuracy(a, X_va, y_va)
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)



def test_trainer_rng_replaces_the_seed():
    X, y = make_moons(20, seed=0)
    runs = []
    for kwargs in ({"rng": np.random.default_rng(7)}, {"seed": 3, "rng": np.random.default_rng(7)}, {"seed": 7}):
        net = mlp()
        runs.append(Trainer(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1), X, y, batch_size=4,
                            **kwargs).run(6))
    assert runs[0] == runs[1] == runs[2]
