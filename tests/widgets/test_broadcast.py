"""The broadcast explorer: b's gradient and its frames, checked against the Tensor engine."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.tensor import Tensor
from backprop_lib.widgets.broadcast import A_SHAPE, B_SHAPES, OPS, BroadcastModel


@pytest.mark.parametrize("b_shape", list(B_SHAPES))
@pytest.mark.parametrize("op", OPS)
def test_grad_b_is_what_the_engine_computes(b_shape, op):
    model = BroadcastModel(b_shape, op, seed=3)
    a = Tensor(model.a)
    b = Tensor(np.ones(B_SHAPES[b_shape]), requires_grad=True)
    out = a + b if op == "a + b" else a * b
    (out * model.G).sum().backward()
    assert model.grad_b.shape == B_SHAPES[b_shape]
    np.testing.assert_allclose(model.grad_b, b.grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("b_shape", list(B_SHAPES))
def test_each_output_entry_is_in_exactly_one_frame_and_frames_sum_to_grad(b_shape):
    model = BroadcastModel(b_shape, "a * b", seed=1)
    cover = np.zeros(A_SHAPE, dtype=int)
    sums = []
    for r0, r1, c0, c1 in model.groups():
        cover[r0:r1, c0:c1] += 1
        sums.append(model.per_copy[r0:r1, c0:c1].sum())
    assert (cover == 1).all()
    np.testing.assert_allclose(np.array(sums), model.grad_b.ravel(), rtol=1e-12, atol=1e-12)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match=r"b_shape must be one of .*'\(5,\)'"):
        BroadcastModel("(5,)")
    with pytest.raises(ValueError, match="op must be one of"):
        BroadcastModel("(4,)", "a @ b")
