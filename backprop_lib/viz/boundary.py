"""Decision boundary of a classifier on 2-D data, drawn as a coloured background.

Each grid cell gets the colour of its predicted class (Okabe-Ito palette), faded toward
white where the network is unsure, so the boundary is where colours meet and fade.
The data points are drawn on top with the same colours and a black edge.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D

from backprop_lib.i18n import _
from backprop_lib.viz.colors import OKABE_ITO
from backprop_lib.viz.render import animated


def grid_for(X: np.ndarray, resolution: int = 80, margin: float = 0.5) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Points of a ``resolution x resolution`` grid covering ``X`` (plus a margin) and its extent."""
    x0, y0 = X.min(axis=0) - margin
    x1, y1 = X.max(axis=0) + margin
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()]), (float(x0), float(x1), float(y0), float(y1))


def class_colors(n_classes: int) -> np.ndarray:
    """``(n_classes, 3)`` RGB colours, one per class."""
    return np.array([to_rgb(OKABE_ITO[c % len(OKABE_ITO)]) for c in range(n_classes)])


def probability_image(probs: np.ndarray, resolution: int) -> np.ndarray:
    """RGB image: colour of the most likely class, faded to white as confidence drops."""
    n_classes = probs.shape[1]
    colors = class_colors(n_classes)
    best = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    # confidence 1/C (a coin toss) -> white; 1 -> a light tint of the class colour
    strength = np.clip((confidence - 1 / n_classes) / (1 - 1 / n_classes), 0, 1)[:, None] * 0.55
    rgb = 1 - strength * (1 - colors[best])
    return rgb.reshape(resolution, resolution, 3)


def rgba_bytes(rgb: np.ndarray) -> np.ndarray:
    """An ``(H, W, 3)`` float RGB image in [0, 1] as ``(H, W, 4)`` uint8 RGBA.

    matplotlib draws a uint8 RGBA image a few times faster than a float RGB one (it skips
    its own conversion), which matters for a picture redrawn many times a second.
    """
    out = np.empty(rgb.shape[:2] + (4,), dtype=np.uint8)
    out[..., :3] = np.rint(rgb * 255)
    out[..., 3] = 255
    return out


class BoundaryPainter:
    """Background image + scatter of the data on ``ax``; :meth:`update` takes class probabilities.

    ``legend_below``: put the class legend under the axes instead of inside them. Inside,
    it sits on the image and must be redrawn with it (it is *dynamic*); below, it is part
    of the cached background, which makes every update cheaper.
    """

    def __init__(self, ax, X: np.ndarray, y: np.ndarray, resolution: int = 80, *,
                 legend_below: bool = False) -> None:
        self.ax, self.resolution, self.legend_below = ax, resolution, legend_below
        self.image = ax.imshow(np.ones((resolution, resolution, 3)), origin="lower",
                               aspect="auto", interpolation="bilinear")
        self.points = ax.scatter(X[:, 0], X[:, 1], s=14, edgecolors="black", linewidths=0.5)
        ax.set_xticks([])
        ax.set_yticks([])
        self.legend = None
        self.set_data(X, y)

    def set_data(self, X: np.ndarray, y: np.ndarray) -> None:
        """Show another data set on the same axes (grid, limits, points and legend follow).

        The legend below the axes is not dynamic: a view caching its background must redraw
        it (a new background key, or :meth:`WidgetView._invalidate_background`).
        """
        ax = self.ax
        self.grid, extent = grid_for(X, self.resolution)
        n_classes = int(y.max()) + 1
        colors = class_colors(n_classes)
        self.image.set_extent(extent)
        self.points.set_offsets(X[:, :2])
        self.points.set_facecolors(colors[y])
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        handles = [Line2D([], [], ls="", marker="o", mfc=colors[c], mec="black",
                          label=_("class {index}").format(index=c))
                   for c in range(n_classes)]
        if self.legend is not None:
            self.legend.remove()
        if self.legend_below:
            self.legend = ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                                    ncol=n_classes, fontsize=7, frameon=False, borderaxespad=0.2,
                                    handletextpad=0.2, columnspacing=1.2)
            self.dynamic = animated(self.image, self.points)  # drawn in this order
        else:
            self.legend = ax.legend(handles=handles, loc="lower right", fontsize=7, framealpha=0.8)
            self.dynamic = animated(self.image, self.points, self.legend)

    def update(self, predict_proba: Callable[[np.ndarray], np.ndarray]) -> None:
        """Recolour the background from ``predict_proba(grid) -> (G, C)`` probabilities."""
        self.image.set_data(rgba_bytes(probability_image(predict_proba(self.grid), self.resolution)))
