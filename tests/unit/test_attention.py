"""Attention forward and backward by hand: against centered finite differences (float64),
the array engine, and PyTorch's scaled_dot_product_attention."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.attention import attention, attention_backward, attention_forward, causal_mask, softmax_vjp
from backprop_lib.gradcheck import numerical_gradient, rel_error
from backprop_lib.losses import softmax
from backprop_lib.tensor import Tensor


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 2), (1, 1)])
def test_backward_against_finite_differences(shape, causal):
    rng = np.random.default_rng(0)
    Q, K, V = (rng.normal(size=shape) for _ in range(3))
    O, cache = attention_forward(Q, K, V, causal=causal)
    G = rng.normal(size=O.shape)
    grads = attention_backward(G, cache)
    inputs = [Q, K, V]
    for i, analytic in enumerate(grads):
        def f(x, i=i):
            args = [x if j == i else inputs[j] for j in range(3)]
            return float(np.sum(attention_forward(*args, causal=causal)[0] * G))
        assert rel_error(analytic, numerical_gradient(f, inputs[i].copy())) < 1e-7


def test_softmax_vjp_equals_the_jacobian_product():
    rng = np.random.default_rng(1)
    s, g = rng.normal(size=5), rng.normal(size=5)
    a = softmax(s)
    J = np.diag(a) - np.outer(a, a)             # the Jacobian, built only here
    np.testing.assert_allclose(softmax_vjp(g, a), J.T @ g, rtol=1e-12, atol=1e-15)


def test_mask_blocks_the_future_and_its_gradient():
    rng = np.random.default_rng(2)
    Q, K, V = (rng.normal(size=(6, 3)) for _ in range(3))
    O, cache = attention_forward(Q, K, V)
    assert np.all(cache.A[~causal_mask(6)] == 0.0)
    np.testing.assert_allclose(cache.A.sum(axis=-1), 1.0)
    G = np.zeros_like(O)
    G[2] = 1.0                                  # only output 2 matters
    dQ, dK, dV = attention_backward(G, cache)
    assert np.all(dK[3:] == 0) and np.all(dV[3:] == 0)   # positions after 2 get nothing


def test_engine_op_matches_the_hand_written_backward():
    rng = np.random.default_rng(3)
    B, T, d = 3, 4, 2
    Q, K, V = (rng.normal(size=(B, T, d)) for _ in range(3))
    O, cache = attention_forward(Q, K, V)
    G = rng.normal(size=O.shape)
    expected = attention_backward(G, cache)
    ts = [Tensor(a.reshape(B * T, d), requires_grad=True) for a in (Q, K, V)]
    (attention(*ts, batch=B) * G.reshape(B * T, d)).sum().backward()
    for t, e in zip(ts, expected):
        np.testing.assert_allclose(t.grad, e.reshape(B * T, d), rtol=1e-14, atol=1e-15)


@pytest.mark.torch
@pytest.mark.parametrize("causal", [True, False])
def test_matches_pytorch_to_1e_10(torch, causal):
    rng = np.random.default_rng(4)
    Q, K, V = (rng.normal(size=(2, 7, 4)) for _ in range(3))
    O, cache = attention_forward(Q, K, V, causal=causal)
    G = rng.normal(size=O.shape)
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (Q, K, V))
    to = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=causal)
    (to * torch.tensor(G)).sum().backward()
    assert np.abs(O - to.detach().numpy()).max() < 1e-10
    for ours, t in zip(attention_backward(G, cache), (tq, tk, tv)):
        assert np.abs(ours - t.grad.numpy()).max() < 1e-10


@pytest.mark.parametrize("call, fragment", [
    (lambda: attention_forward(np.ones((3, 2)), np.ones((3, 2)), np.ones((4, 2))), "one shape"),
    (lambda: attention_backward(np.ones((2, 2)), attention_forward(*(np.ones((3, 2)),) * 3)[1]), "(3, 2)"),
    (lambda: attention(*(Tensor(np.ones((5, 2))),) * 3, batch=2), "5 rows"),
])
def test_bad_input_is_named(call, fragment):
    with pytest.raises(ValueError) as info:
        call()
    assert fragment in str(info.value)
