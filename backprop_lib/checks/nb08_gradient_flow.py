r"""Checkers for notebook 08, "Gradient flow".

* Exercise 8.1 ``he_std(fan_in)``: the He standard deviation :math:`\sqrt{2/n_\text{in}}`,
  the weight scale that keeps the spread of activations level through a deep ReLU stack.
* Exercise 8.2 ``sigmoid_chain_grad(x, w)``: for the chain :math:`h_0 = x`,
  :math:`z_k = w_k h_{k-1}`, :math:`h_k = \sigma(z_k)` (:math:`k = 1..n`), the derivative
  :math:`dh_n/dx = \prod_k w_k\,\sigma'(z_k)` with :math:`\sigma' = \sigma(1-\sigma) \le 1/4`.
* Exercise 8.3 ``residual_backward(X, W, b, dout)``: the gradients of the residual block
  :math:`H = X + \operatorname{relu}(XW + b)`: ``(dX, dW, db)`` with
  :math:`\bar X = \bar H + \bar Z W^\top` (skip path plus block path).
"""
from __future__ import annotations

import math

import numpy as np

from ..init import he_std
from ..layers import sigmoid
from .framework import exercise

__all__ = ["check_he_std", "check_sigmoid_chain_grad", "check_residual_backward"]


# ------------------------------------------------------------------ Exercise 8.1


def _stack_spread(std: float, width: int = 64, depth: int = 30, seed: int = 8) -> float:
    """Std of the activations after ``depth`` Linear+ReLU layers with weights of scale ``std``,
    divided by the std after the first layer (1 means: the spread is kept)."""
    rng = np.random.default_rng(seed)
    H = rng.standard_normal((32, width))
    first = None
    for _ in range(depth):
        H = np.maximum(H @ (std * rng.standard_normal((width, width))), 0.0)
        if first is None:
            first = float(H.std())
    return float(H.std()) / first


@exercise("Exercise 8.1", "he_std")
def check_he_std(c):
    """``he_std(fan_in)`` must return :math:`\\sqrt{2 / n_\\text{in}}`."""
    for fan_in in c.cases([100, 512, 3], hidden=[64, 1000, 7, 4096, 1]):
        with c.case(f"fan_in = {fan_in}"):
            got = c.call(fan_in)
            c.compare("he_std(fan_in)", got, he_std(fan_in), mistakes={
                "this is the variance 2 / fan_in; the standard deviation is its square root, "
                "sqrt(2 / fan_in)": 2.0 / fan_in,
                "sqrt(1 / fan_in) keeps the spread of a layer without activation, but a ReLU zeroes "
                "about half of its inputs: He doubles the variance to make up for it "
                "(the 2 in sqrt(2 / fan_in))": math.sqrt(1.0 / fan_in),
                "fan_in is upside down: the more inputs a unit adds up, the smaller each weight "
                "must be, so fan_in goes in the denominator: sqrt(2 / fan_in)": math.sqrt(2.0 * fan_in),
                "the square root must cover the whole fraction: sqrt(2 / fan_in), "
                "not sqrt(2) / fan_in": math.sqrt(2.0) / fan_in,
                "the square root must cover the whole fraction: sqrt(2 / fan_in), "
                "not 2 / sqrt(fan_in)": 2.0 / math.sqrt(fan_in),
            })
    # what the number is for: a deep ReLU stack built with it keeps its spread
    with c.case("a 30-layer ReLU stack of width 64 built with your standard deviation"):
        spread = _stack_spread(float(np.asarray(c.call(64), dtype=float)))
        c.check(0.05 < spread < 20.0,
                f"after 30 layers the activations' spread changed by a factor of {spread:.3g}: "
                "the initialization should keep it near 1 (He keeps it within a factor of 20)")


# ------------------------------------------------------------------ Exercise 8.2


def _chain(x: float, w: np.ndarray):
    """Forward through the chain: the pre-activations z_k and outputs h_k."""
    zs, hs = [], []
    h = float(x)
    for wk in w:
        z = float(wk) * h
        h = float(sigmoid(z))
        zs.append(z)
        hs.append(h)
    return np.array(zs), np.array(hs)


@exercise("Exercise 8.2", "sigmoid_chain_grad")
def check_sigmoid_chain_grad(c):
    """``sigmoid_chain_grad(x, w)`` must return :math:`dh_n/dx = \\prod_k w_k \\sigma'(z_k)`."""
    public = [(0.5, [1.0, 2.0, -1.5]), (-1.0, [3.0, 0.5, 2.0, -1.0, 4.0]), (2.0, [-2.0])]
    hidden = [(float(c.rng.normal()), list(c.rng.normal(scale=2.0, size=n))) for n in (2, 6, 10, 1)]
    for x, w in c.cases(public, hidden=hidden):
        w = np.array(w, dtype=float)
        zs, hs = _chain(x, w)
        deriv = hs * (1.0 - hs)                       # sigma'(z_k) = h_k (1 - h_k)
        expected = float(np.prod(w * deriv))
        first_only_z = w * np.array([x] * len(w))     # every z computed from x
        s = sigmoid(first_only_z)
        with c.case(f"x = {x:g}, w = {np.round(w, 3).tolist()}"):
            got = c.call(x, w.copy())
            c.compare("dh_n/dx", got, expected, rtol=1e-6, atol=1e-12, mistakes={
                "you multiplied by sigma(z_k), the output, where the derivative "
                "sigma'(z_k) = sigma(z_k) * (1 - sigma(z_k)) belongs": float(np.prod(w * hs)),
                "each link also multiplies by its weight w_k (z_k = w_k * h_(k-1), so "
                "dz_k/dh_(k-1) = w_k)": float(np.prod(deriv)),
                "along a chain the local derivatives multiply (chain rule); they add only "
                "where paths fork": float(np.sum(w * deriv)),
                "only the last link counts here: the chain rule multiplies the local derivatives "
                "of every link, from x to h_n": float(w[-1] * deriv[-1]),
                "z_k = w_k * h_(k-1) uses the previous output h_(k-1), not x": float(np.prod(w * s * (1 - s))),
                "this is the bound prod |w_k| / 4^n, not the derivative itself: use "
                "sigma'(z_k) = h_k (1 - h_k) at each link": float(np.prod(np.abs(w)) / 4.0 ** len(w)),
            })


# ------------------------------------------------------------------ Exercise 8.3


def _residual_reference(X, W, b, dout):
    """Residual(Sequential(Linear, ReLU)).backward written out (a test feeds those layers
    themselves): the mistakes below need Z and dZ."""
    Z = X @ W + b
    mask = Z > 0
    dZ = dout * mask
    return dout + dZ @ W.T, X.T @ dZ, dZ.sum(axis=0), Z


@exercise("Exercise 8.3", "residual_backward")
def check_residual_backward(c):
    """``residual_backward(X, W, b, dout)`` for :math:`H = X + \\operatorname{relu}(XW + b)`
    must return ``(dX, dW, db)``."""
    for N, d in c.cases([(4, 3), (6, 5)], hidden=[(8, 6), (1, 4), (16, 16)]):
        X = c.rng.normal(size=(N, d))
        W = c.rng.normal(size=(d, d)) / math.sqrt(d)
        b = c.rng.normal(scale=0.5, size=d)
        dout = c.rng.normal(size=(N, d))
        dX_ref, dW_ref, db_ref, Z = _residual_reference(X, W, b, dout)
        mask = Z > 0
        dZ = dout * mask
        with c.case(f"X of shape {X.shape}, W of shape {W.shape}"):
            dX, dW, db = c.call(X, W, b, dout, returns=("dX", "dW", "db"))
            c.compare("dX", dX, dX_ref, mistakes={
                "you dropped the skip path: X also reaches H directly (H = X + F(X)), "
                "so dout itself is added to dX": dZ @ W.T,
                "you dropped the path through the block: dX = dout + dZ @ W.T, "
                "where dZ = dout * (Z > 0)": dout,
                "the ReLU's derivative is missing on the block path: multiply dout by (Z > 0) "
                "before going back through W": dout + dout @ W.T,
                "the skip path gives dout, not dout * (Z > 0): the ReLU is only on the block "
                "path": dZ + dZ @ W.T,
                "dZ @ W (without .T) maps the gradient the wrong way: dX = dout + dZ @ W.T": dout + dZ @ W,
            })
            c.compare("dW", dW, dW_ref, batch_size=N, mistakes={
                "the ReLU's derivative is missing: dW = X.T @ dZ with dZ = dout * (Z > 0)": X.T @ dout,
                "dW = X.T @ dZ uses the block's input X, not its output H": (X + np.maximum(Z, 0)).T @ dZ,
            })
            c.compare("db", db, db_ref, batch_size=N, mistakes={
                "the ReLU's derivative is missing: db sums dZ = dout * (Z > 0) over the batch": dout.sum(axis=0),
            })
