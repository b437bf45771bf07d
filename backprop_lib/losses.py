r"""Loss functions: a scalar :math:`L` at the end of the network, and its gradient.

A loss has ``forward(prediction, target) -> float`` (caching what it needs) and
``backward() -> dprediction``, the gradient :math:`\partial L/\partial\,\text{prediction}`,
which is the ``dout`` handed to ``net.backward``. Both losses average over the batch.

Softmax cross-entropy, for logits :math:`Z` of shape ``(N, C)`` and labels :math:`y`:

.. math::

    p_{nc} = \frac{e^{Z_{nc}}}{\sum_k e^{Z_{nk}}}, \qquad
    L = -\frac{1}{N}\sum_n \log p_{n y_n}
      = \frac{1}{N}\sum_n \Big(\operatorname{logsumexp}(Z_{n,:}) - Z_{n y_n}\Big),
    \qquad
    \frac{\partial L}{\partial Z} = \frac{p - \operatorname{onehot}(y)}{N}.

Hinge loss, for two classes, one score :math:`s_n` per example and labels :math:`y_n \in \{0, 1\}`
read as :math:`t_n = \pm 1` (notebook 04's loss):

.. math::

    L = \frac{1}{N}\sum_n \max(0,\ 1 - t_n s_n), \qquad
    \frac{\partial L}{\partial s_n} = -\frac{t_n}{N}\ \text{where}\ t_n s_n < 1,\ 0\ \text{elsewhere}.

Mean squared error, for predictions and targets of the same shape with :math:`M` entries:

.. math::

    L = \frac{1}{M}\sum_i (\hat y_i - y_i)^2, \qquad
    \frac{\partial L}{\partial \hat y} = \frac{2(\hat y - y)}{M}.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import as_float_array, check_labels, shape_str
from .i18n import _

__all__ = ["softmax", "log_softmax", "log_softmax_backward", "logsumexp", "SoftmaxCrossEntropy", "MSELoss",
           "HingeLoss", "Loss"]


def logsumexp(z: Any, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    r""":math:`\log \sum_k e^{z_k}` along ``axis``, computed as :math:`m + \log\sum_k e^{z_k - m}`
    with :math:`m = \max_k z_k`, so no exponential overflows (``z = [1000, 1000]`` gives
    :math:`1000 + \log 2`). Keeps the float dtype; integer input becomes float64."""
    z = as_float_array(z, "z", "logsumexp")
    m = z.max(axis=axis, keepdims=True)
    out = np.log(np.exp(z - m).sum(axis=axis, keepdims=True))
    out += m
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(z: Any, axis: int = -1) -> np.ndarray:
    r""":math:`\log \operatorname{softmax}(z) = z - \operatorname{logsumexp}(z)`, stable."""
    z = as_float_array(z, "z", "log_softmax")
    return z - logsumexp(z, axis=axis, keepdims=True)


def log_softmax_backward(z: Any, dout: Any, axis: int = -1) -> np.ndarray:
    r"""The backward pass of :func:`log_softmax`: given :math:`\bar S = \partial L/\partial S`
    for :math:`S = \operatorname{log\_softmax}(z)`, return
    :math:`\bar z = \bar S - p \sum_i \bar S_i` along ``axis``, with :math:`p = \operatorname{softmax}(z)`
    (from :math:`\partial S_i/\partial z_j = \delta_{ij} - p_j`). With the upstream gradient of
    the mean negative log-likelihood, :math:`\bar S = -\operatorname{onehot}(y)/N`, this is the fused
    :math:`(p - \operatorname{onehot}(y))/N` of :class:`SoftmaxCrossEntropy`."""
    z = as_float_array(z, "z", "log_softmax_backward")
    dout = as_float_array(dout, "dout", "log_softmax_backward")
    if dout.shape != z.shape:
        raise ValueError(_("log_softmax_backward: dout must have the shape of z {shape}, got {got}").format(
            shape=shape_str(z.shape), got=shape_str(dout.shape)))
    return dout - softmax(z, axis=axis) * dout.sum(axis=axis, keepdims=True)


def softmax(z: Any, axis: int = -1) -> np.ndarray:
    r""":math:`e^{z_k - m} / \sum_j e^{z_j - m}` with :math:`m = \max_j z_j` (the shift cancels,
    and it keeps every exponent :math:`\le 0`). Rows of a ``(N, C)`` input sum to 1."""
    z = as_float_array(z, "z", "softmax")
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


class Loss:
    """Base class: ``forward(pred, target) -> float``, ``backward() -> dpred``."""

    def __init__(self) -> None:
        self.cache: Any = None

    def __call__(self, pred: Any, target: Any) -> float:
        return self.forward(pred, target)

    def forward(self, pred: Any, target: Any) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def need_cache(self) -> Any:
        if self.cache is None:
            raise RuntimeError(_("{loss}.backward called before forward: compute the loss first").format(
                loss=repr(self)))
        return self.cache

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SoftmaxCrossEntropy(Loss):
    r"""Softmax followed by the mean negative log-likelihood, fused.

    ``forward(logits (N, C) float, y (N,) int in [0, C)) -> float``;
    ``backward() -> dlogits (N, C) = (softmax(logits) - onehot(y)) / N``.

    Fusing the two is both simpler and more stable than chaining a softmax layer and a
    log: the gradient has no division by a probability that may underflow to 0.
    Labels must be integers (float labels raise TypeError). Cache: the probabilities
    and the labels.
    """

    def forward(self, logits: Any, y: Any) -> float:
        who = "SoftmaxCrossEntropy"
        logits = as_float_array(logits, "logits", who)
        if logits.ndim != 2 or logits.shape[0] == 0:
            message = _("{who} expects logits of shape (N, C) with N >= 1, got {shape}").format(
                who=who, shape=shape_str(logits.shape))
            if logits.ndim == 1:
                message += "; " + _("for one example use logits.reshape(1, -1)")
            raise ValueError(message)
        N, C = logits.shape
        y = check_labels(y, N, C, who)
        shifted = logits - logits.max(axis=1, keepdims=True)    # every exponent <= 0
        probs = np.exp(shifted)
        sums = probs.sum(axis=1)
        probs /= sums[:, None]
        rows = np.arange(N)
        loss = np.mean(np.log(sums) - shifted[rows, y])          # logsumexp(z) - z_y, averaged
        self.cache = (probs, y)
        return float(loss)

    def backward(self) -> np.ndarray:
        probs, y = self.need_cache()
        N = probs.shape[0]
        dlogits = probs / N
        dlogits[np.arange(N), y] -= 1 / N                        # (p - onehot(y)) / N
        return dlogits

    @property
    def probs(self) -> np.ndarray | None:
        """Softmax probabilities of the last forward pass, ``(N, C)``."""
        return None if self.cache is None else self.cache[0]


class MSELoss(Loss):
    r"""Mean squared error over all entries: :math:`L = \frac1M \sum_i (\hat y_i - y_i)^2`.

    ``forward(pred, target) -> float``; ``backward() -> dpred = 2 (pred - target) / M``.
    ``target`` must have the shape of ``pred``; as a convenience, a ``(N,)`` target is
    accepted for a ``(N, 1)`` prediction (one output unit). No other broadcasting: a
    silent ``(N, 1) - (N,)`` gives an ``(N, N)`` matrix and a wrong loss. Integer
    targets are converted to float64. Cache: the difference ``pred - target``.
    """

    def forward(self, pred: Any, target: Any) -> float:
        who = "MSELoss"
        pred = as_float_array(pred, "pred", who)
        target = as_float_array(target, "target", who)
        if pred.size == 0:
            raise ValueError(_("{who} got an empty prediction of shape {shape}").format(
                who=who, shape=shape_str(pred.shape)))
        if target.shape != pred.shape:
            if pred.ndim == 2 and pred.shape[1] == 1 and target.shape == (pred.shape[0],):
                target = target[:, None]
            else:
                raise ValueError(_("{who} expects target of the same shape as pred {shape}, got {got}").format(
                    who=who, shape=shape_str(pred.shape), got=shape_str(target.shape)))
        diff = pred - target
        self.cache = diff
        return float(np.mean(diff * diff))

    def backward(self) -> np.ndarray:
        diff = self.need_cache()
        return diff * (2 / diff.size)


class HingeLoss(Loss):
    r"""Mean hinge loss of two classes: :math:`L = \frac1N \sum_n \max(0, 1 - t_n s_n)`.

    ``forward(scores, y) -> float`` with ``scores`` of shape ``(N, 1)`` (one output unit) or
    ``(N,)`` and integer labels ``y`` in ``{0, 1}``, read as :math:`t = -1` and :math:`t = +1`
    (class 1 is predicted where the score is > 0). ``backward() -> dscores`` of the shape of
    ``scores``: :math:`-t_n / N` where the margin :math:`t_n s_n` is below 1, else 0 (0 also
    exactly at margin 1, the slope that relu takes at its kink). The same loss as
    ``sum((1 - t * s).relu() for ...) / N`` with scalar Values. Cache: the signs and the
    active examples.
    """

    def forward(self, scores: Any, y: Any) -> float:
        who = "HingeLoss"
        scores = as_float_array(scores, "scores", who)
        if scores.ndim == 2 and scores.shape[1] != 1 or scores.ndim not in (1, 2) or scores.shape[0] == 0:
            raise ValueError(_("{who} expects one score per example, shape (N, 1) or (N,) with N >= 1, "
                               "got {shape}").format(who=who, shape=shape_str(scores.shape)))
        N = scores.shape[0]
        y = check_labels(y, N, 2, who)
        t = np.where(y == 1, 1.0, -1.0).reshape(scores.shape)
        margins = 1.0 - t * scores
        active = margins > 0
        self.cache = (t, active)
        return float(np.sum(margins[active]) / N)

    def backward(self) -> np.ndarray:
        t, active = self.need_cache()
        return np.where(active, -t / t.shape[0], 0.0)
