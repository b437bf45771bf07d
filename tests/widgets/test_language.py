"""Every widget builds and draws in every language of the course.

The views translate their labels, titles, legends and messages when they are built and
drawn (:mod:`backprop_lib.i18n`). This builds each view under each language other than
English, draws it, moves it to another state (drawn again), and has it refuse a bad
state, so every message it shows there is looked up and formatted in that language: a
translation whose placeholders do not match its ``format()`` call fails here. (What the
translations say is for the catalogs' own checks.)
"""
from __future__ import annotations

import pytest
from widget_helpers import FROM_STATE_KWARGS, SAMPLE_STATES, error_text, make_view, png_pixels

from backprop_lib import widgets
from backprop_lib.i18n import LANGUAGES, get_language, language
from backprop_lib.scalar import Value
from backprop_lib.viz.graph import draw_graph
from backprop_lib.viz.render import png_bytes

OTHER_LANGUAGES = [code for code in LANGUAGES if code != "en"]
# a label with a letter no font of the figure has draws as a box: matplotlib only warns
pytestmark = pytest.mark.filterwarnings("error:Glyph:UserWarning")


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_every_view_builds_and_draws(view_name, code):
    with language(code):
        view = make_view(view_name)
        view.figure()                   # the static picture too (its own texts)
        assert png_pixels(view.png()).shape[:2] == (view.HEIGHT_PX, view.WIDTH_PX)
        view.set_state(SAMPLE_STATES[view_name])
        assert view.last_error is None, error_text(view)
        with pytest.raises(ValueError):
            getattr(widgets, view_name).from_state({"colour": "red"}, **FROM_STATE_KWARGS.get(view_name, dict)())
    assert get_language() == "en"


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_the_graph_figure_draws(code):
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b + a
    c.label = "c"
    c.backward()
    with language(code):
        assert png_bytes(draw_graph(c, width_px=480, height_px=240)).startswith(b"\x89PNG")


def test_hindi_labels_draw_with_the_devanagari_font():
    """A figure label in Hindi draws its Devanagari letters (no "Glyph missing" warning,
    and the letters put ink on the canvas), and Latin labels still use the default font."""
    import warnings

    from matplotlib.font_manager import FontProperties, findfont

    from backprop_lib.viz.render import DEVANAGARI_FAMILY, canvas_pixels, new_figure

    def ink(text: str) -> int:
        fig = new_figure(300, 60)
        fig.text(0.05, 0.3, text, fontsize=20)
        with warnings.catch_warnings():
            warnings.simplefilter("error")      # "Glyph ... missing from font(s)" would raise
            fig.canvas.draw()
        return int((canvas_pixels(fig)[..., :3] < 128).any(axis=-1).sum())

    assert ink("हर layer का gradient") > ink("layer gradient") > 0
    found = findfont(FontProperties(family=[DEVANAGARI_FAMILY]), fallback_to_default=False)
    assert found.endswith("NotoSansDevanagari-Regular.ttf")


def test_the_fallback_font_has_a_bold_weight(caplog):
    """A bold title (English or Hindi) finds its weight in every family of the font list:
    otherwise matplotlib logs "Failed to find font weight bold" to the notebook's stderr."""
    from backprop_lib.viz.render import new_figure, png_bytes

    fig = new_figure(300, 80)
    fig.text(0.05, 0.5, "Gradient norms · हर layer", fontweight="bold")
    with caplog.at_level("WARNING", logger="matplotlib.font_manager"):
        png_bytes(fig)
    assert not [r for r in caplog.records if "Failed to find font" in r.getMessage()]
