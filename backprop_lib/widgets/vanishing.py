"""Vanishing and exploding gradients: how depth, activation and initialization interact.

A deep MLP of ``depth`` hidden layers (each ``Linear(width, width)`` then the activation)
processes one batch of random inputs. For every hidden layer the picture shows

* the spread (standard deviation) of its activations ``H``, and
* the norm of the gradient arriving at its output, ``||dL/dH||`` (the backward signal;
  every weight gradient of that layer is built from it),

both on a log scale. With sigmoid, or a weight scale that is too small, both shrink
geometrically with depth (vanishing); with too large a scale they grow (exploding);
Xavier (tanh, sigmoid) and He (ReLU) keep them roughly level.
"""
from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, NullLocator

from backprop_lib.i18n import _
from backprop_lib.losses import SoftmaxCrossEntropy
from backprop_lib.monitor import record_pass
from backprop_lib.viz.colors import BACKWARD, FORWARD, MUTED
from backprop_lib.viz.render import animated
from backprop_lib.widgets._nets import ACTIVATIONS, build_mlp
from backprop_lib.widgets.base import WidgetView

INITS = ("fixed", "xavier", "he")
#: Values outside these limits are drawn at the edge of the log axis, with a marker.
FLOOR = 1e-16
CEILING = 1e16
Y_LIMITS = (FLOOR, CEILING)


@dataclass(frozen=True)
class DepthProfile:
    """Per-hidden-layer measurements of one forward/backward pass."""

    layers: np.ndarray        # 1 .. depth
    act_std: np.ndarray       # std of each hidden layer's output H
    grad_norm: np.ndarray     # ||dL/dH|| at each hidden layer's output (after its activation)
    loss: float


class VanishingModel:
    """A ``depth``-layer MLP measured on one random batch (seeded: same settings, same numbers)."""

    def __init__(self, depth: int = 10, activation: str = "tanh", init: str = "xavier",
                 scale: float = 1.0, width: int = 64, n: int = 128, n_classes: int = 10,
                 seed: int = 0) -> None:
        self.width, self.n, self.n_classes, self.seed = width, n, n_classes, seed
        rng = np.random.default_rng(seed)
        self.X = rng.standard_normal((n, width))
        self.y = rng.integers(0, n_classes, size=n)
        self.loss_fn = SoftmaxCrossEntropy()
        self.depth, self.activation, self.init, self.scale = depth, activation, init, scale
        self._profile: DepthProfile | None = None
        self.configure(depth=depth, activation=activation, init=init, scale=scale)

    def configure(self, *, depth: int | None = None, activation: str | None = None,
                  init: str | None = None, scale: float | None = None) -> None:
        """Change any setting; the network is rebuilt and measured on the next :meth:`profile`."""
        depth = self.depth if depth is None else int(depth)
        activation = self.activation if activation is None else activation
        init = self.init if init is None else init
        scale = self.scale if scale is None else float(scale)
        if not 1 <= depth <= 50:
            raise ValueError(_("depth must be between 1 and 50, got {depth}").format(depth=depth))
        if activation not in ACTIVATIONS:
            raise ValueError(_("unknown activation {activation!r}; choose one of {choices}").format(
                activation=activation, choices=list(ACTIVATIONS)))
        if init not in INITS:
            raise ValueError(_("unknown initialization {init!r}; choose one of {choices}").format(
                init=init, choices=list(INITS)))
        if not scale > 0:
            raise ValueError(_("scale must be positive, got {scale}").format(scale=scale))
        self.depth, self.activation, self.init, self.scale = depth, activation, init, scale
        self._profile = None

    @property
    def init_spec(self) -> str | float:
        """What ``Linear(init=...)`` receives: ``"xavier"``, ``"he"`` or the fixed scale."""
        return self.scale if self.init == "fixed" else self.init

    def profile(self) -> DepthProfile:
        """Build the network and run one recorded forward/backward pass (cached)."""
        if self._profile is None:
            sizes = [self.width] * (self.depth + 1) + [self.n_classes]
            net = build_mlp(sizes, self.activation, self.init_spec, seed=self.seed + 1)
            loss, records = record_pass(net, self.X, self.y, self.loss_fn)
            # layers alternate Linear, activation, ..., Linear(out): hidden block i is 2i, 2i+1
            act_std = np.array([records[2 * i + 1].out_std for i in range(self.depth)])
            grad = np.array([records[2 * i + 1].grad_out_norm for i in range(self.depth)], dtype=float)
            self._profile = DepthProfile(np.arange(1, self.depth + 1), act_std, grad, loss)
        return self._profile

    def trend(self) -> str:
        """The diagnosis as a key, the same in every language: ``"overflow"``, ``"exploding"``,
        ``"vanishing"``, ``"growing"`` (toward the input) or ``"healthy"``."""
        g = self.profile().grad_norm
        if not np.all(np.isfinite(g)):
            return "overflow"
        first, last, low, high = g[0], g[-1], float(g.min()), float(g.max())
        if high > 1e3:
            return "exploding"
        if low < 1e-6 or (last > 0 and first / last < 1e-2):
            return "vanishing"
        if last > 0 and first / last > 1e2:
            return "growing"
        return "healthy"

    def verdict(self) -> str:
        """One sentence on the gradient norms, in the student's language: their range across
        layers and the diagnosis of :meth:`trend`."""
        trend = self.trend()
        if trend == "overflow":
            return _("the network overflowed: some gradients are not finite (exploding)")
        g = self.profile().grad_norm
        where = _("‖∂L/∂H‖ is {first:.2g} at layer 1 and {last:.2g} at layer {depth}").format(
            first=g[0], last=g[-1], depth=self.depth)
        words = {"exploding": _("exploding"), "vanishing": _("vanishing"),
                 "growing": _("growing toward the input"), "healthy": _("healthy")}
        return f"{where}: {words[trend]}"


@dataclass
class _Painter:
    fig: Figure
    ax_std: object
    ax_grad: object
    std_line: object
    grad_line: object
    std_low: object
    grad_low: object
    text: object
    dynamic: list


def _axis_end(depth: int) -> float:
    """Right end of the x-axis: the first of 5, 10, 20, 30, 40, 50 that fits ``depth``."""
    return next(end for end in (5, 10, 20, 30, 40, 50) if end >= depth) + 0.5


def _clip(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values for a log axis (tiny or non-finite ones clipped to the floor) and a mask of those."""
    high = np.isfinite(values) & (values > CEILING) | (values == np.inf)
    low = ~high & (~np.isfinite(values) | (values < FLOOR))
    shown = np.where(low, FLOOR, np.where(high, CEILING, values))
    return shown, low | high


class VanishingExplorer(WidgetView):
    """Depth slider (1–50), activation and initialization dropdowns, scale slider (fixed init).

    State keys: ``depth``, ``activation`` (``"sigmoid" | "tanh" | "relu"``),
    ``init`` (``"fixed" | "xavier" | "he"``), ``scale`` (weight std when ``init == "fixed"``).
    """

    STATE_KEYS = ("depth", "activation", "init", "scale")
    WIDTH_PX = 900
    HEIGHT_PX = 360

    def __init__(self, depth: int = 10, activation: str = "tanh", init: str = "xavier",
                 scale: float = 1.0, *, width: int = 64, n: int = 128, seed: int = 0) -> None:
        super().__init__()
        self.model = VanishingModel(depth, activation, init, scale, width=width, n=n, seed=seed)
        self.depth_slider = W.IntSlider(value=depth, min=1, max=50, description=_("depth"))
        self.activation_dropdown = W.Dropdown(
            options=[(_("sigmoid"), "sigmoid"), ("tanh", "tanh"), ("ReLU", "relu")],
            value=activation, description=_("activation"))
        self.init_dropdown = W.Dropdown(
            options=[(_("fixed scale"), "fixed"), ("Xavier", "xavier"), ("He", "he")],
            value=init, description=_("init"))
        self.scale_slider = W.FloatLogSlider(value=scale, base=10, min=-3, max=1, step=0.05,
                                             description=_("scale σ"), readout_format=".3g",
                                             disabled=(init != "fixed"))
        for control, key in [(self.depth_slider, "depth"), (self.activation_dropdown, "activation"),
                             (self.init_dropdown, "init"), (self.scale_slider, "scale")]:
            self._on_change(control, lambda value, key=key: self._setting_changed(key, value))
        self.widget = self._build_root(
            W.HBox([self.depth_slider, self.activation_dropdown]),
            W.HBox([self.init_dropdown, self.scale_slider]),
        )
        self.refresh()

    def _state_controls(self) -> dict[str, W.ValueWidget]:
        return {"depth": self.depth_slider, "activation": self.activation_dropdown,
                "init": self.init_dropdown, "scale": self.scale_slider}

    def _setting_changed(self, key: str, value) -> None:
        self.model.configure(**{key: value})
        self.refresh()

    def _sync_controls(self) -> None:
        # the scale is the weight std of the "fixed" init only: with Xavier or He it would
        # change nothing, so it is disabled
        self.scale_slider.disabled = self.model.init != "fixed"

    def _make_painter(self, fig: Figure) -> _Painter:
        ax_std, ax_grad = fig.subplots(1, 2, gridspec_kw={"left": 0.08, "right": 0.98, "bottom": 0.2,
                                                          "top": 0.86, "wspace": 0.25})
        lines = []
        for ax, color, title, ylabel in [
            (ax_std, FORWARD, _("forward: spread of activations"), _("std of H (log scale)")),
            (ax_grad, BACKWARD, _("backward: gradient at each layer's output"), _("‖∂L/∂H‖ (log scale)")),
        ]:
            ax.set_yscale("log")
            ax.set_ylim(*Y_LIMITS)
            ax.yaxis.set_major_locator(LogLocator(base=10, numticks=9))
            ax.yaxis.set_minor_locator(NullLocator())
            ax.set_xlabel(_("hidden layer (1 = next to the input)"))
            ax.set_ylabel(ylabel)
            ax.set_title(title, fontsize=11)
            ax.grid(alpha=0.3, which="major")
            (line,) = ax.plot([], [], "o-", color=color, ms=3.5, lw=1.8)
            (low,) = ax.plot([], [], "D", color=MUTED, ms=5,
                             label=_("off the scale (< {floor:g} or > {ceiling:g})").format(
                                 floor=FLOOR, ceiling=CEILING))
            ax.legend(handles=[low], loc="upper right", fontsize=8)
            lines += [line, low]
        text = fig.text(0.5, 0.04, "", ha="center", fontsize=10.5)
        dynamic = animated(*lines, text)
        return _Painter(fig, ax_std, ax_grad, lines[0], lines[2], lines[1], lines[3], text, dynamic)

    def _paint(self, p: _Painter) -> None:
        m = self.model
        prof = m.profile()
        x_max = _axis_end(m.depth)
        if p.ax_std.get_xlim()[1] != x_max:  # the x-axis grows in a few big steps, not every tick
            for ax in (p.ax_std, p.ax_grad):
                ax.set_xlim(0.5, x_max)
            self._invalidate_background()
        for line, low, values in [(p.std_line, p.std_low, prof.act_std),
                                  (p.grad_line, p.grad_low, prof.grad_norm)]:
            shown, bad = _clip(values)
            line.set_data(prof.layers, shown)
            low.set_data(prof.layers[bad], shown[bad])
        init = (_("fixed σ = {scale:.3g}").format(scale=m.scale) if m.init == "fixed"
                else {"xavier": "Xavier", "he": "He"}[m.init])
        p.text.set_text(_("depth {depth}, {activation}, {init} init  ·  {verdict}").format(
            depth=m.depth, activation=m.activation, init=init, verdict=m.verdict()))
