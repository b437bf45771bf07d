"""Losses: values against direct formulas, stability, gradients against finite differences."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from backprop_lib.gradcheck import numerical_gradient, rel_error
from backprop_lib.losses import (
    HingeLoss,
    MSELoss,
    SoftmaxCrossEntropy,
    log_softmax,
    log_softmax_backward,
    logsumexp,
    softmax,
)

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


# ------------------------------------------------------------------ hinge loss

def _hinge_case(N=7):
    scores = RNG.standard_normal((N, 1)) * 2
    y = RNG.integers(0, 2, size=N)
    return scores, y


def test_hinge_value_matches_the_scalar_engine():
    from backprop_lib.scalar import Value

    scores, y = _hinge_case()
    loss = HingeLoss()
    ours = loss.forward(scores, y)
    values = [Value(float(s)) for s in scores[:, 0]]
    t = [1 if label == 1 else -1 for label in y]
    reference = sum(((1 - ti * v).relu() for v, ti in zip(values, t)), Value(0.0)) * (1 / len(t))
    reference.backward()
    assert abs(ours - reference.data) < 1e-14
    np.testing.assert_allclose(loss.backward()[:, 0], [v.grad for v in values], rtol=1e-14, atol=1e-16)


def test_hinge_gradient_matches_finite_differences():
    scores, y = _hinge_case(9)
    t = np.where(y == 1, 1.0, -1.0)[:, None]
    scores[np.abs(1 - t * scores) < 1e-3] += 0.01     # keep every margin away from the kink
    loss = HingeLoss()
    loss.forward(scores, y)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda s: loss.forward(s, y), scores.copy())
    assert rel_error(analytic, numeric) < 1e-9


def test_hinge_accepts_a_flat_score_vector_and_checks_its_input():
    scores, y = _hinge_case()
    loss = HingeLoss()
    assert loss.forward(scores[:, 0], y) == loss.forward(scores, y)
    assert loss.backward().shape == (scores.shape[0], 1)
    with pytest.raises(ValueError, match="one score per example"):
        loss.forward(np.zeros((4, 2)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\)"):
        loss.forward(np.zeros((3, 1)), np.array([0, 1, 2]))
    with pytest.raises(TypeError, match="integer class labels"):
        loss.forward(np.zeros((3, 1)), np.array([0.0, 1.0, 1.0]))


def test_hinge_is_zero_with_zero_gradient_beyond_the_margin():
    loss = HingeLoss()
    assert loss.forward(np.array([[2.0], [-1.5], [1.0]]), np.array([1, 0, 1])) == 0.0
    np.testing.assert_array_equal(loss.backward(), 0.0)        # margin exactly 1: slope 0, as relu


def test_hinge_against_torch(torch):
    scores, y = _hinge_case(11)
    loss = HingeLoss()
    ours = loss.forward(scores, y)
    s = torch.tensor(scores[:, 0], requires_grad=True)
    t = torch.tensor(np.where(y == 1, 1.0, -1.0))
    theirs = torch.clamp(1 - t * s, min=0).mean()
    theirs.backward()
    assert abs(ours - theirs.item()) < 1e-14
    np.testing.assert_allclose(loss.backward()[:, 0], s.grad.numpy(), rtol=1e-14, atol=1e-16)


# ---------------------------------------------------------------- log_softmax and its backward

def test_log_softmax_is_stable_and_matches_the_definition():
    z = RNG.normal(size=(3, 4))
    np.testing.assert_allclose(log_softmax(z), np.log(softmax(z)), rtol=1e-13)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        np.testing.assert_array_equal(log_softmax(np.array([[1000.0, 0.0, -1000.0]])), [[0.0, -1000.0, -2000.0]])

def test_log_softmax_backward_matches_finite_differences():
    rng = np.random.default_rng(3)
    Z, dout = rng.normal(scale=2.0, size=(4, 5)), rng.normal(size=(4, 5))
    numeric = numerical_gradient(lambda z: float(np.sum(log_softmax(z) * dout)), Z.copy())
    np.testing.assert_allclose(log_softmax_backward(Z, dout), numeric, rtol=1e-7, atol=1e-9)


def test_log_softmax_backward_of_the_nll_gradient_is_the_fused_gradient():
    rng = np.random.default_rng(4)
    Z, y = rng.normal(scale=300.0, size=(6, 3)), rng.integers(0, 3, size=6)   # large logits: still finite
    dS = np.zeros_like(Z)
    dS[np.arange(6), y] = -1 / 6
    loss = SoftmaxCrossEntropy()
    loss.forward(Z, y)
    np.testing.assert_allclose(log_softmax_backward(Z, dS), loss.backward(), rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match=r"dout must have the shape of z \(6, 3\), got \(3, 6\)"):
        log_softmax_backward(Z, dS.T)


def test_log_softmax_backward_matches_torch(torch):
    rng = np.random.default_rng(5)
    Z, dout = rng.normal(scale=3.0, size=(3, 4)), rng.normal(size=(3, 4))
    z = torch.tensor(Z, requires_grad=True)
    torch.log_softmax(z, dim=1).backward(torch.tensor(dout))
    np.testing.assert_allclose(log_softmax_backward(Z, dout), z.grad.numpy(), rtol=1e-12, atol=1e-15)
