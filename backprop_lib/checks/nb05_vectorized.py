r"""Checkers for notebook 05, "Vectorizing backprop".

* Exercise 5.1 ``linear_dW_loops(X, dout)``: :math:`\bar W_{ij} = \sum_n X_{ni}\,\bar Z_{nj}`
  written with explicit loops (the scalar picture).
* Exercise 5.2 ``linear_backward(X, W, dout) -> (dX, dW, db)`` for :math:`Z = XW + b`.
* Exercise 5.3 ``unbroadcast(grad, shape)``: sum a gradient back to the shape of an
  array that was broadcast in the forward pass.
"""
from __future__ import annotations

import numpy as np

from ..layers import unbroadcast
from .framework import exercise

__all__ = ["check_linear_dW_loops", "check_linear_backward", "check_unbroadcast"]


def _shape_of(x):
    try:
        return np.shape(x)
    except Exception:
        return None


# ------------------------------------------------------------------ Exercise 5.1


@exercise("Exercise 5.1", "linear_dW_loops")
def check_linear_dW_loops(c):
    """``linear_dW_loops(X, dout)`` must return ``X.T @ dout`` (shape ``(n_in, n_out)``)."""
    for N, n_in, n_out in c.cases([(2, 3, 4), (4, 2, 3), (3, 3, 3)],
                                  hidden=[(5, 4, 2), (7, 3, 6), (4, 4, 4), (1, 5, 3)]):
        X = c.rng.normal(size=(N, n_in))
        dout = c.rng.normal(size=(N, n_out))
        expected = X.T @ dout
        with c.case(f"X of shape {X.shape}, dout of shape {dout.shape}"):
            dW = c.call(X, dout)
            if _shape_of(dW) == (n_out, n_in) and n_in != n_out:
                c.fail(f"`dW` has shape {(n_out, n_in)}, the transpose of W's shape {(n_in, n_out)}: "
                       "dW[i, j] belongs to W[i, j], which connects input i to output j.")
            c.compare("dW", dW, expected, mistakes={
                "only the last example is counted: did you write `=` instead of `+=` inside the "
                "loop over examples? Every example uses W[i, j], so their contributions add up":
                    np.outer(X[-1], dout[-1]),
                "only the first example is counted: the sum must run over all N examples":
                    np.outer(X[0], dout[0]),
                "this is the average over the examples, not the sum: do not divide by N here "
                "(dout already carries any 1/N of the loss)": expected / N,
                "the indices are swapped: dW[i, j] = sum over n of X[n, i] * dout[n, j]":
                    expected.T,
            })


# ------------------------------------------------------------------ Exercise 5.2


@exercise("Exercise 5.2", "linear_backward")
def check_linear_backward(c):
    """``linear_backward(X, W, dout)`` must return ``(dout @ W.T, X.T @ dout, dout.sum(0))``."""
    for N, n_in, n_out in c.cases([(2, 3, 4), (5, 2, 3), (3, 3, 3)],
                                  hidden=[(7, 4, 6), (6, 5, 5), (1, 3, 2), (32, 10, 4)]):
        X = c.rng.normal(size=(N, n_in))
        W = c.rng.normal(size=(n_in, n_out))
        dout = c.rng.normal(size=(N, n_out))
        # Linear.backward_unchecked's three products, written out: the wrong variants below use the same pieces
        dX_ref, dW_ref, db_ref = dout @ W.T, X.T @ dout, dout.sum(axis=0)
        with c.case(f"X of shape {X.shape}, W of shape {W.shape}, dout of shape {dout.shape}"):
            dX, dW, db = c.call(X, W, dout, returns=("dX", "dW", "db"))

            if N != n_out and _shape_of(db) == (N,):
                c.fail(f"`db` has shape ({N},), one number per example: you summed over axis=1. "
                       f"The bias has shape ({n_out},): sum dout over the batch, axis=0.")
            c.compare("db", db, db_ref, mistakes={
                "this is the mean over the batch, not the sum: b is used once per example and "
                "gradients add at forks, so db = dout.sum(axis=0)": dout.mean(axis=0),
            })

            no_mean = ("you divided by N: do not average here. dout already carries the 1/N of the "
                       "loss; the layer only applies the chain rule")
            dW_mistakes = {no_mean: dW_ref / N} if N > 1 else {}
            if n_in == n_out:
                dW_mistakes["dW = dout.T @ X is the transpose of the answer: dW must have W's shape "
                            "(n_in, n_out), so X.T (n_in, N) comes first: dW = X.T @ dout"] = dout.T @ X
            c.compare("dW", dW, dW_ref, mistakes=dW_mistakes)

            dX_mistakes = {no_mean: dX_ref / N} if N > 1 else {}
            if n_in == n_out:
                dX_mistakes["dX = dout @ W uses W without transposing it: dX[n, i] = sum over j of "
                            "dout[n, j] * W[i, j], which is dout @ W.T"] = dout @ W
            c.compare("dX", dX, dX_ref, mistakes=dX_mistakes)


# ------------------------------------------------------------------ Exercise 5.3


_UNBROADCAST_PUBLIC = [
    ((4, 3), (3,), "a bias b of shape (3,) added to Z of shape (4, 3)"),
    ((4, 3), (1, 3), "a row of shape (1, 3) added to every row"),
    ((4, 3), (4, 1), "a column of shape (4, 1) added to every column"),
    ((4, 3), (4, 3), "no broadcasting at all"),
    ((2, 4, 3), (3,), "a (3,) vector broadcast over two leading axes"),
]
_UNBROADCAST_HIDDEN = [
    ((6, 5), (5,), "a (5,) bias"),
    ((6, 5), (6, 1), "a (6, 1) column"),
    ((3, 6, 5), (6, 1), "a (6, 1) column broadcast to (3, 6, 5)"),
    ((3, 6, 5), (1, 5), "a (1, 5) row broadcast to (3, 6, 5)"),
    ((2, 3), (), "a single number added to a (2, 3) array"),
    ((5, 1), (1,), "a (1,) array broadcast to (5, 1)"),
]


@exercise("Exercise 5.3", "unbroadcast")
def check_unbroadcast(c):
    """``unbroadcast(grad, shape)`` sums ``grad`` back to ``shape`` (see numpy's broadcasting rules)."""
    for grad_shape, shape, story in c.cases(_UNBROADCAST_PUBLIC, hidden=_UNBROADCAST_HIDDEN):
        grad = c.rng.normal(size=grad_shape)
        expected = unbroadcast(grad, shape)
        with c.case(f"grad of shape {grad_shape} and shape={shape} ({story})"):
            got = c.call(grad, shape)
            n_copies = grad.size // max(int(np.prod(shape, dtype=int)), 1)
            mistakes = {}
            if n_copies > 1:
                mistakes[f"you averaged instead of summing: every entry was used {n_copies} times "
                         "in the forward pass, and the gradients of all uses add up"] = expected / n_copies
            got_shape = _shape_of(got) if isinstance(got, (np.ndarray, np.generic, float, int)) else None
            want = tuple(shape)
            if got_shape is not None and got_shape != want:
                if got_shape == grad_shape:
                    c.fail(f"the result still has the shape of grad, {grad_shape}: nothing was summed. "
                           f"It must have shape {want}, the shape of the array that was broadcast.")
                if int(np.prod(got_shape, dtype=int)) == int(np.prod(want, dtype=int)) and \
                        tuple(s for s in got_shape if s != 1) == tuple(s for s in want if s != 1):
                    c.fail(f"expected shape {want}, got {got_shape}: the right numbers, but an axis of "
                           "length 1 was dropped or added. Where `shape` has a 1, sum with keepdims=True.")
                c.fail(f"expected shape {want}, got {got_shape}: did you sum over the wrong axes? Sum over "
                       "the leading axes that broadcasting added, then (keepdims=True) over the axes "
                       "where `shape` has a 1.")
            c.compare("unbroadcast(grad, shape)", got, expected, mistakes=mistakes)
