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

Mean squared error, for predictions and targets of the same shape with :math:`M` entries:

.. math::

    L = \frac{1}{M}\sum_i (\hat y_i - y_i)^2, \qquad
    \frac{\partial L}{\partial \hat y} = \frac{2(\hat y - y)}{M}.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import as_float_array, check_labels, shape_str

__all__ = ["softmax", "logsumexp", "SoftmaxCrossEntropy", "MSELoss", "Loss"]


def logsumexp(z: Any, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    r""":math:`\log \sum_k e^{z_k}` along ``axis``, computed as :math:`m + \log\sum_k e^{z_k - m}`
    with :math:`m = \max_k z_k`, so no exponential overflows (``z = [1000, 1000]`` gives
    :math:`1000 + \log 2`). Keeps the float dtype; integer input becomes float64."""
    z = as_float_array(z, "z", "logsumexp")
    m = z.max(axis=axis, keepdims=True)
    out = np.log(np.exp(z - m).sum(axis=axis, keepdims=True))
    out += m
    return out if keepdims else np.squeeze(out, axis=axis)


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
            raise RuntimeError(f"{self!r}.backward called before forward: compute the loss first")
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
            raise ValueError(f"{who} expects logits of shape (N, C) with N >= 1, got {shape_str(logits.shape)}"
                             + ("; for one example use logits.reshape(1, -1)" if logits.ndim == 1 else ""))
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
            raise ValueError(f"{who} got an empty prediction of shape {shape_str(pred.shape)}")
        if target.shape != pred.shape:
            if pred.ndim == 2 and pred.shape[1] == 1 and target.shape == (pred.shape[0],):
                target = target[:, None]
            else:
                raise ValueError(f"{who} expects target of the same shape as pred {shape_str(pred.shape)}, "
                                 f"got {shape_str(target.shape)}")
        diff = pred - target
        self.cache = diff
        return float(np.mean(diff * diff))

    def backward(self) -> np.ndarray:
        diff = self.need_cache()
        return diff * (2 / diff.size)
