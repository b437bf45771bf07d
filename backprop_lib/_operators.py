"""The operators an engine derives from its primitives, shared by :class:`~backprop_lib.tensor.Tensor`
and :class:`~backprop_lib.forward_mode.Dual`.

As in micrograd, ``-a`` is ``a * -1``, ``a - b`` is ``a + (-b)`` and ``a / b`` is
``a * b ** -1``: built from ``+``, ``*`` and ``**``, these need no derivative of their own.
(The scalar ``Value`` writes them out itself, with micrograd's exact signatures.)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["DerivedOperators"]

T = TypeVar("T", bound="DerivedOperators")


class DerivedOperators:
    """Mixin: ``-``, binary ``-``, ``/`` and the reflected ``+ - * /`` from ``+``, ``*`` and ``**``.

    The class sets ``_lift``: a function that turns a number or an array on the other side
    of an operator into a constant of the class (returning an instance unchanged).
    """

    __slots__ = ()               # a class with __slots__ (Dual) keeps them
    _lift: Callable[[Any], Any]

    def __neg__(self: T) -> T:
        return self * -1.0

    def __sub__(self: T, other: Any) -> T:
        return self + (-self._lift(other))

    def __truediv__(self: T, other: Any) -> T:
        return self * self._lift(other) ** -1

    def __radd__(self: T, other: Any) -> T:
        return self._lift(other) + self

    def __rsub__(self: T, other: Any) -> T:
        return self._lift(other) - self

    def __rmul__(self: T, other: Any) -> T:
        return self._lift(other) * self

    def __rtruediv__(self: T, other: Any) -> T:
        return self._lift(other) / self
