"""The notebook-04 checkers against correct and known-wrong student code."""
from __future__ import annotations

import math

import numpy as np
import pytest
from checker_helpers import fails_with

from backprop_lib.checks.nb04_neurons import check_hinge_loss, check_neuron_grads, check_train_step

# ------------------------------------------------------------ Exercise 4.1

def _forward(w, b, x):
    z = sum(wi * xi for wi, xi in zip(w, x)) + b
    return z, math.tanh(z)


def neuron_grads(w, b, x, y):
    z, h = _forward(w, b, x)
    dz = 2 * (h - y) * (1 - h ** 2)
    return [dz * xi for xi in x], dz


def test_neuron_grads_correct():
    check_neuron_grads(neuron_grads, quiet=True)
    check_neuron_grads(neuron_grads, hidden=True, quiet=True)


def test_neuron_grads_numpy_arrays_are_fine():
    def with_arrays(w, b, x, y):
        dw, db = neuron_grads(w, b, x, y)
        return np.array(dw), np.float64(db)

    check_neuron_grads(with_arrays, quiet=True)


def _no_tanh(w, b, x, y):
    z, h = _forward(w, b, x)
    return [2 * (h - y) * xi for xi in x], 2 * (h - y)


def _one_minus_z2(w, b, x, y):
    z, h = _forward(w, b, x)
    dz = 2 * (h - y) * (1 - z ** 2)
    return [dz * xi for xi in x], dz


def _w_instead_of_x(w, b, x, y):
    dw, db = neuron_grads(w, b, x, y)
    return [db * wi for wi in w], db


def _no_two(w, b, x, y):
    dw, db = neuron_grads(w, b, x, y)
    return [g / 2 for g in dw], db / 2


def _sign(w, b, x, y):
    dw, db = neuron_grads(w, b, x, y)
    return [-g for g in dw], -db


def _summed(w, b, x, y):
    dw, db = neuron_grads(w, b, x, y)
    return sum(dw), db


def _db_with_x(w, b, x, y):
    dw, db = neuron_grads(w, b, x, y)
    return dw, sum(dw)


def _transposed(w, b, x, y):
    dw, db = neuron_grads(w, b, x, y)
    return np.array(dw)[:, None], db


@pytest.mark.parametrize("wrong, fragments", [
    (_no_tanh, ["`dw`", "tanh factor is missing"]),
    (_one_minus_z2, ["`dw`", "1 − z² is used"]),
    (_w_instead_of_x, ["`dw`", "slope with respect to w_i is x_i"]),
    (_no_two, ["`dw`", "the 2 from the square"]),
    (_sign, ["`dw`", "wrong sign"]),
    (_summed, ["`dw`", "should be an array of shape (2,)"]),
    (_db_with_x, ["`db`", "should not depend on x"]),
    (_transposed, ["`dw`", "expected shape (2,), got (2, 1)"]),
    (lambda w, b, x, y: None, ["returned None"]),
    (lambda w, b, x, y: (*neuron_grads(w, b, x, y), 0.0), ["should return 2 values", "returned 3 values"]),
])
def test_neuron_grads_mistakes(wrong, fragments):
    fails_with(check_neuron_grads, wrong, "Exercise 4.1", *fragments)


# ------------------------------------------------------------ Exercise 4.2

def hinge_loss(scores, ys):
    losses = [(1 - y * s).relu() for s, y in zip(scores, ys)]
    return sum(losses) * (1.0 / len(losses))


def test_hinge_loss_correct():
    check_hinge_loss(hinge_loss, quiet=True)
    check_hinge_loss(hinge_loss, hidden=True, quiet=True)


@pytest.mark.parametrize("wrong, fragments", [
    (lambda s, ys: sum((1 - y * v) for v, y in zip(s, ys)) * (1.0 / len(s)), ["negative terms", ".relu()"]),
    (lambda s, ys: sum((1 + y * v).relu() for v, y in zip(s, ys)) * (1.0 / len(s)), ["sign inside is flipped"]),
    (lambda s, ys: sum((1 - y * v).relu() for v, y in zip(s, ys)), ["not divided by N"]),
    (lambda s, ys: hinge_loss(s, ys).data, ["should return a Value", "got float"]),
    (lambda s, ys: None, ["returned None"]),
    (lambda s, ys: max(0, 1 - ys[0] * s[0]), ["raised TypeError"]),
])
def test_hinge_loss_mistakes(wrong, fragments):
    fails_with(check_hinge_loss, wrong, "Exercise 4.2", *fragments)


def test_hinge_loss_gradient_cut_off():
    """The right number but a graph that skips the relu: examples past the margin get a gradient."""
    def wrong_grad(scores, ys):
        # equal in value, but the zero terms are written as (term - term.data): gradient -y/N leaks through
        terms = []
        for s, y in zip(scores, ys):
            term = 1 - y * s
            terms.append(term if term.data > 0 else term - term.data)
        return sum(terms) * (1.0 / len(terms))

    fails_with(check_hinge_loss, wrong_grad, "the gradients of the scores", "margin y·s > 1")


# ------------------------------------------------------------ Exercise 4.3

def train_step(model, loss_fn, lr):
    loss = loss_fn(model)
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data


def test_train_step_correct():
    check_train_step(train_step, quiet=True)
    check_train_step(train_step, hidden=True, quiet=True)


def _uphill(model, loss_fn, lr):
    loss = loss_fn(model)
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data += lr * p.grad
    return loss.data


def _no_zero_grad(model, loss_fn, lr):
    loss = loss_fn(model)
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data


def _zero_between(model, loss_fn, lr):
    loss = loss_fn(model)
    loss.backward()
    model.zero_grad()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data


def _no_lr(model, loss_fn, lr):
    loss = loss_fn(model)
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= p.grad
    return loss.data


def _returns_value(model, loss_fn, lr):
    loss = loss_fn(model)
    train_step(model, lambda m: loss, lr)
    return loss


def _loss_after(model, loss_fn, lr):
    train_step(model, loss_fn, lr)
    return loss_fn(model).data


def _updates_p_not_data(model, loss_fn, lr):
    loss = loss_fn(model)
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p = p - lr * p.grad  # rebinds the name, changes nothing
    return loss.data


@pytest.mark.parametrize("wrong, fragments", [
    (_uphill, ["parameters after step 1", "moved uphill"]),
    (_no_zero_grad, ["parameters after step 2", "zero_grad() before loss.backward()"]),
    (_zero_between, ["parameters after step 1", "did not change"]),
    (_updates_p_not_data, ["parameters after step 1", "did not change"]),
    (_no_lr, ["parameters after step 1", "learning rate is not used"]),
    (_returns_value, ["loss returned by step 1", "its `.data`"]),
    (_loss_after, ["loss returned by step 1", "*after* the update"]),
    (lambda model, loss_fn, lr: None, ["loss returned by step 1", "is None"]),
])
def test_train_step_mistakes(wrong, fragments):
    fails_with(check_train_step, wrong, "Exercise 4.3", *fragments)


def test_train_step_raises():
    def raises(model, loss_fn, lr):
        loss = loss_fn(model)
        loss.backward()
        for p in model.params():
            p.data -= lr * p.grad
        return loss.data

    fails_with(check_train_step, raises, "raised AttributeError", "params")
