r"""Checkers for notebook 11, forward mode and reverse mode.

* Exercise 11.1 ``Dual``: a class with ``.value``, ``.tangent``, ``+`` and ``*`` (numbers on
  either side too).
* Exercise 11.2 ``dual_exp(x)``, ``dual_tanh(x)``, ``dual_pow(x, k)``: functions of the
  package's :class:`~backprop_lib.forward_mode.Dual` returning a ``Dual``.
* Exercise 11.3 ``gradient_by_jvps(f, x)``: the full gradient of a scalar ``f`` from JVPs.
* Exercise 11.4 ``normalize_jvp(x, v)``: the JVP of ``x / ||x||`` (a derivation).
"""
from __future__ import annotations

import numpy as np

from ..forward_mode import Dual, gradient_forward, jvp
from ..gradcheck import centered_difference
from ..i18n import _
from .framework import exercise

__all__ = ["check_dual_class", "check_dual_functions", "check_gradient_by_jvps", "check_normalize_jvp"]


def _parts(c, what: str, d) -> tuple[float, float]:
    """(value, tangent) of the student's dual number, or a clear failure."""
    if not (hasattr(d, "value") and hasattr(d, "tangent")):
        c.fail(_("{what} should be a dual number with `.value` and `.tangent`, got {kind}: "
                 "does the method `return` a new Dual?").format(what=what, kind=type(d).__name__))
    return d.value, d.tangent


@exercise("Exercise 11.1", "Dual")
def check_dual_class(c):
    """``Dual(value, tangent)`` with ``+`` and ``*``, numbers allowed on either side."""
    public = [(2.0, 1.0, -3.0, 0.5), (0.5, -2.0, 4.0, 3.0)]
    hidden = [tuple(c.rng.normal(size=4)) for _i in range(4)]
    for a, da, b, db in c.cases(public, hidden):
        with c.case(_("Dual({a:.3g}, {da:.3g}) and Dual({b:.3g}, {db:.3g})").format(a=a, da=da, b=b, db=db)):
            x, y = c.call(a, da), c.call(b, db)
            v, t = _parts(c, "x + y", c.run(lambda: x + y, name="Dual.__add__"))
            c.compare("(x + y).value", v, a + b)
            c.compare("(x + y).tangent", t, da + db, mistakes={
                _("the tangent of a sum is the sum of the tangents, a' + b'"): a + b})
            v, t = _parts(c, "x * y", c.run(lambda: x * y, name="Dual.__mul__"))
            c.compare("(x * y).value", v, a * b)
            c.compare("(x * y).tangent", t, da * b + a * db, mistakes={
                _("the product of the tangents, a' b', is not the product rule: (ab)' = a' b + a b'"): da * db,
                _("only one term of the product rule: (ab)' = a' b + a b'"): da * b,
                _("only one term of the product rule: (ab)' = a' b + a b' (you have a b')"): a * db,
                _("the tangents were added, as for a sum: the product rule is a' b + a b'"): da + db,
            })
            v, t = _parts(c, "3 * x", c.run(lambda: 3.0 * x, name="Dual.__rmul__"))
            c.compare("(3 * x).tangent", t, 3.0 * da, mistakes={
                _("a number is a constant: its tangent is 0, so (3x)' = 3 x'"): 3.0 * da + a})
            v, t = _parts(c, "x + 1", c.run(lambda: x + 1.0, name=_("Dual.__add__ with a number")))
            c.compare("(x + 1).value", v, a + 1.0)
            c.compare("(x + 1).tangent", t, da, mistakes={
                _("a number is a constant: its tangent is 0, so (x + 1)' = x'"): da + 1.0})


@exercise("Exercise 11.2", "dual_exp, dual_tanh, dual_pow")
def check_dual_functions(c):
    """Each function returns ``Dual(f(a), f'(a) * a')`` for the package's ``Dual``."""
    fns = c.student
    names = ("dual_exp", "dual_tanh", "dual_pow")
    if not (isinstance(fns, tuple) and len(fns) == 3):
        c.fail(_("pass the three functions as a tuple: (dual_exp, dual_tanh, dual_pow)"))
    public = [(0.5, 1.0), (-1.2, 2.0)]
    hidden = [tuple(c.rng.normal(size=2)) for _i in range(4)]
    for a, da in c.cases(public, hidden):
        with c.case(f"x = Dual({a:.3g}, {da:.3g})"):
            v, t = _parts(c, "dual_exp(x)", c.run(fns[0], Dual(a, da), name=names[0]))
            c.compare("dual_exp(x).value", v, np.exp(a))
            c.compare("dual_exp(x).tangent", t, np.exp(a) * da, mistakes={
                _("the chain rule's second factor is missing: multiply exp(a) by the tangent a'"): np.exp(a)})
            th = np.tanh(a)
            v, t = _parts(c, "dual_tanh(x)", c.run(fns[1], Dual(a, da), name=names[1]))
            c.compare("dual_tanh(x).value", v, th)
            c.compare("dual_tanh(x).tangent", t, (1 - th * th) * da, mistakes={
                _("tanh'(a) is 1 - tanh(a)**2 (squared)"): (1 - th) * da,
                _("the chain rule's second factor is missing: multiply by the tangent a'"): 1 - th * th,
            })
            for k in (3, -1, 0.5) if a > 0 else (3, -1):
                v, t = _parts(c, f"dual_pow(x, {k})", c.run(fns[2], Dual(a, da), k, name=names[2]))
                c.compare(f"dual_pow(x, {k}).value", v, a ** k)
                c.compare(f"dual_pow(x, {k}).tangent", t, k * a ** (k - 1) * da, mistakes={
                    _("the power rule lowers the exponent by one: k a**(k-1) a'"): k * a ** k * da,
                    _("the chain rule's second factor is missing: multiply by the tangent a'"): k * a ** (k - 1),
                })


def _loss(w):
    """A scalar function of a vector (works on floats, arrays and Duals)."""
    return (w * w).sum().tanh() + (w * 0.5).exp().sum()


@exercise("Exercise 11.3", "gradient_by_jvps")
def check_gradient_by_jvps(c):
    """The full gradient, one JVP per input direction."""
    for n in c.cases([3, 1, 5], hidden=[8, 2]):
        x = c.rng.normal(size=n) * 0.5
        calls = []

        def f(d, calls=calls):
            calls.append(1)
            return _loss(d)

        with c.case(_("x of shape ({n},)").format(n=n)):
            got = c.call(f, x, copy_args=False)
            expected = gradient_forward(_loss, x)
            c.compare(_("the gradient"), got, expected, mistakes={
                _("this is one JVP along the all-ones direction (a single number spread out): seed one "
                  "direction per input, e_0, e_1, ..., and read one entry of the gradient from each"):
                    np.full(n, float(jvp(_loss, x, np.ones(n))[1])),
            })
            c.check(len(calls) == n, _("f was called {calls} times for {n} inputs: forward mode needs one "
                                       "pass per input direction, so exactly {n} (and no extra plain call)").format(
                                           calls=len(calls), n=n))


@exercise("Exercise 11.4", "normalize_jvp")
def check_normalize_jvp(c):
    r"""``normalize_jvp(x, v)``: the JVP of :math:`u = x/\|x\|` along ``v``."""
    for n in c.cases([2, 3, 4], hidden=[1, 6, 10]):
        x, v = c.rng.normal(size=n), c.rng.normal(size=n)
        r = np.linalg.norm(x)
        u = x / r
        expected = (v - u * (u @ v)) / r
        numeric = centered_difference(lambda t: (x + t * v) / np.linalg.norm(x + t * v), 0.0, 1e-6)
        assert np.allclose(expected, numeric, rtol=1e-5, atol=1e-7)  # the reference itself, against FD
        with c.case(_("x, v of shape ({n},)").format(n=n)):
            got = c.call(x, v)
            c.compare(_("the JVP"), got, expected, rtol=1e-7, mistakes={
                _("v / ||x|| treats the norm as a constant; it changes too, by u·v along v"): v / r,
                _("the sign of the correction term is wrong: (v - u (u·v)) / ||x||"): (v + u * (u @ v)) / r,
                _("the correction is missing its direction u: it is u (u·v), a vector along u"): (v - (u @ v)) / r,
                _("divide by the norm ||x||, not by its square"): (v - u * (u @ v)) / r ** 2,
            })
