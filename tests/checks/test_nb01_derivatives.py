"""The notebook-01 checkers against correct and known-wrong student code."""
from __future__ import annotations

import math

import numpy as np
import pytest
from checker_helpers import fails_with

from backprop_lib.checks.nb01_derivatives import (
    check_centered_difference,
    check_chain_grad,
    check_numerical_gradient,
    check_robust_loss_grads,
    check_sigmoid_derivative,
    check_tiny_model_grad,
)
from backprop_lib.gradcheck import numerical_gradient as package_numerical_gradient

# ------------------------------------------------------------ Exercise 1.1

def centered(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


def test_centered_difference_correct(capsys):
    check_centered_difference(centered)
    check_centered_difference(centered, hidden=True)
    assert "checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, fragment", [
    (lambda f, x, h=1e-5: (f(x + h) - f(x)) / h, "forward difference"),
    (lambda f, x, h=1e-5: (f(x) - f(x - h)) / h, "backward difference"),
    (lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / h, "divide by 2h"),
    (lambda f, x, h=1e-5: (f(x - h) - f(x + h)) / (2 * h), "the sign is wrong"),
    (lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / 2 * h, "with parentheses"),
    (lambda f, x, h=1e-5: (f(x + 1e-6) - f(x - 1e-6)) / 2e-6, "use the h argument"),
])
def test_centered_difference_mistakes(wrong, fragment):
    fails_with(check_centered_difference, wrong, "Exercise 1.1", fragment)


def test_centered_difference_none_stub_raises():
    def returns_none(f, x, h=1e-5):
        (f(x + h) - f(x - h)) / (2 * h)

    def stub(f, x, h=1e-5):
        raise NotImplementedError()

    def raises(f, x, h=1e-5):
        return (f(x + h) - f[x - h]) / (2 * h)

    fails_with(check_centered_difference, returns_none, "is None", "return")
    fails_with(check_centered_difference, stub, "not written yet")
    fails_with(check_centered_difference, raises, "raised TypeError")


# ------------------------------------------------------------ Exercise 1.3

def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_derivative(x):
    s = sigmoid(x)
    return s * (1 - s)


def test_sigmoid_derivative_correct():
    check_sigmoid_derivative(sigmoid_derivative, quiet=True)
    check_sigmoid_derivative(sigmoid_derivative, hidden=True, quiet=True)


@pytest.mark.parametrize("wrong, fragment", [
    (sigmoid, "σ(x) itself"),
    (lambda x: 1 - sigmoid(x) ** 2, "rule for tanh"),
    (lambda x: 1 - sigmoid(x), "factor σ(x) is missing"),
    (lambda x: sigmoid(x) * (1 + sigmoid(x)), "it is a minus"),
    (lambda x: np.exp(-x) / (1 + np.exp(-x)), "the factor σ(x) is missing"),
    (lambda x: -sigmoid_derivative(x), "wrong sign"),
    (lambda x: 2 * sigmoid_derivative(x), "factor of 2"),
])
def test_sigmoid_derivative_mistakes(wrong, fragment):
    fails_with(check_sigmoid_derivative, wrong, "Exercise 1.3", fragment)


def test_sigmoid_derivative_math_only_fails_on_arrays():
    def scalar_only(x):
        s = 1 / (1 + math.exp(-x))
        return s * (1 - s)

    fails_with(check_sigmoid_derivative, scalar_only, "array x of shape", "raised TypeError")


def test_sigmoid_derivative_wrong_shape():
    fails_with(check_sigmoid_derivative, lambda x: np.sum(sigmoid_derivative(x)), "single number")


# ------------------------------------------------------------ Exercise 1.5

def tiny_model_grad(w, x, y):
    z = w * x
    h = 1 / (1 + math.exp(-z))
    return 2 * (h - y) * h * (1 - h) * x


def test_tiny_model_grad_correct():
    check_tiny_model_grad(tiny_model_grad, quiet=True)
    check_tiny_model_grad(tiny_model_grad, hidden=True, quiet=True)


def _s(t):
    return 1 / (1 + math.exp(-t))


@pytest.mark.parametrize("wrong, fragment", [
    (lambda w, x, y: 2 * (_s(w * x) - y) * x, "middle link"),
    (lambda w, x, y: 2 * (_s(w * x) - y) * _s(w * x) * (1 - _s(w * x)), "last link"),
    (lambda w, x, y: _s(w * x) * (1 - _s(w * x)) * x, "first link"),
    (lambda w, x, y: 2 * (_s(w * x) - y) * _s(x) * (1 - _s(x)) * x, "evaluated at x"),
    (lambda w, x, y: 2 * (_s(w * x) - y) * _s(w * x) * (1 - _s(w * x)) * w, "dz/dw = w"),
    (lambda w, x, y: (_s(w * x) - y) * _s(w * x) * (1 - _s(w * x)) * x, "the 2 from the square"),
    (lambda w, x, y: -tiny_model_grad(w, x, y), "wrong sign"),
])
def test_tiny_model_grad_mistakes(wrong, fragment):
    fails_with(check_tiny_model_grad, wrong, "Exercise 1.5", fragment)


def test_tiny_model_grad_returns_array():
    fails_with(check_tiny_model_grad, lambda w, x, y: np.array([1.0, 2.0]), "single number")


# ------------------------------------------------------------ Exercise 1.2

def numerical_gradient(f, x, h=1e-5, *, forward=False, restore=True, over_h=False, rows_only=False):
    grad = np.zeros_like(x)
    base = f(x) if forward else None
    for i in range(x.shape[0] if rows_only else x.size):
        old = x.flat[i]
        x.flat[i] = old + h
        up = f(x)
        if forward:
            grad.flat[i] = (up - base) / h
        else:
            x.flat[i] = old - h
            grad.flat[i] = (up - f(x)) / (h if over_h else 2 * h)
        if restore:
            x.flat[i] = old
    return grad


def test_numerical_gradient_correct():
    check_numerical_gradient(numerical_gradient, quiet=True)
    check_numerical_gradient(numerical_gradient, hidden=True, quiet=True)


def test_numerical_gradient_the_package_version_passes():
    check_numerical_gradient(lambda f, x, h: package_numerical_gradient(f, x, h=h), quiet=True)


def test_numerical_gradient_on_a_copy_passes():
    check_numerical_gradient(lambda f, x, h: numerical_gradient(f, x.copy(), h), quiet=True)


@pytest.mark.parametrize("options, fragments", [
    (dict(forward=True), ["forward difference"]),
    (dict(over_h=True), ["divide by 2h"]),
    (dict(restore=False), ["x is not the same after numerical_gradient"]),
    (dict(rows_only=True), ["entries differ"]),
])
def test_numerical_gradient_mistakes(options, fragments):
    fails_with(check_numerical_gradient, lambda f, x, h: numerical_gradient(f, x, h, **options), "Exercise 1.2",
               *fragments)


def test_numerical_gradient_restoring_on_a_copy_is_not_enough_when_nudges_pile_up():
    def piles_up(f, x, h):
        return numerical_gradient(f, x.copy(), h, restore=False)
    fails_with(check_numerical_gradient, piles_up, "a nudge was not undone")


def test_numerical_gradient_extra_calls():
    def three_calls(f, x, h):
        f(x)
        return numerical_gradient(f, x, h)
    fails_with(check_numerical_gradient, three_calls, "f was called 7 times for 3 entries")


# ------------------------------------------------------------ Exercise 1.4

def chain_grad(links, x, *, at="input", multiply=True, reverse=False, short=False):
    values = [x]
    for f, _ in links:
        values.append(f(values[-1]))
    grads = [1.0]
    for k in range(len(links) - 1, -1, -1):
        where = values[k] if at == "input" else values[k + 1] if at == "output" else x
        local = links[k][1](where)
        grads.insert(0, local * grads[0] if multiply else local)
    if reverse:
        grads = grads[::-1]
    return values, grads[:-1] if short else grads


def test_chain_grad_correct():
    check_chain_grad(chain_grad, quiet=True)
    check_chain_grad(chain_grad, hidden=True, quiet=True)


@pytest.mark.parametrize("options, fragments", [
    (dict(at="output"), ["`grads`", "evaluated at its output"]),
    (dict(at="x"), ["`grads`", "evaluated at x"]),
    (dict(multiply=False), ["`grads`", "the local derivatives alone"]),
    (dict(reverse=True), ["`grads`", "the list is reversed"]),
    (dict(short=True), ["`grads` has 3 entries for a chain of 3 links", "dy/dy = 1"]),
])
def test_chain_grad_mistakes(options, fragments):
    fails_with(check_chain_grad, lambda links, x: chain_grad(links, x, **options), "Exercise 1.4", *fragments)


def test_chain_grad_values_and_returns():
    fails_with(check_chain_grad, lambda links, x: (chain_grad(links, x)[0][::-1], chain_grad(links, x)[1]),
               "`values`", "listed from the output back")
    fails_with(check_chain_grad, lambda links, x: chain_grad(links, x)[1], "should return 2 values")


# ------------------------------------------------------------ Exercise 1.6

def robust_loss_grads(w, b, x, y):
    h = math.tanh(w * x + b)
    dz = 2 * (h - y) / (1 + (h - y) ** 2) * (1 - h * h)
    return dz * x, dz


def _robust(dh_rule=lambda h, z: 1 - h * h, outer=lambda e: 2 * e / (1 + e * e), db_has_x=False):
    def grads(w, b, x, y):
        z = w * x + b
        h = math.tanh(z)
        dz = outer(h - y) * dh_rule(h, z)
        return dz * x, dz * x if db_has_x else dz
    return grads


def test_robust_loss_grads_correct():
    check_robust_loss_grads(robust_loss_grads, quiet=True)
    check_robust_loss_grads(robust_loss_grads, hidden=True, quiet=True)


@pytest.mark.parametrize("wrong, fragments", [
    (_robust(outer=lambda e: 2 * e), ["dL/dw", "squared error's gradient", "1/(1 + (h - y)^2)"]),
    (_robust(outer=lambda e: 1 / (1 + e * e)), ["dL/dw", "the factor 2(h - y) is missing"]),
    (_robust(outer=lambda e: e / (1 + e * e)), ["dL/dw", "the 2 from the square is missing"]),
    (_robust(dh_rule=lambda h, z: 1 - z * z), ["dL/dw", "1 - z^2 is used"]),
    (_robust(dh_rule=lambda h, z: h * (1 - h)), ["dL/dw", "sigmoid's derivative"]),
    (_robust(db_has_x=True), ["dL/db", "dz/db = 1"]),
    (lambda w, b, x, y: (robust_loss_grads(w, b, x, y)[1], robust_loss_grads(w, b, x, y)[1]),
     ["dL/dw", "the factor x is missing"]),
])
def test_robust_loss_grads_mistakes(wrong, fragments):
    fails_with(check_robust_loss_grads, wrong, "Exercise 1.6", *fragments)
