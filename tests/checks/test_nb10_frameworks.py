"""Checkers of notebook 10 (from scratch to PyTorch) against right and known-wrong answers.

The checkers need no PyTorch; the last tests cross-check the references with PyTorch
when it is installed.
"""
from __future__ import annotations

import numpy as np
import pytest
from checker_helpers import fails_with
from checker_helpers import stub as _stub

from backprop_lib.checks.nb10_frameworks import check_silu_backward, check_torch_linear_backward


def _sig(z):
    return 1 / (1 + np.exp(-z))


# ---------------------------------------------------------------- Exercise 10.1

def silu_backward(Z, dout):
    s = _sig(Z)
    return dout * s * (1 + Z * (1 - s))


def silu_backward_expanded(Z, dout):
    s = _sig(Z)
    return dout * (s + Z * s * (1 - s))


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", [silu_backward, silu_backward_expanded])
def test_silu_backward_correct(fn, hidden, capsys):
    check_silu_backward(fn, hidden=hidden)
    assert "✔ Exercise 10.1 silu_backward" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (lambda Z, d: d * _sig(Z), ["treated sigma(Z) as a constant"]),
    (lambda Z, d: d * Z * _sig(Z) * (1 - _sig(Z)), ["dropped sigma(Z)"]),
    (lambda Z, d: d * _sig(Z) * (1 - _sig(Z)), ["the sigmoid's derivative"]),
    (lambda Z, d: _sig(Z) * (1 + Z * (1 - _sig(Z))), ["local derivative dH/dZ only"]),
    (lambda Z, d: d * _sig(Z) * (1 + Z * (1 - Z)), ["not Z (1 - Z)"]),
    (lambda Z, d: -silu_backward(Z, d), ["wrong sign"]),
    (lambda Z, d: 2 * silu_backward(Z, d), ["factor of 2"]),
    (lambda Z, d: silu_backward(Z, d).T, ["did you transpose?"]),
    (lambda Z, d: silu_backward(Z, d).sum(), ["should be an array"]),
    (lambda Z, d: d * Z * _sig(Z), ["`dZ` is wrong"]),
    (lambda Z, d: None, ["is None"]),
    (lambda Z, d: Z @ d, ["raised ValueError"]),
    (_stub, ["not written yet"]),
])
def test_silu_backward_wrong(fn, fragments):
    fails_with(check_silu_backward, fn, "Exercise 10.1", *fragments)


def test_silu_backward_hidden_reaches_large_inputs():
    """The hidden cases include Z = 30, where a careless exp still works but a wrong sign shows."""
    fails_with(check_silu_backward, lambda Z, d: d * _sig(Z), "treated sigma(Z) as a constant", hidden=True)


# ---------------------------------------------------------------- Exercise 10.2

def torch_linear_backward(X, W_t, dout):
    return dout @ W_t, dout.T @ X, dout.sum(axis=0)


@pytest.mark.parametrize("hidden", [False, True])
def test_torch_linear_backward_correct(hidden, capsys):
    check_torch_linear_backward(torch_linear_backward, hidden=hidden)
    assert "✔ Exercise 10.2" in capsys.readouterr().out


def _lin_wrong(kind):
    def fn(X, W_t, dout):
        dX, dW_t, db = dout @ W_t, dout.T @ X, dout.sum(axis=0)
        if kind == "our_layout":
            dW_t = X.T @ dout
        elif kind == "sign":
            dW_t = -dW_t
        elif kind == "db_mean":
            db = dout.mean(axis=0)
        elif kind == "db_axis1":
            db = dout.sum(axis=1)
        elif kind == "dX_extra_T":
            dX = dout @ W_t.T
        elif kind == "dX_zeros":
            dX = np.zeros_like(X)
        elif kind == "dict":
            return {"dX": dX, "dW_t": dW_t, "db": db}
        return dX, dW_t, db
    return fn


@pytest.mark.parametrize("kind, fragments, hidden", [
    ("our_layout", ["`dW_t` has shape (3, 2), our layout (n_in, n_out)", "dout.T @ X"], False),
    ("our_layout", ["our layout", "transpose it"], True),
    ("sign", ["`dW_t`", "wrong sign"], False),
    ("db_mean", ["`db`", "1/N"], False),
    ("db_axis1", ["`db`", "expected shape (2,), got (4,)"], False),
    ("dX_extra_T", ["raised ValueError", "shapes do not fit"], False),
    ("dX_extra_T", ["W_t is already the transpose"], True),
    ("dX_zeros", ["`dX` is all zeros"], False),
    ("dict", ["should return 3 values (dX, dW_t, db), but returned a single dict"], False),
])
def test_torch_linear_backward_wrong(kind, fragments, hidden):
    fails_with(check_torch_linear_backward, _lin_wrong(kind), "Exercise 10.2", *fragments, hidden=hidden)


def test_torch_linear_backward_none_and_stub():
    fails_with(check_torch_linear_backward, lambda X, W, d: None, "returned None")
    fails_with(check_torch_linear_backward, _stub, "not written yet")


# ---------------------------------------------------------------- against PyTorch

@pytest.mark.torch
def test_references_match_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    Z = rng.normal(scale=3, size=(4, 5))
    dout = rng.normal(size=(4, 5))
    z = torch.tensor(Z, requires_grad=True)
    torch.nn.functional.silu(z).backward(torch.tensor(dout))
    np.testing.assert_allclose(silu_backward(Z, dout), z.grad.numpy(), rtol=1e-12, atol=1e-14)

    X = rng.normal(size=(6, 3))
    lin = torch.nn.Linear(3, 2).double()
    G = rng.normal(size=(6, 2))
    x = torch.tensor(X, requires_grad=True)
    lin(x).backward(torch.tensor(G))
    dX, dW_t, db = torch_linear_backward(X, lin.weight.detach().numpy(), G)
    np.testing.assert_allclose(dX, x.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(dW_t, lin.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(db, lin.bias.grad.numpy(), rtol=1e-12)
