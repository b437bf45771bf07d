r"""Checkers for notebook 04, a neuron and a tiny MLP.

* Exercise 4.1 ``neuron_grads(w, b, x, y)``: :math:`\partial L/\partial w_i` and
  :math:`\partial L/\partial b` for :math:`h = \tanh(\sum_i w_i x_i + b)`, :math:`L = (h - y)^2`.
* Exercise 4.2 ``hinge_loss(scores, ys)``: :math:`\frac1N \sum_n \max(0,\ 1 - y_n s_n)`
  built from :class:`~backprop_lib.scalar.Value` scores, labels :math:`y_n = \pm 1`.
* Exercise 4.3 ``train_step(model, loss_fn, lr)``: one step of gradient descent
  (forward, zero the gradients, backward, update), returning the loss as a float.
"""
from __future__ import annotations

import numpy as np

from ..scalar import MLP, Value
from .framework import exercise

__all__ = ["check_neuron_grads", "check_hinge_loss", "check_train_step"]


@exercise("Exercise 4.1", "neuron_grads")
def check_neuron_grads(c):
    r"""``neuron_grads(w, b, x, y)`` returns ``(dw, db)``: ``dw`` one number per weight."""
    public = [([0.5, -1.0], 0.1, [1.0, 2.0], 1.0), ([0.8, 0.2, -0.4], -0.3, [0.5, -1.5, 2.0], 0.0),
              ([1.5], 0.0, [0.7], -1.0)]
    hidden = []
    for n in (2, 4, 5, 3):
        w = [float(v) for v in c.rng.normal(scale=0.8, size=n)]
        x = [float(v) for v in c.rng.normal(size=n)]
        hidden.append((w, float(c.rng.normal(scale=0.5)), x, float(c.rng.choice([-1.0, 0.0, 1.0]))))
    for w, b, x, y in c.cases(public, hidden):
        wa, xa = np.array(w), np.array(x)
        z = float(wa @ xa + b)
        h = float(np.tanh(z))
        dz = 2 * (h - y) * (1 - h * h)  # dL/dz
        with c.case(f"w = {w}, b = {b:g}, x = {x}, y = {y:g}"):
            dw, db = c.call(list(w), b, list(x), y, returns=("dw", "db"))
            c.compare("dw", dw, dz * xa, mistakes={
                "the tanh factor is missing: dh/dz = 1 − h² sits between dL/dh and dz/dw":
                    2 * (h - y) * xa,
                "1 − z² is used: tanh's local derivative is 1 − h², with h = tanh(z) the output":
                    2 * (h - y) * (1 - z * z) * xa,
                "dz/dw_i = w_i? For z = Σ w_i x_i + b the slope with respect to w_i is x_i":
                    dz * wa,
                "the 2 from the square is missing: dL/dh = 2(h − y)": (h - y) * (1 - h * h) * xa,
            })
            c.compare("db", db, dz, mistakes={
                "the tanh factor is missing: db = 2(h − y)(1 − h²)": 2 * (h - y),
                "db should not depend on x: dz/db = 1, so db = dL/dz = 2(h − y)(1 − h²)": float(np.sum(dz * xa)),
                "the 2 from the square is missing: dL/dh = 2(h − y)": (h - y) * (1 - h * h),
            })


@exercise("Exercise 4.2", "hinge_loss")
def check_hinge_loss(c):
    r"""``hinge_loss(scores, ys)`` returns a Value: the mean of :math:`\max(0, 1 - y_n s_n)`."""
    public = [([0.5, -2.0, 1.5, -0.2], [1, -1, -1, -1]), ([2.0, 0.3, -0.7], [1, 1, 1])]
    hidden = []
    for n in (5, 8, 3):
        s = [float(v) for v in np.round(c.rng.normal(scale=1.5, size=n), 3)]
        hidden.append((s, [int(v) for v in c.rng.choice([-1, 1], size=n)]))
    for s, ys in c.cases(public, hidden):
        N = len(s)
        sa, ya = np.array(s), np.array(ys, dtype=float)
        margins = 1 - ya * sa
        active = margins > 0
        with c.case(f"scores = {s}, ys = {ys}"):
            scores = [Value(v, label=f"s{i}") for i, v in enumerate(s)]
            loss = c.call(scores, list(ys), copy_args=False)
            if loss is None:
                c.fail("`hinge_loss` returned None: did you forget `return`?")
            c.check(isinstance(loss, Value),
                    f"`hinge_loss` should return a Value built from the scores (so that backward() can "
                    f"reach them), got {type(loss).__name__}: do not convert to float, and start sums from "
                    "the Values.")
            c.compare("hinge_loss(scores, ys).data", loss.data, float(np.mean(np.maximum(0, margins))),
                      batch_size=N, mistakes={
                          "negative terms are included: each term is max(0, 1 − y·s); use .relu()":
                              float(np.mean(margins)),
                          "the sign inside is flipped: the term is max(0, 1 − y·s), not max(0, 1 + y·s)":
                              float(np.mean(np.maximum(0, 1 + ya * sa))),
                          "the sum is not divided by N: the loss is the mean over the examples":
                              float(np.sum(np.maximum(0, margins))),
                      })
            c.run(loss.backward, name="loss.backward")
            expected = np.where(active, -ya, 0.0) / N
            c.compare("the gradients of the scores", [v.grad for v in scores], expected, batch_size=N, mistakes={
                "examples with a margin y·s > 1 also get a gradient: use .relu(), which passes no "
                "gradient where its input is negative": -ya / N,
            })


# ----------------------------------------------------------------------- train_step

_X = [[0.5, -1.0], [1.0, 0.3], [-0.7, 0.8], [0.1, 0.1], [-1.2, -0.4], [0.9, -0.6]]
_Y = [1.0, -1.0, 0.5, 0.0, -0.5, 1.0]


def _mse(model: MLP, X=_X, Y=_Y) -> Value:
    preds = [model(x) for x in X]
    return sum(((p - y) ** 2 for p, y in zip(preds, Y)), Value(0.0)) * (1.0 / len(X))


def _reference_run(seed: int, lr: float, steps: int, *, sign: float = 1.0, zero: str = "before",
                   use_lr: bool = True) -> tuple[list[float], list[list[float]]]:
    """Losses and parameters after each of ``steps`` steps, with or without a typical mistake."""
    model = MLP(2, [4, 1], activation="tanh", seed=seed)
    losses, params = [], []
    for _ in range(steps):
        loss = _mse(model)
        if zero == "before":
            model.zero_grad()
        loss.backward()
        if zero == "between":
            model.zero_grad()
        for p in model.parameters():
            p.data -= sign * (lr if use_lr else 1.0) * p.grad
        losses.append(loss.data)
        params.append([p.data for p in model.parameters()])
    return losses, params


@exercise("Exercise 4.3", "train_step")
def check_train_step(c):
    """``train_step(model, loss_fn, lr)``: zero the gradients, backward, update ``p.data -= lr * p.grad``,
    return the loss as a float; called three times in a row on the same model."""
    for seed, lr in c.cases([(0, 0.1), (1, 0.05)], hidden=[(2, 0.2), (3, 0.01), (4, 0.5)]):
        steps = 3
        model = MLP(2, [4, 1], activation="tanh", seed=seed)
        ref_losses, ref_params = _reference_run(seed, lr, steps)
        with c.case(f"an MLP(2, [4, 1]) with seed {seed}, lr = {lr:g}"):
            for k in range(steps):
                loss = c.call(model, _mse, lr, copy_args=False)
                c.compare(f"the loss returned by step {k + 1}", loss, ref_losses[k], rtol=1e-9, mistakes={
                    "this is the loss *after* the update: return the loss computed before it": (
                        _mse_after(model)),
                })
                got = [p.data for p in model.parameters()]
                before = ref_params[k - 1] if k else [p.data for p in MLP(2, [4, 1], activation="tanh",
                                                                            seed=seed).parameters()]
                c.compare(f"the parameters after step {k + 1}", got, ref_params[k], rtol=1e-9, mistakes={
                    "the parameters moved uphill: the update is p.data -= lr * p.grad (minus: against "
                    "the gradient)": _reference_run(seed, lr, k + 1, sign=-1.0)[1][k],
                    "the gradients of the previous steps were not cleared, so they add up: call "
                    "model.zero_grad() before loss.backward()": _reference_run(seed, lr, k + 1, zero="never")[1][k],
                    "the parameters did not change: zero_grad() between backward() and the update wipes the "
                    "gradients before they are used (and the update must change p.data)": before,
                    "the learning rate is not used: the update is p.data -= lr * p.grad":
                        _reference_run(seed, lr, k + 1, use_lr=False)[1][k],
                })


def _mse_after(model: MLP) -> float:
    return _mse(model).data
