"""The centered finite difference the scalar-engine tests compare gradients with."""
from __future__ import annotations

from collections.abc import Callable, Sequence


def centered_difference(f: Callable[[list[float]], float], xs: Sequence[float], i: int,
                        h: float | None = None) -> float:
    """:math:`(f(x + h e_i) - f(x - h e_i)) / 2h`, the slope of ``f`` (a function of a list of
    floats) in coordinate ``i``, in float64. The step defaults to ``1e-5 * max(1, |x_i|)``,
    relative to the size of ``x_i`` so that large inputs are not swamped by rounding.
    (``gradcheck.numerical_gradient`` works on arrays with one absolute step.)"""
    if h is None:
        h = 1e-5 * max(1.0, abs(xs[i]))
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(up) - f(down)) / (2 * h)
