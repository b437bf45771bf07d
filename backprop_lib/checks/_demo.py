"""A tiny example checker, used by the framework's own tests and the classroom fixture.

Not part of the series: the real checkers live in ``backprop_lib/checks/nbNN_<topic>.py``.
"""
from __future__ import annotations

import numpy as np

from ..i18n import _
from .framework import exercise

__all__ = ["check_square", "check_grad_of_square"]

_PUBLIC = [3.0, -2.0, 0.5, 0.0]


@exercise("Exercise 0.1", "square")
def check_square(c):
    """``square(x)`` must return x² for numbers and, elementwise, for arrays."""
    for x in c.cases(_PUBLIC, hidden=list(c.rng.normal(scale=10.0, size=6))):
        with c.case(f"x = {x:g}"):
            c.compare("square(x)", c.call(x), x * x,
                      mistakes={_("this is 2x, the derivative, not the square"): 2 * x})
    x = c.rng.normal(size=(2, 3)) if not c.hidden else c.rng.normal(size=(4, 5))
    with c.case(_("an array x of shape {shape}").format(shape=x.shape)):
        c.compare("square(x)", c.call(x), x * x,
                  mistakes={_("this is 2x, the derivative, not the square"): 2 * x})


@exercise("Exercise 0.2", "grad_of_square")
def check_grad_of_square(c):
    """``grad_of_square(x)`` must return d(x²)/dx = 2x."""
    for x in c.cases(_PUBLIC[:3], hidden=list(c.rng.normal(scale=10.0, size=6))):
        with c.case(f"x = {x:g}"):
            c.compare("grad_of_square(x)", c.call(x), 2 * x,
                      mistakes={_("this is x², the function itself, not its derivative"): x * x})
    x = np.linspace(-2.0, 2.0, 5)
    with c.case("x = np.linspace(-2, 2, 5)"):
        c.compare("grad_of_square(x)", c.call(x), 2 * x)
