"""The attention explorer: gradients from one query's output, against finite differences."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.attention import attention_forward
from backprop_lib.gradcheck import numerical_gradient, rel_error
from backprop_lib.widgets.attention import MASKS, AttentionModel, T


@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("query", [0, 4, T - 1])
def test_dK_and_dV_are_the_gradients_of_u_dot_O_query(query, mask):
    m = AttentionModel(query, mask)

    def loss(K, V):
        return float(attention_forward(m.Q, K, V, causal=mask == "causal")[0][query] @ m.u)

    assert rel_error(m.dK, numerical_gradient(lambda K: loss(K, m.V), m.K.copy())) < 1e-7
    assert rel_error(m.dV, numerical_gradient(lambda V: loss(m.K, V), m.V.copy())) < 1e-7
    np.testing.assert_allclose(m.dV, np.outer(m.A[query], m.u), rtol=1e-12, atol=1e-15)
    if mask == "causal":
        assert np.all(m.dK[query + 1:] == 0) and np.all(m.dV[query + 1:] == 0)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="from 0 to 9, got 10"):
        AttentionModel(10)
    with pytest.raises(ValueError, match="mask must be one of"):
        AttentionModel(1, "sideways")
