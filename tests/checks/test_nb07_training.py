"""Checkers of notebook 07 (training multilayer networks) against right and known-wrong answers."""
from __future__ import annotations

import numpy as np
import pytest
from checker_helpers import fails_with

from backprop_lib.checks.nb07_training import (
    check_adam_optimizer,
    check_fit,
    check_momentum_update,
    check_train_step,
    check_train_val_split,
)
from backprop_lib.layers import Parameter
from backprop_lib.optim import Adam, Momentum
from backprop_lib.training import accuracy, fit, train_val_split

# ---------------------------------------------------------------- Exercise 7.1

def train_step(net, loss_fn, opt, X, y):
    loss = loss_fn.forward(net.forward(X), y)
    net.backward(loss_fn.backward())
    opt.step()
    opt.zero_grad()
    return loss


def zero_first(net, loss_fn, opt, X, y):
    net.zero_grad()
    loss = loss_fn(net(X), y)
    net.backward(loss_fn.backward())
    opt.step()
    return loss


def no_zero(net, loss_fn, opt, X, y):
    loss = loss_fn.forward(net.forward(X), y)
    net.backward(loss_fn.backward())
    opt.step()
    return loss


def zero_before_step(net, loss_fn, opt, X, y):
    loss = loss_fn.forward(net.forward(X), y)
    net.backward(loss_fn.backward())
    opt.zero_grad()
    opt.step()
    return loss


def no_step(net, loss_fn, opt, X, y):
    loss = loss_fn.forward(net.forward(X), y)
    net.backward(loss_fn.backward())
    return loss


def no_backward(net, loss_fn, opt, X, y):
    loss = loss_fn.forward(net.forward(X), y)
    opt.step()
    opt.zero_grad()
    return loss


def no_return(net, loss_fn, opt, X, y):
    train_step(net, loss_fn, opt, X, y)


def loss_after(net, loss_fn, opt, X, y):
    train_step(net, loss_fn, opt, X, y)
    return loss_fn.forward(net.forward(X), y)


def two_steps(net, loss_fn, opt, X, y):
    loss = train_step(net, loss_fn, opt, X, y)
    train_step(net, loss_fn, opt, X, y)
    return loss


def backward_of_loss_value(net, loss_fn, opt, X, y):
    loss = loss_fn.forward(net.forward(X), y)
    net.backward(loss)
    opt.step()
    opt.zero_grad()
    return loss


@pytest.mark.parametrize("fn", [train_step, zero_first])
@pytest.mark.parametrize("hidden", [False, True])
def test_train_step_correct(fn, hidden, capsys):
    check_train_step(fn, hidden=hidden)
    assert "✔ Exercise 7.1" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (no_zero, ["step 1 was right, but step 2 is not", "not zeroed"]),
    (zero_before_step, ["did not change", "gradients are zero", "Zeroing before the update"]),
    (no_backward, ["did not change", "net.backward(loss_fn.backward())"]),
    (no_step, ["did not change", "forget opt.step()"]),
    (no_return, ["returned loss", "is None"]),
    (loss_after, ["loss after the update"]),
    (two_steps, ["after one step the parameters differ"]),
    (backward_of_loss_value, ["raised ValueError"]),
])
def test_train_step_wrong(fn, fragments):
    fails_with(check_train_step, fn, "Exercise 7.1", *fragments)


# ---------------------------------------------------------------- Exercise 7.2

def momentum_update(param, grad, velocity, lr, beta):
    velocity *= beta
    velocity += grad
    param -= lr * velocity


def momentum_update_slices(param, grad, velocity, lr, beta):
    velocity[...] = beta * velocity + grad
    param[...] = param - lr * velocity


def momentum_update_with_optim(param, grad, velocity, lr, beta):
    """The package's optim.Momentum, working on the caller's arrays: it and the checker agree."""
    p = Parameter(param)
    assert p.data is param
    p.grad = grad
    opt = Momentum([p], lr=lr, beta=beta)
    opt.velocity[0] = velocity
    opt.step()


@pytest.mark.parametrize("fn", [momentum_update, momentum_update_slices, momentum_update_with_optim])
@pytest.mark.parametrize("hidden", [False, True])
def test_momentum_correct(fn, hidden, capsys):
    check_momentum_update(fn, hidden=hidden)
    assert "✔ Exercise 7.2" in capsys.readouterr().out


def rebinds_velocity(param, grad, velocity, lr, beta):
    velocity = beta * velocity + grad
    param -= lr * velocity


def rebinds_param(param, grad, velocity, lr, beta):
    velocity *= beta
    velocity += grad
    param = param - lr * velocity  # noqa: F841


def returns_new(param, grad, velocity, lr, beta):
    v = beta * velocity + grad
    return param - lr * v, v


def ema(param, grad, velocity, lr, beta):
    velocity *= beta
    velocity += (1 - beta) * grad
    param -= lr * velocity


def no_beta(param, grad, velocity, lr, beta):
    velocity += grad
    param -= lr * velocity


def old_velocity(param, grad, velocity, lr, beta):
    param -= lr * velocity
    velocity *= beta
    velocity += grad


def plain_sgd(param, grad, velocity, lr, beta):
    velocity *= beta
    velocity += grad
    param -= lr * grad


def uphill(param, grad, velocity, lr, beta):
    velocity *= beta
    velocity += grad
    param += lr * velocity


def double_lr(param, grad, velocity, lr, beta):
    velocity *= beta
    velocity += grad
    param -= 2 * lr * velocity


@pytest.mark.parametrize("fn, fragments", [
    (rebinds_velocity, ["`velocity` did not change", "in place", "only rebinds"]),
    (rebinds_param, ["`param` did not change", "only rebinds"]),
    (returns_new, ["returned a value", "in place"]),
    (ema, ["averaged form"]),
    (no_beta, ["beta is missing"]),
    (old_velocity, ["old velocity", "update the velocity first"]),
    (plain_sgd, ["plain SGD"]),
    (uphill, ["uphill"]),
    (double_lr, ["`the change of param`", "factor of 2"]),
    (lambda p, g, v, lr, beta: 1 / 0, ["ZeroDivisionError"]),
])
def test_momentum_wrong(fn, fragments):
    fails_with(check_momentum_update, fn, "Exercise 7.2", *fragments)


def test_momentum_not_a_function():
    fails_with(check_momentum_update, None, "is None", "run the cell that defines it")


# ---------------------------------------------------------------- Exercise 7.3

class AdamOptimizer:
    def __init__(self, params, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.params, self.lr, self.beta1, self.beta2, self.eps = list(params), lr, beta1, beta2, eps
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]
        self.t = 0

    def step(self):
        self.t += 1
        for p, m, v in zip(self.params, self.m, self.v):
            m *= self.beta1
            m += (1 - self.beta1) * p.grad
            v *= self.beta2
            v += (1 - self.beta2) * p.grad ** 2
            m_hat = m / (1 - self.beta1 ** self.t)
            v_hat = v / (1 - self.beta2 ** self.t)
            p.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def zero_grad(self):
        for p in self.params:
            p.grad[...] = 0


class AdamFromPackage:
    """optim.Adam behind the exercise's signature."""
    def __init__(self, params, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.opt = Adam(params, lr=lr, betas=(beta1, beta2), eps=eps)

    def step(self):
        self.opt.step()

    def zero_grad(self):
        self.opt.zero_grad()


@pytest.mark.parametrize("cls", [AdamOptimizer, AdamFromPackage])
@pytest.mark.parametrize("hidden", [False, True])
def test_adam_correct(cls, hidden, capsys):
    check_adam_optimizer(cls, hidden=hidden)
    assert "✔ Exercise 7.3" in capsys.readouterr().out


def adam_variant(**changes):
    """AdamOptimizer with one piece of the update replaced."""
    class Variant(AdamOptimizer):
        def step(self):
            if not changes.get("t_fixed"):
                self.t += 1
            t = self.t if not changes.get("t_fixed") else 1
            if changes.get("t_from_zero"):
                t = self.t - 1
            for p, m, v in zip(self.params, self.m, self.v):
                m *= self.beta1
                m += (1 - self.beta1) * p.grad
                v *= self.beta2
                v += (1 - self.beta2) * (p.grad if changes.get("g_not_squared") else p.grad ** 2)
                m_hat = m if changes.get("no_m_hat") else m / (1 - self.beta1 ** t)
                v_hat = v if changes.get("no_v_hat") else v / (1 - self.beta2 ** t)
                denom = np.sqrt(v_hat + self.eps) if changes.get("eps_inside") else np.sqrt(v_hat) + self.eps
                sign = -1 if changes.get("uphill") else 1
                p.data -= sign * self.lr * m_hat / denom
    return Variant


class AdamNoZero(AdamOptimizer):
    def zero_grad(self):
        pass


class AdamSharedState(AdamOptimizer):
    def step(self):
        self.t += 1
        m = v = 0
        for p in self.params:
            m = self.beta1 * m + (1 - self.beta1) * p.grad
            v = self.beta2 * v + (1 - self.beta2) * p.grad ** 2
            p.data -= self.lr * (m / (1 - self.beta1 ** self.t)) / (np.sqrt(v / (1 - self.beta2 ** self.t)) + self.eps)


@pytest.mark.parametrize("cls, fragments", [
    (adam_variant(no_m_hat=True, no_v_hat=True), ["without bias correction"]),
    (adam_variant(no_v_hat=True), ["only m is corrected"]),
    (adam_variant(no_m_hat=True), ["only v is corrected"]),
    (adam_variant(t_fixed=True), ["stays at 1"]),
    (adam_variant(t_from_zero=True), ["only NaN or inf", "Count the steps from 1"]),
    (adam_variant(eps_inside=True), ["eps is inside the square root"]),
    (adam_variant(g_not_squared=True), ["NaN or inf in some entries", "g**2"]),
    (adam_variant(uphill=True), ["move uphill"]),
    (AdamNoZero, ["after zero_grad()", "all zeros"]),
    (AdamSharedState, ["raised ValueError", "p.data -="]),
    (AdamOptimizer([Parameter(np.zeros(2))]), ["should be a class"]),
])
def test_adam_wrong(cls, fragments, recwarn):
    fails_with(check_adam_optimizer, cls, "Exercise 7.3", *fragments)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_adam_without_methods():
    class Half:
        def __init__(self, params, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
            pass
    fails_with(check_adam_optimizer, Half, "needs a method `step(self)`")


# ---------------------------------------------------------------- Exercise 7.4

def split(X, y, val_fraction, rng):
    order = rng.permutation(len(X))
    n_val = int(round(val_fraction * len(X)))
    val, train = order[:n_val], order[n_val:]
    return X[train], y[train], X[val], y[val]


@pytest.mark.parametrize("fn", [split, train_val_split])
@pytest.mark.parametrize("hidden", [False, True])
def test_split_correct(fn, hidden, capsys):
    check_train_val_split(fn, hidden=hidden)
    assert "✔ Exercise 7.4" in capsys.readouterr().out


def split_unshuffled(X, y, f, rng):
    n_val = int(round(f * len(X)))
    return X[:-n_val], y[:-n_val], X[-n_val:], y[-n_val:]


def split_two_permutations(X, y, f, rng):
    n_val = int(round(f * len(X)))
    X, y = X[rng.permutation(len(X))], y[rng.permutation(len(y))]
    return X[n_val:], y[n_val:], X[:n_val], y[:n_val]


def split_global_rng(X, y, f, rng):
    return split(X, y, f, np.random.default_rng())


def split_with_replacement(X, y, f, rng):
    n_val = int(round(f * len(X)))
    val = rng.integers(0, len(X), size=n_val)
    train = rng.integers(0, len(X), size=len(X) - n_val)
    return X[train], y[train], X[val], y[val]


def split_floor_fraction(X, y, f, rng):
    order = rng.permutation(len(X))
    n_val = int(f * len(X)) + 1
    return X[order[n_val:]], y[order[n_val:]], X[order[:n_val]], y[order[:n_val]]


@pytest.mark.parametrize("fn, fragments", [
    (split_unshuffled, ["not shuffled", "sorted by class", "last"]),
    (split_two_permutations, ["labels no longer belong to their rows"]),
    (split_global_rng, ["same seed gave different splits"]),
    (split_with_replacement, ["appear twice"]),
    (split_floor_fraction, ["should hold round(0.25 * 20) = 5 rows"]),
    (lambda X, y, f, rng: split(X, y, f, rng)[:2], ["should return 4 values"]),
    (lambda X, y, f, rng: (X[5:] + 1, y[5:], X[:5], y[:5]), ["not rows of X"]),
])
def test_split_wrong(fn, fragments):
    fails_with(check_train_val_split, fn, "Exercise 7.4", *fragments)


# ---------------------------------------------------------------- Exercise 7.5

def fit_ref(net, loss_fn, opt, X_train, y_train, X_val, y_val, epochs, batch_size, rng):
    train_losses, val_accuracies = [], []
    N = len(X_train)
    for _ in range(epochs):
        order = rng.permutation(N)
        losses = []
        for start in range(0, N, batch_size):
            idx = order[start:start + batch_size]
            loss = loss_fn.forward(net.forward(X_train[idx]), y_train[idx])
            net.backward(loss_fn.backward())
            opt.step()
            opt.zero_grad()
            losses.append(loss)
        train_losses.append(np.mean(losses))
        val_accuracies.append(accuracy(net, X_val, y_val))
    return train_losses, val_accuracies


def fit_package(net, loss_fn, opt, X_train, y_train, X_val, y_val, epochs, batch_size, rng):
    history = fit(net, loss_fn, opt, X_train, y_train, X_val, y_val, epochs, batch_size, rng)
    return history.train_loss, history.val_accuracy


def fit_weighted(net, loss_fn, opt, X_train, y_train, X_val, y_val, epochs, batch_size, rng):
    """Batch losses weighted by batch size, and training accuracy computed on the side: also right."""
    train_losses, val_accuracies = [], []
    for _ in range(epochs):
        total = 0.0
        for idx in np.array_split(rng.permutation(len(X_train)), range(batch_size, len(X_train), batch_size)):
            opt.zero_grad()
            loss = loss_fn(net(X_train[idx]), y_train[idx])
            net.backward(loss_fn.backward())
            opt.step()
            total += loss * len(idx)
        accuracy(net, X_train, y_train)
        train_losses.append(total / len(X_train))
        val_accuracies.append(accuracy(net, X_val, y_val))
    return train_losses, val_accuracies


@pytest.mark.parametrize("fn", [fit_ref, fit_package, fit_weighted])
@pytest.mark.parametrize("hidden", [False, True])
def test_fit_correct(fn, hidden, capsys):
    check_fit(fn, hidden=hidden)
    assert "✔ Exercise 7.5" in capsys.readouterr().out


def fit_variant(*, order="fresh", drop_last=False, one_epoch=False, full_batch=False, zero=True,
                loss_report="mean", val_on_train=False, replacement=False):
    def fn(net, loss_fn, opt, X_train, y_train, X_val, y_val, epochs, batch_size, rng):
        N = len(X_train)
        once = rng.permutation(N)
        train_losses, val_accuracies, all_losses = [], [], []
        for _ in range(1 if one_epoch else epochs):
            perm = {"fresh": rng.permutation(N), "none": np.arange(N), "once": once,
                    "global": np.random.default_rng().permutation(N)}[order]
            if replacement:
                perm = rng.integers(0, N, size=N)
            B = N if full_batch else batch_size
            stop = N - N % B if drop_last and N % B else N
            losses = []
            for start in range(0, stop, B):
                idx = perm[start:start + B]
                loss = loss_fn.forward(net.forward(X_train[idx]), y_train[idx])
                net.backward(loss_fn.backward())
                opt.step()
                if zero:
                    opt.zero_grad()
                losses.append(loss)
            all_losses += losses
            report = {"mean": np.mean(losses), "last": losses[-1], "sum": np.sum(losses),
                      "full": loss_fn.forward(net.forward(X_train), y_train)}
            train_losses.append(report.get(loss_report, np.mean(losses)))
            val_accuracies.append(accuracy(net, X_train, y_train) if val_on_train else accuracy(net, X_val, y_val))
        if loss_report == "all":
            return all_losses, val_accuracies
        return train_losses, val_accuracies
    return fn


def fit_zero_before_step(net, loss_fn, opt, X_train, y_train, X_val, y_val, epochs, batch_size, rng):
    for _ in range(epochs):
        order = rng.permutation(len(X_train))
        for start in range(0, len(X_train), batch_size):
            idx = order[start:start + batch_size]
            loss_fn.forward(net.forward(X_train[idx]), y_train[idx])
            net.backward(loss_fn.backward())
            opt.zero_grad()
            opt.step()
    return [0.0] * epochs, [0.0] * epochs


@pytest.mark.parametrize("fn, fragments", [
    (fit_variant(order="none"), ["never shuffled"]),
    (fit_variant(order="once"), ["same order", "not once before the loop"]),
    (fit_variant(order="global"), ["same seed visited the rows in different orders"]),
    (fit_variant(replacement=True), ["did not visit every training row exactly once"]),
    (fit_variant(drop_last=True), ["last, smaller batch", "is missing"]),
    (fit_variant(one_epoch=True), ["loop over the 2 epochs is missing"]),
    (fit_variant(full_batch=True), ["once per epoch", "cut each epoch into batches"]),
    (fit_variant(zero=False), ["never zeroed"]),
    (fit_zero_before_step, ["gradient was zero when opt.step() ran"]),
    (fit_variant(loss_report="last"), ["`train_losses`", "last batch"]),
    (fit_variant(loss_report="sum"), ["`train_losses`", "sums of the epoch's batch losses"]),
    (fit_variant(loss_report="full"), ["`train_losses`", "whole training set after each epoch"]),
    (fit_variant(loss_report="all"), ["`train_losses`", "expected shape (2,), got (8,)"]),
    (fit_variant(val_on_train=True), ["`val_accuracies`", "accuracies on the training rows"]),
    (lambda *args: None, ["returned None"]),
])
def test_fit_wrong(fn, fragments):
    fails_with(check_fit, fn, "Exercise 7.5", *fragments)
