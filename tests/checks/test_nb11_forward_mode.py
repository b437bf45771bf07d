"""Checkers of notebook 11 (forward mode and reverse mode) against right and known-wrong answers."""
from __future__ import annotations

import numpy as np
import pytest
from checker_helpers import fails_with, stub

from backprop_lib.checks.nb11_forward_mode import (
    check_dual_class,
    check_dual_functions,
    check_gradient_by_jvps,
    check_normalize_jvp,
)
from backprop_lib.forward_mode import Dual, jvp

# ---------------------------------------------------------------- Exercise 11.1


def make_dual(tangent_of_product=lambda a, da, b, db: da * b + a * db, constant_tangent=0.0):
    class StudentDual:
        def __init__(self, value, tangent=0.0):
            self.value, self.tangent = value, tangent

        @staticmethod
        def _lift(o):
            return o if isinstance(o, StudentDual) else StudentDual(o, constant_tangent)

        def __add__(self, o):
            o = self._lift(o)
            return StudentDual(self.value + o.value, self.tangent + o.tangent)

        __radd__ = __add__

        def __mul__(self, o):
            o = self._lift(o)
            return StudentDual(self.value * o.value, tangent_of_product(self.value, self.tangent, o.value, o.tangent))

        __rmul__ = __mul__

    return StudentDual


@pytest.mark.parametrize("hidden", [False, True])
def test_dual_class_correct(hidden, capsys):
    check_dual_class(make_dual(), hidden=hidden)
    assert "✔ Exercise 11.1 Dual" in capsys.readouterr().out


@pytest.mark.parametrize("cls, fragments", [
    (make_dual(lambda a, da, b, db: da * db), ["product of the tangents"]),
    (make_dual(lambda a, da, b, db: da * b), ["only one term"]),
    (make_dual(lambda a, da, b, db: da + db), ["tangents were added"]),
    (make_dual(constant_tangent=1.0), ["constant", "tangent is 0"]),
    (stub, ["not written yet"]),
])
def test_dual_class_wrong(cls, fragments):
    fails_with(check_dual_class, cls, "Exercise 11.1", *fragments)


def test_dual_class_that_returns_nothing():
    class NoReturn(make_dual()):
        def __mul__(self, o):
            self.value = self.value * o.value

    fails_with(check_dual_class, NoReturn, "`.value` and `.tangent`", "return")


# ---------------------------------------------------------------- Exercise 11.2


def dual_exp(x):
    e = np.exp(x.value)
    return Dual(e, e * x.tangent)


def dual_tanh(x):
    t = np.tanh(x.value)
    return Dual(t, (1 - t * t) * x.tangent)


def dual_pow(x, k):
    return Dual(x.value ** k, k * x.value ** (k - 1) * x.tangent)


@pytest.mark.parametrize("hidden", [False, True])
def test_dual_functions_correct(hidden, capsys):
    check_dual_functions((dual_exp, dual_tanh, dual_pow), hidden=hidden)
    assert "✔ Exercise 11.2" in capsys.readouterr().out


@pytest.mark.parametrize("fns, fragments", [
    ((lambda x: Dual(np.exp(x.value), np.exp(x.value)), dual_tanh, dual_pow), ["dual_exp", "second factor"]),
    ((dual_exp, lambda x: Dual(np.tanh(x.value), (1 - np.tanh(x.value)) * x.tangent), dual_pow), ["squared"]),
    ((dual_exp, dual_tanh, lambda x, k: Dual(x.value ** k, k * x.value ** k * x.tangent)), ["lowers the exponent"]),
    ((dual_exp, dual_tanh, stub), ["dual_pow", "not written yet"]),
    (dual_exp, ["as a tuple"]),
])
def test_dual_functions_wrong(fns, fragments):
    fails_with(check_dual_functions, fns, "Exercise 11.2", *fragments)


# ---------------------------------------------------------------- Exercise 11.3


def gradient_by_jvps(f, x):
    return np.array([jvp(f, x, e)[1] for e in np.eye(x.size)])


@pytest.mark.parametrize("hidden", [False, True])
def test_gradient_by_jvps_correct(hidden, capsys):
    check_gradient_by_jvps(gradient_by_jvps, hidden=hidden)
    assert "✔ Exercise 11.3" in capsys.readouterr().out


def one_direction(f, x):
    return np.full(x.size, jvp(f, x, np.ones(x.size))[1])


def extra_call(f, x):
    f(Dual(x, np.zeros_like(x)))
    return gradient_by_jvps(f, x)


@pytest.mark.parametrize("fn, fragments", [
    (one_direction, ["all-ones direction"]),
    (extra_call, ["called", "exactly"]),
    (lambda f, x: -gradient_by_jvps(f, x), ["wrong sign"]),
    (stub, ["not written yet"]),
])
def test_gradient_by_jvps_wrong(fn, fragments):
    fails_with(check_gradient_by_jvps, fn, "Exercise 11.3", *fragments)


# ---------------------------------------------------------------- Exercise 11.4


def normalize_jvp(x, v):
    r = np.linalg.norm(x)
    u = x / r
    return (v - u * (u @ v)) / r


@pytest.mark.parametrize("hidden", [False, True])
def test_normalize_jvp_correct(hidden, capsys):
    check_normalize_jvp(normalize_jvp, hidden=hidden)
    assert "✔ Exercise 11.4" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (lambda x, v: v / np.linalg.norm(x), ["norm as a constant"]),
    (lambda x, v: (v + x / np.linalg.norm(x) * (x @ v) / np.linalg.norm(x)) / np.linalg.norm(x), ["sign"]),
    (lambda x, v: normalize_jvp(x, v) / np.linalg.norm(x), ["not by its square"]),
    (stub, ["not written yet"]),
])
def test_normalize_jvp_wrong(fn, fragments):
    fails_with(check_normalize_jvp, fn, "Exercise 11.4", *fragments)
