"""Every enabled control changes the picture: the headless twin of tests/browser/test_lab.py.

The browser test drives each ``.bp-widget`` like a user: ArrowRight on each slider
(ArrowLeft at its maximum), another option in each dropdown, a click on each button, and
requires the ``.bp-figure`` image to change after each action; disabled controls are
skipped, then tried again at the end (an action elsewhere may have enabled them). This
test does the same on the Python objects, so a control that silently does nothing fails
here, long before anyone opens a browser.

Buttons that start background work (Play, Train) need a running event loop: the whole
walk runs inside ``asyncio.run`` and, after each action, waits (yielding to the loop, as
the kernel does between messages) until the picture changes or a time limit passes.
"""
from __future__ import annotations

import asyncio
import math
import time

import ipywidgets as W
import pytest
from widget_helpers import SAMPLE_STATES, error_text, make_view, walk

#: Seconds an action has to change the picture (the browser test allows 15 s).
PATIENCE = 5.0

SLIDERS = (W.IntSlider, W.FloatSlider, W.FloatLogSlider)
BUTTONS = (W.Button, W.ToggleButton)


def controls(view) -> list[W.Widget]:
    """The controls the browser test operates, in page order."""
    return [w for w in walk(view.widget)
            if isinstance(w, (*SLIDERS, W.Dropdown, W.Checkbox, *BUTTONS))]


def usable(control: W.Widget) -> bool:
    """A user can operate it now: shown and not disabled."""
    hidden = control.layout.display == "none" or control.layout.visibility == "hidden"
    return not hidden and not control.disabled


def slider_key_press(slider: W.Widget) -> tuple[str, object]:
    """What ArrowRight (ArrowLeft at the maximum) does to the slider: (key, new value)."""
    if isinstance(slider, W.FloatLogSlider):
        exponent = math.log(slider.value, slider.base)
        at_max = exponent >= slider.max - 1e-9
        exponent = exponent - slider.step if at_max else exponent + slider.step
        new = slider.base ** min(max(exponent, slider.min), slider.max)
    else:
        at_max = slider.value >= slider.max
        new = slider.value - slider.step if at_max else slider.value + slider.step
        new = min(max(new, slider.min), slider.max)
    return ("ArrowLeft" if at_max else "ArrowRight"), new


def action_for(control: W.Widget):
    """(description, action) of one user action on ``control``, or None if it offers none."""
    name = f"{type(control).__name__} {control.description!r}"
    if isinstance(control, SLIDERS):
        key, new = slider_key_press(control)
        return f"{name}: {key}", lambda: setattr(control, "value", new)
    if isinstance(control, W.Dropdown):
        values = [option[1] if isinstance(option, tuple) else option for option in control.options]
        others = [v for v in values if v != control.value]
        if not others:
            return None
        return f"{name}: pick {others[0]!r}", lambda: setattr(control, "value", others[0])
    if isinstance(control, (W.Checkbox, W.ToggleButton)):
        return f"{name}: click", lambda: setattr(control, "value", not control.value)
    return f"{name}: click", control.click


async def act_and_expect_change(view, label: str, action) -> None:
    before, errors = view.png(), view.error_count
    action()
    deadline = time.monotonic() + PATIENCE
    while view.png() == before and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    assert view.error_count == errors, f"{label}: {error_text(view)}"
    assert view.png() != before, f"{type(view).__name__}: the picture did not change after {label}"


async def exercise(view) -> list[str]:
    """Use every control like the browser test does; returns the actions done."""
    done, skipped = [], []

    async def use(control) -> bool:
        if not usable(control):
            return False
        found = action_for(control)
        if found is None:
            return False
        label, action = found
        await act_and_expect_change(view, label, action)
        done.append(label)
        return True

    try:
        for control in controls(view):
            if not await use(control):
                skipped.append(control)
        for control in skipped:
            await use(control)
    finally:
        try:  # let background work (play, training) end by itself ...
            await asyncio.wait_for(view.wait_idle(), PATIENCE)
        except asyncio.TimeoutError:  # ... or stop it
            for task in list(view._tasks):
                task.cancel()
            await asyncio.gather(*view._tasks, return_exceptions=True)
    return done


def run_walk(view) -> list[str]:
    done = asyncio.run(exercise(view))
    assert done, f"{type(view).__name__} has no control the test knows how to use"
    assert view.last_error is None, view.last_error
    return done


def test_every_enabled_control_changes_the_picture(view_name):
    run_walk(make_view(view_name))


def test_every_enabled_control_changes_the_picture_from_another_state(view_name):
    view = make_view(view_name)
    view.set_state(SAMPLE_STATES[view_name])
    run_walk(view)


def test_graph_stepper_at_the_end_offers_only_what_acts():
    view = make_view("GraphStepper")
    view.set_state({"position": view.model.n_steps})
    assert view.step_button.disabled and view.play_button.disabled
    assert not view.reset_button.disabled and not view.back_button.disabled
    done = run_walk(view)
    assert any("Reset" in label for label in done) and any("Back" in label for label in done)


def test_graph_stepper_at_the_start_disables_reset_and_back():
    view = make_view("GraphStepper")
    assert view.reset_button.disabled and view.back_button.disabled
    assert not view.step_button.disabled and not view.play_button.disabled
    view.step_button.click()
    assert not view.reset_button.disabled and not view.back_button.disabled
    view.back_button.click()
    assert view.reset_button.disabled and view.back_button.disabled


def test_a_disabled_control_would_have_done_nothing(view_name):
    """The converse: every control disabled in the default state is really a no-op there."""
    view = make_view(view_name)
    for control in controls(view):
        if not control.disabled or isinstance(control, W.ToggleButton):
            continue  # (a toggle that starts background work is checked by the walk)
        found = action_for(control)
        if found is None:
            continue
        label, action = found
        before = view.png()
        control.disabled = False
        action()
        assert view.png() == before, f"disabled {label} changed the picture"


def test_a_tiny_change_of_a_slider_still_shows(view_name):
    """Sliders: the picture states the value, so even the smallest step is visible."""
    view = make_view(view_name)
    for control in controls(view):
        if isinstance(control, SLIDERS) and usable(control):
            _key, new = slider_key_press(control)
            before = view.png()
            control.value = new
            assert view.png() != before, f"{control.description!r} moved by one step: no change"


@pytest.mark.parametrize("P", [299_900, 300_000])
def test_cost_of_gradients_shows_every_requested_size(P):
    """Near the top of the range two slider positions build the same network; both show."""
    view = make_view("CostOfGradients")
    view.P_slider.value = P
    before = view.png()
    view.P_slider.value = P - 100
    assert view.png() != before
