r"""Checkers for notebook 12, an autograd engine for arrays.

Each exercise is a vector-Jacobian product (VJP): given the upstream gradient ``g`` (the
shape of the op's output), return the gradient with respect to the op's input.

* Exercise 12.1 ``sum_vjp(g, shape, axis, keepdims)`` for ``y = x.sum(axis, keepdims)``.
* Exercise 12.2 ``gather_vjp(g, shape, index)`` for ``y = x[index]`` (rows, repeats allowed).
* Exercise 12.3 ``log_softmax_vjp(g, x)`` for ``y = log_softmax(x)`` along the last axis.
* Exercise 12.4 ``max_vjp(g, x)`` for ``y = x.max(axis=-1)`` (no ties).

The references are the engine's own VJPs (``backprop_lib.tensor``), reached through a
backward pass with upstream gradient ``g``; the known mistakes are computed here.
"""
from __future__ import annotations

import numpy as np

from ..i18n import _
from ..losses import softmax
from ..tensor import Tensor, log_softmax
from .framework import exercise

__all__ = ["check_sum_vjp", "check_gather_vjp", "check_log_softmax_vjp", "check_max_vjp"]


def _engine_vjp(fn, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The engine's gradient of ``sum(fn(x) * g)`` with respect to ``x``."""
    t = Tensor(x, requires_grad=True)
    (fn(t) * g).sum().backward()
    return t.grad


@exercise("Exercise 12.1", "sum_vjp")
def check_sum_vjp(c):
    """``sum_vjp(g, shape, axis, keepdims)`` must spread ``g`` back over the summed axes."""
    public = [((3, 4), 0, False), ((3, 4), 1, False), ((4, 4), 1, False), ((3, 4), 1, True), ((2, 3), None, False)]
    hidden = [((2, 3, 4), 1, False), ((2, 3, 4), (0, 2), False), ((5, 5), 0, True), ((3, 1, 2), -1, False)]
    for shape, axis, keepdims in c.cases(public, hidden):
        x = c.rng.normal(size=shape)
        y = x.sum(axis=axis, keepdims=keepdims)
        g = c.rng.normal(size=np.shape(y))
        expected = _engine_vjp(lambda t: t.sum(axis=axis, keepdims=keepdims), x, g)
        count = x.size // max(np.size(y), 1)
        mistakes = {
            _("that is the VJP of the mean: a sum passes g on unchanged, without dividing by the count"):
                expected / count,
        }
        if axis is not None and not keepdims:
            try:
                mistakes[_("g was stretched along the wrong axis: put the summed axis back first "
                           "(np.expand_dims(g, axis)), then broadcast to the input's shape")] = np.broadcast_to(g, shape)
            except ValueError:
                pass
        with c.case(_("x of shape {shape}, axis={axis}, keepdims={keepdims}").format(
                shape=shape, axis=axis, keepdims=keepdims)):
            got = c.call(g, shape, axis, keepdims)
            c.compare("dx", got, expected, mistakes=mistakes)


@exercise("Exercise 12.2", "gather_vjp")
def check_gather_vjp(c):
    """``gather_vjp(g, shape, index)``: rows picked several times get the sum of their gradients."""
    public = [((5, 3), [0, 2, 4]), ((4, 2), [1, 1, 3]), ((6,), [5, 0, 0, 0, 2])]
    hidden = [((10, 4), [9, 9, 9, 1, 0, 1]), ((3, 3), [2, 2]), ((7,), [6, 6, 1, 3, 3])]
    for shape, index in c.cases(public, hidden):
        index = np.array(index)
        x = c.rng.normal(size=shape)
        g = c.rng.normal(size=x[index].shape)
        expected = _engine_vjp(lambda t: t[index], x, g)
        once = np.zeros(shape)
        once[index] += g  # what assignment-style accumulation gives: the last repeat wins
        with c.case(_("x of shape {shape}, index {index}").format(shape=shape, index=index.tolist())):
            got = c.call(g, shape, index)
            c.compare("dx", got, expected, mistakes={
                _("a repeated index got the gradient of only one of its uses: `dx[index] += g` does not add "
                  "repeats (numpy buffers the assignment); use np.add.at(dx, index, g)"): once,
            })


@exercise("Exercise 12.3", "log_softmax_vjp")
def check_log_softmax_vjp(c):
    r"""``log_softmax_vjp(g, x)``: :math:`\bar x = g - \operatorname{softmax}(x)\sum_j g_j` per row."""
    public = [(1, 3), (4, 5), (2, 2)]
    hidden = [(8, 10), (3, 1), (5, 7)]
    for shape in c.cases(public, hidden):
        x = c.rng.normal(size=shape) * 3
        g = c.rng.normal(size=shape)
        expected = _engine_vjp(lambda t: log_softmax(t, axis=-1), x, g)
        p = softmax(x, axis=-1)
        with c.case(_("x of shape {shape}").format(shape=shape)):
            got = c.call(g, x)
            c.compare("dx", got, expected, mistakes={
                _("this is g - softmax(x): it assumes the row of g sums to 1, as it does for cross-entropy "
                  "with one-hot targets; in general multiply softmax(x) by the row sum of g"): g - p,
                _("only the diagonal of the Jacobian (g * (1 - softmax(x)), the same as g - softmax(x) * g): "
                  "each output depends on every input of its row, so softmax(x) multiplies the row SUM of g"):
                    g * (1 - p),
                _("the sum of g runs over the whole array: sum each row (axis=-1, keepdims=True)"):
                    g - p * g.sum(),
            })


@exercise("Exercise 12.4", "max_vjp")
def check_max_vjp(c):
    """``max_vjp(g, x)`` for ``y = x.max(axis=-1)``: max routes each row's gradient to its largest entry."""
    public = [(2, 3), (4, 1), (3, 5)]
    hidden = [(6, 4), (1, 9), (5, 2)]
    for shape in c.cases(public, hidden):
        x = c.rng.permutation(np.arange(float(np.prod(shape)))).reshape(shape)  # no ties
        g = c.rng.normal(size=shape[0])
        expected = np.zeros(shape)
        expected[np.arange(shape[0]), x.argmax(axis=-1)] = g
        with c.case(_("x of shape {shape}").format(shape=shape)):
            got = c.call(g, x)
            c.compare("dx", got, expected, mistakes={
                _("every entry of the row got g, as for a sum: max routes the gradient to the winner only"):
                    np.broadcast_to(g[:, None], shape),
                _("the gradient went to the smallest entry of each row (argmin): route it to the largest"):
                    _route(g, x.argmin(axis=-1), shape),
                _("g was split evenly over the row, as for a mean: max routes all of it to the winner"):
                    np.broadcast_to(g[:, None] / shape[1], shape),
            })


def _route(g: np.ndarray, cols: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape)
    out[np.arange(shape[0]), cols] = g
    return out
