"""The modes explorer: columns by forward mode and rows by reverse mode make the same Jacobian."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.widgets.modes import ModesModel


@pytest.mark.parametrize("n, m", [(1, 1), (3, 5), (6, 1), (12, 12)])
def test_both_modes_give_the_analytic_jacobian(n, m):
    fwd = ModesModel(n, m, "forward", passes=n).known()
    rev = ModesModel(n, m, "reverse", passes=m).known()
    model = ModesModel(n, m)
    analytic = (1 - np.tanh(model.W @ model.x) ** 2)[:, None] * model.W
    np.testing.assert_allclose(fwd, analytic, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(rev, analytic, rtol=1e-12, atol=1e-15)


def test_passes_fill_columns_or_rows():
    fwd = ModesModel(5, 3, "forward", passes=2).known()
    assert np.isfinite(fwd[:, :2]).all() and np.isnan(fwd[:, 2:]).all()
    rev = ModesModel(5, 3, "reverse", passes=1).known()
    assert np.isfinite(rev[0]).all() and np.isnan(rev[1:]).all()
    assert ModesModel(5, 3, "forward", passes=99).passes == 5   # clamped to what is needed


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="between 1 and 12, got n=0"):
        ModesModel(0, 3)
    with pytest.raises(ValueError, match="mode must be one of"):
        ModesModel(2, 2, "sideways")
