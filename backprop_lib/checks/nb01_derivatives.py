r"""Checkers for notebook 01, derivatives and the chain rule.

* Exercise 1.1 ``centered_difference(f, x, h)``: :math:`\dfrac{f(x+h) - f(x-h)}{2h}`.
* Exercise 1.2 ``numerical_gradient(f, x, h)``: the centered difference for every entry of an
  array ``x`` (two calls of ``f`` per entry, ``x`` left unchanged).
* Exercise 1.3 ``sigmoid_derivative(x)``: :math:`\sigma'(x) = \sigma(x)\,(1 - \sigma(x))`.
* Exercise 1.4 ``chain_grad(links, x)``: the forward values and, walking back, the derivative
  of the output with respect to every value of a chain of functions.
* Exercise 1.5 ``tiny_model_grad(w, x, y)``: :math:`\partial L/\partial w` for
  :math:`z = wx`, :math:`h = \sigma(z)`, :math:`L = (h - y)^2`.
* Exercise 1.6 ``robust_loss_grads(w, b, x, y)``: :math:`(\partial L/\partial w, \partial L/\partial b)`
  for :math:`z = wx + b`, :math:`h = \tanh z`, :math:`L = \ln(1 + (h - y)^2)`, a derivation not shown.
"""
from __future__ import annotations

import math

import numpy as np

from ..gradcheck import centered_difference, numerical_gradient
from ..i18n import N_, _, ngettext
from ..layers import sigmoid
from .framework import exercise

__all__ = ["check_centered_difference", "check_numerical_gradient", "check_sigmoid_derivative", "check_chain_grad",
           "check_tiny_model_grad", "check_robust_loss_grads"]


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
                _("this is the forward difference (f(x + h) - f(x)) / h; the centered one steps to "
                  "both sides: (f(x + h) - f(x - h)) / (2h)"): (f(x + h) - f(x)) / h,
                _("this is the backward difference (f(x) - f(x - h)) / h; the centered one steps to "
                  "both sides: (f(x + h) - f(x - h)) / (2h)"): (f(x) - f(x - h)) / h,
                _("off by a factor of 2: the two points are 2h apart, so divide by 2h, not h"):
                    (f(x + h) - f(x - h)) / h,
                _("the sign is wrong: it is f(x + h) - f(x - h), the later point minus the earlier one"):
                    -expected,
                _("you divided by 2 and then multiplied by h: write / (2 * h) with parentheses"):
                    (f(x + h) - f(x - h)) / 2 * h,
                _("this looks like the exact derivative, not the finite-difference formula with the "
                  "given h: use the h argument (do not pick your own step)"): _exact_derivative(name, x),
            })
    # the step must come from the argument, not be hard-coded
    f = _FUNCTIONS["f(x) = x**3"]
    results = []
    for h in (0.5, 0.1):
        with c.case(f"f(x) = x**3, x = 1, h = {h:g}"):
            results.append(float(np.asarray(c.call(f, 1.0, h), dtype=float)))
    c.check(abs(results[0] - results[1]) > 1e-3,
            _("centered_difference gives the same number for h = 0.5 and h = 0.1: use the h "
              "argument instead of a fixed step."))


def _exact_derivative(name: str, x: float) -> float:
    return {"f(x) = x**3": 3 * x * x, "f(x) = sin(x)": math.cos(x), "f(x) = exp(x)": math.exp(x),
            "f(x) = 1 / x": -1.0 / (x * x)}[name]


# ---------------------------------------------------------------- numerical gradient

# shown with _(name): a name with words is marked with N_
_ARRAY_FUNCTIONS = {
    "f(v) = sum(v**3)": lambda v: float(np.sum(v ** 3)),
    N_("f(v) = sum(sin(v) * v) + v[0] * v[-1] (over the flattened v)"):
        lambda v: float(np.sum(np.sin(v) * v) + v.flat[0] * v.flat[-1]),
    "f(v) = sum(v**2) * sum(v)": lambda v: float(np.sum(v ** 2) * np.sum(v)),
}


def _gradient_variant(f, x, h, *, forward=False, over_h=False, restore=True):
    """What a student's loop computes with a typical mistake (kept written out: each variant
    changes one step of the loop; the right answer is the package's numerical_gradient)."""
    x = np.array(x, dtype=float)
    out = np.zeros_like(x)
    base = f(x) if forward else None
    for i in range(x.size):
        old = x.flat[i]
        x.flat[i] = old + h
        up = f(x)
        if forward:
            out.flat[i] = (up - base) / h
        else:
            x.flat[i] = old - h
            out.flat[i] = (up - f(x)) / (h if over_h else 2 * h)
        if restore:
            x.flat[i] = old
    return out


@exercise("Exercise 1.2", "numerical_gradient")
def check_numerical_gradient(c):
    """``numerical_gradient(f, x, h)``: an array shaped like ``x`` whose entry ``i`` is the
    centered difference of ``f`` along entry ``i``; ``f`` called twice per entry; ``x`` unchanged."""
    public = [("f(v) = sum(v**3)", (3,), 1e-3), ("f(v) = sum(sin(v) * v) + v[0] * v[-1] (over the flattened v)",
                                                 (4,), 1e-4),
              ("f(v) = sum(v**2) * sum(v)", (2, 3), 1e-3)]
    hidden = [("f(v) = sum(v**3)", (5,), 1e-2), ("f(v) = sum(v**2) * sum(v)", (3, 2), 1e-4),
              ("f(v) = sum(sin(v) * v) + v[0] * v[-1] (over the flattened v)", (2, 2, 2), 1e-3)]
    for name, shape, h in c.cases(public, hidden):
        f = _ARRAY_FUNCTIONS[name]
        x = c.rng.normal(size=shape)
        original = x.copy()
        calls = [0]

        def counted(v, f=f):
            calls[0] += 1
            return f(np.asarray(v, dtype=float))

        expected = numerical_gradient(f, original.copy(), h=h)
        with c.case(_("{function}, x of shape {shape}, h = {h:g}").format(function=_(name), shape=shape, h=h)):
            got = c.call(counted, x, h, copy_args=False)
            c.check(np.array_equal(x, original),
                    _("x is not the same after numerical_gradient: put every nudged entry back (keep the old value "
                      "in a variable), or nudge a copy of x."))
            c.compare("numerical_gradient(f, x, h)", got, expected, rtol=1e-7, atol=1e-9, mistakes={
                _("this is the forward difference (f(x + h e_i) - f(x)) / h: step to both sides, centered"):
                    _gradient_variant(f, original, h, forward=True),
                _("off by a factor of 2: the two points are 2h apart, divide by 2h"):
                    _gradient_variant(f, original, h, over_h=True),
                _("a nudge was not undone before the next entry was nudged: restore entry i before moving on"):
                    _gradient_variant(f, original, h, restore=False),
            })
            # English says "times" for any count (the stored outputs); ngettext gives other languages their forms
            c.check(calls[0] == 2 * x.size,
                    ngettext("f was called {calls} times for {size} entries; the centered difference needs exactly "
                             "two calls per entry ({needed}).",
                             "f was called {calls} times for {size} entries; the centered difference needs exactly "
                             "two calls per entry ({needed}).", calls[0]).format(
                        calls=calls[0], size=x.size, needed=2 * x.size))


@exercise("Exercise 1.3", "sigmoid_derivative")
def check_sigmoid_derivative(c):
    r"""``sigmoid_derivative(x)`` must return :math:`\sigma(x)(1 - \sigma(x))`, for numbers and arrays."""
    for x in c.cases([1.0, -2.0, 3.5, 0.0], hidden=list(c.rng.normal(scale=4.0, size=5))):
        s = float(_sigmoid(x))
        with c.case(f"x = {x:g}"):
            c.compare("sigmoid_derivative(x)", c.call(x), s * (1 - s), mistakes=_sigmoid_mistakes(x))
    xs = np.linspace(-4.0, 4.0, 9) if not c.hidden else c.rng.normal(scale=3.0, size=(3, 4))
    s = _sigmoid(xs)
    with c.case(_("an array x of shape {shape}").format(shape=xs.shape)):
        c.compare("sigmoid_derivative(x)", c.call(xs), s * (1 - s), mistakes=_sigmoid_mistakes(xs))
    if c.hidden:
        xs = np.array([-40.0, -10.0, 10.0, 40.0])
        s = _sigmoid(xs)
        with c.case(_("large inputs x = [-40, -10, 10, 40]")):
            c.compare("sigmoid_derivative(x)", c.call(xs), s * (1 - s), atol=1e-12)


def _sigmoid_mistakes(x):
    s = _sigmoid(x)
    return {
        _("this is σ(x) itself, not its derivative σ(x)(1 − σ(x))"): s,
        _("this is 1 − σ(x)²: that is the rule for tanh (1 − tanh²); for the sigmoid it is σ(x)(1 − σ(x))"):
            1 - s * s,
        _("this is 1 − σ(x) (which equals e^(−x) / (1 + e^(−x))): the factor σ(x) is missing, "
          "σ'(x) = σ(x)(1 − σ(x)) = e^(−x) / (1 + e^(−x))²"): 1 - s,
        _("this is σ(x)(1 + σ(x)): it is a minus, σ(x)(1 − σ(x))"): s * (1 + s),
    }


# ------------------------------------------------------------------------- chain

_LINKS = {
    "square": (lambda t: t * t, lambda t: 2 * t),
    "sin": (math.sin, math.cos),
    "exp": (math.exp, math.exp),
    "tanh": (math.tanh, lambda t: 1 - math.tanh(t) ** 2),
    "cube": (lambda t: t ** 3, lambda t: 3 * t * t),
    "cos": (math.cos, lambda t: -math.sin(t)),
}


def _chain(names, x, *, at="input", multiply=True):
    fs = [_LINKS[n] for n in names]
    values = [x]
    for f, _derivative in fs:
        values.append(f(values[-1]))
    grads = [1.0]
    for k in range(len(fs) - 1, -1, -1):
        where = values[k] if at == "input" else values[k + 1] if at == "output" else x
        local = fs[k][1](where)
        grads.insert(0, local * grads[0] if multiply else local)
    return values, grads


@exercise("Exercise 1.4", "chain_grad")
def check_chain_grad(c):
    """``chain_grad(links, x)`` returns ``(values, grads)``: ``values = [x, u_1, ..., y]`` and
    ``grads[k]`` = dy/d(values[k]), so ``grads[0]`` = dy/dx and ``grads[-1]`` = 1."""
    public = [(["square", "sin", "exp"], 1.0), (["sin", "square"], 0.5), (["tanh"], -0.3),
              (["exp", "sin", "square", "tanh"], -0.4)]
    hidden = [(["cube", "cos"], 0.7), (["tanh", "tanh", "tanh"], 1.2), (["square", "exp", "sin"], -0.6),
              (["cos", "cube", "sin", "square"], 0.9)]
    for names, x in c.cases(public, hidden):
        links = [_LINKS[n] for n in names]
        values, grads = _chain(names, x)
        n = len(names)
        with c.case(_("the chain {chain} at x = {x:g}").format(chain=" -> ".join(["x"] + names), x=x)):
            got_values, got_grads = c.call(list(links), x, returns=("values", "grads"))
            c.compare("values", got_values, values, rtol=1e-12, mistakes={
                _("the values are listed from the output back: values[0] is x, values[-1] the output"): values[::-1]})
            try:
                count = len(got_grads)
            except TypeError:
                c.fail(_("`grads` should be a list of {count} numbers, got {kind}.").format(
                    count=n + 1, kind=type(got_grads).__name__))
            if count == n:
                # English says "entries" and "links" for any count (the stored outputs); ngettext gives
                # other languages their forms
                c.fail(ngettext("`grads` has {n} entries for a chain of {n} links: it needs {needed}, one per value, "
                                "ending with dy/dy = 1.",
                                "`grads` has {n} entries for a chain of {n} links: it needs {needed}, one per value, "
                                "ending with dy/dy = 1.", n).format(n=n, needed=n + 1))
            c.compare("grads", got_grads, grads, rtol=1e-9, mistakes={
                _("the list is reversed: grads[0] is dy/dx (the input), grads[-1] is dy/dy = 1"): grads[::-1],
                _("each link's local derivative is evaluated at its output; it belongs at the value that flowed "
                  "*into* the link"): _chain(names, x, at="output")[1],
                _("every local derivative is evaluated at x; each belongs at its own link's input"):
                    _chain(names, x, at="x")[1],
                _("these are the local derivatives alone: multiply each by the gradient of the link after it "
                  "(the chain rule multiplies the links)"): _chain(names, x, multiply=False)[1],
            })


@exercise("Exercise 1.5", "tiny_model_grad")
def check_tiny_model_grad(c):
    r"""``tiny_model_grad(w, x, y)``: :math:`\partial L/\partial w` for :math:`z = wx`,
    :math:`h = \sigma(z)`, :math:`L = (h - y)^2`, i.e. :math:`2(h - y)\,h(1 - h)\,x`."""
    public = [(0.8, 1.5, 1.0), (-0.5, 2.0, 0.0), (1.2, -1.0, 1.0)]
    hidden = [tuple(float(v) for v in (c.rng.normal(), c.rng.normal(scale=2.0), c.rng.integers(0, 2)))
              for _case in range(5)]
    for w, x, y in c.cases(public, hidden):
        z = w * x
        h = float(_sigmoid(z))
        dL_dh, dh_dz, dz_dw = 2 * (h - y), h * (1 - h), x
        expected = dL_dh * dh_dz * dz_dw
        s_x = float(_sigmoid(x))
        with c.case(f"w = {w:g}, x = {x:g}, y = {y:g}"):
            c.compare("dL/dw", c.call(w, x, y), expected, mistakes={
                _("the factor dh/dz = σ'(z) = h(1 − h) is missing (the middle link of the chain)"):
                    dL_dh * dz_dw,
                _("the factor dz/dw = x is missing (the last link of the chain)"): dL_dh * dh_dz,
                _("the factor dL/dh = 2(h − y) is missing (the first link of the chain)"): dh_dz * dz_dw,
                _("σ' is evaluated at x; it must be evaluated at the sigmoid's own input z = w·x"):
                    dL_dh * s_x * (1 - s_x) * dz_dw,
                _("you used dz/dw = w; for z = w·x the slope with respect to w is x"): dL_dh * dh_dz * w,
                _("the 2 from the square is missing: d(h − y)²/dh = 2(h − y)"): (h - y) * dh_dz * dz_dw,
            })


# ------------------------------------------------------------------- a robust loss

@exercise("Exercise 1.6", "robust_loss_grads")
def check_robust_loss_grads(c):
    r"""``robust_loss_grads(w, b, x, y)`` returns ``(dL/dw, dL/db)`` for :math:`z = wx + b`,
    :math:`h = \tanh z`, :math:`L = \ln(1 + (h - y)^2)`."""
    public = [(0.8, 0.1, 1.5, 1.0), (-0.5, 0.3, 2.0, -0.5), (1.2, -0.4, -1.0, 0.25)]
    hidden = [tuple(float(v) for v in (c.rng.normal(), c.rng.normal(scale=0.5), c.rng.normal(scale=2.0),
                                      c.rng.uniform(-1, 1))) for _case in range(5)]
    for w, b, x, y in c.cases(public, hidden):
        z = w * x + b
        h = math.tanh(z)
        e = h - y
        dL_dh = 2 * e / (1 + e * e)
        dh_dz = 1 - h * h
        dw, db = dL_dh * dh_dz * x, dL_dh * dh_dz
        with c.case(f"w = {w:g}, b = {b:g}, x = {x:g}, y = {y:g}"):
            got_w, got_b = c.call(w, b, x, y, returns=("dL/dw", "dL/db"))
            c.compare("dL/dw", got_w, dw, rtol=1e-9, mistakes={
                _("this is the squared error's gradient: the outer ln contributes a factor 1/(1 + (h - y)^2) "
                  "(d ln(u)/du = 1/u)"): 2 * e * dh_dz * x,
                _("the factor 2(h - y) is missing: the inside u = 1 + (h - y)^2 has slope 2(h - y) with respect to h"):
                    dh_dz * x / (1 + e * e),
                _("the 2 from the square is missing: d(h - y)^2/dh = 2(h - y)"): e / (1 + e * e) * dh_dz * x,
                _("1 - z^2 is used: tanh's local derivative is 1 - h^2, written with its output h"):
                    dL_dh * (1 - z * z) * x,
                _("h(1 - h) is the sigmoid's derivative; tanh's is 1 - h^2"): dL_dh * h * (1 - h) * x,
                _("the factor x is missing: dz/dw = x"): dL_dh * dh_dz,
            })
            c.compare("dL/db", got_b, db, rtol=1e-9, mistakes={
                _("dL/db has a factor x, but dz/db = 1: dL/db = dL/dz"): dw,
                _("this is the squared error's gradient: the outer ln contributes a factor 1/(1 + (h - y)^2)"):
                    2 * e * dh_dz,
            })
