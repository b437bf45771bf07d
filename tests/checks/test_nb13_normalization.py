"""Checkers of notebook 13 (normalization layers by hand) against right and known-wrong answers."""
from __future__ import annotations

import pytest
from checker_helpers import fails_with, stub

from backprop_lib.checks.nb13_normalization import check_batchnorm_backward, check_layernorm_backward


def norm_backward(dout, X_hat, s, gamma, axis, *, mean_path=True, var_path=True, n_minus_1=False,
                  use_gamma=True, param_axis=0):
    """A right answer by default; each flag makes one of the common mistakes."""
    n = X_hat.shape[axis]
    dX_hat = dout * gamma if use_gamma else dout
    dX = dX_hat
    if mean_path:
        dX = dX - dX_hat.mean(axis=axis, keepdims=True)
    if var_path:
        dX = dX - X_hat * (dX_hat * X_hat).sum(axis=axis, keepdims=True) / (n - 1 if n_minus_1 else n)
    return dX / s, (dout * X_hat).sum(axis=param_axis), dout.sum(axis=0)


def batchnorm_backward(dout, X_hat, s, gamma, **mistake):
    return norm_backward(dout, X_hat, s, gamma, 0, **mistake)


def layernorm_backward(dout, Z_hat, s, gamma, **mistake):
    return norm_backward(dout, Z_hat, s, gamma, 1, **mistake)


@pytest.mark.parametrize("hidden", [False, True])
def test_batchnorm_backward_correct(hidden, capsys):
    check_batchnorm_backward(batchnorm_backward, hidden=hidden)
    assert "✔ Exercise 13.1 batchnorm_backward" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (lambda *a: batchnorm_backward(*a, mean_path=False, var_path=False), ["dX", "treated as constants"]),
    (lambda *a: batchnorm_backward(*a, mean_path=False), ["dX", "path through the mean is missing"]),
    (lambda *a: batchnorm_backward(*a, var_path=False), ["dX", "path through the variance is missing"]),
    (lambda *a: batchnorm_backward(*a, n_minus_1=True), ["dX", "N - 1 instead of N"]),
    (lambda *a: batchnorm_backward(*a, use_gamma=False), ["dX", "gamma is missing"]),
    (lambda *a: layernorm_backward(*a), ["dX", "along the rows (axis=1)"]),
    (lambda *a: batchnorm_backward(*a, param_axis=1), ["dgamma", "summed over the features"]),
    (lambda d, X, s, g: (batchnorm_backward(d, X, s, g)[0], d.sum(axis=0), d.sum(axis=0)),
     ["dgamma", "missing the factor X_hat"]),
    (lambda *a: batchnorm_backward(*a)[:2], ["should return 3 values"]),
    (stub, ["not written yet"]),
])
def test_batchnorm_backward_wrong(fn, fragments):
    fails_with(check_batchnorm_backward, fn, "Exercise 13.1", *fragments)


@pytest.mark.parametrize("hidden", [False, True])
def test_layernorm_backward_correct(hidden, capsys):
    check_layernorm_backward(layernorm_backward, hidden=hidden)
    assert "✔ Exercise 13.2 layernorm_backward" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (lambda *a: layernorm_backward(*a, mean_path=False, var_path=False), ["dZ", "treated as constants"]),
    (lambda *a: layernorm_backward(*a, mean_path=False), ["dZ", "path through the mean is missing"]),
    (lambda *a: layernorm_backward(*a, var_path=False), ["dZ", "path through the spread is missing"]),
    (lambda *a: layernorm_backward(*a, n_minus_1=True), ["dZ", "d - 1 instead of d"]),
    (lambda *a: layernorm_backward(*a, use_gamma=False), ["dZ", "gamma is missing"]),
    (lambda *a: batchnorm_backward(*a), ["dZ", "down the columns (axis=0)"]),
    (lambda *a: layernorm_backward(*a, param_axis=1), ["dgamma", "summed over the features"]),
    (lambda *a: layernorm_backward(*a)[::-1], ["dbeta"]),
    (stub, ["not written yet"]),
])
def test_layernorm_backward_wrong(fn, fragments):
    fails_with(check_layernorm_backward, fn, "Exercise 13.2", *fragments)

