r"""Checkers for notebook 14, backprop through attention.

* Exercise 14.1 ``softmax_vjp(dA, A)``: the gradient with respect to the scores, rows of
  ``A = softmax(S)``, without building the Jacobian.
* Exercise 14.2 ``attention_backward(dO, Q, K, V, A)``: ``(dQ, dK, dV)`` of causal
  scaled dot-product attention, given the forward pass's weights ``A``.

References: :mod:`backprop_lib.attention` (itself checked against finite differences and
PyTorch's ``scaled_dot_product_attention`` in the tests).
"""
from __future__ import annotations

import numpy as np

from ..attention import attention_backward as reference_backward
from ..attention import attention_forward
from ..attention import softmax_vjp as reference_softmax_vjp
from ..i18n import _
from ..losses import softmax
from .framework import exercise

__all__ = ["check_softmax_vjp", "check_attention_backward"]


@exercise("Exercise 14.1", "softmax_vjp")
def check_softmax_vjp(c):
    """``softmax_vjp(dA, A)`` must return ``A * (dA - sum(dA * A, axis=-1, keepdims=True))``."""
    for shape in c.cases([(1, 3), (4, 4), (2, 5)], hidden=[(8, 8), (3, 1), (2, 3, 6)]):
        A = softmax(c.rng.normal(size=shape) * 2, axis=-1)
        dA = c.rng.normal(size=shape)
        expected = reference_softmax_vjp(dA, A)
        with c.case(_("A and dA of shape {shape}").format(shape=shape)):
            got = c.call(dA, A)
            c.compare("dS", got, expected, mistakes={
                _("only the diagonal of the Jacobian, A (1 - A) dA: every score of a row moves every weight "
                  "of that row, so subtract the weighted row sum of dA"): A * (1 - A) * dA,
                _("the row sum was taken over the whole array: sum each row (axis=-1, keepdims=True)"):
                    A * (dA - np.sum(dA * A)),
                _("the row sum is of dA alone: weight it by A, sum(dA * A) along the row"):
                    A * (dA - dA.sum(axis=-1, keepdims=True)),
                _("the leading factor A is missing: dS = A * (dA - rowsum(dA * A))"):
                    dA - np.sum(dA * A, axis=-1, keepdims=True),
            } | ({
                _("the row sums lost their axis (keepdims=True is missing), so they were subtracted along "
                  "the wrong axis"): A * (dA - np.sum(dA * A, axis=-1)),
            } if shape[-1] == shape[-2] else {}))


@exercise("Exercise 14.2", "attention_backward")
def check_attention_backward(c):
    """``attention_backward(dO, Q, K, V, A)`` must return ``(dQ, dK, dV)`` (causal, scaled)."""
    for T, d in c.cases([(3, 2), (4, 4), (5, 3)], hidden=[(8, 4), (1, 3), (6, 8)]):
        Q, K, V = (c.rng.normal(size=(T, d)) for _i in range(3))
        O, cache = attention_forward(Q, K, V, causal=True)
        dO = c.rng.normal(size=O.shape)
        dQ, dK, dV = reference_backward(dO, cache)
        A = cache.A
        s = np.sqrt(d)
        dS_unscaled = reference_softmax_vjp(dO @ V.T, A)
        with c.case(f"T = {T}, d = {d}"):
            got = c.call(dO, Q, K, V, A, returns=("dQ", "dK", "dV"))
            c.compare("dV", got[2], dV, mistakes={
                _("dV = A dO? The weights are transposed: each value V_j collects from every query i that "
                  "looked at it, dV = A^T dO"): A @ dO,
            })
            c.compare("dQ", got[0], dQ, mistakes={
                _("the 1/sqrt(d) scale of the scores is missing from dQ"): dS_unscaled @ K,
                _("divided by d instead of sqrt(d)"): dS_unscaled @ K / d,
                _("dQ used the softmax VJP's diagonal only (A(1 - A) dA)"): (A * (1 - A) * (dO @ V.T)) @ K / s,
            })
            c.compare("dK", got[1], dK, mistakes={
                _("the 1/sqrt(d) scale of the scores is missing from dK"): dS_unscaled.T @ Q,
                _("dK = dS Q? The scores are Q K^T, so K's gradient needs dS transposed: dK = dS^T Q / sqrt(d)"):
                    dS_unscaled @ Q / s,
            })
