"""Chain-rule explorer: the slope of ``f(g(x))`` is the product of two local slopes.

Pick a composite function and move ``x``. Three panels show

1. the inner function ``u = g(x)`` with its tangent (slope ``g'(x)``),
2. the outer function ``f(u)`` with its tangent at ``u = g(x)`` (slope ``f'(u)``),
3. the composite ``f(g(x))`` with the tangent whose slope is the product
   ``f'(g(x)) * g'(x)``,

and, beside them, the numerical (centered finite difference) slope of the composite,
which agrees with the product: that agreement *is* the chain rule.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from backprop_lib.gradcheck import centered_difference
from backprop_lib.i18n import _
from backprop_lib.layers import sigmoid
from backprop_lib.viz.colors import BACKWARD, FORWARD, HIGHLIGHT
from backprop_lib.viz.render import animated, with_devanagari
from backprop_lib.widgets.base import WidgetView

Fn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Composite:
    """``f(g(x))`` with both pieces and their derivatives written out by hand."""

    name: str
    inner: str          # formula of g in x, e.g. "x²"
    outer: str          # formula of f in u, e.g. "sin(u)"
    g: Fn
    dg: Fn
    f: Fn
    df: Fn
    x_range: tuple[float, float]

    def __call__(self, x: np.ndarray | float) -> np.ndarray | float:
        return self.f(self.g(x))


COMPOSITES: dict[str, Composite] = {
    c.name: c
    for c in [
        Composite("sin(x²)", "x²", "sin(u)",
                  lambda x: x * x, lambda x: 2 * x, np.sin, np.cos, (-2.5, 2.5)),
        Composite("exp(−x²)", "−x²", "exp(u)",
                  lambda x: -x * x, lambda x: -2 * x, np.exp, np.exp, (-2.5, 2.5)),
        Composite("tanh(3x)", "3x", "tanh(u)",
                  lambda x: 3 * x, lambda x: 3 + 0 * x, np.tanh,
                  lambda u: 1 - np.tanh(u) ** 2, (-1.5, 1.5)),
        Composite("sigmoid(w·x), w = 2", "2x", "sigmoid(u)",
                  lambda x: 2 * x, lambda x: 2 + 0 * x, sigmoid,
                  lambda u: sigmoid(u) * (1 - sigmoid(u)), (-4.0, 4.0)),
        Composite("log(1 + x²)", "1 + x²", "log(u)",
                  lambda x: 1 + x * x, lambda x: 2 * x, np.log, lambda u: 1 / u, (-3.0, 3.0)),
        Composite("(2x − 1)²", "2x − 1", "u²",
                  lambda x: 2 * x - 1, lambda x: 2 + 0 * x, lambda u: u * u,
                  lambda u: 2 * u, (-1.0, 2.0)),
    ]
}

DEFAULT_FUNCTION = "sin(x²)"


class ChainRuleModel:
    """The numbers of the chain rule at one point ``x`` of one composite."""

    #: Step of the centered difference ``(F(x+h) - F(x-h)) / 2h``.
    h: float = 1e-5

    def __init__(self, function: str = DEFAULT_FUNCTION, x: float = 1.0) -> None:
        self.function = function
        self.x = float(x)

    @property
    def function(self) -> str:
        return self._function

    @function.setter
    def function(self, name: str) -> None:
        if name not in COMPOSITES:
            raise ValueError(_("unknown function {name!r}; choose one of {choices}").format(
                name=name, choices=list(COMPOSITES)))
        self._function = name

    @property
    def composite(self) -> Composite:
        return COMPOSITES[self._function]

    @property
    def u(self) -> float:
        """Inner value ``u = g(x)``."""
        return float(self.composite.g(self.x))

    @property
    def y(self) -> float:
        """Output ``f(g(x))``."""
        return float(self.composite.f(self.u))

    @property
    def dg(self) -> float:
        """Local derivative of the inner function, ``g'(x)``."""
        return float(self.composite.dg(self.x))

    @property
    def df(self) -> float:
        """Local derivative of the outer function at the inner value, ``f'(g(x))``."""
        return float(self.composite.df(self.u))

    @property
    def product(self) -> float:
        """The chain rule: ``d f(g(x)) / dx = f'(g(x)) * g'(x)``."""
        return self.df * self.dg

    @property
    def numerical(self) -> float:
        """Centered finite-difference slope of the composite (no calculus used)."""
        return float(centered_difference(self.composite, self.x, self.h))

    def summary(self) -> str:
        """One line with the four numbers, as shown under the picture."""
        c = self.composite
        return _(
            "g'(x) × f'(g(x)) = {dg:.4f} × {df:.4f} = {product:.4f}"
            "        numerical slope of {function}: {numerical:.4f}"
        ).format(dg=self.dg, df=self.df, product=self.product, function=c.name, numerical=self.numerical)


@dataclass
class _Panel:
    ax: object
    curve: object
    tangent: object
    point: object
    slope: object  # the title's second line: the numbers, which change with x


@dataclass
class _Painter:
    fig: Figure
    inner: _Panel
    outer: _Panel
    comp: _Panel
    numeric: object
    text: object
    dynamic: list


#: Gap between an axes and its title, in points (matplotlib's default).
_TITLE_PAD = 6.0


def _heading(panel: _Panel, formula: str, numbers: str) -> None:
    """The panel's two-line title: the formula, and under it the numbers."""
    panel.ax.set_title(formula, fontsize=10, pad=_TITLE_PAD + 1.2 * 10)  # room for one line below
    panel.slope.set_text(numbers)


def _segment(x0: float, y0: float, slope: float, half_width: float) -> tuple[np.ndarray, np.ndarray]:
    xs = np.array([x0 - half_width, x0 + half_width])
    return xs, y0 + slope * (xs - x0)


def _set_limits(ax, xs: np.ndarray, ys: np.ndarray) -> None:
    low, high = float(np.min(ys)), float(np.max(ys))
    pad = 0.15 * (high - low) if high > low else 1.0
    ax.set_xlim(float(xs[0]), float(xs[-1]))
    ax.set_ylim(low - pad, high + pad)


class ChainRuleExplorer(WidgetView):
    """Dropdown ``function`` picks ``f(g(x))``; slider ``x`` moves the point.

    State keys: ``function`` (a name in :data:`COMPOSITES`) and ``x``.
    """

    STATE_KEYS = ("function", "x")
    WIDTH_PX = 960
    HEIGHT_PX = 360

    def __init__(self, function: str = DEFAULT_FUNCTION, x: float = 1.0) -> None:
        super().__init__()
        self.model = ChainRuleModel(function, x)
        low, high = self.model.composite.x_range
        self.function_dropdown = W.Dropdown(options=list(COMPOSITES), value=function,
                                            description=_("function"))
        self.x_slider = W.FloatSlider(value=self.model.x, min=low, max=high, step=0.01,
                                      description="x", readout_format=".2f")
        self._on_change(self.function_dropdown, self._function_changed)
        self._on_change(self.x_slider, self._x_changed)
        self.widget = self._build_root(W.HBox([self.function_dropdown, self.x_slider]))
        self.refresh()

    def _state_controls(self) -> dict[str, W.ValueWidget]:
        return {"function": self.function_dropdown, "x": self.x_slider}

    # ---------------------------------------------------------------- callbacks
    def _function_changed(self, name: str) -> None:
        self.model.function = name  # a new background (see _background_key)
        low, high = self.model.composite.x_range
        with self.hold_refresh():
            # widen first so min/max never cross, then narrow (the slider clamps x)
            self.x_slider.min, self.x_slider.max = min(low, self.x_slider.min), max(high, self.x_slider.max)
            self.x_slider.min, self.x_slider.max = low, high
            self.model.x = float(self.x_slider.value)
            self.refresh()

    def _x_changed(self, x: float) -> None:
        self.model.x = float(x)
        self.refresh()

    # ---------------------------------------------------------------- drawing
    def _background_key(self) -> str:
        # curves, limits and ticks depend only on the function: switching back is a blit
        return self.model.function

    def _make_painter(self, fig: Figure) -> _Painter:
        axes = fig.subplots(1, 3, gridspec_kw={"left": 0.065, "right": 0.985, "bottom": 0.29,
                                               "top": 0.88, "wspace": 0.34})
        panels = []
        for ax, color in zip(axes, (FORWARD, FORWARD, FORWARD)):
            (curve,) = ax.plot([], [], color=color, lw=2)
            (tangent,) = ax.plot([], [], color=BACKWARD, lw=2, ls="--")
            (point,) = ax.plot([], [], "o", color=BACKWARD, ms=7)
            ax.grid(alpha=0.3)
            # a two-line title: the formula (ax.title, part of the background, set once per
            # function, at a fixed position) above the numbers (redrawn when x moves)
            ax.set_title(" ", y=1.0)  # a fixed position (y given): no re-layout on each draw
            slope = ax.annotate("", (0.5, 1.0), xycoords="axes fraction", xytext=(0, _TITLE_PAD),
                                textcoords="offset points", ha="center", va="bottom", fontsize=10)
            panels.append(_Panel(ax, curve, tangent, point, slope))
        (numeric,) = axes[2].plot([], [], color=HIGHLIGHT, lw=1.5, ls=":")
        text = fig.text(0.5, 0.115, "", ha="center", va="center", fontsize=11,
                        family=with_devanagari("DejaVu Sans"))
        dynamic = animated(numeric, text, *(a for panel in panels
                                            for a in (panel.tangent, panel.point, panel.slope)))
        return _Painter(fig, panels[0], panels[1], panels[2], numeric, text, dynamic)

    def _paint(self, p: _Painter) -> None:
        m, c = self.model, self.model.composite
        x_lo, x_hi = c.x_range
        xs = np.linspace(x_lo, x_hi, 240)
        us_of_x = c.g(xs)
        us = np.linspace(float(np.min(us_of_x)), float(np.max(us_of_x)), 240)
        if us[-1] - us[0] < 1e-9:
            us = np.linspace(us[0] - 1, us[0] + 1, 240)
        x_half = 0.12 * (x_hi - x_lo)
        u_half = 0.12 * (us[-1] - us[0])

        # 1. inner g
        p.inner.curve.set_data(xs, us_of_x)
        p.inner.tangent.set_data(*_segment(m.x, m.u, m.dg, x_half))
        p.inner.point.set_data([m.x], [m.u])
        _set_limits(p.inner.ax, xs, us_of_x)
        _heading(p.inner, _("inner: u = g(x) = {formula}").format(formula=c.inner),
                 _("slope g'(x) = {slope:.3f}").format(slope=m.dg))
        p.inner.ax.set_xlabel("x")
        p.inner.ax.set_ylabel("u")

        # 2. outer f
        fs = c.f(us)
        p.outer.curve.set_data(us, fs)
        p.outer.tangent.set_data(*_segment(m.u, m.y, m.df, u_half))
        p.outer.point.set_data([m.u], [m.y])
        _set_limits(p.outer.ax, us, fs)
        _heading(p.outer, _("outer: f(u) = {formula}").format(formula=c.outer),
                 _("slope f'(u) at u = {u:.2f}: {slope:.3f}").format(u=m.u, slope=m.df))
        p.outer.ax.set_xlabel("u")
        p.outer.ax.set_ylabel("f(u)")

        # 3. composite
        ys = c(xs)
        p.comp.curve.set_data(xs, ys)
        p.comp.tangent.set_data(*_segment(m.x, m.y, m.product, x_half))
        p.comp.point.set_data([m.x], [m.y])
        p.numeric.set_data(*_segment(m.x, m.y, m.numerical, 1.6 * x_half))
        _set_limits(p.comp.ax, xs, ys)
        _heading(p.comp, _("composite: {function}").format(function=c.name),
                 _("slope = product = {slope:.3f}").format(slope=m.product))
        p.comp.ax.set_xlabel("x")
        p.comp.ax.set_ylabel("f(g(x))")
        if not p.fig.legends:  # below the pictures, where it can never cover a curve
            p.fig.legend([p.comp.tangent, p.numeric], [_("tangent with the chain-rule slope f'·g'"),
                                                       _("tangent with the numerical slope")],
                         loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=2, fontsize=9, frameon=False)
        p.text.set_text(m.summary())
