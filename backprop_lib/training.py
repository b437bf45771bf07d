"""Training one step at a time.

:class:`Trainer` owns the loop that every later notebook uses::

    loss = loss_fn.forward(net.forward(Xb), yb)   # forward
    net.backward(loss_fn.backward())              # backward: fills p.grad
    optimizer.step()                              # update
    optimizer.zero_grad()                         # gradients accumulate otherwise

``step()`` does this once and returns the loss, so a widget can animate training;
``run(n)`` does it ``n`` times. A loss that becomes NaN or infinite stops training with
a :class:`FloatingPointError` naming the step and the learning rate, instead of a
silently diverged network (its ``step`` and ``bad_parameters`` attributes say the same to
code). Steps are numbered from 1.

Around the trainer, the pieces of a training run with held-out data:

* :func:`train_val_split` shuffles the rows once and holds out a fraction for validation;
* :func:`shuffled_batches` cuts one epoch into mini-batches, in a fresh random order;
* :func:`fit` trains for a number of epochs and measures the validation accuracy after
  each one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validate import as_float_array, check_positive_int, make_rng
from .i18n import _
from .layers import ArrayModule
from .losses import Loss

__all__ = ["Trainer", "predict", "accuracy", "shuffled_batches", "train_val_split", "fit", "FitHistory"]


class Trainer:
    """Mini-batch (or full-batch) training of ``net`` on ``(X, y)``.

    ``batch_size=None`` (or one >= N) uses the whole data set every step. Otherwise each epoch visits
    the rows in a fresh random order (:func:`shuffled_batches`, drawn from ``seed``, or from
    the generator ``rng`` when one is given, which then replaces the seed), ``batch_size``
    rows per step; the last batch of an epoch may be smaller.

    Attributes: ``history`` (the loss of every completed step), ``step_count``.
    """

    def __init__(self, net: ArrayModule, loss_fn: Loss, optimizer: Any, X: Any, y: Any,
                 batch_size: int | None = None, seed: int = 0,
                 rng: np.random.Generator | None = None) -> None:
        who = "Trainer"
        if not isinstance(net, ArrayModule):
            raise TypeError(_("{who}: net must be an ArrayModule, got {kind}").format(who=who, kind=type(net).__name__))
        if not isinstance(loss_fn, Loss):
            raise TypeError(_("{who}: loss_fn must be a loss such as SoftmaxCrossEntropy(), got {kind}").format(
                who=who, kind=type(loss_fn).__name__))
        if not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
            raise TypeError(_("{who}: optimizer must have step() and zero_grad(), got {kind}").format(
                who=who, kind=type(optimizer).__name__))
        self.X = as_float_array(X, "X", who, ndim=2)
        y = np.asarray(y)
        if y.ndim == 0 or y.shape[0] != self.X.shape[0]:
            raise ValueError(_("{who}: X has {rows} rows but y has shape {shape}; they need one target per row").format(
                who=who, rows=self.X.shape[0], shape=y.shape))
        if self.X.shape[0] == 0:
            raise ValueError(_("{who}: the data set is empty").format(who=who))
        self.y = y
        self.net, self.loss_fn, self.optimizer = net, loss_fn, optimizer
        N = self.X.shape[0]
        self.batch_size = N if batch_size is None else min(check_positive_int(batch_size, "batch_size", who), N)
        self._rng = make_rng(None if rng is not None else seed, rng, who)
        self._batches: list[np.ndarray] = []       # what is left of this epoch's batches
        self.history: list[float] = []
        self.step_count = 0

    def _next_batch(self):
        N = self.X.shape[0]
        if self.batch_size == N:
            return self.X, self.y
        if not self._batches:                      # a new epoch: a fresh order
            self._batches = shuffled_batches(N, self.batch_size, self._rng)[::-1]
        idx = self._batches.pop()
        return self.X[idx], self.y[idx]

    @property
    def steps_per_epoch(self) -> int:
        """Steps that visit every row once: ``ceil(N / batch_size)``."""
        return -(-self.X.shape[0] // self.batch_size)

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
                message = _("loss became {loss} at step {step}").format(loss=loss, step=self.step_count + 1)
                if bad:
                    message += "; " + _("these parameters hold nan or inf: {names}").format(names=", ".join(bad))
                elif lr is not None:
                    message += "; " + _("try a smaller learning rate (lr={lr:g})").format(lr=lr)
                error = FloatingPointError(message)
                error.step, error.bad_parameters = self.step_count + 1, bad   # the facts, in any language
                raise error
            self.net.backward_unchecked(self.loss_fn.backward(), False)
            self.optimizer.step()
            self.optimizer.zero_grad()
        self.step_count += 1
        self.history.append(loss)
        return loss

    def run(self, n: int) -> list[float]:
        """``n`` steps; returns their losses (also appended to ``history``)."""
        n = check_positive_int(n, "n", "Trainer.run", minimum=0)
        return [self.step() for _step in range(n)]

    def __repr__(self) -> str:
        return (f"Trainer({type(self.net).__name__}, {self.loss_fn!r}, {self.optimizer!r}, "
                f"N={self.X.shape[0]}, batch_size={self.batch_size}, steps={self.step_count})")


def predict(net: ArrayModule, X: Any) -> np.ndarray:
    """Class predictions ``(N,)`` int64: the argmax of the network's ``(N, C)`` output.

    A single output column (``C = 1``) is read as a logit: class 1 where it is > 0."""
    out = net.forward(X)
    if out.ndim != 2:
        raise ValueError(_("predict expects the network to output (N, C), got {shape}").format(shape=out.shape))
    if out.shape[1] == 1:
        return (out[:, 0] > 0).astype(np.int64)
    return out.argmax(axis=1).astype(np.int64)


def accuracy(net: ArrayModule, X: Any, y: Any) -> float:
    """Fraction of rows whose predicted class equals the label ``y`` (N,)."""
    y = np.asarray(y)
    pred = predict(net, X)
    if y.shape != pred.shape:
        raise ValueError(_("accuracy: y must have shape {shape}, got {got}").format(shape=pred.shape, got=y.shape))
    return float(np.mean(pred == y))


def shuffled_batches(N: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch of mini-batches: the row indices ``0 .. N-1`` in a fresh random order
    (``rng.permutation(N)``), cut into arrays of ``batch_size`` (the last may be smaller).

    Every row appears exactly once per epoch, and each epoch has its own order.
    """
    N = check_positive_int(N, "N", "shuffled_batches")
    batch_size = check_positive_int(batch_size, "batch_size", "shuffled_batches")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(_("{who}: rng must be a numpy.random.Generator, got {kind}").format(
            who="shuffled_batches", kind=type(rng).__name__))
    order = rng.permutation(N)
    return [order[start:start + batch_size] for start in range(0, N, batch_size)]


def train_val_split(X: Any, y: Any, val_fraction: float, rng: np.random.Generator
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_train, y_train, X_val, y_val)``: the rows shuffled once, the first
    ``round(val_fraction * N)`` held out for validation, the rest for training.

    Shuffling matters: data sets are often stored sorted (``make_spirals`` puts the
    classes one after the other), and the last rows alone would be a single class.
    """
    who = "train_val_split"
    X = as_float_array(X, "X", who)
    y = np.asarray(y)
    if y.ndim == 0 or y.shape[0] != X.shape[0]:
        raise ValueError(_("{who}: X has {rows} rows but y has shape {shape}; they need one target per row").format(
            who=who, rows=X.shape[0], shape=y.shape))
    if not 0 < float(val_fraction) < 1:
        raise ValueError(_("{who}: val_fraction must be between 0 and 1, got {fraction}").format(
            who=who, fraction=repr(val_fraction)))
    if not isinstance(rng, np.random.Generator):
        raise TypeError(_("{who}: rng must be a numpy.random.Generator, got {kind}").format(
            who=who, kind=type(rng).__name__))
    N = X.shape[0]
    n_val = int(round(float(val_fraction) * N))
    if not 0 < n_val < N:
        raise ValueError(_("{who}: val_fraction={fraction} of {N} rows leaves {n_val} for validation "
                           "and {n_train} for training; both need at least one").format(
                               who=who, fraction=val_fraction, N=N, n_val=n_val, n_train=N - n_val))
    order = rng.permutation(N)
    val, train = order[:n_val], order[n_val:]
    return X[train], y[train], X[val], y[val]


@dataclass
class FitHistory:
    """What :func:`fit` measured, one entry per epoch."""

    train_loss: list[float] = field(default_factory=list)   #: mean of the epoch's batch losses
    val_accuracy: list[float] = field(default_factory=list)  #: accuracy on the held-out rows


def fit(net: ArrayModule, loss_fn: Loss, optimizer: Any, X_train: Any, y_train: Any, X_val: Any, y_val: Any,
        epochs: int, batch_size: int, rng: np.random.Generator) -> FitHistory:
    """Train for ``epochs`` passes over ``(X_train, y_train)`` in shuffled mini-batches
    (:func:`shuffled_batches`, one permutation per epoch drawn from ``rng``), one
    :class:`Trainer` step per batch; after each epoch record the mean of its batch losses
    and the accuracy on ``(X_val, y_val)``, data the updates never saw.
    """
    epochs = check_positive_int(epochs, "epochs", "fit", minimum=0)
    trainer = Trainer(net, loss_fn, optimizer, X_train, y_train, batch_size=batch_size, rng=rng)
    history = FitHistory()
    for _epoch in range(epochs):
        losses = trainer.run(trainer.steps_per_epoch)
        history.train_loss.append(float(np.mean(losses)))
        history.val_accuracy.append(accuracy(net, X_val, y_val))
    return history
