r"""Checkers for notebook 13, normalization layers by hand.

* Exercise 13.1 ``batchnorm_backward(dout, X_hat, s, gamma)``: ``(dX, dgamma, dbeta)`` of
  batch normalization in training mode, :math:`Y = \gamma \odot \hat X + \beta` with
  :math:`\hat X = (X - \mu) / s` normalized down each column (``X_hat`` ``(N, d)``,
  ``s`` ``(1, d)``, ``gamma`` ``(d,)``).
* Exercise 13.2 ``layernorm_backward(dout, Z_hat, s, gamma)``: the same for layer
  normalization, each row normalized (``s`` ``(N, 1)``).

References: :class:`backprop_lib.normalization.BatchNorm1d` and :class:`LayerNorm`
(themselves checked against finite differences and PyTorch in the tests); the first case
of each checker also compares with centered finite differences of the forward pass.
"""
from __future__ import annotations

import numpy as np

from ..gradcheck import numerical_gradient
from ..i18n import _
from ..normalization import BatchNorm1d, LayerNorm, normalize_backward
from .framework import exercise

__all__ = ["check_batchnorm_backward", "check_layernorm_backward"]


def _reference(layer, X, gamma, beta, dout):
    """The layer's forward cache and its gradients (dX, dgamma, dbeta), and dX by finite differences."""
    layer.gamma.data[:] = gamma
    layer.beta.data[:] = beta
    layer.forward(X)
    X_hat, s = layer.cache[:2]
    dX = layer.backward(dout)

    def loss(x):
        saved = getattr(layer, "running_mean", None), getattr(layer, "running_var", None)
        value = float(np.sum(layer.forward_unchecked(x) * dout))
        if saved[0] is not None:
            layer.running_mean, layer.running_var = saved
        return value
    numeric = numerical_gradient(loss, X.copy())
    return X_hat, s, (dX, layer.gamma.grad.copy(), layer.beta.grad.copy()), numeric


def _wrong_dX(dX_hat, X_hat, s, axis, n):
    """dX of the common wrong derivations, each named for its mistake."""
    mean_d = dX_hat.mean(axis=axis, keepdims=True)
    mean_dx = (dX_hat * X_hat).mean(axis=axis, keepdims=True)
    return {
        "const": dX_hat / s,
        "const_mu": (dX_hat - X_hat * mean_dx) / s,
        "const_var": (dX_hat - mean_d) / s,
        "n_minus_1": (dX_hat - mean_d - X_hat * mean_dx * n / (n - 1)) / s if n > 1 else None,
    }


def _check_affine_grads(c, dout, X_hat, dgamma, dbeta, got):
    """dgamma and dbeta: sums over the examples (axis 0), the axis the parameters are shared along."""
    N, d = dout.shape
    square = N == d
    for name, value in (("dgamma", got[1]), ("dbeta", got[2])):
        if not square and np.shape(value) == (N,):
            c.fail(_("`{name}` has shape ({N},), one entry per example: it was summed over the features "
                     "(axis=1). {parameter} has one entry per feature, shared by every example, so sum over "
                     "the examples, axis=0, for shape ({d},)").format(name=name, N=N, parameter=name[1:], d=d))
    c.compare("dbeta", got[2], dbeta, mistakes={
        _("dbeta was summed over the features (axis=1): beta has one entry per feature, shared by every "
          "example, so sum over the examples, axis=0"): dout.sum(axis=1),
    } if square else {})
    c.compare("dgamma", got[1], dgamma, mistakes={
        _("dgamma is missing the factor X_hat: Y = gamma * X_hat + beta, so dgamma = sum(dout * X_hat, axis=0)"):
            dout.sum(axis=0),
    } | ({
        _("dgamma was summed over the features (axis=1): gamma has one entry per feature, shared by every "
          "example, so sum over the examples, axis=0"): (dout * X_hat).sum(axis=1),
    } if square else {}))


def _against_finite_differences(name: str) -> str:
    return _("{name} (against centered finite differences of the forward pass)").format(name=name)


@exercise("Exercise 13.1", "batchnorm_backward")
def check_batchnorm_backward(c):
    """``batchnorm_backward(dout, X_hat, s, gamma)`` must return ``(dX, dgamma, dbeta)`` (training mode)."""
    for k, (N, d) in enumerate(c.cases([(4, 3), (5, 5), (2, 4)], hidden=[(16, 8), (3, 3), (7, 1)])):
        X = 1.0 + 2.0 * c.rng.normal(size=(N, d))
        gamma, beta = 1.0 + 0.5 * c.rng.normal(size=d), c.rng.normal(size=d)
        dout = c.rng.normal(size=(N, d))
        X_hat, s, (dX, dgamma, dbeta), numeric = _reference(BatchNorm1d(d), X, gamma, beta, dout)
        wrong = _wrong_dX(dout * gamma, X_hat, s, 0, N)
        with c.case(_("a batch of N = {N} examples with d = {d} features").format(N=N, d=d)):
            got = c.call(dout, X_hat, s, gamma, returns=("dX", "dgamma", "dbeta"))
            _check_affine_grads(c, dout, X_hat, dgamma, dbeta, got)
            mistakes = {
                _("mu and the variance were treated as constants: in training they are computed from the batch, "
                  "so every X[n] also moves the mean and the variance, and through them every output of its column"):
                    wrong["const"],
                _("the path through the mean is missing (mu treated as a constant): subtract the column mean of "
                  "dX_hat"): wrong["const_mu"],
                _("the path through the variance is missing (var treated as a constant): subtract "
                  "X_hat * mean(dX_hat * X_hat) down each column"): wrong["const_var"],
                _("gamma is missing: the gradient reaches X_hat as dout * gamma"): normalize_backward(dout, X_hat, s, 0),
                _("the statistics were taken along the rows (axis=1), as in LayerNorm: batch normalization "
                  "averages each feature over the examples, axis=0"): (
                    (dout * gamma - (dout * gamma).mean(axis=1, keepdims=True)
                     - X_hat * (dout * gamma * X_hat).mean(axis=1, keepdims=True)) / s),
            }
            if wrong["n_minus_1"] is not None:
                mistakes[_("divided by N - 1 instead of N: the variance that normalizes is the biased one, "
                           "(1/N) sum (X - mu)^2, so its derivative has 1/N too (N - 1 is only for the running "
                           "variance)")] = wrong["n_minus_1"]
            c.compare("dX", got[0], dX, mistakes=mistakes)
            if k == 0:
                c.compare(_against_finite_differences("dX"), got[0], numeric, rtol=1e-5, atol=1e-7)


@exercise("Exercise 13.2", "layernorm_backward")
def check_layernorm_backward(c):
    """``layernorm_backward(dout, Z_hat, s, gamma)`` must return ``(dZ, dgamma, dbeta)``."""
    for k, (N, d) in enumerate(c.cases([(3, 4), (4, 4), (1, 5)], hidden=[(8, 16), (5, 5), (2, 3)])):
        Z = 1.0 + 2.0 * c.rng.normal(size=(N, d))
        gamma, beta = 1.0 + 0.5 * c.rng.normal(size=d), c.rng.normal(size=d)
        dout = c.rng.normal(size=(N, d))
        Z_hat, s, (dZ, dgamma, dbeta), numeric = _reference(LayerNorm(d), Z, gamma, beta, dout)
        wrong = _wrong_dX(dout * gamma, Z_hat, s, 1, d)
        with c.case(_("Z of shape ({N}, {d})").format(N=N, d=d)):
            got = c.call(dout, Z_hat, s, gamma, returns=("dZ", "dgamma", "dbeta"))
            _check_affine_grads(c, dout, Z_hat, dgamma, dbeta, got)
            mistakes = {
                _("the row's mean and spread were treated as constants: each Z[n, j] moves its row's mean and "
                  "spread, and through them every output of its row"): wrong["const"],
                _("the path through the mean is missing: subtract the row mean of dZ_hat"): wrong["const_mu"],
                _("the path through the spread is missing: subtract Z_hat * mean(dZ_hat * Z_hat) along each row"):
                    wrong["const_var"],
                _("gamma is missing: the gradient reaches Z_hat as dout * gamma"): normalize_backward(dout, Z_hat, s, 1),
            }
            if N > 1:
                mistakes[_("the means were taken down the columns (axis=0), as in BatchNorm: layer normalization "
                           "averages each example over its features, axis=1")] = (
                    (dout * gamma - (dout * gamma).mean(axis=0, keepdims=True)
                     - Z_hat * (dout * gamma * Z_hat).mean(axis=0, keepdims=True)) / s)
            if wrong["n_minus_1"] is not None:
                mistakes[_("divided by d - 1 instead of d: the spread uses the biased variance (1/d) sum (Z - mu)^2")
                         ] = wrong["n_minus_1"]
            c.compare("dZ", got[0], dZ, mistakes=mistakes)
            if k == 0:
                c.compare(_against_finite_differences("dZ"), got[0], numeric, rtol=1e-5, atol=1e-7)
