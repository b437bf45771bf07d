"""clip_grad_norm: one norm over all gradients, scaled in place, compared with PyTorch."""
from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_lib.layers import Parameter
from backprop_lib.optim import clip_grad_norm

RNG = np.random.default_rng(5)


def _params(*grads):
    out = []
    for i, g in enumerate(grads):
        p = Parameter(np.zeros_like(g), f"p{i}")
        p.grad[...] = g
        out.append(p)
    return out


def test_scales_all_gradients_by_one_factor():
    params = _params(np.array([3.0, 0.0]), np.array([[0.0], [4.0]]))     # global norm 5
    grads_before = [p.grad for p in params]
    total = clip_grad_norm(params, 1.0)
    assert total == 5.0
    np.testing.assert_allclose(params[0].grad, [0.6, 0.0])
    np.testing.assert_allclose(params[1].grad, [[0.0], [0.8]])
    assert all(p.grad is g for p, g in zip(params, grads_before))      # in place


def test_leaves_small_gradients_alone():
    g = RNG.standard_normal(10)
    params = _params(g.copy())
    total = clip_grad_norm(params, 100.0)
    assert total == pytest.approx(np.linalg.norm(g), rel=1e-14)
    np.testing.assert_array_equal(params[0].grad, g)


def test_huge_gradients_do_not_overflow():
    params = _params(np.full(4, 1e200), np.full(3, -1e200))
    total = clip_grad_norm(params, 2.0)
    assert total == pytest.approx(math.sqrt(7) * 1e200, rel=1e-12)
    assert np.linalg.norm(np.concatenate([p.grad for p in params])) == pytest.approx(2.0, rel=1e-12)


def test_zero_and_non_finite_gradients():
    params = _params(np.zeros(3))
    assert clip_grad_norm(params, 1.0) == 0.0
    bad = _params(np.array([1.0, np.inf]))
    assert clip_grad_norm(bad, 1.0) == math.inf
    assert bad[0].grad[0] == 1.0                                       # nothing scaled


def test_bad_arguments():
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        clip_grad_norm(_params(np.ones(2)), 0.0)
    with pytest.raises(TypeError, match=r"params\[0\] must be a Parameter"):
        clip_grad_norm([np.ones(2)], 1.0)


@pytest.mark.torch
@pytest.mark.parametrize("max_norm", [0.5, 3.0, 1e3])
def test_matches_torch(torch, max_norm):
    grads = [RNG.standard_normal((4, 3)), RNG.standard_normal(3), RNG.standard_normal((2, 2, 2))]
    params = _params(*[g.copy() for g in grads])
    total = clip_grad_norm(params, max_norm)
    tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(tensors, grads):
        t.grad = torch.tensor(g)
    torch_total = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    assert total == pytest.approx(float(torch_total), rel=1e-12)
    for p, t in zip(params, tensors):
        # torch divides by (norm + 1e-6): agreement to about 1e-6 relative
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-5, atol=1e-12)
