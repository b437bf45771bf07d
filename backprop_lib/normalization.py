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

:class:`LayerNorm` is :class:`RowNorm` followed by a learnable scale :math:`\gamma` and
shift :math:`\beta` per feature, :math:`Y = \gamma \odot \hat Z + \beta`.
:class:`BatchNorm1d` runs the same computation down the columns instead (each feature
normalized over the examples of the batch), so in training every example's output depends
on every other example of the batch. In evaluation it uses running estimates of the mean
and variance instead, so one example's output depends on that example alone. Notebook 13
derives both backward passes.

The two statistics passes, :func:`normalize` and :func:`normalize_backward`, are shared:
``axis=1`` for rows (RowNorm, LayerNorm), ``axis=0`` for columns (BatchNorm1d).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import check_positive_float, check_positive_int, shape_str
from .i18n import N_, _
from .layers import ArrayModule, Parameter

__all__ = ["RowNorm", "LayerNorm", "BatchNorm1d", "normalize", "normalize_backward", "set_training"]


def normalize(x: np.ndarray, axis: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    r"""``(x_hat, s)``: ``x`` centered and divided by :math:`s = \sqrt{\operatorname{var} + \epsilon}`
    along ``axis`` (the biased variance, :math:`1/n`); ``s`` keeps its axis (``keepdims``)."""
    mu = x.mean(axis=axis, keepdims=True)
    s = np.sqrt(x.var(axis=axis, keepdims=True) + eps)
    return (x - mu) / s, s


def normalize_backward(dx_hat: np.ndarray, x_hat: np.ndarray, s: np.ndarray, axis: int) -> np.ndarray:
    r"""Gradient with respect to ``x`` of :func:`normalize`'s output, given :math:`\bar{\hat x}`:
    :math:`\frac1s(\bar{\hat x} - \operatorname{mean}(\bar{\hat x})
    - \hat x \odot \operatorname{mean}(\bar{\hat x} \odot \hat x))`, means along ``axis``."""
    mean_d = dx_hat.mean(axis=axis, keepdims=True)                 # path through the mean
    mean_dx = (dx_hat * x_hat).mean(axis=axis, keepdims=True)      # path through the spread
    return (dx_hat - mean_d - x_hat * mean_dx) / s


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
            raise ValueError(_("{layer} expects input of shape (N, d), rows are examples; got {shape}").format(
                layer=repr(self), shape=shape_str(x.shape)))
        Z_hat, s = normalize(x, 1, self.eps)
        self.cache = (Z_hat, s)
        self._out_shape = x.shape
        return Z_hat

    def backward_unchecked(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        Z_hat, s = self.need_cache()
        if not input_grad:
            return None
        return normalize_backward(dout, Z_hat, s, 1)

    def __repr__(self) -> str:
        return "RowNorm()" if self.eps == 1e-5 else f"RowNorm(eps={self.eps:g})"


def _check_features(layer: ArrayModule, x: np.ndarray, d: int, message: str) -> None:
    """``message``: the error (marked with ``N_``), with the placeholders ``{layer}``, ``{d}`` and ``{shape}``."""
    if x.ndim != 2 or x.shape[1] != d:
        text = _(message).format(layer=repr(layer), d=d, shape=shape_str(x.shape))
        if x.ndim == 1:
            text += "; " + _("a single example must be a row: x.reshape(1, -1)")
        raise ValueError(text)


class LayerNorm(RowNorm):
    r"""Layer normalization of ``Z`` ``(N, d)``: each row normalized (:class:`RowNorm`), then
    :math:`Y = \gamma \odot \hat Z + \beta` with parameters ``gamma`` (ones) and ``beta``
    (zeros), both ``(d,)``.

    Backward, given :math:`\bar Y` ``(N, d)``: :math:`\bar\gamma = \sum_n \bar Y_{n,:} \odot
    \hat Z_{n,:}`, :math:`\bar\beta = \sum_n \bar Y_{n,:}` (sums over the examples), and
    :math:`\bar Z` is RowNorm's backward of :math:`\bar{\hat Z} = \gamma \odot \bar Y`.
    Cache: RowNorm's, :math:`\hat Z` ``(N, d)`` and ``s`` ``(N, 1)``.
    """

    def __init__(self, d: int, eps: float = 1e-5) -> None:
        super().__init__(eps)
        self.d = check_positive_int(d, "d", "LayerNorm")
        self.gamma = Parameter(np.ones(self.d), "gamma")
        self.beta = Parameter(np.zeros(self.d), "beta")
        self._params = [self.gamma, self.beta]

    def forward_unchecked(self, x: np.ndarray) -> np.ndarray:
        _check_features(self, x, self.d, N_("{layer} expects input of shape (N, {d}), rows are examples; got {shape}"))
        return self.gamma.data * super().forward_unchecked(x) + self.beta.data

    def backward_unchecked(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        Z_hat, _s = self.need_cache()
        self.gamma.grad += (dout * Z_hat).sum(axis=0)
        self.beta.grad += dout.sum(axis=0)
        return super().backward_unchecked(dout * self.gamma.data, input_grad)

    def __repr__(self) -> str:
        return f"LayerNorm({self.d})" if self.eps == 1e-5 else f"LayerNorm({self.d}, eps={self.eps:g})"


class BatchNorm1d(ArrayModule):
    r"""Batch normalization of ``X`` ``(N, d)``: each column (feature) normalized over the
    batch, then :math:`Y = \gamma \odot \hat X + \beta` (``gamma`` ones, ``beta`` zeros, ``(d,)``).

    **Training** (``training`` true, the default; see :meth:`train`, :meth:`eval`): the
    batch's mean :math:`\mu` and biased variance :math:`\sigma^2 = \frac1N\sum_n (X_n -
    \mu)^2` normalize, :math:`\hat X = (X - \mu)/\sqrt{\sigma^2 + \epsilon}`, and the running
    estimates move towards them: ``running_mean = (1 - momentum) running_mean + momentum μ``,
    ``running_var`` the same with the unbiased :math:`\sigma^2 N/(N-1)` (as PyTorch does).
    Needs ``N >= 2``. Backward is :func:`normalize_backward` down the columns.

    **Evaluation**: the running estimates normalize, so every example is treated alone and
    the layer is an affine map; backward is :math:`\bar X = \bar Y \odot \gamma / s`.

    Cache: :math:`\hat X` ``(N, d)``, ``s`` ``(1, d)`` and whether the batch statistics were used.
    """

    def __init__(self, d: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        who = "BatchNorm1d"
        self.d = check_positive_int(d, "d", who)
        self.eps = check_positive_float(eps, "eps", who)
        if not 0 <= float(momentum) <= 1:
            raise ValueError(_("{who}: momentum must be between 0 and 1, got {momentum}").format(
                who=who, momentum=repr(momentum)))
        self.momentum = float(momentum)
        self.gamma = Parameter(np.ones(self.d), "gamma")
        self.beta = Parameter(np.zeros(self.d), "beta")
        self._params = [self.gamma, self.beta]
        self.running_mean = np.zeros(self.d)
        self.running_var = np.ones(self.d)
        self.training = True

    def train(self, mode: bool = True) -> BatchNorm1d:
        """Training mode (batch statistics, running estimates updated); returns self."""
        self.training = bool(mode)
        return self

    def eval(self) -> BatchNorm1d:
        """Evaluation mode (running estimates, nothing updated); returns self."""
        return self.train(False)

    def forward_unchecked(self, x: np.ndarray) -> np.ndarray:
        _check_features(self, x, self.d, N_("{layer} expects input of shape (N, {d}), rows are examples, "
                                            "normalized down each column; got {shape}"))
        if self.training:
            N = x.shape[0]
            if N < 2:
                raise ValueError(_("{layer} in training mode needs a batch of at least 2 examples to "
                                   "estimate a variance, got {N}; call .eval() to use the running statistics").format(
                                       layer=repr(self), N=N))
            X_hat, s = normalize(x, 0, self.eps)
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * x.mean(axis=0)
            self.running_var = (1 - m) * self.running_var + m * x.var(axis=0) * N / (N - 1)
        else:
            s = np.sqrt(self.running_var + self.eps).reshape(1, -1)
            X_hat = (x - self.running_mean) / s
        self.cache = (X_hat, s, self.training)
        return self.gamma.data * X_hat + self.beta.data

    def backward_unchecked(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        X_hat, s, batch_stats = self.need_cache()
        self.gamma.grad += (dout * X_hat).sum(axis=0)
        self.beta.grad += dout.sum(axis=0)
        if not input_grad:
            return None
        dX_hat = dout * self.gamma.data
        return normalize_backward(dX_hat, X_hat, s, 0) if batch_stats else dX_hat / s

    def __repr__(self) -> str:
        extra = "" if self.momentum == 0.1 else f", momentum={self.momentum:g}"
        extra += "" if self.eps == 1e-5 else f", eps={self.eps:g}"
        return f"BatchNorm1d({self.d}{extra})"


def set_training(net: ArrayModule, mode: bool = True) -> ArrayModule:
    """Put every module of ``net`` that has a training mode (``BatchNorm1d``) into training
    (``mode=True``) or evaluation (``False``); returns ``net``."""
    stack: list[Any] = [net]
    while stack:
        module = stack.pop()
        if hasattr(module, "training"):
            module.train(mode)
        stack.extend(module.children())
    return net
