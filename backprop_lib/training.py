"""Training one step at a time.

:class:`Trainer` owns the loop that every later notebook uses::

    loss = loss_fn.forward(net.forward(Xb), yb)   # forward
    net.backward(loss_fn.backward())              # backward: fills p.grad
    optimizer.step()                              # update
    optimizer.zero_grad()                         # gradients accumulate otherwise

``step()`` does this once and returns the loss, so a widget can animate training;
``run(n)`` does it ``n`` times. A loss that becomes NaN or infinite stops training with
a :class:`FloatingPointError` naming the step and the learning rate, instead of a
silently diverged network. Steps are numbered from 1.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._validate import as_float_array, check_positive_int, make_rng
from .layers import ArrayModule
from .losses import Loss

__all__ = ["Trainer", "predict", "accuracy"]


class Trainer:
    """Mini-batch (or full-batch) training of ``net`` on ``(X, y)``.

    ``batch_size=None`` (or one >= N) uses the whole data set every step. Otherwise each epoch visits
    the rows in a fresh random order (from ``seed``), ``batch_size`` rows per step; the
    last batch of an epoch may be smaller.

    Attributes: ``history`` (the loss of every completed step), ``step_count``.
    """

    def __init__(self, net: ArrayModule, loss_fn: Loss, optimizer: Any, X: Any, y: Any,
                 batch_size: int | None = None, seed: int = 0) -> None:
        who = "Trainer"
        if not isinstance(net, ArrayModule):
            raise TypeError(f"{who}: net must be an ArrayModule, got {type(net).__name__}")
        if not isinstance(loss_fn, Loss):
            raise TypeError(f"{who}: loss_fn must be a loss such as SoftmaxCrossEntropy(), "
                            f"got {type(loss_fn).__name__}")
        if not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
            raise TypeError(f"{who}: optimizer must have step() and zero_grad(), got {type(optimizer).__name__}")
        self.X = as_float_array(X, "X", who, ndim=2)
        y = np.asarray(y)
        if y.ndim == 0 or y.shape[0] != self.X.shape[0]:
            raise ValueError(f"{who}: X has {self.X.shape[0]} rows but y has shape {y.shape}; "
                             f"they need one target per row")
        if self.X.shape[0] == 0:
            raise ValueError(f"{who}: the data set is empty")
        self.y = y
        self.net, self.loss_fn, self.optimizer = net, loss_fn, optimizer
        N = self.X.shape[0]
        self.batch_size = N if batch_size is None else min(check_positive_int(batch_size, "batch_size", who), N)
        self._rng = make_rng(seed, who=who)
        self._order = np.arange(N)
        self._pos = N                              # forces a shuffle at the first mini-batch
        self.history: list[float] = []
        self.step_count = 0

    def _next_batch(self):
        N = self.X.shape[0]
        if self.batch_size == N:
            return self.X, self.y
        if self._pos >= N:
            self._order = self._rng.permutation(N)
            self._pos = 0
        idx = self._order[self._pos:self._pos + self.batch_size]
        self._pos += self.batch_size
        return self.X[idx], self.y[idx]

    def step(self) -> float:
        """One forward / backward / update / zero_grad; returns the loss before the update."""
        Xb, yb = self._next_batch()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = self.net.forward_unchecked(Xb)
            if np.isfinite(out).all():
                loss = self.loss_fn.forward(out, yb)
            else:                              # the network's output overflowed
                loss = math.nan if np.isnan(out).any() else math.inf
            if not math.isfinite(loss):
                lr = getattr(self.optimizer, "lr", None)
                bad = [p.name for p in self.net.parameters() if not np.isfinite(p.data).all()]
                if bad:
                    tip = f"; these parameters hold nan or inf: {', '.join(bad)}"
                elif lr is not None:
                    tip = f"; try a smaller learning rate (lr={lr:g})"
                else:
                    tip = ""
                raise FloatingPointError(f"loss became {loss} at step {self.step_count + 1}{tip}")
            self.net.backward_unchecked(self.loss_fn.backward(), False)
            self.optimizer.step()
            self.optimizer.zero_grad()
        self.step_count += 1
        self.history.append(loss)
        return loss

    def run(self, n: int) -> list[float]:
        """``n`` steps; returns their losses (also appended to ``history``)."""
        n = check_positive_int(n, "n", "Trainer.run", minimum=0)
        return [self.step() for _ in range(n)]

    def __repr__(self) -> str:
        return (f"Trainer({type(self.net).__name__}, {self.loss_fn!r}, {self.optimizer!r}, "
                f"N={self.X.shape[0]}, batch_size={self.batch_size}, steps={self.step_count})")


def predict(net: ArrayModule, X: Any) -> np.ndarray:
    """Class predictions ``(N,)`` int64: the argmax of the network's ``(N, C)`` output.

    A single output column (``C = 1``) is read as a logit: class 1 where it is > 0."""
    out = net.forward(X)
    if out.ndim != 2:
        raise ValueError(f"predict expects the network to output (N, C), got {out.shape}")
    if out.shape[1] == 1:
        return (out[:, 0] > 0).astype(np.int64)
    return out.argmax(axis=1).astype(np.int64)


def accuracy(net: ArrayModule, X: Any, y: Any) -> float:
    """Fraction of rows whose predicted class equals the label ``y`` (N,)."""
    y = np.asarray(y)
    pred = predict(net, X)
    if y.shape != pred.shape:
        raise ValueError(f"accuracy: y must have shape {pred.shape}, got {y.shape}")
    return float(np.mean(pred == y))
