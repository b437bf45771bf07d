"""Is a deep network training? Diagnostics per layer, with and without batch normalization.

The same deep ReLU MLP (same initial weights, a poor initialization scale) is trained twice on
the spirals, plain and with a :class:`~backprop_lib.normalization.BatchNorm1d` after every
hidden Linear layer. Every few steps a snapshot records, on a fixed probe batch:

* each hidden layer's activations (the ReLU outputs) and its weight gradient :math:`\\bar W`,
  as histograms;
* the update-to-data ratio of every Linear layer, :math:`\\eta\\,\\|\\bar W\\| / \\|W\\|` (the
  relative size of one SGD step; about :math:`10^{-3}` is the usual sign of healthy training);
* the fraction of dead units per hidden layer: ReLUs that are 0 for every example of the batch.

Everything is computed once, up front (:class:`DiagnosticsModel`), so moving the step slider
only redraws.
"""
from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from backprop_lib.datasets import load
from backprop_lib.i18n import N_, _
from backprop_lib.layers import Linear, ReLU, Sequential
from backprop_lib.losses import SoftmaxCrossEntropy
from backprop_lib.normalization import BatchNorm1d, set_training
from backprop_lib.optim import SGD
from backprop_lib.training import Trainer, train_val_split
from backprop_lib.viz.colors import BACKWARD, FORWARD
from backprop_lib.viz.render import animated
from backprop_lib.widgets.base import WidgetView

NORMS = ("none", "batchnorm")
#: How the normalization buttons name each choice.
NORM_LABELS = {"none": N_("none"), "batchnorm": N_("batchnorm")}
BINS = 30


def deep_mlp(norm: bool, depth: int = 8, width: int = 32, init: float = 0.1, seed: int = 0,
             n_in: int = 2, n_out: int = 3) -> Sequential:
    """``depth`` Linear layers of ``width`` units, ReLU between them, and a BatchNorm1d after
    each hidden Linear when ``norm``. The Linear weights depend on ``seed`` only, so the two
    variants start from the same weights."""
    rng = np.random.default_rng(seed)
    layers: list = []
    n = n_in
    for _layer in range(depth - 1):
        layers.append(Linear(n, width, init=init, rng=rng))
        if norm:
            layers.append(BatchNorm1d(width))
        layers.append(ReLU())
        n = width
    layers.append(Linear(n, n_out, init=init, rng=rng))
    return Sequential(*layers)


@dataclass
class Snapshot:
    """What one probe pass measured (lists: one entry per hidden layer, or per Linear layer)."""

    step: int
    loss: float
    activations: list[np.ndarray]     # ReLU outputs on the probe batch, (N, width) per hidden layer
    weight_grads: list[np.ndarray]    # dW of the hidden layers' Linear, (n_in, width) each
    update_ratio: np.ndarray          # lr * ||dW|| / ||W|| per Linear layer
    dead: np.ndarray                  # fraction of dead ReLUs per hidden layer


def probe(net: Sequential, X: np.ndarray, y: np.ndarray, lr: float, step: int) -> Snapshot:
    """One forward and backward pass on ``(X, y)`` in training mode, layer by layer; the
    parameter gradients are zeroed again afterwards (the network is not changed)."""
    loss_fn = SoftmaxCrossEntropy()
    acts = []
    h = X
    for _name, layer, h in net.forward_steps(X):
        if isinstance(layer, ReLU):
            acts.append(h)
    loss = loss_fn.forward(h, y)
    net.zero_grad()
    net.backward_unchecked(loss_fn.backward(), False)
    linears = [layer for layer in net.layers if isinstance(layer, Linear)]
    ratio = np.array([lr * np.linalg.norm(m.W.grad) / np.linalg.norm(m.W.data) for m in linears])
    grads = [m.W.grad.copy() for m in linears[:-1]]
    net.zero_grad()
    dead = np.array([np.mean(np.all(a == 0, axis=0)) for a in acts])
    return Snapshot(step, float(loss), acts, grads, ratio, dead)


class DiagnosticsModel:
    """Both training runs and their snapshots, computed on construction.

    ``steps`` SGD steps (mini-batches of ``batch_size``, learning rate ``lr``), a snapshot
    every ``every`` steps, on the first ``probe_size`` training rows.
    """

    def __init__(self, steps: int = 200, every: int = 10, lr: float = 0.05, batch_size: int = 32,
                 depth: int = 8, width: int = 32, init: float = 0.1, probe_size: int = 128,
                 seed: int = 0) -> None:
        if steps < every or every < 1:
            raise ValueError(_("need steps >= every >= 1, got steps={steps}, every={every}").format(
                steps=steps, every=every))
        self.lr, self.depth = lr, depth
        X, y = load("spirals", n=600, seed=seed)
        X_train, y_train, _X_val, _y_val = train_val_split(X, y, 0.25, np.random.default_rng(seed))
        Xp, yp = X_train[:probe_size], y_train[:probe_size]
        self.runs: dict[str, list[Snapshot]] = {}
        for norm in NORMS:
            net = deep_mlp(norm == "batchnorm", depth, width, init, seed)
            trainer = Trainer(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=lr), X_train, y_train,
                              batch_size=batch_size, rng=np.random.default_rng(seed + 1))
            snaps = [probe(net, Xp, yp, lr, 0)]
            for k in range(steps // every):
                trainer.run(every)
                snaps.append(probe(net, Xp, yp, lr, (k + 1) * every))
            set_training(net, True)
            self.runs[norm] = snaps
        self.n_hidden = depth - 1
        self.steps = [s.step for s in self.runs["none"]]
        # histogram edges per (norm, layer), fixed over the steps so a step only moves the bars
        self.act_edges: dict[tuple[str, int], np.ndarray] = {}
        self.grad_edges: dict[tuple[str, int], np.ndarray] = {}
        for norm, snaps in self.runs.items():
            for i in range(self.n_hidden):
                top = max(float(s.activations[i].max()) for s in snaps)
                self.act_edges[norm, i] = np.linspace(0.0, top if top > 0 else 1.0, BINS + 1)
                g = max(float(np.abs(s.weight_grads[i]).max()) for s in snaps)
                self.grad_edges[norm, i] = np.linspace(-g, g, BINS + 1) if g > 0 else np.linspace(-1, 1, BINS + 1)

    def snapshot(self, norm: str, index: int) -> Snapshot:
        if norm not in NORMS:
            raise ValueError(_("norm must be one of {choices}, got {norm!r}").format(choices=list(NORMS), norm=norm))
        return self.runs[norm][index]

    def histograms(self, norm: str, index: int, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """Fractions of the activations and of the weight gradients in each bin (each sums to 1)."""
        s = self.snapshot(norm, index)
        a = np.histogram(np.clip(s.activations[layer], 0, None), self.act_edges[norm, layer])[0]
        g = np.histogram(s.weight_grads[layer], self.grad_edges[norm, layer])[0]
        return a / a.sum(), g / g.sum()


@dataclass
class _Painter:
    fig: Figure
    act_hist: object
    grad_hist: object
    ratio_bars: list
    dead_bars: list
    act_text: object
    grad_text: object
    title: object
    dynamic: list


class DiagnosticsExplorer(WidgetView):
    """Normalization on or off, the training step (snapshot) and the hidden layer to look at.

    >>> view = DiagnosticsExplorer(norm="batchnorm", step=200, layer=7)
    >>> view.model.snapshot("batchnorm", -1).dead.max() < 0.5
    True
    """

    STATE_KEYS = ("norm", "step", "layer")
    WIDTH_PX = 860
    HEIGHT_PX = 460

    def __init__(self, norm: str = "none", step: int = 0, layer: int | None = None,
                 model: DiagnosticsModel | None = None) -> None:
        super().__init__()
        self.model = model if model is not None else DiagnosticsModel()
        m = self.model
        every = m.steps[1] - m.steps[0]
        self.norm_buttons = W.ToggleButtons(options=[(_(NORM_LABELS[key]), key) for key in NORMS], value=norm,
                                            description=_("normalization"))
        self.step_slider = W.IntSlider(value=step, min=0, max=m.steps[-1], step=every, description=_("step"))
        layer = m.n_hidden if layer is None else layer
        if not 1 <= layer <= m.n_hidden or step not in m.steps or norm not in NORMS:
            raise ValueError(_("need norm in {norms}, step in {first}..{last} (a multiple of {every}) and "
                               "1 <= layer <= {n_hidden}; got {norm!r}, {step}, {layer}").format(
                norms=list(NORMS), first=m.steps[0], last=m.steps[-1], every=every, n_hidden=m.n_hidden,
                norm=norm, step=step, layer=layer))
        self.layer_slider = W.IntSlider(value=layer, min=1, max=m.n_hidden, description=_("hidden layer"))
        for control in (self.norm_buttons, self.step_slider, self.layer_slider):
            self._on_change(control, lambda _value: self.refresh())
        self.widget = self._build_root(W.HBox([self.norm_buttons]),
                                       W.HBox([self.step_slider, self.layer_slider]))
        self.refresh()

    def _state_controls(self) -> dict[str, W.ValueWidget]:
        return {"norm": self.norm_buttons, "step": self.step_slider, "layer": self.layer_slider}

    def _index(self) -> int:
        return self.model.steps.index(self.step_slider.value)

    def _make_painter(self, fig: Figure) -> _Painter:
        m = self.model
        act_ax = fig.add_axes((0.06, 0.57, 0.40, 0.30))
        grad_ax = fig.add_axes((0.56, 0.57, 0.40, 0.30))
        ratio_ax = fig.add_axes((0.06, 0.10, 0.40, 0.30))
        dead_ax = fig.add_axes((0.56, 0.10, 0.40, 0.30))
        # fixed axes (so every redraw is a blit): x in units of the layer's largest value
        act_hist = act_ax.stairs(np.zeros(BINS), np.linspace(0, 1, BINS + 1), fill=True, color=FORWARD)
        grad_hist = grad_ax.stairs(np.zeros(BINS), np.linspace(-1, 1, BINS + 1), fill=True, color=BACKWARD)
        act_ax.set_xlim(0, 1)
        grad_ax.set_xlim(-1, 1)
        act_ax.set_xlabel(_("activation ÷ its largest value in this layer (any step)"), fontsize=8)
        grad_ax.set_xlabel(_("dW ÷ its largest |value| in this layer (any step)"), fontsize=8)
        for ax in (act_ax, grad_ax):
            ax.set_ylim(0, 1.0)
            ax.set_ylabel(_("fraction"))
        n_lin = m.depth
        ratio_bars = list(ratio_ax.bar(np.arange(1, n_lin + 1), np.ones(n_lin), color=BACKWARD, bottom=1e-12))
        ratio_ax.set_yscale("log")
        ratio_ax.set_ylim(1e-9, 1.0)
        ratio_ax.axhline(1e-3, color="0.4", lw=1, ls="--")
        ratio_ax.text(n_lin + 0.4, 1.3e-3, "1e-3", fontsize=8, color="0.3", ha="right", va="bottom")
        ratio_ax.set_xticks(np.arange(1, n_lin + 1))
        ratio_ax.set_xlabel(_("Linear layer"))
        ratio_ax.set_title(_("update-to-data ratio  lr·‖dW‖/‖W‖"), fontsize=9)
        dead_bars = list(dead_ax.bar(np.arange(1, m.n_hidden + 1), np.zeros(m.n_hidden), color="0.35"))
        dead_ax.set_ylim(0, 1.0)
        dead_ax.set_xticks(np.arange(1, m.n_hidden + 1))
        dead_ax.set_xlabel(_("hidden layer"))
        dead_ax.set_title(_("dead ReLUs (0 on every example of the batch)"), fontsize=9)
        act_text = act_ax.text(0.98, 0.92, "", transform=act_ax.transAxes, ha="right", va="top", fontsize=8)
        grad_text = grad_ax.text(0.98, 0.92, "", transform=grad_ax.transAxes, ha="right", va="top", fontsize=8)
        title = fig.text(0.5, 0.975, "", ha="center", va="top", fontsize=10)
        dynamic = animated(act_hist, grad_hist, *ratio_bars, *dead_bars, act_text, grad_text, title)
        return _Painter(fig, act_hist, grad_hist, ratio_bars, dead_bars, act_text, grad_text,
                        title, dynamic)

    def _paint(self, painter: _Painter) -> None:
        m = self.model
        norm, index, layer = self.norm_buttons.value, self._index(), self.layer_slider.value - 1
        snap = m.snapshot(norm, index)
        act_frac, grad_frac = m.histograms(norm, index, layer)
        act_edges, grad_edges = m.act_edges[norm, layer], m.grad_edges[norm, layer]
        painter.act_hist.set_data(act_frac, act_edges / act_edges[-1])
        painter.grad_hist.set_data(grad_frac, grad_edges / grad_edges[-1])
        painter.act_text.set_text(_("hidden layer {layer}: largest {largest:.1e}\nstd now {std:.1e}").format(
            layer=layer + 1, largest=act_edges[-1], std=snap.activations[layer].std()))
        painter.grad_text.set_text(_("Linear layer {layer}: largest |dW| {largest:.1e}\nstd now {std:.1e}").format(
            layer=layer + 1, largest=grad_edges[-1], std=snap.weight_grads[layer].std()))
        for bar, r in zip(painter.ratio_bars, snap.update_ratio):
            bar.set_height(max(float(r), 1e-12))
        for bar, f in zip(painter.dead_bars, snap.dead):
            bar.set_height(float(f))
        label = _("plain") if norm == "none" else _("with BatchNorm")
        painter.title.set_text(_("{network}, {depth} Linear layers, step {step}: loss on the probe batch {loss:.3f}\n"
                                 "activations (ReLU outputs) and weight gradients of the chosen layer").format(
            network=label, depth=m.depth, step=snap.step, loss=snap.loss))
