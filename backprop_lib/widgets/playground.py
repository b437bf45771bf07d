"""Training playground: pick a data set and a network, press Train, watch it learn.

The picture has three panels: the decision boundary with the data, the loss curve, and
the gradient norm of each layer's weights (a quick health check: bars near zero mean
the layer has stopped learning, huge bars mean trouble).

Training runs as an asyncio task in short chunks (a few tens of milliseconds of steps,
then a redraw, then a pause that lets the kernel answer the page), so neither the
kernel nor the page freezes, and Pause takes effect at once.

As in TensorFlow Playground, changing any setting (data set, hidden sizes, activation,
optimizer, learning rate) stops training and starts again from a fresh network, seeded,
so the same settings always give the same run. The picture shows it at once: the
boundary of the untrained network, an empty loss curve, and a title that states the
settings, e.g. ``moons · 16,16 tanh · SGD lr=0.3 · step 0 · ...``.
"""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, NullLocator

from backprop_lib.datasets import load
from backprop_lib.i18n import N_, _, ngettext
from backprop_lib.losses import SoftmaxCrossEntropy, softmax
from backprop_lib.monitor import record_pass
from backprop_lib.training import Trainer, accuracy
from backprop_lib.viz.boundary import BoundaryPainter
from backprop_lib.viz.colors import SEQUENTIAL
from backprop_lib.viz.render import animated
from backprop_lib.widgets._nets import build_mlp, linear_layers, make_optimizer, parse_sizes
from backprop_lib.widgets.base import WidgetView

DATASETS = ("moons", "circles", "spirals", "xor")
#: How the dropdowns and the title name each choice.
DATASET_LABELS = {"moons": N_("moons"), "circles": N_("circles"), "spirals": N_("spirals"), "xor": N_("xor")}
ACTIVATION_LABELS = {"tanh": "tanh", "relu": "ReLU", "sigmoid": N_("sigmoid")}
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "Momentum", "adam": "Adam"}
#: Initial right end of the loss curve's x-axis (it doubles as training goes on).
LOSS_STEPS_SHOWN = 500
MAX_LAYERS = 7  # bars in the gradient strip (6 hidden + output)


class PlaygroundModel:
    """A network, its data and its :class:`~backprop_lib.training.Trainer` (no widgets).

    Args:
        dataset: ``"moons"``, ``"circles"``, ``"spirals"`` or ``"xor"``.
        hidden: hidden layer sizes, e.g. ``(16, 16)``.
        activation: ``"tanh"``, ``"relu"`` or ``"sigmoid"``.
        lr: learning rate.
        optimizer: ``"sgd"``, ``"momentum"`` or ``"adam"``.
        batch_size: mini-batch size (``None``: the whole data set every step).
    """

    def __init__(self, dataset: str = "moons", hidden: tuple[int, ...] = (16, 16),
                 activation: str = "tanh", lr: float = 0.3, optimizer: str = "sgd",
                 n: int = 200, batch_size: int | None = None, seed: int = 0) -> None:
        if dataset not in DATASETS:
            raise ValueError(_("unknown dataset {dataset!r}; choose one of {choices}").format(
                dataset=dataset, choices=list(DATASETS)))
        self.dataset, self.hidden, self.activation = dataset, tuple(hidden), activation
        self.lr, self.optimizer_name, self.seed = float(lr), optimizer, seed
        self.X, self.y = load(dataset, n=n, seed=seed)
        self.n_classes = int(self.y.max()) + 1
        self.net = build_mlp((2, *self.hidden, self.n_classes), activation, "xavier", seed=seed)
        self.loss_fn = SoftmaxCrossEntropy()
        self.optimizer = make_optimizer(optimizer, self.net.parameters(), self.lr)
        self.trainer = Trainer(self.net, self.loss_fn, self.optimizer, self.X, self.y,
                               batch_size=batch_size, seed=seed)
        #: Why training stopped for good (the loss became NaN or infinite), or None.
        self.failure: str | None = None

    def settings(self) -> str:
        """The settings in one line, e.g. ``"moons · 16,16 tanh · SGD lr=0.3"``."""
        return (f"{_(DATASET_LABELS[self.dataset])} · {','.join(map(str, self.hidden))} "
                f"{_(ACTIVATION_LABELS.get(self.activation, self.activation))} · "
                f"{OPTIMIZER_LABELS.get(self.optimizer_name, self.optimizer_name)} lr={self.lr:.2g}")

    @property
    def steps(self) -> int:
        return self.trainer.step_count

    @property
    def history(self) -> list[float]:
        return self.trainer.history

    def train(self, n_steps: int) -> int:
        """Exactly ``n_steps`` steps (a diverging loss raises FloatingPointError)."""
        with self._noting_failure():
            self.trainer.run(n_steps)
        return n_steps

    def train_for(self, seconds: float, max_steps: int) -> int:
        """Steps until ``seconds`` have passed or ``max_steps`` are done; returns the count."""
        deadline = time.perf_counter() + seconds
        done = 0
        with self._noting_failure():
            while done < max_steps and (done == 0 or time.perf_counter() < deadline):
                self.trainer.step()
                done += 1
        return done

    @contextlib.contextmanager
    def _noting_failure(self) -> Iterator[None]:
        """Remember a diverged loss in :attr:`failure` (and let the error through)."""
        try:
            yield
        except FloatingPointError as exc:
            self.failure = str(exc)
            raise

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities ``(N, C)`` of the current network."""
        return softmax(self.net.forward(X), axis=1)

    def accuracy(self) -> float:
        return accuracy(self.net, self.X, self.y)

    def weight_names(self) -> list[str]:
        """The name of each Linear layer's weight matrix, as ``named_parameters`` gives it
        (``["0.W", "2.W", "4.W"]`` for two hidden layers): the bars' labels."""
        return [name for name, _param in self.net.named_parameters() if name.rsplit(".", 1)[-1] == "W"]

    def grad_norms(self) -> list[float]:
        """``||dL/dW||`` of each Linear layer on the whole data set, at the current weights
        (in the order of :meth:`weight_names`)."""
        record_pass(self.net, self.X, self.y, self.loss_fn)
        norms = [float(np.linalg.norm(layer.W.grad)) for layer in linear_layers(self.net)]
        self.net.zero_grad()
        return norms


@dataclass
class _Painter:
    fig: Figure
    boundary: BoundaryPainter
    ax_loss: object
    ax_grad: object
    loss_line: object
    bars: list          # MAX_LAYERS bars; those of the current network are visible
    bar_labels: list
    title: object
    dynamic: list
    fitted_to: tuple = ()  # (data set, number of layers) the artists show


class TrainingPlayground(WidgetView):
    """Data set, hidden sizes, activation, optimizer, learning rate; Train / Pause / Step.

    State keys: ``dataset``, ``hidden`` (text like ``"16, 16"``), ``activation``,
    ``optimizer``, ``lr``. Changing any of them stops training and starts a fresh
    (seeded) network, drawn at once with the new settings in the title.

    Train runs ``RUN_STEPS`` steps in the background and is disabled while it runs;
    Pause is enabled only then. After the loss diverged, Train and Step are disabled
    until a setting changes (the title says why).
    """

    STATE_KEYS = ("dataset", "hidden", "activation", "optimizer", "lr")
    WIDTH_PX = 1000
    HEIGHT_PX = 360
    #: Seconds of training per chunk; a chunk plus its redraw (about 20 ms) stays near 50 ms.
    CHUNK_SECONDS = 0.025
    #: Steps per press of Train (then training stops by itself).
    RUN_STEPS = 1000
    #: Steps per press of Step.
    STEP_STEPS = 10

    def __init__(self, dataset: str = "moons", hidden: str = "16, 16", activation: str = "tanh",
                 optimizer: str = "sgd", lr: float = 0.3, *, n: int = 200, seed: int = 0) -> None:
        super().__init__()
        self._n, self._seed = n, seed
        self.model = PlaygroundModel(dataset, parse_sizes(hidden), activation, lr, optimizer, n=n, seed=seed)
        self._run: object | None = None  # the training run in progress (a token), or None
        self.dataset_dropdown = W.Dropdown(options=[(_(DATASET_LABELS[name]), name) for name in DATASETS],
                                           value=dataset, description=_("dataset"))
        self.hidden_text = W.Text(value=hidden, description=_("hidden"), continuous_update=False,
                                  placeholder=_("e.g. 16, 16"), tooltip=_("hidden layer sizes, comma separated"))
        self.activation_dropdown = W.Dropdown(options=[(_(label), key) for key, label in ACTIVATION_LABELS.items()],
                                              value=activation, description=_("activation"))
        self.optimizer_dropdown = W.Dropdown(options=[(label, key) for key, label in OPTIMIZER_LABELS.items()],
                                             value=optimizer, description=_("optimizer"))
        self.lr_slider = W.FloatLogSlider(value=lr, base=10, min=-4, max=1, step=0.1, description=_("learning rate"),
                                          readout_format=".2g", style={"description_width": "initial"})
        run, step = self.RUN_STEPS, self.STEP_STEPS
        run_tooltip = ngettext("train {n} step in the background", "train {n} steps in the background", run)
        self.train_button = W.Button(description=_("▶ Train"), button_style="primary",
                                     tooltip=run_tooltip.format(n=run))
        self.pause_button = W.Button(description=_("■ Pause"), tooltip=_("stop training"))
        self.step_button = W.Button(description=_("Step ×{n}").format(n=step),
                                    tooltip=ngettext("train {n} step", "train {n} steps", step).format(n=step))
        self.progress = W.IntProgress(value=0, min=0, max=self.RUN_STEPS, description=_("progress"))
        self.status = W.Label("")
        for control in (self.dataset_dropdown, self.hidden_text, self.activation_dropdown,
                        self.optimizer_dropdown, self.lr_slider):
            self._on_change(control, lambda _value: self.rebuild())
        self._on_click(self.train_button, self.train)
        self._on_click(self.pause_button, self.pause)
        self._on_click(self.step_button, self.step)
        self.widget = self._build_root(
            W.HBox([self.dataset_dropdown, self.hidden_text, self.activation_dropdown]),
            W.HBox([self.optimizer_dropdown, self.lr_slider]),
            W.HBox([self.train_button, self.pause_button, self.step_button, self.progress, self.status]),
        )
        self.refresh()

    def _state_controls(self) -> dict[str, W.ValueWidget]:
        return {"dataset": self.dataset_dropdown, "hidden": self.hidden_text,
                "activation": self.activation_dropdown, "optimizer": self.optimizer_dropdown,
                "lr": self.lr_slider}

    @staticmethod
    def _painter_key(model: PlaygroundModel) -> tuple[str, int]:
        """What the artists depend on: the data (points, grid) and the number of layers (bars)."""
        return model.dataset, len(model.hidden)

    # ------------------------------------------------------------------ actions
    def rebuild(self) -> None:
        """Stop training and start again from a fresh network with the current settings."""
        hidden = parse_sizes(self.hidden_text.value)  # a typo changes nothing (the error shows)
        model = PlaygroundModel(self.dataset_dropdown.value, hidden, self.activation_dropdown.value,
                                self.lr_slider.value, self.optimizer_dropdown.value, n=self._n,
                                seed=self._seed)
        self._run = None  # a training loop in progress ends at its next chunk
        self.model = model
        self.progress.value = 0
        self.refresh()  # the painter adapts to new data or layers (see _fit)

    def step(self) -> None:
        """Train ``STEP_STEPS`` steps now and redraw."""
        try:
            self.model.train(self.STEP_STEPS)
        finally:
            self.refresh()  # also after a diverged loss: the steps done and the reason show

    def train(self) -> None:
        """Start training in the background (``RUN_STEPS`` steps, in chunks)."""
        if self.running or self.model.failure is not None:
            return
        run = self._run = object()
        self.progress.value = 0
        try:
            self._start_task(self._train_loop(run))
        except RuntimeError:
            self._run = None
            raise
        finally:
            self.refresh()  # "training…" in the title; Train disabled, Pause enabled

    def pause(self) -> None:
        """Stop background training (the chunk in progress, if any, is the last)."""
        if self._run is None:
            return
        self._run = None
        self.refresh()

    async def _train_loop(self, run: object) -> None:
        done = 0
        try:
            while self._run is run and done < self.RUN_STEPS:
                done += self.model.train_for(self.CHUNK_SECONDS, self.RUN_STEPS - done)
                self.progress.value = done
                if done >= self.RUN_STEPS:
                    break
                self.refresh()
                await asyncio.sleep(0.01)  # let the kernel handle clicks and redraws
        finally:
            if self._run is run:  # finished (or failed) by itself, not paused or rebuilt
                self._run = None
                self.refresh()

    @property
    def running(self) -> bool:
        return self._run is not None

    def _sync_controls(self) -> None:
        failed = self.model.failure is not None
        self.train_button.disabled = self.running or failed
        self.pause_button.disabled = not self.running
        self.step_button.disabled = failed

    # ------------------------------------------------------------------ drawing
    def _background_key(self) -> tuple | None:
        # everything but the dynamic artists depends only on the data set (extent, legend),
        # the number of layers (bar names) and the loss axis' length: coming back to a
        # setting seen before costs a blit, not a full draw
        p = self._painter
        return None if p is None else (p.fitted_to, p.ax_loss.get_xlim()[1])

    def _make_painter(self, fig: Figure) -> _Painter:
        ax_b = fig.add_axes((0.01, 0.1, 0.33, 0.76))
        ax_l = fig.add_axes((0.42, 0.16, 0.25, 0.68))
        ax_g = fig.add_axes((0.76, 0.16, 0.22, 0.68))
        boundary = BoundaryPainter(ax_b, self.model.X, self.model.y, resolution=60, legend_below=True)
        # titles at a fixed position (y given): no re-layout on each full draw
        ax_b.set_title(_("decision boundary"), fontsize=10, y=1.0)
        ax_l.set_yscale("log")
        ax_l.set_ylim(1e-3, 3)
        ax_l.set_xlim(0, LOSS_STEPS_SHOWN)
        ax_l.set_xlabel(_("training step"))
        ax_l.set_title(_("loss (log scale)"), fontsize=10, y=1.0)
        ax_l.grid(alpha=0.3)
        (loss_line,) = ax_l.plot([], [], color="black", lw=1.2)
        bars = ax_g.barh(np.arange(MAX_LAYERS), np.full(MAX_LAYERS, 1e-8), left=1e-8)
        ax_g.set_xscale("log")
        ax_g.set_xlim(1e-8, 1e2)
        ax_g.xaxis.set_major_locator(LogLocator(base=10, numticks=6))
        ax_g.xaxis.set_minor_locator(NullLocator())
        ax_g.set_xlabel(_("‖∂L/∂W‖ (log scale)"))
        ax_g.set_title(_("gradient norm per layer"), fontsize=10, y=1.0)
        bar_labels = [ax_g.text(2e-8, k, "", va="center", fontsize=8) for k in range(MAX_LAYERS)]
        title = fig.text(0.01, 0.985, "", fontsize=11, va="top")
        p = _Painter(fig, boundary, ax_l, ax_g, loss_line, list(bars), bar_labels, title, [])
        self._fit(p)
        return p

    def _fit(self, p: _Painter) -> None:
        """Adapt the artists to the model's data set and number of layers (no new axes)."""
        m = self.model
        n_layers = len(m.hidden) + 1
        if p.fitted_to[:1] != (m.dataset,):
            p.boundary.set_data(m.X, m.y)
        colors = colormaps[SEQUENTIAL](np.linspace(0.1, 0.9, n_layers))
        for k, (bar, label) in enumerate(zip(p.bars, p.bar_labels)):
            bar.set_visible(k < n_layers)
            label.set_visible(k < n_layers)
            if k < n_layers:
                bar.set_facecolor(colors[k])
        p.ax_grad.set_yticks(np.arange(n_layers), m.weight_names())   # 0.W, 2.W, ...: as named_parameters
        p.ax_grad.set_ylim(n_layers - 0.5, -0.5)  # the first layer (0.W) at the top
        p.dynamic = p.boundary.dynamic + animated(p.loss_line, *p.bars, *p.bar_labels, p.title)
        p.fitted_to = self._painter_key(m)

    def _paint(self, p: _Painter) -> None:
        m = self.model
        if p.fitted_to != self._painter_key(m):  # another data set or number of layers
            self._fit(p)  # (a new background key: see _background_key)
        p.boundary.update(m.predict_proba)
        history = np.asarray(m.history, dtype=float)
        right = LOSS_STEPS_SHOWN
        while right < history.size:  # the x-axis grows by doubling (rarely: the background stays cached)
            right *= 2
        if p.ax_loss.get_xlim()[1] != right:  # grown, or back to the start after a rebuild
            p.ax_loss.set_xlim(0, right)  # (a new background key: see _background_key)
        p.loss_line.set_data(np.arange(1, history.size + 1), np.clip(history, 1e-3, None))
        for bar, label, norm in zip(p.bars, p.bar_labels, m.grad_norms()):
            shown = min(max(norm, 1.1e-8), 1e2)
            bar.set_width(shown - 1e-8)
            label.set_text(f"{norm:.2g}")
            label.set_x(min(shown * 1.5, 1.5))  # just right of the bar's end
        loss = f"{history[-1]:.3f}" if history.size else "–"
        text = _("{settings} · step {step} · loss {loss} · accuracy {accuracy:.0%}").format(
            settings=m.settings(), step=m.steps, loss=loss, accuracy=m.accuracy())
        if m.failure is not None:
            text = _("{status} · diverged: lower the learning rate").format(status=text)
        elif self.running:
            text = _("{status} · training…").format(status=text)
        p.title.set_text(text)
        self.status.value = text
