"""The notebook-04 checkers against correct and known-wrong student code."""
from __future__ import annotations

import math
import random

import numpy as np
import pytest
from checker_helpers import fails_with

from backprop_lib.checks.nb04_neurons import (
    check_hinge_loss,
    check_layer_and_mlp,
    check_logistic_loss,
    check_neuron_class,
    check_neuron_grads,
    check_train_step,
    check_two_layer_grads,
)
from backprop_lib.scalar import Value

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


# ------------------------------------------------------------ Exercise 4.5

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
    fails_with(check_hinge_loss, wrong, "Exercise 4.5", *fragments)


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


# ------------------------------------------------------------ Exercise 4.7

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
    fails_with(check_train_step, wrong, "Exercise 4.7", *fragments)


def test_train_step_raises():
    def raises(model, loss_fn, lr):
        loss = loss_fn(model)
        loss.backward()
        for p in model.params():
            p.data -= lr * p.grad
        return loss.data

    fails_with(check_train_step, raises, "raised AttributeError", "params")


# ------------------------------------------------------------ Exercises 4.2 and 4.3

def make_classes(*, same_weight=False, float_weights=False, no_tanh=False, no_bias=False, ignore_nonlin=False,
                 bias_first=False, last_tanh=False, all_linear=False, list_of_one=False, same_fan_in=False,
                 flat_order=False, no_zero=False):
    """Neuron, Layer and MLP as the notebook asks for them, with one mistake switched on."""

    class Neuron:
        def __init__(self, n_in, nonlin=True):
            if same_weight:
                self.w = [Value(random.uniform(-1, 1))] * n_in
            elif float_weights:
                self.w = [random.uniform(-1, 1) for _ in range(n_in)]
            else:
                self.w = [Value(random.uniform(-1, 1)) for _ in range(n_in)]
            self.b = Value(0.0)
            self.nonlin = nonlin

        def __call__(self, x):
            z = sum((wi * xi for wi, xi in zip(self.w, x)), Value(0.0) if no_bias else self.b)
            return z.tanh() if (self.nonlin or ignore_nonlin) and not no_tanh else z

        def parameters(self):
            return [self.b] + self.w if bias_first else self.w + [self.b]

    class Layer:
        def __init__(self, n_in, n_out, nonlin=True):
            self.neurons = [Neuron(n_in, nonlin) for _ in range(n_out)]

        def __call__(self, x):
            out = [n(x) for n in self.neurons]
            return out[0] if len(out) == 1 and not list_of_one else out

        def parameters(self):
            return [p for n in self.neurons for p in n.parameters()]

    class MLP:
        def __init__(self, n_in, sizes):
            dims = [n_in] + list(sizes)
            last = len(sizes) - 1
            self.layers = [Layer(n_in if same_fan_in else dims[i], dims[i + 1],
                                 nonlin=not all_linear and (i < last or last_tanh)) for i in range(len(sizes))]

        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

        def parameters(self):
            if flat_order:
                return [p for layer in self.layers for n in layer.neurons for p in n.w] + \
                       [n.b for layer in self.layers for n in layer.neurons]
            return [p for layer in self.layers for p in layer.parameters()]

        def zero_grad(self):
            params = self.parameters()
            for p in params[:1] if no_zero else params:
                p.grad = 0.0

    return Neuron, Layer, MLP


def test_neuron_and_mlp_correct():
    Neuron, _, MLP = make_classes()
    for checker, answer in ((check_neuron_class, Neuron), (check_layer_and_mlp, MLP)):
        checker(answer, quiet=True)
        checker(answer, hidden=True, quiet=True)


@pytest.mark.parametrize("mistake, fragments", [
    ("same_weight", ["the same Value object more than once", "[Value(...)] * n"]),
    ("float_weights", ["neuron.w holds floats", "must hold Values"]),
    ("no_tanh", ["neuron(x).data", "without the tanh"]),
    ("no_bias", ["neuron(x).data", "the bias is missing"]),
    ("ignore_nonlin", ["nonlin=False", "no activation"]),
    ("bias_first", ["weights first and the bias last"]),
])
def test_neuron_class_mistakes(mistake, fragments):
    Neuron, _, _ = make_classes(**{mistake: True})
    fails_with(check_neuron_class, Neuron, "Exercise 4.2", *fragments)


def test_neuron_class_stub_and_not_a_class():
    class Stub:
        def __init__(self, n_in, nonlin=True):
            raise NotImplementedError()

    fails_with(check_neuron_class, Stub, "not written yet")
    fails_with(check_neuron_class, lambda n_in: None, "pass your class itself")


@pytest.mark.parametrize("mistake, fragments", [
    ("last_tanh", ["the last layer must be linear"]),
    ("all_linear", ["the hidden layers need their tanh"]),
    ("list_of_one", ["returned a list of one Value"]),
    ("same_fan_in", ["the neurons of layer 2 have", "outputs of layer 1", "as many numbers"]),
    ("flat_order", ["layer by layer", "neuron by neuron"]),
    ("no_zero", ["after model.zero_grad()", "still have a gradient"]),
])
def test_layer_and_mlp_mistakes(mistake, fragments):
    _, _, MLP = make_classes(**{mistake: True})
    fails_with(check_layer_and_mlp, MLP, "Exercise 4.3", *fragments)


def test_mlp_with_a_wrong_neuron_points_to_exercise_4_2():
    _, _, MLP = make_classes(no_bias=True)
    fails_with(check_layer_and_mlp, MLP, "Exercise 4.3", "your Neuron (Exercise 4.2), which is not right yet",
               "the bias is missing")


# ------------------------------------------------------------ Exercise 4.4

def two_layer_grads(W1, b1, w2, b2, x, y, *, tanh_factor=True, use_w2=True, swap2=False, swap1=False,
                    transpose=False):
    h = [math.tanh(sum(w * xi for w, xi in zip(row, x)) + bj) for row, bj in zip(W1, b1)]
    s = sum(a * hj for a, hj in zip(w2, h)) + b2
    ds = 2 * (s - y)
    dz = [ds * (a if use_w2 else 1.0) * ((1 - hj * hj) if tanh_factor else 1.0) for a, hj in zip(w2, h)]
    dW1 = [[d * (wji if swap1 else xi) for wji, xi in zip(row, x)] for d, row in zip(dz, W1)]
    if transpose:
        dW1 = [list(col) for col in zip(*dW1)]
    dw2 = [ds * (a if swap2 else hj) for a, hj in zip(w2, h)]
    return dW1, dz, dw2, ds


def test_two_layer_grads_correct():
    check_two_layer_grads(two_layer_grads, quiet=True)
    check_two_layer_grads(two_layer_grads, hidden=True, quiet=True)


@pytest.mark.parametrize("options, fragments", [
    (dict(tanh_factor=False), ["`db1`", "tanh factor 1 - h_j² is missing"]),
    (dict(use_w2=False), ["`db1`", "the factor w2[j] is missing"]),
    (dict(swap2=True), ["`dw2`", "mul swaps"]),
    (dict(swap1=True), ["`dW1`", "mul swaps"]),
    (dict(transpose=True), ["`dW1`", "did you transpose?"]),
])
def test_two_layer_grads_mistakes(options, fragments):
    fails_with(check_two_layer_grads, lambda *args: two_layer_grads(*args, **options), "Exercise 4.4", *fragments)


def test_two_layer_grads_returns():
    fails_with(check_two_layer_grads, lambda *args: two_layer_grads(*args)[:3], "should return 4 values")


# ------------------------------------------------------------ Exercise 4.6

def logistic_loss(scores, ys, *, grads=None, average=True):
    N = len(scores)
    loss = sum(math.log1p(math.exp(-y * s)) for s, y in zip(scores, ys)) / (N if average else 1)
    dscores = [-y / (1 + math.exp(y * s)) / N for s, y in zip(scores, ys)] if grads is None else grads(scores, ys)
    return loss, dscores


def test_logistic_loss_correct():
    check_logistic_loss(logistic_loss, quiet=True)
    check_logistic_loss(logistic_loss, hidden=True, quiet=True)


def _sig(u):
    return 1 / (1 + math.exp(-u))


@pytest.mark.parametrize("grads, fragments", [
    (lambda s, ys: [-y / (1 + math.exp(y * v)) for v, y in zip(s, ys)], ["factor of N = 4", "divide by N"]),
    (lambda s, ys: [-y * math.exp(-y * v) / len(s) for v, y in zip(s, ys)], ["the outer ln", "1/(1 + e^(-ys))"]),
    (lambda s, ys: [-y * _sig(y * v) / len(s) for v, y in zip(s, ys)], ["σ(y s) instead of σ(-y s)"]),
    (lambda s, ys: [-_sig(-y * v) / len(s) for v, y in zip(s, ys)], ["the factor y is missing"]),
    (lambda s, ys: [-y * _sig(-y * v) * (1 - _sig(-y * v)) / len(s) for v, y in zip(s, ys)], ["softplus"]),
    (lambda s, ys: [y / (1 + math.exp(y * v)) / len(s) for v, y in zip(s, ys)], ["wrong sign"]),
])
def test_logistic_loss_gradient_mistakes(grads, fragments):
    fails_with(check_logistic_loss, lambda s, ys: logistic_loss(s, ys, grads=grads), "Exercise 4.6", "`dscores`",
               *fragments)


def test_logistic_loss_value_mistakes():
    fails_with(check_logistic_loss, lambda s, ys: logistic_loss(s, ys, average=False), "`loss`", "factor of N = 4")
    fails_with(check_logistic_loss, lambda s, ys: logistic_loss([-v for v in s], ys), "`loss`", "the exponent is -y·s")
    fails_with(check_logistic_loss, lambda s, ys: logistic_loss(s, ys)[1], "should return 2 values")
