"""TrainingPlayground and CostOfGradients."""
from __future__ import annotations

import asyncio

import numpy as np
import pytest
from widget_helpers import error_text, png_pixels

from backprop_lib.widgets import CostOfGradients, TrainingPlayground
from backprop_lib.widgets._nets import build_mlp, parse_sizes
from backprop_lib.widgets.cost import CostModel, width_for
from backprop_lib.widgets.playground import PlaygroundModel


def test_playground_model_learns_moons_without_a_browser():
    model = PlaygroundModel("moons", (16, 16), "tanh", lr=0.5, n=100)
    first = model.trainer.step()
    model.train(300)
    assert model.history[-1] < 0.5 * first
    assert model.accuracy() > 0.85
    probs = model.predict_proba(np.zeros((5, 2)))
    assert probs.shape == (5, 2) and np.allclose(probs.sum(axis=1), 1)


def test_spirals_has_three_classes():
    model = PlaygroundModel("spirals", (8,), n=60)
    assert model.n_classes == 3 and model.predict_proba(model.X).shape == (60, 3)


def test_step_button_trains_and_redraws():
    view = TrainingPlayground(n=60)
    before = view.png()
    view.step_button.click()
    assert view.model.steps == view.STEP_STEPS
    assert len(view._painter.loss_line.get_xdata()) == view.STEP_STEPS
    assert view.png() != before
    assert f"step {view.STEP_STEPS}" in view.status.value


def test_train_runs_in_chunks_that_yield_and_pause_stops_it():
    view = TrainingPlayground(n=60)
    view.RUN_STEPS = 10_000
    ticks = 0

    async def main():
        nonlocal ticks
        view.train_button.click()
        assert view.running
        for _ in range(40):
            ticks += 1
            await asyncio.sleep(0.005)
            if view.model.steps > 0 and view.render_count > 3:
                break
        view.pause_button.click()
        await view.wait_idle()

    asyncio.run(main())
    assert not view.running and not view.busy
    assert 0 < view.model.steps < 10_000
    assert view.progress.value == view.model.steps
    assert ticks > 1                            # the loop yielded to other coroutines
    steps = view.model.steps
    asyncio.run(asyncio.sleep(0.05))
    assert view.model.steps == steps            # really stopped


def test_invalid_hidden_sizes_show_an_error_and_keep_the_model():
    view = TrainingPlayground(n=60)
    model = view.model
    view.hidden_text.value = "16, abc"
    assert "ValueError" in error_text(view) and "whole numbers" in error_text(view)
    assert view.model is model
    view.hidden_text.value = "8, 4"
    assert view.model.hidden == (8, 4) and error_text(view) == ""


def _diverge_at_step_3(model):
    real_step = model.trainer.step

    def step():
        if model.trainer.step_count == 2:
            raise FloatingPointError("loss became nan at step 3; try a smaller learning rate (lr=10)")
        return real_step()

    model.trainer.step = step


def test_a_training_error_from_step_shows_in_the_widget():
    view = TrainingPlayground(n=60)
    _diverge_at_step_3(view.model)
    view.step_button.click()                    # must not raise
    assert "FloatingPointError: loss became nan at step 3" in error_text(view)


def test_a_training_error_in_the_background_stops_training_and_shows():
    view = TrainingPlayground(n=60)
    _diverge_at_step_3(view.model)

    async def main():
        view.train_button.click()
        await view.wait_idle()

    asyncio.run(main())
    assert "FloatingPointError: loss became nan at step 3" in error_text(view)
    assert not view.running and view.model.steps == 2


def test_changing_the_dataset_rebuilds_the_picture():
    view = TrainingPlayground(n=60)
    view.dataset_dropdown.value = "spirals"
    assert view.model.n_classes == 3
    assert sum(bar.get_visible() for bar in view._painter.bars) == 3  # 0.W, 2.W, 4.W of the 16, 16 net
    assert view.last_error is None


@pytest.mark.parametrize("text, sizes", [("16, 16", (16, 16)), ("8", (8,)), ("4 4 2", (4, 4, 2))])
def test_parse_sizes(text, sizes):
    assert parse_sizes(text) == sizes


@pytest.mark.parametrize("P", [100, 1234, 10_000, 300_000])
def test_width_for_hits_the_parameter_count(P):
    w = width_for(P)
    assert abs(build_mlp((32, w, w, 10)).num_parameters() - P) <= 0.05 * P + 50


def test_measurement_counts_two_forward_passes_per_sampled_parameter():
    m = CostModel(budget=0.002, repeats=2).measure(5000)
    assert m.fd_forward_calls == 2 * m.k
    assert 2 <= m.k <= m.P
    assert m.finite_differences == pytest.approx(m.fd_sample_time / m.k * m.P)
    assert m.ratio == pytest.approx(m.backward / m.forward)
    assert m.backprop == pytest.approx(m.forward + m.backward)


def test_measurement_with_a_fake_clock_is_exact():
    class Clock:
        """Each reading advances one unit: every timed block lasts a known number of units."""
        def __init__(self):
            self.t = 0.0

        def __call__(self):
            self.t += 1.0
            return self.t

    m = CostModel(budget=10.0, repeats=3, clock=Clock()).measure(100)
    assert m.forward == 1.0 and m.backward == pytest.approx(1e-9)  # both blocks read 1 unit
    assert m.k == 5                              # budget / (2 * forward) = 10 / 2
    assert m.fd_sample_time == 1.0 and m.finite_differences == pytest.approx(1.0 / 5 * m.P)


def test_cost_view_adds_a_point_per_setting():
    view = CostOfGradients(P=1000, budget=0.002, repeats=2)
    view.P_slider.value = 20_000
    xs = view._painter.fd_line.get_xdata()
    assert len(xs) == 2 and sorted(xs) == list(xs)
    text = view._painter.text.get_text()
    assert f"{view.current.P:,}" in text and f"{view.current.ratio:.2f}" in text
    with pytest.raises(ValueError, match="P"):
        view.set_state({"P": 10})


# ---------------------------------------------------------------- settings restart training
def fresh_png(**settings) -> bytes:
    return TrainingPlayground(n=60, **settings).png()


@pytest.mark.parametrize("control, value, shown", [
    ("optimizer_dropdown", "adam", "Adam lr=0.3"),
    ("lr_slider", 0.05, "SGD lr=0.05"),
    ("activation_dropdown", "relu", "16,16 ReLU"),
    ("dataset_dropdown", "xor", "xor · 16,16"),
    ("hidden_text", "8", "moons · 8 tanh"),
])
def test_a_new_setting_restarts_from_a_fresh_network_drawn_at_once(control, value, shown):
    view = TrainingPlayground(n=60)
    view.step_button.click()
    trained = view.png()
    getattr(view, control).value = value
    assert view.model.steps == 0 and view.model.history == [] and view.progress.value == 0
    assert len(view._painter.loss_line.get_xdata()) == 0            # an empty loss curve
    title = view._painter.title.get_text()
    assert shown in title and "step 0" in title
    assert view.png() != trained
    key = {"optimizer_dropdown": "optimizer", "lr_slider": "lr", "activation_dropdown": "activation",
           "dataset_dropdown": "dataset", "hidden_text": "hidden"}[control]
    # the same picture as a new playground with these settings: seeded, reproducible
    assert png_pixels(view.png()).tolist() == png_pixels(fresh_png(**{key: value})).tolist()


def test_the_title_states_every_setting():
    view = TrainingPlayground(dataset="moons", hidden="16, 16", activation="tanh", optimizer="sgd",
                              lr=0.3, n=60)
    assert view._painter.title.get_text().startswith("moons · 16,16 tanh · SGD lr=0.3 · step 0")


def test_every_learning_rate_step_shows_in_the_title():
    view = TrainingPlayground(n=60)
    seen = set()
    for exponent in np.arange(-4, 1.01, 0.1):
        view.lr_slider.value = 10 ** exponent
        seen.add(view._painter.title.get_text())
    assert len(seen) == 51


def test_coming_back_to_a_data_set_gives_the_same_picture():
    view = TrainingPlayground(n=60)
    first = view.png()
    for dataset in ["spirals", "circles", "moons"]:
        view.dataset_dropdown.value = dataset
    view.hidden_text.value = "4, 4, 4, 4"
    view.hidden_text.value = "16, 16"
    assert view.png() == first


def test_hidden_sizes_change_the_bars():
    view = TrainingPlayground(n=60)
    view.hidden_text.value = "8, 8, 8, 8"
    bars = view._painter.bars
    assert [bar.get_visible() for bar in bars] == [True] * 5 + [False] * 2
    names = ["0.W", "2.W", "4.W", "6.W", "8.W"]          # as net.named_parameters() names them
    assert [t.get_text() for t in view._painter.ax_grad.get_yticklabels()] == names
    assert view.model.weight_names() == names
    assert names == [name for name, _ in view.model.net.named_parameters() if name.endswith("W")]


# ---------------------------------------------------------------- buttons follow the state
def test_pause_is_enabled_only_while_training():
    view = TrainingPlayground(n=60)
    view.RUN_STEPS = 10_000
    assert view.pause_button.disabled and not view.train_button.disabled
    states = {}

    async def main():
        view.train_button.click()
        states["running"] = (view.train_button.disabled, view.pause_button.disabled,
                             "training…" in view._painter.title.get_text())
        while view.model.steps == 0:
            await asyncio.sleep(0.005)
        before = view.png()
        view.pause_button.click()
        states["paused"] = (view.train_button.disabled, view.pause_button.disabled,
                            "training…" in view._painter.title.get_text(), view.png() != before)
        await view.wait_idle()

    asyncio.run(main())
    assert states["running"] == (True, False, True)
    assert states["paused"] == (False, True, False, True)


def test_training_to_the_end_re_enables_train():
    view = TrainingPlayground(n=60)
    view.RUN_STEPS = 30

    async def main():
        view.train_button.click()
        await view.wait_idle()

    asyncio.run(main())
    assert view.model.steps == 30 and not view.running
    assert not view.train_button.disabled and view.pause_button.disabled
    assert "training…" not in view._painter.title.get_text()


def test_a_new_setting_while_training_stops_it_and_train_runs_one_loop():
    view = TrainingPlayground(n=60)
    view.RUN_STEPS = 10_000

    async def main():
        view.train_button.click()
        while view.model.steps == 0:
            await asyncio.sleep(0.005)
        view.optimizer_dropdown.value = "adam"           # stops training, fresh network
        assert not view.running and view.model.steps == 0
        assert view.pause_button.disabled and not view.train_button.disabled
        view.train_button.click()                        # at once: the old loop must not revive
        await asyncio.sleep(0.1)
        view.pause_button.click()
        await view.wait_idle()

    asyncio.run(main())
    assert view.model.steps == view.progress.value       # one loop trained this model


def test_a_diverged_loss_disables_train_and_step_until_a_setting_changes():
    view = TrainingPlayground(n=60)
    _diverge_at_step_3(view.model)
    view.step_button.click()
    assert view.model.failure and view.train_button.disabled and view.step_button.disabled
    assert "diverged" in view._painter.title.get_text() and "step 2" in view._painter.title.get_text()
    view.lr_slider.value = 0.1
    assert view.model.failure is None
    assert not view.train_button.disabled and not view.step_button.disabled
    assert "diverged" not in view._painter.title.get_text()


# ---------------------------------------------------------------- cost of gradients
def test_cost_title_names_the_network_for_the_slider_value():
    view = CostOfGradients(P=10_000, budget=0.002, repeats=2)
    w = width_for(10_000)
    assert view._painter.title.get_text() == f"cost of one gradient · network 32→{w}→{w}→10 for P ≈ 10,000"
    assert view.current.requested == 10_000 and view.current.width == w
