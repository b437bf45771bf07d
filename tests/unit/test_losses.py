"""Losses: values against direct formulas, stability, gradients against finite differences."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from backprop_lib.gradcheck import numerical_gradient, rel_error
from backprop_lib.losses import MSELoss, SoftmaxCrossEntropy, logsumexp, softmax

RNG = np.random.default_rng(99)


def naive_ce(logits, y):
    """Cross-entropy straight from the definition (fine for moderate logits)."""
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return -np.mean(np.log(p[np.arange(len(y)), y]))


def test_softmax_rows_sum_to_one_and_shift_invariance():
    z = RNG.standard_normal((5, 4))
    p = softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(softmax(z + 123.0), p, rtol=1e-12)
    np.testing.assert_allclose(p, np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), rtol=1e-13)


def test_softmax_and_logsumexp_do_not_overflow():
    z = np.array([[1000.0, 1000.0], [-1000.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            p = softmax(z)
            lse = logsumexp(z)
    np.testing.assert_allclose(p[0], [0.5, 0.5])
    np.testing.assert_allclose(p[1], [0.0, 1.0])
    np.testing.assert_allclose(lse, [1000 + math.log(2), 0.0], rtol=1e-15)


def test_logsumexp_matches_definition_and_axes():
    z = RNG.standard_normal((3, 5))
    np.testing.assert_allclose(logsumexp(z), np.log(np.exp(z).sum(axis=1)), rtol=1e-14)
    np.testing.assert_allclose(logsumexp(z, axis=0), np.log(np.exp(z).sum(axis=0)), rtol=1e-14)
    assert logsumexp(z, keepdims=True).shape == (3, 1)
    np.testing.assert_allclose(z - logsumexp(z, keepdims=True), np.log(softmax(z)), rtol=1e-13)   # log-softmax


def test_cross_entropy_value():
    logits = RNG.standard_normal((6, 3))
    y = RNG.integers(0, 3, 6)
    loss = SoftmaxCrossEntropy().forward(logits, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(naive_ce(logits, y), rel=1e-13)
    # uniform logits: every class has probability 1/C
    assert SoftmaxCrossEntropy().forward(np.zeros((4, 5)), np.array([0, 1, 2, 3])) == pytest.approx(math.log(5))


def test_cross_entropy_large_logits_stay_finite():
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 800.0, 0.0]])
    ce = SoftmaxCrossEntropy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = ce.forward(logits, np.array([1, 1]))
        d = ce.backward()
    assert loss == pytest.approx(1000.0 / 2)          # example 0 pays 1000, example 1 pays ~0
    assert np.all(np.isfinite(d))


@pytest.mark.parametrize("N,C", [(1, 2), (4, 3), (7, 10)])
def test_cross_entropy_gradient(N, C):
    logits = 3 * RNG.standard_normal((N, C))
    y = RNG.integers(0, C, N)
    ce = SoftmaxCrossEntropy()
    ce.forward(logits, y)
    d = ce.backward()
    numeric = numerical_gradient(lambda z: SoftmaxCrossEntropy().forward(z, y), logits)
    assert rel_error(d, numeric) < 1e-7
    onehot = np.eye(C)[y]
    np.testing.assert_allclose(d, (softmax(logits) - onehot) / N, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(d.sum(axis=1), 0.0, atol=1e-15)
    np.testing.assert_allclose(ce.probs, softmax(logits), rtol=1e-14)


@pytest.mark.parametrize("shape", [(5,), (4, 1), (3, 4)])
def test_mse_value_and_gradient(shape):
    pred, target = RNG.standard_normal(shape), RNG.standard_normal(shape)
    mse = MSELoss()
    loss = mse.forward(pred, target)
    assert loss == pytest.approx(np.mean((pred - target) ** 2), rel=1e-14)
    d = mse.backward()
    numeric = numerical_gradient(lambda p: MSELoss().forward(p, target), pred)
    assert rel_error(d, numeric) < 1e-7
    np.testing.assert_allclose(d, 2 * (pred - target) / pred.size, rtol=1e-14)


def test_losses_keep_float32():
    logits = RNG.standard_normal((3, 4)).astype(np.float32)
    ce = SoftmaxCrossEntropy()
    ce.forward(logits, np.array([0, 1, 2]))
    assert ce.backward().dtype == np.float32
    assert softmax(logits).dtype == np.float32
    mse = MSELoss()
    mse.forward(logits, np.zeros((3, 4), dtype=np.float32))
    assert mse.backward().dtype == np.float32


def test_backward_before_forward():
    for loss in (SoftmaxCrossEntropy(), MSELoss()):
        with pytest.raises(RuntimeError, match="before forward"):
            loss.backward()
    assert repr(SoftmaxCrossEntropy()) == "SoftmaxCrossEntropy()"
