"""What gradients cost: finite differences (2P forward passes) against one backward pass.

For a network with ``P`` parameters, centered finite differences need two forward passes
per parameter: ``2P`` passes in all. Backprop gets every partial derivative from one
forward and one backward pass, and the textbook says the backward pass costs about two
forward passes. The widget measures both, live, on this machine.

Timing ``2P`` forward passes for a large ``P`` would take seconds, so the finite-difference
time is measured on a sample of ``k`` parameters and scaled up. Because every parameter
costs exactly two forward passes, the scaling is exact up to timing noise:
``time(FD, all P) = time(FD, k sampled) × P / k``. The picture says so.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import LogLocator, NullLocator

from backprop_lib.gradcheck import CallCounter
from backprop_lib.i18n import _
from backprop_lib.losses import SoftmaxCrossEntropy
from backprop_lib.viz.colors import BACKWARD, FORWARD, HIGHLIGHT
from backprop_lib.viz.render import animated
from backprop_lib.widgets._nets import build_mlp
from backprop_lib.widgets.base import WidgetView

P_MIN, P_MAX = 100, 300_000


@dataclass(frozen=True)
class CostMeasurement:
    """Timings (seconds) for one network of ``P`` parameters."""

    P: int
    forward: float            # one forward pass + loss (best of repeats)
    backward: float           # one backward pass (best of repeats)
    fd_sample_time: float     # total time of the k sampled centered differences
    k: int                    # parameters sampled
    fd_forward_calls: int     # forward passes made while sampling (always 2k)
    requested: int = 0        # the P asked for (the network has the closest size it can: P)
    width: int = 0            # hidden width w of the network n_in -> w -> w -> n_out

    @property
    def backprop(self) -> float:
        """Time for all P partial derivatives by backprop: one forward + one backward."""
        return self.forward + self.backward

    @property
    def finite_differences(self) -> float:
        """Time for all P partial derivatives by centered differences, scaled from the sample."""
        return self.fd_sample_time / self.k * self.P

    @property
    def ratio(self) -> float:
        """Measured backward / forward (textbook: about 2)."""
        return self.backward / self.forward

    @property
    def speedup(self) -> float:
        """How many times faster backprop is than finite differences."""
        return self.finite_differences / self.backprop


def width_for(P: int, n_in: int = 32, n_out: int = 10) -> int:
    """Hidden width ``w`` whose network ``n_in -> w -> w -> n_out`` has about ``P`` parameters.

    P(w) = (n_in w + w) + (w^2 + w) + (w n_out + n_out): solve the quadratic for w.
    """
    a, b, c = 1.0, n_in + n_out + 2.0, n_out - float(P)
    return max(1, round((-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)))


class CostModel:
    """Builds networks of a given size and times both ways of getting their gradient.

    Args:
        batch: rows in the batch used for every pass.
        budget: seconds allowed for the finite-difference sample (``k`` adapts to it); with
            the default, measuring and redrawing one setting stays well under 100 ms.
        repeats: timings per pass; the fastest is kept.
        clock: the timer (``time.perf_counter``).
    """

    def __init__(self, batch: int = 32, n_in: int = 32, n_out: int = 10, budget: float = 0.01,
                 repeats: int = 3, seed: int = 0, clock: Callable[[], float] = time.perf_counter) -> None:
        self.batch, self.n_in, self.n_out = batch, n_in, n_out
        self.budget, self.repeats, self.seed, self.clock = budget, repeats, seed, clock
        rng = np.random.default_rng(seed)
        self.X = rng.standard_normal((batch, n_in))
        self.y = rng.integers(0, n_out, size=batch)
        self.loss_fn = SoftmaxCrossEntropy()
        #: Every measurement made so far, by P (the plot shows them all).
        self.results: dict[int, CostMeasurement] = {}

    def network(self, P: int):
        """The MLP ``n_in -> w -> w -> n_out`` with about ``P`` parameters."""
        w = width_for(P, self.n_in, self.n_out)
        return build_mlp((self.n_in, w, w, self.n_out), "tanh", "xavier", seed=self.seed)

    def _best_time(self, fn: Callable[[], object]) -> float:
        """Fastest of ``repeats`` runs: the least disturbed by other work on the machine."""
        times = []
        for _repeat in range(self.repeats):
            start = self.clock()
            fn()
            times.append(self.clock() - start)
        return min(times)

    def measure(self, P: int) -> CostMeasurement:
        """Time one forward, one backward, and ``k`` centered differences for ``P`` parameters."""
        if not P_MIN <= P <= P_MAX:
            raise ValueError(_("P must be between {low} and {high}, got {P}").format(low=P_MIN, high=P_MAX, P=P))
        net = self.network(P)
        P_actual = net.num_parameters()

        def loss() -> float:
            return self.loss_fn.forward(net.forward_unchecked(self.X), self.y)

        def forward_backward() -> None:
            loss()
            net.backward_unchecked(self.loss_fn.backward(), False)

        loss()  # warm up (first calls allocate)
        t_forward = self._best_time(loss)
        t_both = self._best_time(forward_backward)
        t_backward = max(t_both - t_forward, 1e-9)
        net.zero_grad()

        # finite differences on k sampled parameters: exactly 2 forward passes each
        k = int(min(P_actual, max(2, self.budget / (2 * t_forward))))
        rng = np.random.default_rng(self.seed)
        params = net.parameters()
        ends = np.cumsum([p.size for p in params])      # flat index -> (parameter, offset)
        picks = rng.choice(P_actual, size=k, replace=False)
        which_param = np.searchsorted(ends, picks, side="right")
        offsets = picks - np.concatenate([[0], ends[:-1]])[which_param]
        flats = [p.data.reshape(-1) for p in params]    # views: writing them changes the weights
        counted = CallCounter(loss)
        h = 1e-5
        start = self.clock()
        for which, offset in zip(which_param.tolist(), offsets.tolist()):
            data = flats[which]
            old = data[offset]
            data[offset] = old + h
            plus = counted()
            data[offset] = old - h
            minus = counted()
            data[offset] = old
            _slope = (plus - minus) / (2 * h)
        fd_time = self.clock() - start
        result = CostMeasurement(P_actual, t_forward, t_backward, fd_time, k, counted.calls,
                                 requested=int(P), width=width_for(P, self.n_in, self.n_out))
        self.results[P] = result
        return result


@dataclass
class _Painter:
    fig: Figure
    ax: object
    fd_line: object
    bp_line: object
    fd_now: object
    bp_now: object
    text: object
    title: object
    dynamic: list


class CostOfGradients(WidgetView):
    """Parameter-count slider ``P``; each move measures and plots both gradient costs.

    State key: ``P`` (number of parameters, 100 .. 300,000).
    """

    STATE_KEYS = ("P",)
    WIDTH_PX = 900
    HEIGHT_PX = 400

    def __init__(self, P: int = 10_000, **model_kwargs) -> None:
        super().__init__()
        self.model = CostModel(**model_kwargs)
        self.P_slider = W.IntSlider(value=P, min=P_MIN, max=P_MAX, step=100, description=_("parameters P"),
                                    continuous_update=False, style={"description_width": "initial"},
                                    layout=W.Layout(width="480px"))
        self.current: CostMeasurement = self.model.measure(P)
        self._on_change(self.P_slider, self._P_changed)
        self.widget = self._build_root(self.P_slider)
        self.refresh()

    def _state_controls(self) -> dict[str, W.ValueWidget]:
        return {"P": self.P_slider}

    def _P_changed(self, P: int) -> None:
        self.current = self.model.measure(P)
        self.refresh()

    def _make_painter(self, fig: Figure) -> _Painter:
        ax = fig.add_axes((0.09, 0.14, 0.5, 0.76))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(P_MIN * 0.7, P_MAX * 1.4)
        ax.set_ylim(1e-6, 1e4)
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_locator(LogLocator(base=10, numticks=6))
        ax.set_xlabel(_("number of parameters P (log scale)"))
        ax.set_ylabel(_("seconds for the whole gradient (log scale)"))
        title = ax.set_title("", fontsize=11, y=1.0)  # a fixed position: no re-layout per draw
        ax.grid(alpha=0.3)
        (fd_line,) = ax.plot([], [], "s--", color=BACKWARD, ms=5, lw=1)
        (bp_line,) = ax.plot([], [], "o-", color=FORWARD, ms=5, lw=1)
        (fd_now,) = ax.plot([], [], "s", color=HIGHLIGHT, ms=11, mec="black")
        (bp_now,) = ax.plot([], [], "o", color=HIGHLIGHT, ms=11, mec="black")
        ax.legend(handles=[
            Line2D([], [], marker="s", ls="--", color=BACKWARD, label=_("finite differences: 2P forward passes")),
            Line2D([], [], marker="o", ls="-", color=FORWARD, label=_("backprop: 1 forward + 1 backward")),
            Line2D([], [], marker="o", ls="", color=HIGHLIGHT, mec="black", label=_("current P")),
        ], loc="upper left", fontsize=8)
        names = [_("parameters P"), _("forward pass"), _("backward pass"), _("backward / forward"),
                 "  " + _("textbook: about 2"), _("backprop, all P"), _("finite differences, all P"),
                 _("backprop is faster by"), _("FD sample k")]
        fig.text(0.62, 0.9, "\n".join(names), va="top", fontsize=9.5, linespacing=1.5)
        fig.text(0.62, 0.3, _("Finite differences were timed on k\nsampled parameters and scaled by P/k:\n"
                              "exact, as every parameter costs\nexactly 2 forward passes."),
                 va="top", fontsize=8.5, linespacing=1.4, color="#444444")
        text = fig.text(0.985, 0.9, "", va="top", ha="right", fontsize=9.5, linespacing=1.5)
        return _Painter(fig, ax, fd_line, bp_line, fd_now, bp_now, text, title,
                        animated(fd_line, bp_line, fd_now, bp_now, text, title))

    def _paint(self, p: _Painter) -> None:
        results = [self.model.results[P] for P in sorted(self.model.results)]
        Ps = [r.P for r in results]
        p.fd_line.set_data(Ps, [r.finite_differences for r in results])
        p.bp_line.set_data(Ps, [r.backprop for r in results])
        c = self.current
        # the slider's value, even where two neighbouring values build the same network
        m = self.model
        p.title.set_text(_("cost of one gradient · network {n_in}→{width}→{width}→{n_out} "
                           "for P ≈ {P:,}").format(n_in=m.n_in, width=c.width, n_out=m.n_out, P=c.requested))
        p.fd_now.set_data([c.P], [c.finite_differences])
        p.bp_now.set_data([c.P], [c.backprop])
        p.text.set_text("\n".join([
            f"{c.P:,}",
            f"{c.forward * 1e3:.3f} ms",
            f"{c.backward * 1e3:.3f} ms",
            f"{c.ratio:.2f}",
            "",
            f"{c.backprop * 1e3:.3f} ms",
            f"{c.finite_differences * 1e3:,.1f} ms",
            f"{c.speedup:,.0f}×",
            _("{k:,} ({calls:,} passes)").format(k=c.k, calls=c.fd_forward_calls),
        ]))
