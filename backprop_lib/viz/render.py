"""Figures without pyplot: build a Figure, attach an Agg canvas, render PNG bytes.

Every picture in the package is a plain :class:`matplotlib.figure.Figure` with a
:class:`~matplotlib.backends.backend_agg.FigureCanvasAgg`. Nothing is registered with
pyplot, so a notebook never shows a figure twice and no global state leaks between
widgets.
"""
from __future__ import annotations

import io
import math
import struct
import zlib

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.transforms import Bbox

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


#: A pixel rectangle ``(top, bottom, left, right)``: rows ``top:bottom``, columns ``left:right``.
Rect = tuple[int, int, int, int]


def artist_rects(artist: Artist, renderer, shape: tuple[int, ...]) -> list[Rect]:
    """Rectangles covering every pixel that drawing ``artist`` may touch (none if it is hidden).

    Usually one rectangle: the window extent, widened by the line width (an edge is
    centred on the outline) and a pixel of antialiasing, and by a text's background box.
    A long arrow gets one small rectangle per piece of its shaft instead, so that a
    diagonal arrow does not claim the whole box spanned by its two ends.
    ``shape`` is the canvas array's shape (height first); rectangles are clipped to it.
    """
    if not artist.get_visible():
        return []
    lw = artist.get_linewidth() if hasattr(artist, "get_linewidth") else 0.0
    pad = 2 + math.ceil(float(np.max(lw)) * renderer.dpi / 72)
    if isinstance(artist, FancyArrowPatch):
        boxes = [Bbox.from_extents(*piece.min(axis=0), *piece.max(axis=0))
                 for piece in _arrow_pieces(artist)]
    else:
        boxes = [artist.get_window_extent(renderer)]
        patch = getattr(artist, "get_bbox_patch", lambda: None)()
        if patch is not None:  # a text's background box
            artist.update_bbox_position_size(renderer)
            boxes = [Bbox.union([boxes[0], patch.get_window_extent(renderer)])]
            pad = 2 + math.ceil(patch.get_linewidth() * renderer.dpi / 72)
    rects = [_to_rect(box, pad, shape) for box in boxes]
    return [rect for rect in rects if rect is not None]


#: Longest piece of an arrow's shaft covered by one rectangle, in pixels.
_PIECE_PX = 32


def _arrow_pieces(arrow: FancyArrowPatch) -> list[np.ndarray]:
    """Point sets whose bounding boxes together cover ``arrow`` (display coordinates).

    Closed outlines (a filled head) are kept whole; open lines are cut into short pieces.
    """
    path = arrow.get_path()
    pieces = []
    for polygon in path.to_polygons(arrow.get_transform(), closed_only=False):
        if len(polygon) > 2 and np.allclose(polygon[0], polygon[-1]):
            pieces.append(polygon)
            continue
        for start, end in zip(polygon[:-1], polygon[1:]):
            n = max(1, math.ceil(np.hypot(*(end - start)) / _PIECE_PX))
            ts = np.linspace(0, 1, n + 1)[:, None]
            points = start + ts * (end - start)
            pieces += [points[i:i + 2] for i in range(n)]
    return pieces


def _to_rect(box: Bbox, pad: int, shape: tuple[int, ...]) -> Rect | None:
    """Pixel rectangle of a display-space ``box`` (origin bottom left), padded and clipped."""
    height, width = shape[0], shape[1]
    top, bottom = max(0, math.floor(height - box.y1 - pad)), min(height, math.ceil(height - box.y0 + pad))
    left, right = max(0, math.floor(box.x0 - pad)), min(width, math.ceil(box.x1 + pad))
    if top >= bottom or left >= right:
        return None
    return top, bottom, left, right


def overlaps(a: Rect, b: Rect) -> bool:
    """True when two rectangles share at least one pixel."""
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def animated(*artists: Artist) -> list[Artist]:
    """Mark artists as *dynamic*: a view redraws only these on top of a cached background.

    Animated artists are skipped by ``canvas.draw()`` (so the background is drawn without
    them) but are included when the figure is saved, so static pictures are complete.
    """
    for artist in artists:
        artist.set_animated(True)
    return list(artists)
