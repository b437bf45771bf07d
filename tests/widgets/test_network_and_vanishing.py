"""NetworkGradientView and VanishingExplorer."""
from __future__ import annotations

import asyncio

import numpy as np
import pytest

from backprop_lib.gradcheck import numerical_gradient
from backprop_lib.widgets import NetworkGradientView, VanishingExplorer
from backprop_lib.widgets._nets import linear_layers, load_params
from backprop_lib.widgets.network_gradients import NetworkGradientModel
from backprop_lib.widgets.vanishing import VanishingModel


def test_snapshots_are_trained_lazily_in_chunks():
    model = NetworkGradientModel(max_steps=100, chunk=25)
    assert model.trained_steps == 0
    model.backward_pass(30)
    assert model.trained_steps == 50           # two chunks
    with pytest.raises(ValueError, match="between 0 and 100"):
        model.ensure_trained(101)


def test_backward_pass_gradients_match_finite_differences():
    model = NetworkGradientModel(max_steps=20, chunk=10)
    bp = model.backward_pass(15)
    load_params(model.probe, model.snapshots[15])
    W = linear_layers(model.probe)[1].W.data

    def loss(_):
        return model.loss_fn.forward(model.probe.forward(model.X), model.y)

    numeric = numerical_gradient(loss, W)
    np.testing.assert_allclose(bp.dW[1], numeric, rtol=1e-5, atol=1e-9)


def test_backward_stages_reveal_layers_from_the_output():
    model = NetworkGradientModel(hidden=(4, 3), max_steps=10)
    assert model.n_layers == 3
    assert [g is None for g in model.visible_gradients(0, 0)] == [True, True, True]
    assert [g is None for g in model.visible_gradients(0, 1)] == [True, True, False]
    assert [g is None for g in model.visible_gradients(0, 3)] == [False, False, False]


def test_network_view_recolours_edges_when_sliders_move():
    view = NetworkGradientView(max_steps=40, chunk=10)
    lines = view._painter.network.lines
    full = np.array(lines.get_colors())
    view.stage_slider.value = 0
    hidden = np.array(lines.get_colors())
    assert np.allclose(hidden, hidden[0])      # all the same grey: nothing computed yet
    assert not np.allclose(full, hidden)
    view.stage_slider.value = view.model.n_layers
    before = view.png()
    view.step_slider.value = 30
    assert view.png() != before
    widths = np.asarray(lines.get_linewidths())
    assert widths.max() == pytest.approx(4.0)   # the largest gradient gets the widest line
    assert "step 30" in view._painter.title.get_text()


def test_network_view_play_animates_the_backward_pass():
    view = NetworkGradientView(max_steps=10, interval=0.0)
    seen = []
    view.stage_slider.observe(lambda change: seen.append(change["new"]), names="value")

    async def main():
        view.play_button.value = True
        await view.wait_idle()

    asyncio.run(main())
    assert seen == [0, 1, 2, 3]
    assert view.play_button.value is False and view.last_error is None


def test_sigmoid_gradients_vanish_and_he_relu_keeps_them_level():
    sig = VanishingModel(depth=30, activation="sigmoid", init="xavier").profile()
    assert sig.grad_norm[0] / sig.grad_norm[-1] < 1e-6
    he = VanishingModel(depth=30, activation="relu", init="he").profile()
    assert 1e-2 < he.grad_norm[0] / he.grad_norm[-1] < 1e2
    assert 0.1 < he.act_std[-1] / he.act_std[0] < 10


def test_small_fixed_scale_shrinks_activations_geometrically():
    p = VanishingModel(depth=10, activation="tanh", init="fixed", scale=0.05).profile()
    assert np.all(np.diff(np.log(p.act_std)) < 0)
    assert "vanishing" in VanishingModel(depth=10, activation="tanh", init="fixed", scale=0.05).verdict()
    # the same diagnosis as a key that does not depend on the language (the notebooks assert on it)
    assert VanishingModel(depth=10, activation="tanh", init="fixed", scale=0.05).trend() == "vanishing"
    assert VanishingModel(depth=30, activation="relu", init="fixed", scale=0.3).trend() == "exploding"


def test_vanishing_view_controls_update_lines_and_scale_slider():
    view = VanishingExplorer(depth=5)
    assert view.scale_slider.disabled
    before = view.png()
    view.depth_slider.value = 30
    assert len(view._painter.grad_line.get_xdata()) == 30
    assert view.png() != before
    view.init_dropdown.value = "fixed"
    assert not view.scale_slider.disabled
    view.scale_slider.value = 0.01
    assert view.model.init_spec == pytest.approx(0.01)
    text = view._painter.text.get_text()
    assert "fixed σ = 0.01" in text and "vanishing" in text
    with pytest.raises(ValueError, match="depth"):
        view.set_state({"depth": 60})
    with pytest.raises(ValueError, match="activation"):
        view.set_state({"activation": "swish"})


def test_off_scale_values_are_marked():
    view = VanishingExplorer.from_state({"depth": 40, "activation": "sigmoid", "init": "fixed", "scale": 0.001})
    low = view._painter.grad_low
    assert len(low.get_xdata()) > 0


def test_network_view_pausing_the_backward_animation_shows():
    view = NetworkGradientView(max_steps=40, chunk=10, interval=10.0)
    seen = {}

    async def main():
        view.play_button.value = True
        await asyncio.sleep(0)
        seen["playing"] = (view.play_button.description, view._painter.title.get_text())
        before = view.png()
        view.play_button.value = False
        seen["paused"] = (view.play_button.description, view.png() != before)
        await view.wait_idle()

    asyncio.run(main())
    assert seen["playing"][0] == "■ Pause" and "(playing)" in seen["playing"][1]
    assert seen["paused"] == ("▶ Play backward", True)


def test_scale_slider_is_enabled_exactly_for_the_fixed_init():
    for init in ["fixed", "xavier", "he"]:
        view = VanishingExplorer(depth=5, init=init)
        assert view.scale_slider.disabled == (init != "fixed")
        view.set_state({"init": "fixed"})
        assert not view.scale_slider.disabled
        before = view.png()
        view.scale_slider.value = 0.5
        assert view.png() != before


def test_hinge_model_has_one_score_and_scalar_order_matches_the_scalar_engine():
    from backprop_lib.scalar import MLP

    model = NetworkGradientModel(hidden=(3, 2), max_steps=10, loss="hinge")
    assert model.sizes == (2, 3, 2, 1)
    step = 7
    net = MLP(2, [3, 2, 1], activation="tanh")
    params = model.scalar_parameters(step)
    assert len(params) == len(net.parameters()) == (2 + 1) * 3 + (3 + 1) * 2 + (2 + 1) * 1
    for p, value in zip(net.parameters(), params):
        p.data = value
    scores = [net([float(a), float(b)]) for a, b in model.X]
    signs = [1 if label == 1 else -1 for label in model.y]
    loss = sum(((1 - t * s).relu() for s, t in zip(scores, signs)), scores[0] * 0) * (1 / len(signs))
    loss.backward()
    assert abs(loss.data - model.backward_pass(step).loss) < 1e-12
    np.testing.assert_allclose([p.grad for p in net.parameters()], model.scalar_gradients(step),
                               rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="loss must be one of"):
        NetworkGradientModel(loss="mse")
