r"""Checkers for notebook 06, "Activations and losses".

* Exercise 6.1 ``sigmoid_backward(H, dout)``: :math:`\bar Z = \bar H \odot H(1 - H)`,
  computed from the layer's *output* :math:`H = \sigma(Z)`.
* Exercise 6.2 ``logsumexp(Z)``: :math:`\log \sum_k e^{Z_{nk}}` for every row, without
  overflow or underflow.
* Exercise 6.3 ``softmax_cross_entropy_backward(logits, y)``:
  :math:`(\operatorname{softmax}(Z) - \operatorname{onehot}(y)) / N`.
"""
from __future__ import annotations

import numpy as np

from ..layers import sigmoid
from ..losses import logsumexp, softmax
from .framework import exercise

__all__ = ["check_sigmoid_backward", "check_logsumexp", "check_softmax_cross_entropy_backward"]


def _quiet_call(c, *args, **kwargs):
    """Call the student's code with numpy's floating-point warnings silenced (an
    overflowing exp must show up as a diagnosis, not as a warning on stderr)."""
    with np.errstate(all="ignore"):
        return c.call(*args, **kwargs)


# ------------------------------------------------------------------ Exercise 6.1


@exercise("Exercise 6.1", "sigmoid_backward")
def check_sigmoid_backward(c):
    """``sigmoid_backward(H, dout)`` must return ``dout * H * (1 - H)``."""
    for shape in c.cases([(4,), (3, 5)], hidden=[(7,), (6, 4), (2, 3, 4)]):
        Z = c.rng.normal(scale=2.0, size=shape)
        H = sigmoid(Z)
        dout = c.rng.normal(size=shape)
        expected = dout * H * (1 - H)     # Sigmoid's rule, written out beside its wrong variants
        with c.case(f"H = sigmoid(Z) of shape {shape}"):
            got = _quiet_call(c, H, dout)
            c.compare("dZ", got, expected, mistakes={
                "you applied the sigmoid to H again: H is already sigmoid(Z), so the local "
                "derivative is H * (1 - H), with no further sigmoid":
                    dout * sigmoid(H) * (1 - sigmoid(H)),
                "the upstream gradient is missing: multiply the local derivative H * (1 - H) by dout":
                    H * (1 - H),
                "this is the tanh rule (1 - H**2); for the sigmoid the local derivative is H * (1 - H)":
                    dout * (1 - H ** 2),
                "this is dout * H: the factor (1 - H) is missing": dout * H,
                "this is dout * (1 - H): the factor H is missing": dout * (1 - H),
                "you added the upstream gradient instead of multiplying by it: "
                "chain rule = local derivative * upstream": H * (1 - H) + dout,
            })


# ------------------------------------------------------------------ Exercise 6.2


@exercise("Exercise 6.2", "logsumexp")
def check_logsumexp(c):
    """``logsumexp(Z)`` of shape ``(N, C)`` must return the ``(N,)`` row-wise log-sum-exp, stably."""
    cases = c.cases(
        [("small numbers", (3, 4), 0.0, 1.0), ("large logits (around +1000)", (2, 3), 1000.0, 5.0),
         ("very negative logits (around -1000)", (2, 3), -1000.0, 5.0)],
        hidden=[("small numbers", (5, 2), 0.0, 2.0), ("huge logits (around +1e5)", (4, 3), 1e5, 10.0),
                ("very negative logits (around -5000)", (3, 6), -5000.0, 3.0),
                ("one example", (1, 7), 0.0, 3.0), ("mixed scales", (4, 5), 0.0, 300.0)])
    for story, shape, offset, scale in cases:
        Z = offset + c.rng.normal(scale=scale, size=shape)
        expected = logsumexp(Z, axis=1)
        with c.case(f"Z of shape {shape}, {story}"):
            got = _quiet_call(c, Z)
            if isinstance(got, np.ndarray) and got.shape == (shape[1],) and shape[0] != shape[1]:
                c.fail(f"the result has shape ({shape[1]},), one number per class: you summed over axis=0. "
                       f"Each row is one example: sum over axis=1 to get shape ({shape[0]},).")
            if isinstance(got, np.ndarray) and got.shape == expected.shape and not np.isfinite(got).all():
                big = "overflows to inf" if offset > 0 else "underflows to 0 (and log(0) = -inf)"
                c.fail(f"the result contains {'inf' if np.isinf(got).any() else 'NaN'}: exp(Z) {big} for "
                       "logits this size. Subtract each row's maximum m first, and add it back: "
                       "logsumexp(z) = m + log(sum(exp(z - m))).")
            m = Z.max(axis=1)
            c.compare("logsumexp(Z)", got, expected, mistakes={
                "you subtracted the row maximum m but did not add it back: "
                "logsumexp(z) = m + log(sum(exp(z - m)))": expected - m,
                "this is the maximum alone: the log(sum(exp(z - m))) term is missing": m,
                "this is log(mean(exp(z))), not log(sum(exp(z))): it is off by log(C)":
                    expected - np.log(shape[1]),
            })


# ------------------------------------------------------------------ Exercise 6.3


@exercise("Exercise 6.3", "softmax_cross_entropy_backward")
def check_softmax_cross_entropy_backward(c):
    """``softmax_cross_entropy_backward(logits, y)`` must return ``(softmax(logits) - onehot(y)) / N``."""
    cases = c.cases(
        [("small logits", 4, 3, 0.0, 1.0), ("one example", 1, 4, 0.0, 2.0),
         ("large logits (around +1000)", 3, 5, 1000.0, 3.0)],
        hidden=[("small logits", 8, 4, 0.0, 1.5), ("many classes", 5, 10, 0.0, 2.0),
                ("large logits (around +5000)", 6, 3, 5000.0, 10.0), ("confident logits", 7, 3, 0.0, 30.0)])
    for story, N, C, offset, scale in cases:
        logits = offset + c.rng.normal(scale=scale, size=(N, C))
        y = c.rng.integers(0, C, size=N)
        y[0] = C - 1  # at least one label that is not 0
        P = softmax(logits, axis=1)
        onehot = np.eye(C)[y]
        expected = (P - onehot) / N       # SoftmaxCrossEntropy.backward, written out beside its wrong variants
        with c.case(f"logits of shape {(N, C)} ({story}), y = {y.tolist()}"):
            got = _quiet_call(c, logits, y)
            if isinstance(got, np.ndarray) and got.shape == (N, C) and not np.isfinite(got).all():
                c.fail("the result contains NaN or inf: exp(logits) overflows for logits this large. "
                       "Subtract each row's maximum before exp (softmax does not change when you shift a row).")
            mistakes = {
                "the one-hot subtraction is missing: this is softmax(logits) / N. The gradient is "
                "(softmax - onehot(y)) / N: the true class gets p - 1": P / N,
                "this is (onehot(y) - softmax) / N: the sign is flipped. The gradient of the loss "
                "pushes the true class's logit up, so its entry is p - 1 < 0": (onehot - P) / N,
                "the softmax part is missing: this is -onehot(y) / N, the gradient of -z_y alone; "
                "the logsumexp term contributes softmax(logits) / N": -onehot / N,
                "you subtracted 1 from the wrong column: use onehot(y), i.e. column y[n] of row n "
                "(e.g. P[np.arange(N), y] -= 1)": (P - np.eye(C)[np.argmax(logits, axis=1)]) / N,
            }
            if N > 1:
                mistakes["the 1/N is missing: the loss is the mean over the N examples, so every "
                         f"row of the gradient is divided by N = {N}"] = P - onehot
            c.compare("dlogits", got, expected, batch_size=N, mistakes=mistakes)
