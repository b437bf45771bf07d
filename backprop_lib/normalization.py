r"""Normalization layers: rescale every example's pre-activations at every layer.

:class:`RowNorm` normalizes each row (example) of its input to mean 0 and standard
deviation 1: layer normalization without its learnable scale and shift. For a row
:math:`Z_{n,:}` with :math:`d` entries,

.. math::

    \mu_n = \frac1d \sum_j Z_{nj}, \qquad
    s_n = \sqrt{\frac1d \sum_j (Z_{nj} - \mu_n)^2 + \epsilon}, \qquad
    \hat Z_{nj} = \frac{Z_{nj} - \mu_n}{s_n}.

Backward: each :math:`Z_j` of a row reaches every :math:`\hat Z_i` of that row along
three paths, directly (:math:`i = j`), through the mean (:math:`\partial\mu/\partial Z_j
= 1/d`) and through the spread (:math:`\partial s/\partial Z_j = \hat Z_j/d`, exactly,
:math:`\epsilon` included). Summing the three contributions over :math:`i` gives, per row,

.. math::

    \bar Z = \frac1s\Bigl(\bar{\hat Z} - \operatorname{mean}(\bar{\hat Z})
    - \hat Z \odot \operatorname{mean}(\bar{\hat Z} \odot \hat Z)\Bigr).

Notebook 08 has the student derive this; :class:`RowNorm` is the reference the later
cells run on.
"""
from __future__ import annotations

import numpy as np

from ._validate import check_positive_float, shape_str
from .layers import ArrayModule

__all__ = ["RowNorm"]


class RowNorm(ArrayModule):
    r"""Normalize each row of ``Z`` ``(N, d)`` to mean 0 and standard deviation 1.

    ``eps`` (default ``1e-5``) is added to the variance so that a constant row does not
    divide by zero. No parameters. Cache: the output :math:`\hat Z` ``(N, d)`` and each
    row's :math:`s` ``(N, 1)``; backward needs nothing else (see the module docstring).
    """

    def __init__(self, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = check_positive_float(eps, "eps", "RowNorm")

    def forward_unchecked(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 2:
            raise ValueError(f"{self!r} expects input of shape (N, d), rows are examples; "
                             f"got {shape_str(x.shape)}")
        mu = x.mean(axis=1, keepdims=True)
        s = np.sqrt(x.var(axis=1, keepdims=True) + self.eps)
        Z_hat = (x - mu) / s
        self.cache = (Z_hat, s)
        self._out_shape = x.shape
        return Z_hat

    def backward_unchecked(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        Z_hat, s = self.need_cache()
        if not input_grad:
            return None
        mean_d = dout.mean(axis=1, keepdims=True)                  # path through the mean
        mean_dz = (dout * Z_hat).mean(axis=1, keepdims=True)       # path through the spread
        return (dout - mean_d - Z_hat * mean_dz) / s

    def __repr__(self) -> str:
        return "RowNorm()" if self.eps == 1e-5 else f"RowNorm(eps={self.eps:g})"
