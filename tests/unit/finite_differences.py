"""The slope the scalar-engine tests compare gradients with: one coordinate of a function
of a list of floats, by the package's centered difference."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from backprop_lib.gradcheck import centered_difference


def partial_difference(f: Callable[[list[float]], float], xs: Sequence[float], i: int,
                       h: float | None = None) -> float:
    """:math:`(f(x + h e_i) - f(x - h e_i)) / 2h` in float64. The step defaults to
    ``1e-5 * max(1, |x_i|)``, relative to the size of ``x_i`` so that large inputs are not
    swamped by rounding (``gradcheck.numerical_gradient`` uses one absolute step)."""
    if h is None:
        h = 1e-5 * max(1.0, abs(xs[i]))

    def along(t: float) -> float:
        ys = list(xs)
        ys[i] = t
        return f(ys)

    return centered_difference(along, xs[i], h)
