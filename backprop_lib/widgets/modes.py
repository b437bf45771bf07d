"""Forward mode fills the Jacobian column by column, reverse mode row by row.

``f(x) = tanh(W x)`` maps ``n`` inputs to ``m`` outputs; its Jacobian is ``m × n``. One
forward-mode pass (a JVP with the input direction ``e_j``) gives column ``j``; one
reverse-mode pass (a VJP with the output direction ``e_i``) gives row ``i``. Choose ``n``,
``m`` and the mode, and step through the passes: the full Jacobian takes ``n`` forward
passes or ``m`` reverse passes. A loss has ``m = 1``: one reverse pass, however many
parameters.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from backprop_lib.forward_mode import jvp
from backprop_lib.i18n import N_, _
from backprop_lib.tensor import Tensor
from backprop_lib.viz.colors import BACKWARD, DIVERGING, FORWARD, symmetric_norm
from backprop_lib.widgets.base import WidgetView

MAX_SIZE = 12
MODES = ("forward", "reverse")
#: How the mode buttons name each mode.
MODE_LABELS = {"forward": N_("forward"), "reverse": N_("reverse")}


@dataclass
class ModesModel:
    """The Jacobian of ``tanh(W x)`` (``W`` of shape ``(m, n)``, seeded) and the passes made so far."""

    n: int = 6
    m: int = 1
    mode: str = "reverse"
    passes: int = 1
    W: np.ndarray = field(init=False)
    x: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.set(self.n, self.m, self.mode, self.passes)

    def set(self, n: int, m: int, mode: str, passes: int) -> None:
        if not (1 <= n <= MAX_SIZE and 1 <= m <= MAX_SIZE):
            raise ValueError(_("n and m must be between 1 and {largest}, got n={inputs}, m={outputs}").format(
                largest=MAX_SIZE, inputs=n, outputs=m))
        if mode not in MODES:
            raise ValueError(_("mode must be one of {choices}, got {mode!r}").format(choices=list(MODES), mode=mode))
        self.n, self.m, self.mode = int(n), int(m), mode
        self.passes = int(min(max(passes, 0), self.needed))
        rng = np.random.default_rng(100 * n + m)
        self.W = rng.normal(size=(m, n)) / np.sqrt(n)
        self.x = rng.normal(size=n)

    @property
    def needed(self) -> int:
        """Passes for the whole Jacobian: one per input (forward) or per output (reverse)."""
        return self.n if self.mode == "forward" else self.m

    def column(self, j: int) -> np.ndarray:
        """Column ``j`` of the Jacobian: one forward-mode pass, seeded with ``e_j``."""
        return jvp(lambda d: (self.W @ d).tanh(), self.x, np.eye(self.n)[j])[1]

    def row(self, i: int) -> np.ndarray:
        """Row ``i`` of the Jacobian: one reverse-mode pass, seeded with ``e_i`` at the output."""
        x = Tensor(self.x.reshape(-1, 1), requires_grad=True)
        out = (Tensor(self.W) @ x).tanh()
        (out * np.eye(self.m)[i].reshape(-1, 1)).sum().backward()
        return x.grad.ravel()

    def known(self) -> np.ndarray:
        """The Jacobian entries the passes so far have produced (NaN elsewhere)."""
        J = np.full((self.m, self.n), np.nan)
        for k in range(self.passes):
            if self.mode == "forward":
                J[:, k] = self.column(k)
            else:
                J[k, :] = self.row(k)
        return J


@dataclass
class _Painter:
    fig: Figure
    image: object
    ax: object
    bars: list
    bar_labels: list
    title: object
    note: object


class ModesExplorer(WidgetView):
    """Sizes ``n`` (inputs) and ``m`` (outputs), the mode, and how many passes are done.

    >>> view = ModesExplorer(n=4, m=3, mode="forward", passes=4)
    >>> bool(np.isnan(view.model.known()).any())
    False
    """

    STATE_KEYS = ("n", "m", "mode", "passes")
    WIDTH_PX = 760
    HEIGHT_PX = 330

    def __init__(self, n: int = 6, m: int = 1, mode: str = "reverse", passes: int = 1) -> None:
        super().__init__()
        self.model = ModesModel(n, m, mode, passes)
        self.n_slider = W.IntSlider(value=self.model.n, min=1, max=MAX_SIZE, description=_("inputs n"))
        self.m_slider = W.IntSlider(value=self.model.m, min=1, max=MAX_SIZE, description=_("outputs m"))
        self.mode_buttons = W.ToggleButtons(options=[(_(MODE_LABELS[mode]), mode) for mode in MODES],
                                            value=self.model.mode, description=_("mode"))
        self.pass_slider = W.IntSlider(value=self.model.passes, min=0, max=self.model.needed,
                                       description=_("passes done"))
        for control in (self.n_slider, self.m_slider, self.mode_buttons):
            self._on_change(control, lambda _value: self._sizes_changed())
        self._on_change(self.pass_slider, self._passes_changed)
        self.widget = self._build_root(W.HBox([self.n_slider, self.m_slider]),
                                       W.HBox([self.mode_buttons, self.pass_slider]))
        self.refresh()

    def _state_controls(self) -> dict[str, W.ValueWidget]:
        return {"n": self.n_slider, "m": self.m_slider, "mode": self.mode_buttons, "passes": self.pass_slider}

    def _sizes_changed(self) -> None:
        m = self.model
        m.set(self.n_slider.value, self.m_slider.value, self.mode_buttons.value, self.pass_slider.value)
        with self.hold_refresh():
            self.pass_slider.max = m.needed
            self.pass_slider.value = m.passes
        self.refresh()

    def _passes_changed(self, passes: int) -> None:
        m = self.model
        m.set(m.n, m.m, m.mode, passes)
        self.refresh()

    def _make_painter(self, fig: Figure) -> _Painter:
        ax = fig.add_axes((0.08, 0.17, 0.36, 0.66))
        image = ax.imshow(np.full((MAX_SIZE, MAX_SIZE), np.nan), cmap=DIVERGING, norm=symmetric_norm(1.0),
                          aspect="auto", interpolation="nearest")
        ax.set_xlabel(_("input j (a column per forward pass)"))
        ax.set_ylabel(_("output i (a row per\nreverse pass)"))
        cax = fig.add_axes((0.45, 0.17, 0.012, 0.66))
        fig.colorbar(image, cax=cax).set_label(_("∂y_i/∂x_j  (orange < 0 < purple)"), fontsize=8)
        bax = fig.add_axes((0.70, 0.22, 0.26, 0.46))
        bars = list(bax.barh([1, 0], [1, 1], color=[FORWARD, BACKWARD], height=0.6))
        bax.set_yticks([1, 0], [_("forward\n(n passes)"), _("reverse\n(m passes)")])
        bax.set_xlim(0, MAX_SIZE + 2)
        bax.set_xlabel(_("passes for the whole Jacobian"))
        labels = [bax.text(0, y, "", va="center") for y in (1, 0)]
        title = fig.suptitle("", fontsize=10)
        note = fig.text(0.58, 0.86, "", fontsize=9, va="top")
        return _Painter(fig, image, ax, bars, labels, title, note)

    def _paint(self, painter: _Painter) -> None:
        m = self.model
        J = m.known()
        painter.image.set_data(np.ma.masked_invalid(J))
        painter.image.set_extent((-0.5, m.n - 0.5, m.m - 0.5, -0.5))
        painter.ax.set_xlim(-0.5, m.n - 0.5)
        painter.ax.set_ylim(m.m - 0.5, -0.5)
        painter.ax.set_xticks(range(m.n))
        painter.ax.set_yticks(range(m.m))
        for bar, label, count in zip(painter.bars, painter.bar_labels, (m.n, m.m)):
            bar.set_width(count)
            label.set_position((count + 0.2, label.get_position()[1]))
            label.set_text(str(count))
        if m.mode == "forward":
            title = _("Jacobian of tanh(Wx), {outputs} × {inputs}: {passes} of {needed} forward passes "
                      "(columns filled so far)")
        else:
            title = _("Jacobian of tanh(Wx), {outputs} × {inputs}: {passes} of {needed} reverse passes "
                      "(rows filled so far)")
        painter.title.set_text(title.format(outputs=m.m, inputs=m.n, passes=m.passes, needed=m.needed))
        if m.n == m.m:
            verdict = _("same count either way")
        elif m.m < m.n:
            verdict = _("reverse mode needs fewer passes")
        else:
            verdict = _("forward mode needs fewer passes")
        painter.note.set_text(_("n = {inputs} inputs, m = {outputs} outputs:\n{verdict}").format(
            inputs=m.n, outputs=m.m, verdict=verdict))
