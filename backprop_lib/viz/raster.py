"""Fast redraws of a reused figure: a cached background, and only the pixels that changed.

A widget redraws the same figure many times a second with small changes (a point moves, a
label changes). :class:`BlitRenderer` renders it to PNG bytes without drawing everything
each time, through a *painter*: any object holding the figure's artists, with

* ``dynamic``: the artists that change (marked with
  :func:`~backprop_lib.viz.render.animated`, drawn in this order). Everything else is
  drawn once into a cached background; later renders restore that background and draw
  only the dynamic artists (blitting), several times faster than a full draw. Without
  ``dynamic`` every render is a full draw.
* ``changed`` (optional): the dynamic artists restyled since the last render (``None``:
  unknown, all of them). Then only the pixels those artists cover, before and after the
  change, are restored and redrawn (with every dynamic artist overlapping them, in order);
  the rest of the previous picture stays. The renderer empties the list after each render.

Either shortcut gives the same picture, pixel for pixel, as drawing everything again.
Backgrounds can be kept per *background key* (e.g. the function shown): coming back to a
key costs a blit, not a full draw.
"""
from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.transforms import Bbox

from backprop_lib.viz.render import canvas_pixels, canvas_png

__all__ = ["BlitRenderer", "Rect", "artist_rects", "overlaps"]


class BlitRenderer:
    """Renders a painter's figure to PNG bytes, redrawing as little as possible.

    Args:
        fig: the figure (with an Agg canvas) the painter's artists live on.
        kept_backgrounds: most backgrounds kept by key (each is one full RGBA copy of the canvas).
    """

    def __init__(self, fig: Figure, *, kept_backgrounds: int = 8) -> None:
        self.fig = fig
        self.kept_backgrounds = kept_backgrounds
        self._background: np.ndarray | None = None  # pixels without the dynamic artists
        self._background_drawn_for: Hashable | None = None  # its background key
        self._backgrounds: dict[Hashable, np.ndarray] = {}  # kept backgrounds, oldest first
        self._rects: dict[Any, list[Rect]] = {}  # dynamic artist -> pixels it covers (painters with `changed`)

    def invalidate(self) -> None:
        """Forget every background: call when something outside the ``dynamic`` artists changed,
        or the painter is new. (Not needed for a new background key: that switches backgrounds.)"""
        self._background = None
        self._backgrounds.clear()

    def render(self, painter: Any, background_key: Hashable | None = None) -> bytes:
        """PNG bytes of the figure as ``painter`` left it.

        ``background_key``: what the background depends on (``None``: only the current
        background is kept, until :meth:`invalidate`).
        """
        fig = self.fig
        dynamic = list(getattr(painter, "dynamic", ()))
        if not dynamic:
            fig.canvas.draw()
            return canvas_png(fig)
        changed = getattr(painter, "changed", None)
        key = background_key
        if self._background is None or key != self._background_drawn_for:
            self._background = self._backgrounds.get(key) if key is not None else None
            self._background_drawn_for = key
            changed = None
        if self._background is None:
            fig.canvas.draw()  # animated artists are skipped: this is the background
            self._background = canvas_pixels(fig).copy()
            if key is not None:
                if len(self._backgrounds) >= self.kept_backgrounds:
                    self._backgrounds.pop(next(iter(self._backgrounds)))  # the oldest
                self._backgrounds[key] = self._background
        if changed is None:
            canvas_pixels(fig)[...] = self._background
            self._draw_dynamic(dynamic, track=hasattr(painter, "changed"))
        else:
            self._redraw_changed(dynamic, changed)
        if hasattr(painter, "changed"):
            painter.changed = []
        return canvas_png(fig)

    def _draw_dynamic(self, dynamic: list, *, track: bool) -> None:
        """Draw every dynamic artist on the background; ``track``: remember where each went."""
        fig = self.fig
        for artist in dynamic:
            if artist.get_visible():
                fig.draw_artist(artist)
        if track:
            renderer, shape = fig.canvas.get_renderer(), self._background.shape
            self._rects = {artist: artist_rects(artist, renderer, shape) for artist in dynamic}

    def _redraw_changed(self, dynamic: list, changed: list) -> None:
        """Redraw only the pixels covered by ``changed`` artists (before or after the change).

        Those pixels get the background back, every dynamic artist covering some of them is
        drawn again, whole and in order, and the new pixels are kept only inside them: so
        each pixel ends up exactly as a redraw of everything would make it.
        """
        fig = self.fig
        renderer, frame = fig.canvas.get_renderer(), canvas_pixels(fig)
        dirty: list[Rect] = []
        for artist in set(changed):
            dirty += self._rects.get(artist, [])                           # where it was drawn
            self._rects[artist] = artist_rects(artist, renderer, frame.shape)  # where it goes now
            dirty += self._rects[artist]
        if not dirty:
            return
        previous = frame.copy()
        for top, bottom, left, right in dirty:
            frame[top:bottom, left:right] = self._background[top:bottom, left:right]
        for artist in dynamic:
            if any(overlaps(rect, d) for rect in self._rects.get(artist, ()) for d in dirty):
                fig.draw_artist(artist)
        for top, bottom, left, right in dirty:
            previous[top:bottom, left:right] = frame[top:bottom, left:right]
        frame[...] = previous


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
