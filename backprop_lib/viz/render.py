"""Figures without pyplot: build a Figure, attach an Agg canvas, render PNG bytes.

Every picture in the package is a plain :class:`matplotlib.figure.Figure` with a
:class:`~matplotlib.backends.backend_agg.FigureCanvasAgg`. Nothing is registered with
pyplot, so a notebook never shows a figure twice and no global state leaks between
widgets.
"""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Resolution used for every widget picture (pixels per inch).
DPI = 100

#: The font for Devanagari (the Hindi edition's labels), shipped with the package (SIL OFL 1.1,
#: see fonts/OFL.txt): DejaVu Sans, matplotlib's default, has no Devanagari glyphs.
DEVANAGARI_FONTS = [Path(__file__).with_name("fonts") / f"NotoSansDevanagari-{weight}.ttf" for weight in ("Regular", "Bold")]
DEVANAGARI_FAMILY = "Noto Sans Devanagari"


def use_devanagari_fallback() -> None:
    """Register the Devanagari font and put it after the default family, so a label with
    Hindi in it draws its Devanagari letters from it (matplotlib falls back glyph by glyph
    along ``font.family``, and shapes the script with its text-layout library) and everything
    else exactly as before. The one global setting the package touches; done once, on import."""
    known = {f.fname for f in font_manager.fontManager.ttflist}
    for path in DEVANAGARI_FONTS:    # regular and bold: a bold title finds its weight, without a warning
        if str(path) not in known:
            font_manager.fontManager.addfont(str(path))
    families = list(matplotlib.rcParams["font.family"])
    if DEVANAGARI_FAMILY not in families:
        matplotlib.rcParams["font.family"] = families + [DEVANAGARI_FAMILY]


use_devanagari_fallback()


def with_devanagari(family: str) -> list[str]:
    """A font family for an artist that names its own (``family="DejaVu Sans Mono"``), with
    the Devanagari fallback after it."""
    return [family, DEVANAGARI_FAMILY]


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


def canvas_pixels(fig: Figure) -> np.ndarray:
    """The Agg canvas of ``fig`` as a writable ``(height, width, 4)`` RGBA array (no copy).

    Row 0 is the top of the picture. Writing into the array changes the canvas.
    """
    return np.asarray(fig.canvas.buffer_rgba())


def canvas_png(fig: Figure, *, compress_level: int = 1) -> bytes:
    """Encode what the Agg canvas of ``fig`` holds now (no new draw) as PNG bytes."""
    return encode_png(canvas_pixels(fig), compress_level=compress_level)


def encode_png(pixels: np.ndarray, *, compress_level: int = 1) -> bytes:
    """PNG bytes of an ``(height, width, 4)`` uint8 RGBA array.

    A minimal encoder (the PNG format is a header, zlib-compressed rows, an end marker).
    Rows are stored unfiltered: for flat-coloured plots that compresses about as well as
    Pillow's encoder, in about half the time (a few milliseconds per widget picture). An
    opaque picture (the usual case) is stored as RGB, a quarter less data.
    """
    height, width, _ = pixels.shape
    opaque = bool((pixels[..., 3] == 255).all())
    channels = pixels[..., :3] if opaque else pixels
    rows = np.zeros((height, 1 + width * channels.shape[2]), dtype=np.uint8)  # filter byte 0: none
    rows[:, 1:] = channels.reshape(height, -1)
    color_type = 2 if opaque else 6  # truecolour, or truecolour with alpha
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"".join([
        b"\x89PNG\r\n\x1a\n",
        _png_chunk(b"IHDR", header),
        _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), compress_level)),
        _png_chunk(b"IEND", b""),
    ])


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def animated(*artists: Artist) -> list[Artist]:
    """Mark artists as *dynamic*: a view redraws only these on top of a cached background.

    Animated artists are skipped by ``canvas.draw()`` (so the background is drawn without
    them) but are included when the figure is saved, so static pictures are complete.
    """
    for artist in artists:
        artist.set_animated(True)
    return list(artists)
