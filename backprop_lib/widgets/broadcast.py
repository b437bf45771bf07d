"""Where a broadcast input's gradient comes from: pick the shape of ``b`` in ``a + b`` or
``a * b`` (``a`` is 3×4) and see which entries of the upstream gradient add up into each
entry of ``b``'s gradient.

Left: the gradient reaching the output, ``G`` for ``a + b`` or ``G * a`` for ``a * b``
(what ``b`` would get if it had the output's shape), with a frame around each group of
entries that one entry of ``b`` was copied to. Right: ``b``'s gradient, the sum of each
group (:func:`~backprop_lib.layers.unbroadcast`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from backprop_lib.i18n import _
from backprop_lib.layers import unbroadcast
from backprop_lib.viz.colors import DIVERGING, HIGHLIGHT, diverging_label, symmetric_norm
from backprop_lib.widgets.base import WidgetView

A_SHAPE = (3, 4)
#: The shapes of b that broadcast against a 3×4 array, as the dropdown shows them.
B_SHAPES = {"(4,)": (4,), "(1, 4)": (1, 4), "(3, 1)": (3, 1), "(1, 1)": (1, 1), "()": (), "(3, 4)": (3, 4)}
OPS = ("a + b", "a * b")


@dataclass
class BroadcastModel:
    """``out = a op b`` with ``a`` of shape 3×4; the upstream gradient ``G`` is random (seeded)."""

    b_shape: str = "(4,)"
    op: str = "a + b"
    seed: int = 0
    a: np.ndarray = field(init=False)
    G: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.set(self.b_shape, self.op, self.seed)

    def set(self, b_shape: str, op: str, seed: int) -> None:
        if b_shape not in B_SHAPES:
            raise ValueError(_("b_shape must be one of {choices}, got {b_shape!r}").format(
                choices=list(B_SHAPES), b_shape=b_shape))
        if op not in OPS:
            raise ValueError(_("op must be one of {choices}, got {op!r}").format(choices=list(OPS), op=op))
        self.b_shape, self.op, self.seed = b_shape, op, int(seed)
        rng = np.random.default_rng(self.seed)
        self.a = np.round(rng.normal(size=A_SHAPE), 1)
        self.G = np.round(rng.normal(size=A_SHAPE), 1)

    @property
    def shape(self) -> tuple[int, ...]:
        return B_SHAPES[self.b_shape]

    @property
    def per_copy(self) -> np.ndarray:
        """The gradient each broadcast copy of ``b`` receives (shape 3×4)."""
        return self.G * self.a if self.op == "a * b" else self.G

    @property
    def grad_b(self) -> np.ndarray:
        """``b``'s gradient: ``per_copy`` summed over the axes ``b`` was broadcast along."""
        return unbroadcast(self.per_copy, self.shape)

    def groups(self) -> list[tuple[int, int, int, int]]:
        """For each entry of ``b``: the block (row0, row1, col0, col1) of the output it was copied to."""
        shape = (1,) * (2 - len(self.shape)) + tuple(self.shape)  # b as a 2-D array
        rows = A_SHAPE[0] if shape[0] == 1 else 1
        cols = A_SHAPE[1] if shape[1] == 1 else 1
        return [(i * rows, i * rows + rows, j * cols, j * cols + cols)
                for i in range(shape[0]) for j in range(shape[1])]


@dataclass
class _Painter:
    fig: Figure
    left_image: object
    right_image: object
    left_texts: list
    right_texts: list
    frames: list
    colorbar: object
    left_title: object
    right_title: object
    title: object


class BroadcastExplorer(WidgetView):
    """Shape of ``b`` and the operation; each entry of ``b.grad`` is the sum of one frame.

    >>> view = BroadcastExplorer()
    >>> view.shape_menu.value = "(3, 1)"
    >>> view.model.grad_b.shape
    (3, 1)
    """

    STATE_KEYS = ("b_shape", "op", "seed")
    WIDTH_PX = 760
    HEIGHT_PX = 320

    def __init__(self, b_shape: str = "(4,)", op: str = "a + b", seed: int = 0) -> None:
        super().__init__()
        self.model = BroadcastModel(b_shape, op, seed)
        self.shape_menu = W.Dropdown(options=list(B_SHAPES), value=self.model.b_shape, description=_("shape of b"))
        self.op_menu = W.ToggleButtons(options=list(OPS), value=self.model.op, description="out =")
        self.seed_box = W.BoundedIntText(value=self.model.seed, min=0, max=999, description=_("seed of G"),
                                         layout=W.Layout(width="160px"))
        for control in (self.shape_menu, self.op_menu, self.seed_box):
            self._on_change(control, lambda _value: self._changed())
        self.widget = self._build_root(W.HBox([self.shape_menu, self.seed_box]), self.op_menu)
        self.refresh()

    def _state_controls(self) -> dict[str, W.ValueWidget]:
        return {"b_shape": self.shape_menu, "op": self.op_menu, "seed": self.seed_box}

    def _changed(self) -> None:
        self.model.set(self.shape_menu.value, self.op_menu.value, self.seed_box.value)
        self.refresh()

    def _make_painter(self, fig: Figure) -> _Painter:
        """Fixed artists, updated in place: both panels are 3×4 grids (b's unused cells blank)."""
        left = fig.add_axes((0.06, 0.17, 0.37, 0.64))
        right = fig.add_axes((0.49, 0.17, 0.37, 0.64))
        cbar_ax = fig.add_axes((0.89, 0.17, 0.015, 0.64))
        blank = np.zeros(A_SHAPE)
        images, texts = [], []
        for ax in (left, right):
            images.append(ax.imshow(blank, cmap=DIVERGING, norm=symmetric_norm(1.0)))
            texts.append([ax.text(j, i, "", ha="center", va="center", fontsize=9)
                          for i in range(A_SHAPE[0]) for j in range(A_SHAPE[1])])
            ax.set_xticks(range(A_SHAPE[1]))
            ax.set_yticks(range(A_SHAPE[0]))
            ax.set_xlabel(_("column"))
        left.set_ylabel(_("row"))
        frames = [left.add_patch(Rectangle((0, 0), 1, 1, fill=False, edgecolor=HIGHLIGHT, lw=3, visible=False))
                  for _unused in range(A_SHAPE[0] * A_SHAPE[1])]
        colorbar = fig.colorbar(images[0], cax=cbar_ax)
        colorbar.set_label(diverging_label(_("gradient")), fontsize=8)
        return _Painter(fig, images[0], images[1], texts[0], texts[1], frames, colorbar,
                        left.set_title("", fontsize=10), right.set_title("", fontsize=10),
                        fig.suptitle("", fontsize=10))

    def _paint(self, painter: _Painter) -> None:
        m = self.model
        per_copy = m.per_copy
        grad = m.grad_b.reshape((1,) * (2 - len(m.shape)) + tuple(m.shape))  # b as a 2-D array
        shown = np.full(A_SHAPE, np.nan)
        shown[:grad.shape[0], :grad.shape[1]] = grad
        limit = float(max(np.abs(per_copy).max(), np.abs(grad).max(), 1e-9))
        norm = symmetric_norm(limit)
        for image, values, texts in ((painter.left_image, per_copy, painter.left_texts),
                                     (painter.right_image, shown, painter.right_texts)):
            image.set_norm(norm)
            image.set_data(np.ma.masked_invalid(values))
            for text, v in zip(texts, values.ravel()):
                text.set_text("" if np.isnan(v) else f"{v if abs(v) >= 0.05 else 0.0:.1f}")
                text.set_color("white" if abs(v) > 0.6 * limit else "black")
        painter.colorbar.update_normal(painter.left_image)
        groups = m.groups()
        for frame, group in zip(painter.frames, groups + [None] * (len(painter.frames) - len(groups))):
            frame.set_visible(group is not None)
            if group is not None:
                r0, r1, c0, c1 = group
                frame.set_bounds(c0 - 0.5, r0 - 0.5, c1 - c0, r1 - r0)
        what = "G" if m.op == "a + b" else "G * a"
        painter.left_title.set_text(_("gradient per copy of b: {what}  (3×4)").format(what=what))
        painter.right_title.set_text(_("b.grad, shape {shape}: the sum of each frame").format(shape=m.b_shape))
        painter.title.set_text(_("out = {op},  a of shape (3, 4),  b of shape {shape}").format(
            op=m.op, shape=m.b_shape))
