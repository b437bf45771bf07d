"""The notebook-01 checkers against correct and known-wrong student code."""
from __future__ import annotations

import math

import numpy as np
import pytest
from checker_helpers import fails_with

from backprop_lib.checks.nb01_derivatives import (
    check_centered_difference,
    check_sigmoid_derivative,
    check_tiny_model_grad,
)

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


# ------------------------------------------------------------ Exercise 1.2

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
    fails_with(check_sigmoid_derivative, wrong, "Exercise 1.2", fragment)


def test_sigmoid_derivative_math_only_fails_on_arrays():
    def scalar_only(x):
        s = 1 / (1 + math.exp(-x))
        return s * (1 - s)

    fails_with(check_sigmoid_derivative, scalar_only, "array x of shape", "raised TypeError")


def test_sigmoid_derivative_wrong_shape():
    fails_with(check_sigmoid_derivative, lambda x: np.sum(sigmoid_derivative(x)), "single number")


# ------------------------------------------------------------ Exercise 1.3

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
    fails_with(check_tiny_model_grad, wrong, "Exercise 1.3", fragment)


def test_tiny_model_grad_returns_array():
    fails_with(check_tiny_model_grad, lambda w, x, y: np.array([1.0, 2.0]), "single number")
