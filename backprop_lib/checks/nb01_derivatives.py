r"""Checkers for notebook 01, derivatives and the chain rule.

* Exercise 1.1 ``centered_difference(f, x, h)``: :math:`\dfrac{f(x+h) - f(x-h)}{2h}`.
* Exercise 1.2 ``sigmoid_derivative(x)``: :math:`\sigma'(x) = \sigma(x)\,(1 - \sigma(x))`.
* Exercise 1.3 ``tiny_model_grad(w, x, y)``: :math:`\partial L/\partial w` for
  :math:`z = wx`, :math:`h = \sigma(z)`, :math:`L = (h - y)^2`.
"""
from __future__ import annotations

import math

import numpy as np

from ..gradcheck import centered_difference
from ..layers import sigmoid
from .framework import exercise

__all__ = ["check_centered_difference", "check_sigmoid_derivative", "check_tiny_model_grad"]


def _sigmoid(x):
    """The package's stable sigmoid, for a number (giving a number) or an array."""
    return sigmoid(np.asarray(x, dtype=float))[()]


# (name, f, x) with a known third derivative, so the step h matters
_FUNCTIONS = {
    "f(x) = x**3": lambda x: x ** 3,
    "f(x) = sin(x)": math.sin,
    "f(x) = exp(x)": math.exp,
    "f(x) = 1 / x": lambda x: 1.0 / x,
}


@exercise("Exercise 1.1", "centered_difference")
def check_centered_difference(c):
    """``centered_difference(f, x, h)`` must return ``(f(x + h) - f(x - h)) / (2 * h)``."""
    public = [("f(x) = x**3", 2.0, 0.1), ("f(x) = sin(x)", 1.0, 0.01), ("f(x) = x**3", -1.5, 0.05),
              ("f(x) = exp(x)", 0.5, 0.2)]
    hidden = [("f(x) = 1 / x", 0.7, 0.05), ("f(x) = sin(x)", -2.0, 0.3), ("f(x) = exp(x)", -1.0, 1e-3),
              ("f(x) = x**3", 3.0, 0.25)]
    for name, x, h in c.cases(public, hidden):
        f = _FUNCTIONS[name]
        expected = centered_difference(f, x, h)
        with c.case(f"{name}, x = {x:g}, h = {h:g}"):
            got = c.call(f, x, h)
            c.compare("centered_difference(f, x, h)", got, expected, rtol=1e-9, mistakes={
                "this is the forward difference (f(x + h) - f(x)) / h; the centered one steps to "
                "both sides: (f(x + h) - f(x - h)) / (2h)": (f(x + h) - f(x)) / h,
                "this is the backward difference (f(x) - f(x - h)) / h; the centered one steps to "
                "both sides: (f(x + h) - f(x - h)) / (2h)": (f(x) - f(x - h)) / h,
                "off by a factor of 2: the two points are 2h apart, so divide by 2h, not h":
                    (f(x + h) - f(x - h)) / h,
                "the sign is wrong: it is f(x + h) - f(x - h), the later point minus the earlier one":
                    -expected,
                "you divided by 2 and then multiplied by h: write / (2 * h) with parentheses":
                    (f(x + h) - f(x - h)) / 2 * h,
                "this looks like the exact derivative, not the finite-difference formula with the "
                "given h: use the h argument (do not pick your own step)": _exact_derivative(name, x),
            })
    # the step must come from the argument, not be hard-coded
    f = _FUNCTIONS["f(x) = x**3"]
    results = []
    for h in (0.5, 0.1):
        with c.case(f"f(x) = x**3, x = 1, h = {h:g}"):
            results.append(float(np.asarray(c.call(f, 1.0, h), dtype=float)))
    c.check(abs(results[0] - results[1]) > 1e-3,
            "centered_difference gives the same number for h = 0.5 and h = 0.1: use the h "
            "argument instead of a fixed step.")


def _exact_derivative(name: str, x: float) -> float:
    return {"f(x) = x**3": 3 * x * x, "f(x) = sin(x)": math.cos(x), "f(x) = exp(x)": math.exp(x),
            "f(x) = 1 / x": -1.0 / (x * x)}[name]


@exercise("Exercise 1.2", "sigmoid_derivative")
def check_sigmoid_derivative(c):
    r"""``sigmoid_derivative(x)`` must return :math:`\sigma(x)(1 - \sigma(x))`, for numbers and arrays."""
    for x in c.cases([1.0, -2.0, 3.5, 0.0], hidden=list(c.rng.normal(scale=4.0, size=5))):
        s = float(_sigmoid(x))
        with c.case(f"x = {x:g}"):
            c.compare("sigmoid_derivative(x)", c.call(x), s * (1 - s), mistakes=_sigmoid_mistakes(x))
    xs = np.linspace(-4.0, 4.0, 9) if not c.hidden else c.rng.normal(scale=3.0, size=(3, 4))
    s = _sigmoid(xs)
    with c.case(f"an array x of shape {xs.shape}"):
        c.compare("sigmoid_derivative(x)", c.call(xs), s * (1 - s), mistakes=_sigmoid_mistakes(xs))
    if c.hidden:
        xs = np.array([-40.0, -10.0, 10.0, 40.0])
        s = _sigmoid(xs)
        with c.case("large inputs x = [-40, -10, 10, 40]"):
            c.compare("sigmoid_derivative(x)", c.call(xs), s * (1 - s), atol=1e-12)


def _sigmoid_mistakes(x):
    s = _sigmoid(x)
    return {
        "this is σ(x) itself, not its derivative σ(x)(1 − σ(x))": s,
        "this is 1 − σ(x)²: that is the rule for tanh (1 − tanh²); for the sigmoid it is σ(x)(1 − σ(x))":
            1 - s * s,
        "this is 1 − σ(x) (which equals e^(−x) / (1 + e^(−x))): the factor σ(x) is missing, "
        "σ'(x) = σ(x)(1 − σ(x)) = e^(−x) / (1 + e^(−x))²": 1 - s,
        "this is σ(x)(1 + σ(x)): it is a minus, σ(x)(1 − σ(x))": s * (1 + s),
    }


@exercise("Exercise 1.3", "tiny_model_grad")
def check_tiny_model_grad(c):
    r"""``tiny_model_grad(w, x, y)``: :math:`\partial L/\partial w` for :math:`z = wx`,
    :math:`h = \sigma(z)`, :math:`L = (h - y)^2`, i.e. :math:`2(h - y)\,h(1 - h)\,x`."""
    public = [(0.8, 1.5, 1.0), (-0.5, 2.0, 0.0), (1.2, -1.0, 1.0)]
    hidden = [tuple(float(v) for v in (c.rng.normal(), c.rng.normal(scale=2.0), c.rng.integers(0, 2)))
              for _ in range(5)]
    for w, x, y in c.cases(public, hidden):
        z = w * x
        h = float(_sigmoid(z))
        dL_dh, dh_dz, dz_dw = 2 * (h - y), h * (1 - h), x
        expected = dL_dh * dh_dz * dz_dw
        s_x = float(_sigmoid(x))
        with c.case(f"w = {w:g}, x = {x:g}, y = {y:g}"):
            c.compare("dL/dw", c.call(w, x, y), expected, mistakes={
                "the factor dh/dz = σ'(z) = h(1 − h) is missing (the middle link of the chain)":
                    dL_dh * dz_dw,
                "the factor dz/dw = x is missing (the last link of the chain)": dL_dh * dh_dz,
                "the factor dL/dh = 2(h − y) is missing (the first link of the chain)": dh_dz * dz_dw,
                "σ' is evaluated at x; it must be evaluated at the sigmoid's own input z = w·x":
                    dL_dh * s_x * (1 - s_x) * dz_dw,
                "you used dz/dw = w; for z = w·x the slope with respect to w is x": dL_dh * dh_dz * w,
                "the 2 from the square is missing: d(h − y)²/dh = 2(h − y)": (h - y) * dh_dz * dz_dw,
            })
