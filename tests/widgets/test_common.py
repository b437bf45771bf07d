"""Contract shared by every widget view (see CONTRIBUTING.md, section Widgets)."""
from __future__ import annotations

import ipywidgets as W
import pytest
from matplotlib.figure import Figure
from widget_helpers import FROM_STATE_KWARGS, SAMPLE_STATES, error_text, make_view, png_pixels, walk

from backprop_lib import widgets


def test_root_picture_and_error_output_have_their_css_classes(view_name):
    view = make_view(view_name)
    assert isinstance(view.widget, W.Box)
    assert "bp-widget" in view.widget._dom_classes
    tree = list(walk(view.widget))
    images = [w for w in tree if isinstance(w, W.Image)]
    outputs = [w for w in tree if isinstance(w, W.Output)]
    assert len(images) == 1 and "bp-figure" in images[0]._dom_classes
    assert len(outputs) == 1 and "bp-error" in outputs[0]._dom_classes


def test_picture_is_a_png_of_the_declared_fixed_size(view_name):
    view = make_view(view_name)
    pixels = png_pixels(view.png())
    assert pixels.shape[:2] == (view.HEIGHT_PX, view.WIDTH_PX)
    assert view.image.width == str(view.WIDTH_PX) and view.image.height == str(view.HEIGHT_PX)
    assert pixels[..., :3].std() > 0  # something is drawn


def test_every_control_has_a_description(view_name):
    view = make_view(view_name)
    controls = [w for w in walk(view.widget)
                if isinstance(w, (W.ValueWidget, W.Button)) and not isinstance(w, (W.Label, W.HTML, W.Image))]
    assert controls
    for control in controls:
        assert control.description.strip(), f"{type(control).__name__} without description"


def test_state_keys_match_the_controls(view_name):
    view = make_view(view_name)
    assert tuple(view._state_controls()) == type(view).STATE_KEYS
    assert set(view.get_state()) == set(type(view).STATE_KEYS)


def test_from_state_restores_the_settings(view_name):
    cls = getattr(widgets, view_name)
    state = SAMPLE_STATES[view_name]
    kwargs = FROM_STATE_KWARGS.get(view_name, dict)()
    view = cls.from_state(state, **kwargs)
    restored = view.get_state()
    for key, value in state.items():
        assert restored[key] == pytest.approx(value) if isinstance(value, float) else restored[key] == value
    assert view.last_error is None


def test_unknown_state_key_is_a_clear_value_error(view_name):
    cls = getattr(widgets, view_name)
    with pytest.raises(ValueError, match="no state key.*'colour'.*valid keys"):
        cls.from_state({"colour": "red"}, **FROM_STATE_KWARGS.get(view_name, dict)())


def test_invalid_state_value_is_a_value_error(view_name):
    view = make_view(view_name)
    key = type(view).STATE_KEYS[0]
    with pytest.raises(ValueError, match=key):
        view.set_state({key: "not a valid value" if not isinstance(view.get_state()[key], str) else 10**9})


def test_figure_is_a_static_matplotlib_figure_that_displays_as_png(view_name):
    view = make_view(view_name)
    fig = view.figure()
    assert isinstance(fig, Figure)
    data = fig._repr_png_()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    # the static picture shows the same thing as the live one
    live, static = png_pixels(view.png()), png_pixels(data)
    assert live.shape == static.shape
    assert (abs(live.astype(int) - static.astype(int)) > 40).mean() < 0.01


def test_displaying_the_view_displays_its_root(view_name):
    view = make_view(view_name)
    assert view._repr_mimebundle_() == view.widget._repr_mimebundle_()


def test_a_failing_callback_shows_its_message_and_raises_nothing(view_name, monkeypatch):
    view = make_view(view_name)
    key = type(view).STATE_KEYS[0]
    control = view._state_controls()[key]

    def broken(_painter):
        raise RuntimeError("the picture broke")

    monkeypatch.setattr(view, "_paint", broken)
    new = SAMPLE_STATES[view_name][key]
    control.value = new  # must not raise
    assert "RuntimeError: the picture broke" in error_text(view)
    assert view.last_error == "RuntimeError: the picture broke"
    assert "Traceback" in view.last_traceback


def test_error_message_goes_away_after_clear(view_name):
    view = make_view(view_name)
    view.show_error(ValueError("x"))
    assert error_text(view)
    view.clear_error()
    assert error_text(view) == "" and view.last_error is None


def test_a_drawing_error_reaches_the_error_output():
    from backprop_lib.widgets import TangentSmokeCheck

    view = TangentSmokeCheck()

    def broken_render():
        raise RuntimeError("something else")

    view._render = broken_render
    view.slider.value = view.slider.value + view.slider.step
    assert view.last_error is not None and "something else" in str(view.last_error)
