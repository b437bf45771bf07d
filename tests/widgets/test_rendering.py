"""Fast redraws: PNG encoding, kept backgrounds, and redrawing only what changed.

Every shortcut must give the same picture as drawing everything again.
"""
from __future__ import annotations

import random

import numpy as np
import pytest
from test_graph_layout import neuron_graph
from widget_helpers import png_pixels, small_expression

from backprop_lib.viz.raster import artist_rects
from backprop_lib.viz.render import canvas_pixels, encode_png, new_figure
from backprop_lib.widgets import ChainRuleExplorer, GraphStepper, TrainingPlayground


@pytest.mark.parametrize("opaque", [True, False])
def test_encode_png_round_trips_exactly(opaque):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(37, 53, 4), dtype=np.uint8)
    if opaque:
        pixels[..., 3] = 255
    decoded = png_pixels(encode_png(pixels))
    assert decoded.shape == pixels.shape
    assert np.array_equal(decoded, pixels)


def test_live_picture_is_the_canvas():
    view = ChainRuleExplorer()
    assert np.array_equal(png_pixels(view.png()), canvas_pixels(view._fig))


def full_redraw(view) -> np.ndarray:
    """Pixels after drawing every dynamic artist again (no shortcut)."""
    view._painter.changed = None
    view._render()
    return canvas_pixels(view._fig).copy()


@pytest.mark.parametrize("build", [small_expression, lambda: neuron_graph(n_inputs=3)],
                         ids=["fork", "neuron"])
def test_graph_stepper_partial_redraws_equal_full_redraws(build):
    view = GraphStepper(build())
    n = view.model.n_steps
    rng = random.Random(0)
    # every step forward, then jumps back and forth (many boxes change at once)
    positions = list(range(1, n + 1)) + [rng.randrange(n + 1) for _ in range(6)]
    for position in positions:
        view.position_slider.value = position
        partial = canvas_pixels(view._fig).copy()
        assert np.array_equal(partial, full_redraw(view)), f"position {position}"


def test_graph_stepper_chained_partial_redraws_equal_a_fresh_view():
    root = neuron_graph(n_inputs=3)
    view = GraphStepper(root)
    for position in [*range(1, view.model.n_steps + 1), 3, 0, 7]:
        view.position_slider.value = position
    fresh = GraphStepper(neuron_graph(n_inputs=3))
    fresh.set_state({"position": 7})
    assert view.png() == fresh.png()


def test_a_step_of_a_forty_node_graph_redraws_few_texts():
    view = GraphStepper(neuron_graph(n_inputs=8))
    painter, fig = view._painter, view._fig
    drawn = []
    original = fig.draw_artist
    fig.draw_artist = lambda artist: (drawn.append(artist), original(artist))
    for _ in range(view.model.n_forward + 5):  # into the backward pass
        drawn.clear()
        view.step()
        node_texts = [a for a in drawn if a in painter.texts]
        assert 1 <= len(node_texts) <= len(painter.texts) // 4
        assert painter.caption in drawn and painter.title in drawn


def test_hidden_artists_cover_no_pixels():
    fig = new_figure(200, 100)
    text = fig.text(0.5, 0.5, "hello")
    renderer = fig.canvas.get_renderer()
    assert len(artist_rects(text, renderer, (100, 200, 4))) == 1
    text.set_visible(False)
    assert artist_rects(text, renderer, (100, 200, 4)) == []


def count_full_draws(view) -> list[int]:
    calls = [0]
    canvas = view._fig.canvas
    original = canvas.draw

    def draw():
        calls[0] += 1
        original()

    canvas.draw = draw
    return calls


def test_chain_rule_keeps_the_background_of_each_function():
    view = ChainRuleExplorer(function="sin(x²)", x=1.0)
    first = view.png()
    draws = count_full_draws(view)
    view.function_dropdown.value = "tanh(3x)"
    assert draws[0] == 1                          # a new function: drawn in full once
    view.function_dropdown.value = "sin(x²)"
    view.x_slider.value = 1.0
    assert draws[0] == 1                          # coming back: the kept background
    assert view.png() == first                    # ...gives the same picture
    view._invalidate_background()
    view.function_dropdown.value = "tanh(3x)"
    assert draws[0] == 2                          # invalidation forgets every kept background


def test_playground_legend_is_in_the_background_and_the_picture_matches_the_static_one():
    view = TrainingPlayground(n=60)
    legend = view._painter.boundary.image.axes.get_legend()
    assert legend is not None and legend not in view._painter.dynamic
    view.step()
    static = png_pixels(view.figure()._repr_png_())
    live = png_pixels(view.png())
    assert (abs(live.astype(int) - static.astype(int)) > 40).mean() < 0.01


def test_blit_renderer_on_its_own_equals_a_full_draw():
    """The renderer needs no widget: any painter with ``dynamic`` (and ``changed``) artists."""
    from types import SimpleNamespace

    from backprop_lib.viz.raster import BlitRenderer
    from backprop_lib.viz.render import animated, png_bytes

    fig = new_figure(240, 120)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    texts = [ax.text(0.1 + 0.3 * i, 0.5, f"t{i}") for i in range(3)]
    painter = SimpleNamespace(dynamic=animated(*texts), changed=None)
    renderer = BlitRenderer(fig)
    renderer.render(painter)
    assert painter.changed == []
    texts[1].set_text("moved")
    texts[1].set_position((0.5, 0.8))
    painter.changed = [texts[1]]
    live = png_pixels(renderer.render(painter))
    for text in texts:
        text.set_animated(False)
    assert np.array_equal(live, png_pixels(png_bytes(fig)))
