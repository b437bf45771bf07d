"""TangentSmokeCheck and ChainRuleExplorer: drive the controls, check model and artists."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib.widgets import ChainRuleExplorer, TangentSmokeCheck
from backprop_lib.widgets.chain_rule import COMPOSITES, ChainRuleModel


def test_smoke_slider_moves_point_and_turns_tangent():
    view = TangentSmokeCheck(x=0.5)
    before = view.png()
    view.slider.value = -1.5
    assert view.model.x == -1.5 and view.model.slope == -3.0
    p = view._painter
    assert list(p.point.get_xdata()) == [-1.5] and list(p.point.get_ydata()) == [2.25]
    xs, ys = np.asarray(p.tangent.get_xdata()), np.asarray(p.tangent.get_ydata())
    assert (ys[1] - ys[0]) / (xs[1] - xs[0]) == pytest.approx(-3.0)
    assert "-3.00" in p.title.get_text()
    assert view.png() != before


# derivatives written independently of the module, by hand
HAND = {
    "sin(x²)": lambda x: math.cos(x * x) * 2 * x,
    "exp(−x²)": lambda x: math.exp(-x * x) * (-2 * x),
    "tanh(3x)": lambda x: (1 - math.tanh(3 * x) ** 2) * 3,
    "sigmoid(w·x), w = 2": lambda x: 2 * math.exp(-2 * x) / (1 + math.exp(-2 * x)) ** 2,
    "log(1 + x²)": lambda x: 2 * x / (1 + x * x),
    "(2x − 1)²": lambda x: 4 * (2 * x - 1),
}


def test_every_composite_has_a_hand_derivative():
    assert set(HAND) == set(COMPOSITES)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(COMPOSITES)), t=st.floats(0, 1))
def test_chain_rule_product_matches_hand_derivative_and_numerical_slope(name, t):
    low, high = COMPOSITES[name].x_range
    model = ChainRuleModel(name, low + t * (high - low))
    assert model.product == pytest.approx(HAND[name](model.x), rel=1e-9, abs=1e-12)
    assert model.numerical == pytest.approx(model.product, rel=1e-5, abs=1e-7)
    assert model.product == model.df * model.dg


def test_unknown_function_is_rejected():
    with pytest.raises(ValueError, match="unknown function"):
        ChainRuleModel("cos(x)")


def test_chain_rule_view_updates_text_tangents_and_slider_range():
    view = ChainRuleExplorer(function="sin(x²)", x=1.0)
    before = view.png()
    view.x_slider.value = 0.7
    p = view._painter
    expected = HAND["sin(x²)"](0.7)
    assert f"{expected:.4f}" in p.text.get_text()
    xs, ys = (np.asarray(a) for a in p.comp.tangent.get_data())
    assert (ys[1] - ys[0]) / (xs[1] - xs[0]) == pytest.approx(expected)
    assert view.png() != before

    view.function_dropdown.value = "tanh(3x)"
    assert (view.x_slider.min, view.x_slider.max) == COMPOSITES["tanh(3x)"].x_range
    assert view.model.x == view.x_slider.value == 0.7
    assert "tanh(3x)" in p.comp.ax.title.get_text()
    assert f"{HAND['tanh(3x)'](0.7):.4f}" in p.text.get_text()

    view.function_dropdown.value = "(2x − 1)²"  # range -1..2
    view.x_slider.value = 1.9
    view.function_dropdown.value = "tanh(3x)"  # range -1.5..1.5: x is clamped
    assert view.model.x == view.x_slider.value == 1.5
    assert view.last_error is None


@pytest.mark.parametrize("name", list(COMPOSITES))
def test_chain_rule_legend_covers_no_panel(name):
    """The legend sits below the three panels, so it can never hide a curve."""
    fig = ChainRuleExplorer(function=name, x=0.5).figure()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    assert len(fig.legends) == 1 and all(ax.get_legend() is None for ax in fig.axes)
    legend = fig.legends[0].get_window_extent(renderer)
    for ax in fig.axes:
        assert not legend.overlaps(ax.get_tightbbox(renderer)), f"{name}: the legend overlaps a panel"


def test_chain_rule_summary_reads_as_a_product():
    model = ChainRuleModel("sin(x²)", 1.0)
    assert model.summary().startswith("g'(x) × f'(g(x)) = 2.0000 × 0.5403 = 1.0806")
