"""Checkers of notebook 07 (training multilayer networks) against right and known-wrong answers."""
from __future__ import annotations

import pytest
from checker_helpers import fails_with

from backprop_lib.checks.nb07_training import check_momentum_update, check_train_step
from backprop_lib.layers import Parameter
from backprop_lib.optim import Momentum

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
