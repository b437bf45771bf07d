"""Figures without pyplot: build a Figure, attach an Agg canvas, render PNG bytes.

Every picture in the package is a plain :class:`matplotlib.figure.Figure` with a
:class:`~matplotlib.backends.backend_agg.FigureCanvasAgg`. Nothing is registered with
pyplot, so a notebook never shows a figure twice and no global state leaks between
widgets.
"""
from __future__ import annotations

import io

from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Resolution used for every widget picture (pixels per inch).
DPI = 100


class StaticFigure(Figure):
    """A Figure that knows how to show itself as a PNG in any notebook.

    Jupyter displays an object through its ``_repr_png_`` method, so this works even
    when the inline matplotlib backend was never activated (no pyplot import).
    """

    def _repr_png_(self) -> bytes:
        return png_bytes(self)


def new_figure(width_px: int, height_px: int, *, dpi: int = DPI, static: bool = False) -> Figure:
    """A Figure of exactly ``width_px`` x ``height_px`` pixels with an Agg canvas."""
    cls = StaticFigure if static else Figure
    fig = cls(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Figure, *, compress_level: int = 1) -> bytes:
    """Render ``fig`` to PNG bytes (fast compression, no timestamp: identical runs give identical bytes)."""
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.canvas.print_png(
        buffer,
        metadata={"Software": None},
        pil_kwargs={"compress_level": compress_level},
    )
    return buffer.getvalue()


def canvas_png(fig: Figure, *, compress_level: int = 1) -> bytes:
    """Encode what the Agg canvas of ``fig`` holds now (no new draw) as PNG bytes."""
    from PIL import Image  # matplotlib depends on Pillow

    canvas = fig.canvas
    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=compress_level)
    return buffer.getvalue()


def animated(*artists: Artist) -> list[Artist]:
    """Mark artists as *dynamic*: a view redraws only these on top of a cached background.

    Animated artists are skipped by ``canvas.draw()`` (so the background is drawn without
    them) but are included when the figure is saved, so static pictures are complete.
    """
    for artist in artists:
        artist.set_animated(True)
    return list(artists)
