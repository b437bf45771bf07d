"""Where attention sends the gradient: pick a query position, see its attention weights and
the gradient that flows back to every key and every value.

The loss is ``L = u · O[i]``: only the output of the chosen query ``i`` matters. Left: the
attention weights ``A`` (row ``i`` framed). Middle and right: ``dK`` and ``dV``, one row per
position. A value gets gradient in proportion to how much query ``i`` looked at it
(``dV_j = A[i, j] u``); a key gets gradient where changing it would move the weights. With
the causal mask, positions after ``i`` get nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from backprop_lib.attention import attention_backward, attention_forward
from backprop_lib.i18n import N_, _
from backprop_lib.viz.colors import DIVERGING, HIGHLIGHT, SEQUENTIAL, symmetric_norm
from backprop_lib.widgets.base import WidgetView

T, D = 10, 6
MASKS = ("causal", "none")
#: How the mask buttons and the title name each mask.
MASK_LABELS = {"causal": N_("causal"), "none": N_("none")}


@dataclass
class AttentionModel:
    """Seeded ``Q, K, V`` (``T × D``) and the gradient from the output of one query."""

    query: int = 6
    mask: str = "causal"
    Q: np.ndarray = field(init=False)
    K: np.ndarray = field(init=False)
    V: np.ndarray = field(init=False)
    u: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(0)
        self.Q, self.K, self.V = (rng.normal(size=(T, D)) * s for s in (0.8, 0.8, 1.0))
        self.u = rng.normal(size=D)
        self.set(self.query, self.mask)

    def set(self, query: int, mask: str) -> None:
        if not 0 <= int(query) < T:
            raise ValueError(_("query must be a position from 0 to {last}, got {query}").format(
                last=T - 1, query=query))
        if mask not in MASKS:
            raise ValueError(_("mask must be one of {choices}, got {mask!r}").format(
                choices=list(MASKS), mask=mask))
        self.query, self.mask = int(query), mask
        O, self.cache = attention_forward(self.Q, self.K, self.V, causal=mask == "causal")
        dO = np.zeros_like(O)
        dO[self.query] = self.u            # L = u · O[query]
        self.dQ, self.dK, self.dV = attention_backward(dO, self.cache)

    @property
    def A(self) -> np.ndarray:
        return self.cache.A


@dataclass
class _Painter:
    fig: Figure
    images: list
    frame: Rectangle
    titles: list
    title: object


class AttentionExplorer(WidgetView):
    """Query position and mask; attention weights, ``dK`` and ``dV`` as heatmaps.

    >>> view = AttentionExplorer(query=2)
    >>> bool((view.model.dV[3:] == 0).all())     # causal: later positions get no gradient
    True
    """

    STATE_KEYS = ("query", "mask")
    WIDTH_PX = 780
    HEIGHT_PX = 330

    def __init__(self, query: int = 6, mask: str = "causal") -> None:
        super().__init__()
        self.model = AttentionModel(query, mask)
        self.query_slider = W.IntSlider(value=self.model.query, min=0, max=T - 1, description=_("query i"))
        self.mask_buttons = W.ToggleButtons(options=[(_(MASK_LABELS[mask]), mask) for mask in MASKS],
                                            value=self.model.mask, description=_("mask"))
        for control in (self.query_slider, self.mask_buttons):
            self._on_change(control, lambda _value: self._changed())
        self.widget = self._build_root(W.HBox([self.query_slider, self.mask_buttons]))
        self.refresh()

    def _state_controls(self) -> dict[str, W.ValueWidget]:
        return {"query": self.query_slider, "mask": self.mask_buttons}

    def _changed(self) -> None:
        self.model.set(self.query_slider.value, self.mask_buttons.value)
        self.refresh()

    def _make_painter(self, fig: Figure) -> _Painter:
        boxes = [(0.05, 0.14, 0.28, 0.66), (0.42, 0.14, 0.23, 0.66), (0.72, 0.14, 0.23, 0.66)]
        images, titles = [], []
        for k, box in enumerate(boxes):
            ax = fig.add_axes(box)
            shape = (T, T) if k == 0 else (T, D)
            cmap = SEQUENTIAL if k == 0 else DIVERGING
            norm = None if k == 0 else symmetric_norm(1.0)
            images.append(ax.imshow(np.zeros(shape), cmap=cmap, norm=norm, vmin=0 if k == 0 else None,
                                    vmax=1 if k == 0 else None, aspect="auto", interpolation="nearest"))
            ax.set_ylabel(_("query position") if k == 0 else _("position j"))
            ax.set_xlabel(_("key position j") if k == 0 else _("feature (orange < 0 < purple)"))
            ax.set_yticks(range(0, T, 2))
            titles.append(ax.set_title("", fontsize=9))
            if k == 0:
                frame = ax.add_patch(Rectangle((-0.5, -0.5), T, 1, fill=False, edgecolor=HIGHLIGHT, lw=2.5))
        return _Painter(fig, images, frame, titles, fig.suptitle("", fontsize=10))

    def _paint(self, painter: _Painter) -> None:
        m = self.model
        painter.images[0].set_data(m.A)
        painter.frame.set_y(m.query - 0.5)
        for image, values in zip(painter.images[1:], (m.dK, m.dV)):
            image.set_norm(symmetric_norm(float(max(np.abs(values).max(), 1e-12))))  # each its own scale
            image.set_data(values)
        top = int(np.argmax(m.A[m.query]))
        painter.titles[0].set_text(_("attention weights A (row {query} framed)").format(query=m.query))
        for title, name, values in ((painter.titles[1], "dK", m.dK), (painter.titles[2], "dV", m.dV)):
            title.set_text(_("{matrix} (largest |entry| {largest:.2f})").format(
                matrix=name, largest=np.abs(values).max()))
        painter.title.set_text(_("L = u · O[{query}], mask: {mask};  query {query} looks most at "
                                 "position {top} (weight {weight:.2f})").format(
            query=m.query, mask=_(MASK_LABELS[m.mask]), top=top, weight=m.A[m.query, top]))
