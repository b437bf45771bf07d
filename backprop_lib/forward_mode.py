r"""Forward-mode differentiation with dual numbers.

A :class:`Dual` carries a value and a *tangent*: the derivative of that value along one
chosen direction of the inputs. Every operation computes its result and, beside it, the
tangent of the result by the chain rule, in the same forward pass::

    op          value          tangent
    a + b       a + b          a' + b'
    a * b       a * b          a' b + a b'
    a ** k      a ** k         k a**(k-1) a'
    exp(a)      exp(a)         exp(a) a'
    A @ B       A @ B          A' B + A B'

Seeding the inputs' tangents with a direction ``v`` gives, at the output, the
Jacobian-vector product ``J v`` (a JVP): one forward pass per input direction. The
value and the tangent may be numbers or numpy arrays of the same shape.

>>> x = Dual(2.0, 1.0)          # dx/dx = 1: differentiate with respect to x
>>> y = x * x + x.exp()
>>> round(y.tangent, 6)         # 2x + e^x at x = 2
11.389056
"""
from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from ._operators import DerivedOperators
from .i18n import _

__all__ = ["Dual", "jvp", "jacobian_forward", "gradient_forward"]


def _lift(x: Any) -> Dual:
    """A constant: its tangent is zero."""
    if isinstance(x, Dual):
        return x
    value = np.asarray(x, dtype=float) if not isinstance(x, numbers.Real) else float(x)
    return Dual(value, np.zeros_like(value) if isinstance(value, np.ndarray) else 0.0)


class Dual(DerivedOperators):
    """A value and its tangent (derivative along one input direction)."""

    __slots__ = ("value", "tangent")
    __array_ufunc__ = None  # `ndarray * Dual` calls Dual.__rmul__

    def __init__(self, value: Any, tangent: Any = 0.0) -> None:
        self.value = value
        self.tangent = tangent

    def __repr__(self) -> str:
        return f"Dual(value={self.value!r}, tangent={self.tangent!r})"

    # ---- the primitives: value and tangent side by side ------------------------------
    def __add__(self, other: Any) -> Dual:
        other = _lift(other)
        return Dual(self.value + other.value, self.tangent + other.tangent)

    def __mul__(self, other: Any) -> Dual:
        other = _lift(other)
        return Dual(self.value * other.value, self.tangent * other.value + self.value * other.tangent)

    def __pow__(self, k: Any) -> Dual:
        if not isinstance(k, numbers.Real) or isinstance(k, bool):
            raise TypeError(_("Dual ** k needs a Python number k, got {kind}").format(kind=type(k).__name__))
        return Dual(self.value ** k, k * self.value ** (k - 1) * self.tangent)

    def __matmul__(self, other: Any) -> Dual:
        other = _lift(other)
        return Dual(self.value @ other.value, self.tangent @ other.value + self.value @ other.tangent)

    def __rmatmul__(self, other: Any) -> Dual:
        return _lift(other) @ self

    def exp(self) -> Dual:
        e = np.exp(self.value)
        return Dual(e, e * self.tangent)

    def log(self) -> Dual:
        return Dual(np.log(self.value), self.tangent / self.value)

    def tanh(self) -> Dual:
        t = np.tanh(self.value)
        return Dual(t, (1.0 - t * t) * self.tangent)

    def sin(self) -> Dual:
        return Dual(np.sin(self.value), np.cos(self.value) * self.tangent)

    def relu(self) -> Dual:
        on = np.asarray(self.value) > 0
        return Dual(np.where(on, self.value, 0.0), np.where(on, self.tangent, 0.0))

    def sum(self) -> Dual:
        return Dual(np.sum(self.value), np.sum(self.tangent))

    # ---- derived from the primitives: -a, a - b, a / b, 2 * a, ... (DerivedOperators) ----
    _lift = staticmethod(_lift)


def jvp(f: Callable[[Dual], Dual], x: Any, v: Any) -> tuple[Any, Any]:
    """``(f(x), J v)``: one forward pass with the input's tangent seeded with ``v``."""
    x = np.asarray(x, dtype=float)
    v = np.asarray(v, dtype=float)
    if x.shape != v.shape:
        raise ValueError(_("jvp needs a direction v of the shape of x {shape}, got {got}").format(
            shape=x.shape, got=v.shape))
    out = f(Dual(x, v))
    if not isinstance(out, Dual):
        raise TypeError(_("jvp: f must return a Dual (built from its argument), got {kind}").format(
            kind=type(out).__name__))
    return out.value, out.tangent


def jacobian_forward(f: Callable[[Dual], Dual], x: Any) -> np.ndarray:
    """The Jacobian of ``f`` at a 1-d ``x``, one column per forward pass (``x.size`` passes)."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(_("jacobian_forward needs a 1-d x, got shape {shape}").format(shape=x.shape))
    columns = [np.atleast_1d(jvp(f, x, e)[1]) for e in np.eye(x.size)]
    return np.stack(columns, axis=1)


def gradient_forward(f: Callable[[Dual], Dual], x: Any) -> np.ndarray:
    """The gradient of a scalar ``f`` at ``x`` (any shape): one forward pass per entry of ``x``."""
    x = np.asarray(x, dtype=float)
    grad = np.empty(x.shape)
    for i in np.ndindex(*x.shape):
        e = np.zeros(x.shape)
        e[i] = 1.0
        grad[i] = float(np.asarray(jvp(f, x, e)[1]))
    return grad

