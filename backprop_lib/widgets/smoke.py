"""The "do widgets work?" check of the first notebook: a tangent that follows a slider.

Move the slider: the point slides along the parabola ``f(x) = x**2`` and the tangent line
turns with it. If the picture moves, the notebook's widgets work.
"""
from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from backprop_lib.i18n import _
from backprop_lib.viz.colors import BACKWARD, FORWARD
from backprop_lib.viz.render import animated
from backprop_lib.widgets.base import WidgetView

X_MIN, X_MAX = -2.0, 2.0


@dataclass
class TangentSmokeModel:
    """A point at ``x`` on the parabola ``f(x) = x**2``."""

    x: float = 1.0

    @staticmethod
    def f(x: np.ndarray | float) -> np.ndarray | float:
        """The parabola."""
        return x * x

    @property
    def y(self) -> float:
        """``f(x)`` at the current point."""
        return float(self.f(self.x))

    @property
    def slope(self) -> float:
        """The derivative ``f'(x) = 2x`` at the current point."""
        return 2.0 * self.x

    def tangent(self, xs: np.ndarray) -> np.ndarray:
        """The tangent line at the current point, evaluated at ``xs``."""
        return self.y + self.slope * (xs - self.x)


@dataclass
class _Painter:
    fig: Figure
    point: object
    tangent: object
    title: object
    dynamic: list


class TangentSmokeCheck(WidgetView):
    """Slider ``x`` moves a point on ``x**2``; the tangent line and its slope follow.

    >>> view = TangentSmokeCheck(x=0.5)
    >>> view.slider.value = 1.5          # what dragging the slider does
    >>> view.model.slope
    3.0
    """

    STATE_KEYS = ("x",)
    WIDTH_PX = 480
    HEIGHT_PX = 300

    def __init__(self, x: float = 1.0) -> None:
        super().__init__()
        self.model = TangentSmokeModel(float(x))
        self.slider = W.FloatSlider(
            value=self.model.x, min=X_MIN, max=X_MAX, step=0.05, description="x",
            readout_format=".2f", continuous_update=True,
        )
        self._on_change(self.slider, self._x_changed)
        hint = W.Label(_("Move the slider: if the picture moves, widgets work."))
        self.widget = self._build_root(hint, self.slider)
        self.refresh()

    def _state_controls(self) -> dict[str, W.ValueWidget]:
        return {"x": self.slider}

    def _x_changed(self, x: float) -> None:
        self.model.x = float(x)
        self.refresh()

    def _make_painter(self, fig: Figure) -> _Painter:
        ax = fig.add_axes((0.12, 0.14, 0.84, 0.74))
        xs = np.linspace(X_MIN - 0.3, X_MAX + 0.3, 200)
        ax.plot(xs, self.model.f(xs), color=FORWARD, lw=2, label="f(x) = x²")
        (tangent,) = ax.plot([], [], color=BACKWARD, lw=2, ls="--", label=_("tangent line"))
        (point,) = ax.plot([], [], "o", color=BACKWARD, ms=8)
        ax.set_xlim(X_MIN - 0.3, X_MAX + 0.3)
        ax.set_ylim(-1.0, X_MAX**2 + 0.8)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper center")
        title = ax.set_title("", y=1.0)  # a fixed title position: no re-layout per draw
        return _Painter(fig, point, tangent, title, animated(tangent, point, title))

    def _paint(self, painter: _Painter) -> None:
        m = self.model
        xs = np.array([m.x - 1.0, m.x + 1.0])
        painter.tangent.set_data(xs, m.tangent(xs))
        painter.point.set_data([m.x], [m.y])
        painter.title.set_text(_("at x = {x:.2f}: slope f'(x) = 2x = {slope:.2f}").format(x=m.x, slope=m.slope))
