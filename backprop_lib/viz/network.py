"""Draw an MLP as columns of units joined by one line per weight.

:class:`NetworkPainter` colours each weight's line by a signed quantity (usually its
gradient ``dW``) with the diverging colour map and sets its width by the magnitude.
Weights not computed yet are drawn thin and grey. A colourbar states the encoding.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from backprop_lib.i18n import _
from backprop_lib.viz.colors import DIVERGING, HIGHLIGHT, MUTED, diverging_label, symmetric_norm
from backprop_lib.viz.render import animated

MAX_WIDTH = 4.0
MIN_WIDTH = 0.3


class NetworkPainter:
    """Units of an MLP with ``sizes`` (input first) drawn in ``rect`` of ``fig``.

    Call :meth:`update` with one signed ``(n_in, n_out)`` array per Linear layer (or
    ``None`` for a layer not computed yet). ``quantity`` names what the colours show in the
    colourbar (default: the gradient relative to the largest one); ``layer_names`` label
    the columns (default: input, hidden 1, ..., output).
    """

    def __init__(self, fig: Figure, sizes: Sequence[int], rect: tuple[float, float, float, float],
                 colorbar_rect: tuple[float, float, float, float], *, quantity: str | None = None,
                 layer_names: Sequence[str] | None = None) -> None:
        if quantity is None:
            quantity = _("∂L/∂W ÷ largest |∂L/∂W|")
        self.sizes = list(sizes)
        self.ax = ax = fig.add_axes(rect)
        ax.set_axis_off()
        n_cols = len(sizes)
        tallest = max(sizes)
        ax.set_xlim(-0.4, n_cols - 0.6)
        ax.set_ylim(-tallest / 2 - 0.9, tallest / 2 + 0.5)
        self.unit_xy = [np.column_stack([np.full(n, float(c)), (n - 1) / 2 - np.arange(n)])
                        for c, n in enumerate(sizes)]
        segments = []
        self.slices: list[slice] = []
        for c in range(n_cols - 1):
            start = len(segments)
            a, b = self.unit_xy[c], self.unit_xy[c + 1]
            for i in range(len(a)):          # row i of W: input unit i
                for j in range(len(b)):      # column j: output unit j
                    segments.append([a[i], b[j]])
            self.slices.append(slice(start, len(segments)))
        self.cmap = colormaps[DIVERGING]
        self.norm = symmetric_norm(1.0)
        self.lines = LineCollection(segments, colors=[MUTED] * len(segments), linewidths=MIN_WIDTH,
                                    zorder=1)
        ax.add_collection(self.lines)
        xy = np.vstack(self.unit_xy)
        units = ax.scatter(xy[:, 0], xy[:, 1], s=110, facecolor="white", edgecolor="black", zorder=3,
                           linewidths=1.0)
        names = layer_names or ([_("input")] + [_("hidden {index}").format(index=k) for k in range(1, n_cols - 1)]
                                + [_("output")])
        for c, (name, n) in enumerate(zip(names, sizes)):
            ax.text(c, -tallest / 2 - 0.55, f"{name}\n({n})", ha="center", va="top", fontsize=9)
        # a bracket over the layer whose gradient was computed last
        self.marker = ax.text(0, tallest / 2 + 0.2, "", ha="center", va="bottom", fontsize=9,
                              color="black", fontweight="bold")
        colorbar = fig.colorbar(ScalarMappable(self.norm, self.cmap), cax=fig.add_axes(colorbar_rect),
                                orientation="horizontal")
        colorbar.set_label(_("{colours}; line width = size").format(colours=diverging_label(quantity)), fontsize=9)
        colorbar.ax.tick_params(labelsize=8)
        self.dynamic = animated(self.lines, units, self.marker)  # units drawn over the lines

    def update(self, values: Sequence[np.ndarray | None], *, scale: float | None = None,
               current: int | None = None, current_text: str = "") -> None:
        """Colour the weights of each layer by ``values[k] / scale`` (``None``: not computed).

        ``scale`` defaults to the largest absolute value present; ``current`` is the
        index of the layer to mark with ``current_text``.
        """
        present = [np.abs(v).max() for v in values if v is not None and v.size]
        if scale is None:
            scale = max(present) if present else 1.0
        scale = scale if scale > 0 else 1.0
        n = sum(s.stop - s.start for s in self.slices)
        colors = np.tile(np.array(to_rgba(MUTED, 0.5)), (n, 1))
        widths = np.full(n, MIN_WIDTH)
        for k, (sl, v) in enumerate(zip(self.slices, values)):
            if v is None:
                continue
            flat = np.asarray(v, dtype=float).reshape(-1) / scale   # row-major: (input i, output j)
            colors[sl] = self.cmap(self.norm(np.clip(flat, -1, 1)))
            widths[sl] = MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * np.minimum(np.abs(flat), 1.0)
        self.lines.set_color(colors)
        self.lines.set_linewidth(widths)
        if current is None:
            self.marker.set_text("")
        else:
            self.marker.set_position((current + 0.5, self.marker.get_position()[1]))
            self.marker.set_text(current_text)
            self.marker.set_color(HIGHLIGHT if current_text else "black")
