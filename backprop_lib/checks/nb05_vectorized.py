r"""Checkers for notebook 05, "Vectorizing backprop".

* Exercise 5.1 ``linear_backward_loops(X, W, dout) -> (dX, dW, db)`` for :math:`Z = XW + b`,
  with explicit loops: the student derives :math:`\bar X_{ni}` and :math:`\bar b_j` entry by
  entry (the notebook derives only :math:`\bar W_{ij}`).
* Exercise 5.2 ``linear_backward(X, W, dout) -> (dX, dW, db)``: the same three gradients as
  matrix products.
* Exercise 5.3 ``unbroadcast(grad, shape)``: sum a gradient back to the shape of an
  array that was broadcast in the forward pass.
* Exercise 5.4 ``distances_backward(X, C, dD) -> (dX, dC)`` for the squared distances
  :math:`D_{nm} = \lVert X_{n,:} - C_{m,:} \rVert^2` between examples and centres (a derivation
  the notebook does not write out).
* Exercise 5.5 ``two_layer_backward(X, Y, W1, b1, W2, b2) -> (loss, dW1, db1, dW2, db2)``: a
  Linear-tanh-Linear network with a mean squared error, forward and backward by hand.
"""
from __future__ import annotations

import numpy as np

from ..i18n import N_, _, ngettext
from ..layers import unbroadcast
from .framework import exercise

__all__ = ["check_linear_backward_loops", "check_linear_backward", "check_unbroadcast",
           "check_distances_backward", "check_two_layer_backward"]


def _shape_of(x):
    try:
        return np.shape(x)
    except Exception:
        return None


def _dW_mistakes(X, dout):
    """Known wrong weight gradients (dW = X.T @ dout is right)."""
    N = X.shape[0]
    expected = X.T @ dout
    mistakes = {
        _("only the last example is counted: did you write `=` instead of `+=` inside the "
          "loop over examples? Every example uses W[i, j], so their contributions add up"):
            np.outer(X[-1], dout[-1]),
        _("only the first example is counted: the sum must run over all N examples"):
            np.outer(X[0], dout[0]),
        _("the indices are swapped: dW[i, j] = sum over n of X[n, i] * dout[n, j]"): expected.T,
    }
    if N > 1:
        mistakes[_("this is the average over the examples, not the sum: do not divide by N here "
                   "(dout already carries any 1/N of the loss)")] = expected / N
    return mistakes


# ------------------------------------------------------------------ Exercise 5.1


@exercise(N_("Exercise 5.1"), "linear_backward_loops")
def check_linear_backward_loops(c):
    """``linear_backward_loops(X, W, dout)`` must return ``(dout @ W.T, X.T @ dout, dout.sum(0))``."""
    for N, n_in, n_out in c.cases([(2, 3, 4), (4, 2, 3), (3, 3, 3)],
                                  hidden=[(5, 4, 2), (7, 3, 6), (4, 4, 4), (1, 5, 3)]):
        X = c.rng.normal(size=(N, n_in))
        W = c.rng.normal(size=(n_in, n_out))
        dout = c.rng.normal(size=(N, n_out))
        dX_ref, dW_ref, db_ref = dout @ W.T, X.T @ dout, dout.sum(axis=0)
        with c.case(_("X of shape {X_shape}, W of shape {W_shape}, dout of shape {dout_shape}").format(
                X_shape=X.shape, W_shape=W.shape, dout_shape=dout.shape)):
            dX, dW, db = c.call(X, W, dout, returns=("dX", "dW", "db"))

            if _shape_of(dW) == (n_out, n_in) and n_in != n_out:
                c.fail(_("`dW` has shape {got}, the transpose of W's shape {W_shape}: "
                         "dW[i, j] belongs to W[i, j], which connects input i to output j.").format(
                    got=(n_out, n_in), W_shape=(n_in, n_out)))
            c.compare("dW", dW, dW_ref, mistakes=_dW_mistakes(X, dout))

            if N != n_out and _shape_of(db) == (N,):
                c.fail(_("`db` has shape ({N},), one number per example. b[j] is added to Z[n, j] for "
                         "every example n: db[j] adds up dout[n, j] over n, giving shape ({n_out},).").format(
                    N=N, n_out=n_out))
            db_mistakes = {
                _("only the last example is counted (`=` instead of `+=`?): b[j] is used by every "
                  "example, so db[j] adds up dout[n, j] over all n"): dout[-1],
                _("this is the mean over the examples, not the sum: b[j] is used once per example "
                  "and gradients add at forks"): dout.mean(axis=0),
            }
            c.compare("db", db, db_ref, mistakes=db_mistakes)

            if _shape_of(dX) == (n_in, N) and n_in != N:
                c.fail(_("`dX` has shape {got}, the transpose of X's shape {X_shape}: "
                         "dX[n, i] belongs to X[n, i], input i of example n.").format(got=(n_in, N), X_shape=(N, n_in)))
            dX_mistakes = {
                _("only the last output j is counted (`=` instead of `+=` in the loop over j?): "
                  "X[n, i] feeds every output Z[n, 0], ..., Z[n, n_out-1] of its example, and the "
                  "contributions add up"): dout[:, -1:] * W[:, -1],
                _("every row of dX is the same sum over all examples: X[n, i] is used only by "
                  "example n's outputs Z[n, :], so dX[n, i] adds up over j only, not over n"):
                    np.tile(dX_ref.sum(axis=0), (N, 1)),
            }
            if n_in == n_out:
                dX_mistakes[_("the indices of W are swapped: X[n, i] reaches Z[n, j] through W[i, j] "
                              "(input i to output j), not W[j, i]")] = dout @ W
            if N > 1:
                dX_mistakes[_("you divided by N: do not average here. dout already carries the 1/N of "
                              "the loss; the layer only applies the chain rule")] = dX_ref / N
            c.compare("dX", dX, dX_ref, mistakes=dX_mistakes)


# ------------------------------------------------------------------ Exercise 5.2


@exercise(N_("Exercise 5.2"), "linear_backward")
def check_linear_backward(c):
    """``linear_backward(X, W, dout)`` must return ``(dout @ W.T, X.T @ dout, dout.sum(0))``."""
    for N, n_in, n_out in c.cases([(2, 3, 4), (5, 2, 3), (3, 3, 3)],
                                  hidden=[(7, 4, 6), (6, 5, 5), (1, 3, 2), (32, 10, 4)]):
        X = c.rng.normal(size=(N, n_in))
        W = c.rng.normal(size=(n_in, n_out))
        dout = c.rng.normal(size=(N, n_out))
        # Linear.backward_unchecked's three products, written out: the wrong variants below use the same pieces
        dX_ref, dW_ref, db_ref = dout @ W.T, X.T @ dout, dout.sum(axis=0)
        with c.case(_("X of shape {X_shape}, W of shape {W_shape}, dout of shape {dout_shape}").format(
                X_shape=X.shape, W_shape=W.shape, dout_shape=dout.shape)):
            dX, dW, db = c.call(X, W, dout, returns=("dX", "dW", "db"))

            if N != n_out and _shape_of(db) == (N,):
                c.fail(_("`db` has shape ({N},), one number per example: you summed over axis=1. "
                         "The bias has shape ({n_out},): sum dout over the batch, axis=0.").format(N=N, n_out=n_out))
            c.compare("db", db, db_ref, mistakes={
                _("this is the mean over the batch, not the sum: b is used once per example and "
                  "gradients add at forks, so db = dout.sum(axis=0)"): dout.mean(axis=0),
            })

            no_mean = _("you divided by N: do not average here. dout already carries the 1/N of the "
                        "loss; the layer only applies the chain rule")
            dW_mistakes = {no_mean: dW_ref / N} if N > 1 else {}
            if n_in == n_out:
                dW_mistakes[_("dW = dout.T @ X is the transpose of the answer: dW must have W's shape "
                              "(n_in, n_out), so X.T (n_in, N) comes first: dW = X.T @ dout")] = dout.T @ X
            c.compare("dW", dW, dW_ref, mistakes=dW_mistakes)

            dX_mistakes = {no_mean: dX_ref / N} if N > 1 else {}
            if n_in == n_out:
                dX_mistakes[_("dX = dout @ W uses W without transposing it: dX[n, i] = sum over j of "
                              "dout[n, j] * W[i, j], which is dout @ W.T")] = dout @ W
            c.compare("dX", dX, dX_ref, mistakes=dX_mistakes)


# ------------------------------------------------------------------ Exercise 5.3


_UNBROADCAST_PUBLIC = [
    ((4, 3), (3,), N_("a bias b of shape (3,) added to Z of shape (4, 3)")),
    ((4, 3), (1, 3), N_("a row of shape (1, 3) added to every row")),
    ((4, 3), (4, 1), N_("a column of shape (4, 1) added to every column")),
    ((4, 3), (4, 3), N_("no broadcasting at all")),
    ((2, 4, 3), (3,), N_("a (3,) vector broadcast over two leading axes")),
]
_UNBROADCAST_HIDDEN = [
    ((6, 5), (5,), N_("a (5,) bias")),
    ((6, 5), (6, 1), N_("a (6, 1) column")),
    ((3, 6, 5), (6, 1), N_("a (6, 1) column broadcast to (3, 6, 5)")),
    ((3, 6, 5), (1, 5), N_("a (1, 5) row broadcast to (3, 6, 5)")),
    ((2, 3), (), N_("a single number added to a (2, 3) array")),
    ((5, 1), (1,), N_("a (1,) array broadcast to (5, 1)")),
]


@exercise(N_("Exercise 5.3"), "unbroadcast")
def check_unbroadcast(c):
    """``unbroadcast(grad, shape)`` sums ``grad`` back to ``shape`` (see numpy's broadcasting rules)."""
    for grad_shape, shape, story in c.cases(_UNBROADCAST_PUBLIC, hidden=_UNBROADCAST_HIDDEN):
        grad = c.rng.normal(size=grad_shape)
        expected = unbroadcast(grad, shape)
        with c.case(_("grad of shape {grad_shape} and shape={shape} ({story})").format(
                grad_shape=grad_shape, shape=shape, story=_(story))):
            got = c.call(grad, shape)
            n_copies = grad.size // max(int(np.prod(shape, dtype=int)), 1)
            mistakes = {}
            if n_copies > 1:
                mistakes[ngettext("you averaged instead of summing: every entry was used {n_copies} time "
                                  "in the forward pass, and the gradients of all uses add up",
                                  "you averaged instead of summing: every entry was used {n_copies} times "
                                  "in the forward pass, and the gradients of all uses add up",
                                  n_copies).format(n_copies=n_copies)] = expected / n_copies
            got_shape = _shape_of(got) if isinstance(got, (np.ndarray, np.generic, float, int)) else None
            want = tuple(shape)
            if got_shape is not None and got_shape != want:
                if got_shape == grad_shape:
                    c.fail(_("the result still has the shape of grad, {grad_shape}: nothing was summed. "
                             "It must have shape {want}, the shape of the array that was broadcast.").format(
                        grad_shape=grad_shape, want=want))
                if int(np.prod(got_shape, dtype=int)) == int(np.prod(want, dtype=int)) and \
                        tuple(s for s in got_shape if s != 1) == tuple(s for s in want if s != 1):
                    c.fail(_("expected shape {want}, got {got_shape}: the right numbers, but an axis of "
                             "length 1 was dropped or added. Where `shape` has a 1, sum with keepdims=True.").format(
                        want=want, got_shape=got_shape))
                c.fail(_("expected shape {want}, got {got_shape}: did you sum over the wrong axes? Sum over "
                         "the leading axes that broadcasting added, then (keepdims=True) over the axes "
                         "where `shape` has a 1.").format(want=want, got_shape=got_shape))
            c.compare("unbroadcast(grad, shape)", got, expected, mistakes=mistakes)


# ------------------------------------------------------------------ Exercise 5.4


def _distances_reference(X, C, dD):
    diff = X[:, None, :] - C[None, :, :]             # (N, M, d)
    weighted = 2 * dD[:, :, None] * diff
    return weighted.sum(axis=1), -weighted.sum(axis=0), diff


@exercise(N_("Exercise 5.4"), "distances_backward")
def check_distances_backward(c):
    """``distances_backward(X, C, dD)`` returns ``(dX, dC)`` for ``D[n, m] = sum_k (X[n, k] - C[m, k])**2``."""
    for N, M, d in c.cases([(4, 3, 2), (5, 2, 3), (3, 3, 3)],
                           hidden=[(6, 4, 2), (2, 5, 4), (1, 3, 2), (7, 7, 3)]):
        X = c.rng.normal(size=(N, d))
        C = c.rng.normal(size=(M, d))
        dD = c.rng.normal(size=(N, M))
        dX_ref, dC_ref, diff = _distances_reference(X, C, dD)
        with c.case(_("X of shape {X_shape}, C of shape {C_shape}, dD of shape {dD_shape}").format(
                X_shape=X.shape, C_shape=C.shape, dD_shape=dD.shape)):
            dX, dC = c.call(X, C, dD, returns=("dX", "dC"))
            unsummed = {
                "dX": _("`dX` has shape {shape}: one gradient per (example, centre) pair. "
                        "X[n] was broadcast over the M centres, so its gradient is the sum over axis "
                        "1 (unbroadcast, section 4)."),
                "dC": _("`dC` has shape {shape}: one gradient per (example, centre) pair. "
                        "C[m] was broadcast over the N examples, so its gradient is the sum over axis "
                        "0 (unbroadcast, section 4)."),
            }
            for name, got in (("dX", dX), ("dC", dC)):
                if _shape_of(got) == (N, M, d):
                    c.fail(unsummed[name].format(shape=(N, M, d)))
            dX_mistakes = {
                _("the 2 of the square is missing: the derivative of (x - c)**2 with respect to x "
                  "is 2 (x - c)"): dX_ref / 2,
                _("the upstream gradient dD is missing: each distance D[n, m] brings its own "
                  "dD[n, m], which multiplies its local derivative"): 2 * diff.sum(axis=1),
                _("you differentiated only the X**2 part of (X - C)**2: the cross term -2 X C "
                  "depends on X too, so the local derivative is 2 (X[n] - C[m])"):
                    2 * dD.sum(axis=1)[:, None] * X,
            }
            if M > 1:
                dX_mistakes[_("this is an average over the centres: X[n] is used by all M distances "
                              "D[n, :], and the gradients of all uses add up")] = dX_ref / M
            c.compare("dX", dX, dX_ref, mistakes=dX_mistakes)
            dC_mistakes = {
                _("the sign of dC is wrong: C enters the difference X - C with a minus sign, so "
                  "its local derivative is -2 (X[n] - C[m])"): -dC_ref,
                _("the 2 of the square is missing: the derivative of (x - c)**2 with respect to c "
                  "is -2 (x - c)"): dC_ref / 2,
                _("the upstream gradient dD is missing: each distance D[n, m] brings its own "
                  "dD[n, m]"): -2 * diff.sum(axis=0),
            }
            if N > 1:
                dC_mistakes[_("this is an average over the examples: C[m] is used by all N distances "
                              "D[:, m], and the gradients of all uses add up")] = dC_ref / N
            c.compare("dC", dC, dC_ref, mistakes=dC_mistakes)


# ------------------------------------------------------------------ Exercise 5.5


def _two_layer_reference(X, Y, W1, b1, W2, b2):
    Z1 = X @ W1 + b1
    H = np.tanh(Z1)
    Z2 = H @ W2 + b2
    loss = float(np.mean((Z2 - Y) ** 2))
    dZ2 = 2 * (Z2 - Y) / Z2.size
    dW2, db2 = H.T @ dZ2, dZ2.sum(axis=0)
    dH = dZ2 @ W2.T
    dZ1 = dH * (1 - H ** 2)
    dW1, db1 = X.T @ dZ1, dZ1.sum(axis=0)
    return dict(Z1=Z1, H=H, Z2=Z2, loss=loss, dZ2=dZ2, dW2=dW2, db2=db2, dH=dH, dZ1=dZ1, dW1=dW1, db1=db1)


@exercise(N_("Exercise 5.5"), "two_layer_backward")
def check_two_layer_backward(c):
    """``two_layer_backward(X, Y, W1, b1, W2, b2)`` returns ``(loss, dW1, db1, dW2, db2)``."""
    for N, n_in, n_hidden, n_out in c.cases([(5, 3, 4, 2), (4, 2, 3, 3)],
                                            hidden=[(6, 4, 5, 2), (3, 3, 3, 3), (1, 2, 4, 3)]):
        X = c.rng.normal(size=(N, n_in))
        Y = c.rng.normal(size=(N, n_out))
        W1 = c.rng.normal(scale=0.8, size=(n_in, n_hidden))
        b1 = c.rng.normal(scale=0.5, size=n_hidden)
        W2 = c.rng.normal(scale=0.8, size=(n_hidden, n_out))
        b2 = c.rng.normal(scale=0.5, size=n_out)
        r = _two_layer_reference(X, Y, W1, b1, W2, b2)
        M = N * n_out
        with c.case(ngettext("X of shape {X_shape}, {n_hidden} hidden unit, Y of shape {Y_shape}",
                             "X of shape {X_shape}, {n_hidden} hidden units, Y of shape {Y_shape}",
                             n_hidden).format(X_shape=X.shape, n_hidden=n_hidden, Y_shape=Y.shape)):
            loss, dW1, db1, dW2, db2 = c.call(X, Y, W1, b1, W2, b2, returns=("loss", "dW1", "db1", "dW2", "db2"))
            sq = (r["Z2"] - Y) ** 2
            loss_mistakes = {_("this is the sum of the squared errors: the loss is their mean over all "
                               "N * n_out = {M} entries").format(M=M): float(sq.sum())}
            if n_out > 1:
                loss_mistakes[_("you divided by N only: the mean is over all N * n_out entries of Z2 "
                                "(Z2.size)")] = float(sq.sum() / N)
            c.compare("loss", loss, r["loss"], mistakes=loss_mistakes)

            dZ2, H = r["dZ2"], r["H"]
            missing_2 = _("the 2 from the derivative of the square is missing in dZ2 = 2 (Z2 - Y) / Z2.size")
            dW2_mistakes = {
                missing_2: r["dW2"] / 2,
                _("dW2 uses Z1, the input of the tanh: the second Linear layer's input is H = tanh(Z1), "
                  "so dW2 = H.T @ dZ2"): r["Z1"].T @ dZ2,
                _("the sign is flipped: dZ2 = 2 (Z2 - Y) / Z2.size, prediction minus target"):
                    -r["dW2"],
            }
            if n_out > 1:
                dW2_mistakes[_("dZ2 is divided by N only: the loss averages over all N * n_out entries, "
                               "so dZ2 = 2 (Z2 - Y) / Z2.size")] = r["dW2"] * n_out
            if N > 1:
                dW2_mistakes[_("dZ2 has no 1/Z2.size: the mean over the entries puts it there, "
                               "dZ2 = 2 (Z2 - Y) / Z2.size")] = r["dW2"] * M
            c.compare("dW2", dW2, r["dW2"], mistakes=dW2_mistakes)
            c.compare("db2", db2, r["db2"], mistakes={
                _("this is the mean of dZ2 over the batch: b2 is used once per example, sum the rows"):
                    dZ2.mean(axis=0)})

            dH = r["dH"]
            dW1_mistakes = {
                _("the tanh's local derivative is missing: dZ1 = dH * (1 - H**2), not dH"): X.T @ dH,
                _("1 - Z1**2 uses the tanh's input: its derivative is 1 - tanh(Z1)**2 = 1 - H**2"):
                    X.T @ (dH * (1 - r["Z1"] ** 2)),
                _("the tanh was applied twice: H already is tanh(Z1), so the local derivative is "
                  "1 - H**2, not 1 - tanh(H)**2"): X.T @ (dH * (1 - np.tanh(H) ** 2)),
                missing_2: r["dW1"] / 2,
            }
            if n_hidden == n_out:
                dW1_mistakes[_("dH = dZ2 @ W2 uses W2 without transposing it: dH = dZ2 @ W2.T")] = \
                    X.T @ ((dZ2 @ W2) * (1 - H ** 2))
            c.compare("dW1", dW1, r["dW1"], mistakes=dW1_mistakes)
            c.compare("db1", db1, r["db1"], mistakes={
                _("db1 sums dH, before the tanh: the bias b1 sits inside the tanh, so sum dZ1 = "
                  "dH * (1 - H**2) over the batch"): dH.sum(axis=0)})
