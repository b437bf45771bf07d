"""Draw a computation graph (a scalar ``Value`` expression) with matplotlib.

Nodes are boxes laid out left to right by :func:`backprop_lib.graph_layout.layered_layout`;
edges are arrows in the forward direction (input -> user). Each box shows up to four
lines: a title (label and/or operation), ``data``, ``grad``, and, where several gradient
contributions meet (a fork), how they add up.

:func:`draw_graph` gives a finished Figure in one call (a Graphviz-free ``draw_dot``);
:class:`GraphPainter` keeps the artists so a widget can restyle them step by step.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.path import Path

from backprop_lib.graph_layout import GraphLayout, edge_route, layered_layout, place_labels
from backprop_lib.i18n import _
from backprop_lib.viz.colors import BACKWARD, FORWARD, HIGHLIGHT, MUTED
from backprop_lib.viz.render import animated, new_figure, with_devanagari

State = Literal["pending", "forward", "backward"]

#: Fraction of a layer's width / a row's height taken by a box.
BOX_WIDTH = 0.78
BOX_HEIGHT = 0.84
#: Largest box in pixels (width, height).
MAX_BOX_PX = (130, 78)
#: Narrowest box, in pixels, that edge labels may squeeze a box to.
MIN_BOX_PX = 72
#: Smallest font of an edge label, in points.
MIN_LABEL_PT = 6.0

_FACE = {"pending": "white", "forward": "#DCEBF5", "backward": "#F8E0CF"}
_EDGE = {"pending": MUTED, "forward": FORWARD, "backward": BACKWARD}


@dataclass
class NodeStyle:
    """What one box shows."""

    title: str
    data: str = ""
    grad: str = ""
    fork: str = ""              # e.g. "= 0.5 + 1.2" when gradients add up at a fork
    state: State = "pending"
    current: bool = False


@dataclass
class EdgeStyle:
    """How one edge looks; ``label`` is written at its middle (e.g. ``"0.42×1.0"``)."""

    label: str = ""
    state: State = "pending"
    current: bool = False


def node_title(node: Any) -> str:
    """Short title of a node: ``label (op)``, the label, the op, or a constant's value."""
    label, op = getattr(node, "label", "") or "", getattr(node, "_op", "") or ""
    if label and op:
        return f"{label} ({op})"
    if label or op:
        return label or op
    return f"{node.data:.4g}"


def fmt(x: float, digits: int = 4) -> str:
    """A number in at most ``digits`` significant digits (``-0.0`` shown as ``0``)."""
    return f"{x:.{digits}g}" if x != 0 else "0"


def product_label(local: float, upstream: float, digits: int = 3) -> str:
    """The label ``local×upstream`` of an edge; a negative second factor gets parentheses
    (``0.5×(-1.3)``, not ``0.5×-1.3``)."""
    right = fmt(upstream, digits)
    return f"{fmt(local, digits)}×{f'({right})' if right.startswith('-') else right}"


def _label_lines(label: str, split: bool) -> list[str]:
    """An edge label on one line, or on two broken after the "×"."""
    left, times, right = label.partition("×")
    return [left + times, right] if split and times else [label]


class GraphPainter:
    """Boxes and arrows for a :class:`~backprop_lib.graph_layout.GraphLayout` on ``fig``.

    All node and edge artists are *dynamic*, the legend and the frame are the cached
    background. :meth:`update` restyles only the boxes and edges whose style changed and
    lists them in :attr:`changed`, so a view redraws just those pixels: one step of a
    40-node graph touches a handful of boxes.
    """

    def __init__(self, fig: Figure, layout: GraphLayout, *, legend: bool = True,
                 caption_lines: int = 2, labels: Sequence[str] = ()) -> None:
        self.fig = fig
        self.layout = layout
        n_layers = max(layout.n_layers, 1)
        rows = max(layout.max_layer_size, 1)
        bottom = 0.04 + 0.045 * caption_lines
        self.ax = ax = fig.add_axes((0.01, bottom, 0.98, 0.9 - bottom))
        ax.set_axis_off()
        ax.set_xlim(-0.5, n_layers - 0.5)
        ax.set_ylim(-rows / 2, rows / 2)

        ax_w_px = fig.get_figwidth() * fig.dpi * 0.98
        ax_h_px = fig.get_figheight() * fig.dpi * (0.9 - bottom)
        # boxes fill their cell, but never grow beyond MAX_BOX_PX (small graphs stay compact)
        self.box_w = min(BOX_WIDTH, MAX_BOX_PX[0] * n_layers / ax_w_px)
        # leave room between the columns for an edge label in a readable font, on one line
        # or, if that squeezes the boxes too much, broken after the "×"; if even that does
        # not fit, only the labels of the current step are shown
        px_per_pt = fig.dpi / 72
        longest = list(labels) or ["0.000×0.000"]
        self.split_labels = False
        for split in (False, True):
            chars = max(len(line) for text in longest for line in _label_lines(text, split))
            label_gap_px = (chars * 0.61 + 0.4) * MIN_LABEL_PT * px_per_pt / 0.95
            narrower = 1 - label_gap_px * n_layers / ax_w_px
            if narrower * ax_w_px / n_layers >= MIN_BOX_PX:
                self.box_w = min(self.box_w, narrower)
                self.split_labels = split
                break
        label_chars = max(len(line) for text in longest for line in _label_lines(text, self.split_labels))
        label_lines = 2 if self.split_labels else 1
        self.box_h = min(BOX_HEIGHT, MAX_BOX_PX[1] * rows / ax_h_px)
        box_px_w = self.box_w * ax_w_px / n_layers
        box_px_h = self.box_h * ax_h_px / rows
        # about 12 characters across a box and 3.5 lines down it (1 pt = dpi/72 px; a
        # monospace character is 0.6 em wide). When 12 characters would need a font below
        # 6.5 pt, boxes switch to *compact* text ("d 0.5" for "data 0.5", 9 characters).
        lines_fit = box_px_h / (3.5 * 1.2 * px_per_pt)
        self.compact = min(box_px_w / (12 * 0.6 * px_per_pt), lines_fit) < 6.5
        chars = 9.5 if self.compact else 12.5
        size = min(box_px_w / (chars * 0.6 * px_per_pt), lines_fit, 11.0)
        self.fontsize = max(size, 5.5)
        # the "local×upstream" edge labels sit in the gap between two columns of boxes, in
        # a font small enough to fit it (``labels`` are the longest ones the edges will show)
        gap_px = (1 - self.box_w) * ax_w_px / n_layers
        fitted = 0.95 * gap_px / ((label_chars * 0.61 + 0.4) * px_per_pt)
        self.all_edge_labels = fitted >= MIN_LABEL_PT * 0.999
        self.label_fontsize = max(min(self.fontsize * 0.75, fitted), MIN_LABEL_PT)
        label_w = (label_chars * 0.61 + 0.4) * self.label_fontsize * px_per_pt * n_layers / ax_w_px
        label_h = (1.2 * label_lines + 0.4) * self.label_fontsize * px_per_pt * rows / ax_h_px

        self.boxes: list[FancyBboxPatch] = []
        self.texts = []
        for i in range(len(layout.nodes)):
            x, y = layout.x[i], layout.y[i]
            box = FancyBboxPatch((x - self.box_w / 2, y - self.box_h / 2), self.box_w, self.box_h,
                                 boxstyle="square,pad=0", linewidth=1.0)
            ax.add_patch(box)
            text = ax.text(x, y, "", ha="center", va="center", fontsize=self.fontsize,
                           family=with_devanagari("DejaVu Sans Mono"), linespacing=1.1)
            self.boxes.append(box)
            self.texts.append(text)

        self.arrows: list[FancyArrowPatch] = []
        self.edge_labels = []
        centres = place_labels(layout, self.box_w, self.box_h, [(label_w, label_h)] * len(layout.edges))
        for k in range(len(layout.edges)):
            route = edge_route(layout, k, self.box_w, self.box_h)
            arrow = FancyArrowPatch(path=Path(route), arrowstyle="-|>", mutation_scale=8,
                                    linewidth=1.0, zorder=1)
            ax.add_patch(arrow)
            label = ax.text(*centres[k], "", ha="center", va="center", fontsize=self.label_fontsize,
                            zorder=3, family=with_devanagari("DejaVu Sans Mono"), bbox={"boxstyle": "round,pad=0.15", "fc": "white",
                                            "ec": "none", "alpha": 0.85})
            self.arrows.append(arrow)
            self.edge_labels.append(label)

        self.title = ax.set_title("", fontsize=11, loc="left")
        self.caption = fig.text(0.015, bottom - 0.02, "", ha="left", va="top", fontsize=9.5)
        if legend:
            # Translators: "data" and "grad" name the attributes a.data and a.grad, which compact boxes
            # show as "d" and "g": keep those words as they are
            pending = _("not computed yet  (d = data, g = grad)") if self.compact else _("not computed yet")
            handles = [
                Patch(fc=_FACE["pending"], ec=MUTED, label=pending),
                Patch(fc=_FACE["forward"], ec=FORWARD, label=_("value known (forward)")),
                Patch(fc=_FACE["backward"], ec=BACKWARD, label=_("gradient final (backward)")),
                Patch(fc="white", ec=HIGHLIGHT, lw=2.5, label=_("this step")),
            ]
            fig.legend(handles=handles, loc="upper right", ncol=4, fontsize=8, frameon=False,
                       bbox_to_anchor=(0.985, 0.995), borderaxespad=0.2)
        self.dynamic = animated(*self.arrows, *self.boxes, *self.texts, *self.edge_labels,
                                self.title, self.caption)
        #: Dynamic artists restyled since the view last drew them (None: all of them).
        self.changed: list | None = None
        # the styles shown now, so that an update restyles only what differs
        self._node_styles: list[NodeStyle | None] = [None] * len(self.boxes)
        self._edge_styles: list[EdgeStyle | None] = [None] * len(self.arrows)

    def update(self, nodes: list[NodeStyle], edges: list[EdgeStyle], *, title: str = "",
               caption: str = "") -> None:
        """Restyle the boxes and edges whose style differs from the last update.

        The restyled artists are added to :attr:`changed`, so a view redraws only them.
        """
        for i, style in enumerate(nodes):
            if style != self._node_styles[i]:
                self._node_styles[i] = style
                self._style_node(style, self.boxes[i], self.texts[i])
        for k, style in enumerate(edges):
            if style != self._edge_styles[k]:
                self._edge_styles[k] = style
                self._style_edge(style, self.arrows[k], self.edge_labels[k])
        for artist, text in ((self.title, title), (self.caption, caption)):
            if artist.get_text() != text:
                artist.set_text(text)
                self._mark(artist)

    def _mark(self, *artists: Any) -> None:
        if self.changed is not None:
            self.changed.extend(artists)

    def _style_node(self, style: NodeStyle, box: FancyBboxPatch, text: Any) -> None:
        lines = [style.title, style.data, style.grad]
        if style.fork:
            lines.append(style.fork)
        text.set_text("\n".join(line for line in lines if line))
        box.set_facecolor(_FACE[style.state])
        box.set_edgecolor(HIGHLIGHT if style.current else _EDGE[style.state])
        box.set_linewidth(2.8 if style.current else 1.0)
        self._mark(box, text)

    def _style_edge(self, style: EdgeStyle, arrow: FancyArrowPatch, label: Any) -> None:
        arrow.set_color(HIGHLIGHT if style.current else _EDGE[style.state])
        arrow.set_linewidth(2.4 if style.current else (1.3 if style.state != "pending" else 0.8))
        label.set_text("\n".join(_label_lines(style.label, self.split_labels)))
        label.set_visible(bool(style.label) and (style.current or self.all_edge_labels))
        label.set_zorder(4 if style.current else 3)
        label.set_fontweight("bold" if style.current else "normal")
        label.set_color(BACKWARD if style.state == "backward" else "black")
        self._mark(arrow, label)


def static_styles(layout: GraphLayout, *, show_grad: bool = True) -> tuple[list[NodeStyle], list[EdgeStyle]]:
    """Styles showing every node's current ``.data`` (and ``.grad``), for a finished graph."""
    nodes = [
        NodeStyle(title=node_title(n), data=f"data {fmt(n.data)}",
                  grad=f"grad {fmt(n.grad)}" if show_grad else "",
                  state="backward" if show_grad else "forward")
        for n in layout.nodes
    ]
    edges = [EdgeStyle(state="backward" if show_grad else "forward") for _edge in layout.edges]
    return nodes, edges


def draw_graph(root: Any, *, show_grad: bool = True, width_px: int = 960,
               height_px: int = 480) -> Figure:
    """A Figure of the graph ending at ``root``, showing each node's data (and grad).

    >>> from backprop_lib.scalar import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> fig = draw_graph(c)          # displays as a PNG in a notebook
    """
    fig = new_figure(width_px, height_px, static=True)
    layout = layered_layout(root)
    painter = GraphPainter(fig, layout, legend=False, caption_lines=0)
    nodes, edges = static_styles(layout, show_grad=show_grad)
    painter.update(nodes, edges)
    for artist in painter.dynamic:
        artist.set_animated(False)
    return fig
