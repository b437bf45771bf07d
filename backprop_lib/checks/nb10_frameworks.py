r"""Checkers for notebook 10, "From scratch to PyTorch".

Neither exercise needs PyTorch: the student writes the backward pass in numpy, and the
notebook plugs it into a ``torch.autograd.Function`` when PyTorch is installed.

* Exercise 10.1 ``silu_backward(Z, dout)``: the SiLU (swish) activation
  :math:`H = Z\,\sigma(Z)` has :math:`\bar Z = \bar H \odot \sigma(Z)\,(1 + Z\,(1 - \sigma(Z)))`
  (product rule, with :math:`\sigma' = \sigma(1 - \sigma)`).
* Exercise 10.2 ``torch_linear_backward(X, W_t, dout)``: PyTorch's ``nn.Linear`` stores
  its weight as ``(n_out, n_in)`` and computes :math:`Z = X W_t^\top + b`. Its gradients:
  :math:`\bar X = \bar Z W_t`, :math:`\bar W_t = \bar Z^\top X`, :math:`\bar b = \sum_n \bar Z_n`.
"""
from __future__ import annotations

import numpy as np

from ..layers import sigmoid
from .framework import exercise

__all__ = ["check_silu_backward", "check_torch_linear_backward"]


# ------------------------------------------------------------------ Exercise 10.1


@exercise("Exercise 10.1", "silu_backward")
def check_silu_backward(c):
    """``silu_backward(Z, dout)`` must return :math:`\\bar H \\odot \\sigma(Z)(1 + Z(1 - \\sigma(Z)))`."""
    for shape in c.cases([(3, 4), (2, 5)], hidden=[(8, 3), (1, 7), (16, 16)]):
        Z = c.rng.normal(scale=2.0, size=shape)
        Z.flat[0] = 0.0                                  # the point where SiLU's slope is 1/2
        if c.hidden:
            Z.flat[-1] = 30.0                            # far out, where the slope is 1
        dout = c.rng.normal(size=shape)
        s = sigmoid(Z)
        local = s * (1.0 + Z * (1.0 - s))
        with c.case(f"Z of shape {shape}"):
            got = c.call(Z, dout)
            c.compare("dZ", got, dout * local, mistakes={
                "you treated sigma(Z) as a constant: SiLU is the product Z * sigma(Z), so the "
                "product rule gives sigma(Z) + Z * sigma'(Z)": dout * s,
                "the product rule has two terms: you kept Z * sigma'(Z) but dropped sigma(Z) "
                "(the derivative of the factor Z is 1)": dout * Z * s * (1.0 - s),
                "that is the sigmoid's derivative sigma'(Z) = sigma(Z) (1 - sigma(Z)); "
                "SiLU(Z) = Z * sigma(Z) needs the product rule": dout * s * (1.0 - s),
                "this is the local derivative dH/dZ only: multiply it by the upstream gradient "
                "dout (chain rule)": local,
                "sigma'(Z) is sigma(Z) (1 - sigma(Z)), not Z (1 - Z): compute sigma(Z) first":
                    dout * s * (1.0 + Z * (1.0 - Z)),
            })


# ------------------------------------------------------------------ Exercise 10.2


@exercise("Exercise 10.2", "torch_linear_backward")
def check_torch_linear_backward(c):
    """``torch_linear_backward(X, W_t, dout)`` must return ``(dX, dW_t, db)`` for
    :math:`Z = X W_t^\\top + b` with ``W_t`` of shape ``(n_out, n_in)``."""
    for N, n_in, n_out in c.cases([(4, 3, 2), (5, 2, 6)], hidden=[(1, 4, 4), (8, 7, 5), (32, 10, 3)]):
        X = c.rng.normal(size=(N, n_in))
        W_t = c.rng.normal(size=(n_out, n_in))
        dout = c.rng.normal(size=(N, n_out))
        with c.case(f"X of shape {X.shape}, W_t of shape {W_t.shape} (n_out, n_in)"):
            dX, dW_t, db = c.call(X, W_t, dout, returns=("dX", "dW_t", "db"))
            square = {"dX = dout @ W_t here: W_t is already the transpose of our W, so no .T":
                      dout @ W_t.T} if n_in == n_out else {}
            c.compare("dX", dX, dout @ W_t, mistakes=square)
            got_shape = np.shape(dW_t) if dW_t is not None else None
            if n_in != n_out and got_shape == (n_in, n_out):
                c.fail(f"`dW_t` has shape {got_shape}, our layout (n_in, n_out): PyTorch's weight has "
                       f"shape (n_out, n_in) = {(n_out, n_in)}, and its gradient has the same shape. "
                       "Transpose: dW_t = dout.T @ X.")
            c.compare("dW_t", dW_t, dout.T @ X, mistakes={
                "dW_t = dout.T @ X: you returned X.T @ dout, the gradient in our layout "
                "(n_in, n_out); transpose it for PyTorch's (n_out, n_in)": X.T @ dout,
            })
            c.compare("db", db, dout.sum(axis=0), batch_size=N)
