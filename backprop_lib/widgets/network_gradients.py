"""Watch the gradient of every weight of a small MLP, layer by layer, as it trains.

A small network is trained on a toy data set (full batch, plain SGD). The picture shows
the network as columns of units; each weight is a line whose colour gives the sign of
its gradient ``dL/dW`` and whose width gives its size.

* The **backward** slider (or Play) animates one backward pass: the gradients appear
  from the output layer back to the input, the order in which backprop computes them.
* The **training step** slider picks a moment of training. Snapshots of the weights are
  stored as training goes; training happens lazily, in chunks, the first time a later
  step is asked for.
"""
from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from backprop_lib.datasets import load
from backprop_lib.losses import SoftmaxCrossEntropy
from backprop_lib.monitor import record_pass
from backprop_lib.training import Trainer, accuracy
from backprop_lib.viz.colors import BACKWARD
from backprop_lib.viz.network import NetworkPainter
from backprop_lib.viz.render import animated
from backprop_lib.widgets._nets import build_mlp, copy_params, linear_layers, load_params, make_optimizer
from backprop_lib.widgets.play import AnimatedView


@dataclass(frozen=True)
class BackwardPass:
    """The gradients of one full-batch backward pass at one training step."""

    step: int
    loss: float
    dW: list[np.ndarray]       # one (n_in, n_out) array per Linear layer, input side first
    accuracy: float

    @property
    def scale(self) -> float:
        """Largest |dW| over all layers (colours are relative to it)."""
        return max(float(np.abs(g).max()) for g in self.dW) or 1.0


class NetworkGradientModel:
    """A small MLP, its training snapshots, and the backward pass at any stored step.

    Args:
        hidden: hidden layer sizes (keep them small so every weight is visible).
        activation: ``"tanh"``, ``"relu"`` or ``"sigmoid"``.
        dataset: a name for :func:`backprop_lib.datasets.load`.
        max_steps: the last training step that can be shown (``K``).
        chunk: training steps done per call of :meth:`train_chunk`.
    """

    def __init__(self, hidden: tuple[int, ...] = (5, 5), activation: str = "tanh",
                 dataset: str = "moons", n: int = 100, lr: float = 1.0, optimizer: str = "sgd",
                 max_steps: int = 300, chunk: int = 50, seed: int = 0) -> None:
        self.X, self.y = load(dataset, n=n, seed=seed)
        n_classes = int(self.y.max()) + 1
        self.sizes = (self.X.shape[1], *hidden, n_classes)
        self.net = build_mlp(self.sizes, activation, "xavier", seed=seed)
        self.probe = build_mlp(self.sizes, activation, "xavier", seed=seed)  # replays snapshots
        self.loss_fn = SoftmaxCrossEntropy()
        self.trainer = Trainer(self.net, self.loss_fn, make_optimizer(optimizer, self.net.parameters(), lr),
                               self.X, self.y)
        self.max_steps, self.chunk = int(max_steps), int(chunk)
        self.snapshots: list[list[np.ndarray]] = [copy_params(self.net)]
        self._passes: dict[int, BackwardPass] = {}

    @property
    def n_layers(self) -> int:
        """Number of Linear layers (the backward slider runs from 0 to this)."""
        return len(self.sizes) - 1

    @property
    def trained_steps(self) -> int:
        return len(self.snapshots) - 1

    def train_chunk(self) -> int:
        """Train up to ``chunk`` more steps (never beyond ``max_steps``); returns how many."""
        todo = min(self.chunk, self.max_steps - self.trained_steps)
        for _ in range(todo):
            self.trainer.step()
            self.snapshots.append(copy_params(self.net))
        return todo

    def ensure_trained(self, step: int) -> None:
        """Train (in chunks) until the snapshot of ``step`` exists."""
        if not 0 <= step <= self.max_steps:
            raise ValueError(f"step must be between 0 and {self.max_steps}, got {step}")
        while self.trained_steps < step:
            self.train_chunk()

    def backward_pass(self, step: int) -> BackwardPass:
        """Gradients of the weights at training ``step`` (cached)."""
        if step not in self._passes:
            self.ensure_trained(step)
            load_params(self.probe, self.snapshots[step])
            loss, _ = record_pass(self.probe, self.X, self.y, self.loss_fn)
            dW = [layer.W.grad.copy() for layer in linear_layers(self.probe)]
            self._passes[step] = BackwardPass(step, float(loss), dW, accuracy(self.probe, self.X, self.y))
        return self._passes[step]

    def visible_gradients(self, step: int, stage: int) -> list[np.ndarray | None]:
        """What backprop has computed after ``stage`` layers: the last ``stage`` dW, others None."""
        if not 0 <= stage <= self.n_layers:
            raise ValueError(f"stage must be between 0 and {self.n_layers}, got {stage}")
        dW = self.backward_pass(step).dW
        first_done = self.n_layers - stage
        return [g if k >= first_done else None for k, g in enumerate(dW)]

    def losses(self) -> np.ndarray:
        """Loss of every training step done so far."""
        return np.asarray(self.trainer.history, dtype=float)


@dataclass
class _Painter:
    fig: Figure
    network: NetworkPainter
    ax_loss: object
    loss_line: object
    loss_point: object
    title: object
    dynamic: list


class NetworkGradientView(AnimatedView):
    """Sliders ``training step`` and ``backward`` (plus Play) over a small MLP's weight gradients.

    State keys: ``train_step`` (0 .. max_steps) and ``backward_stage``
    (0 = nothing computed yet .. number of Linear layers = all gradients).
    Other keyword arguments go to :class:`NetworkGradientModel`.
    """

    STATE_KEYS = ("train_step", "backward_stage")
    WIDTH_PX = 960
    HEIGHT_PX = 420

    def __init__(self, *, interval: float = 0.7, **model_kwargs) -> None:
        super().__init__()
        self.model = NetworkGradientModel(**model_kwargs)
        self.interval = float(interval)
        m = self.model
        self.step_slider = W.IntSlider(value=0, min=0, max=m.max_steps, description="training step",
                                       style={"description_width": "initial"}, continuous_update=True)
        self.stage_slider = W.IntSlider(value=m.n_layers, min=0, max=m.n_layers, description="backward",
                                        tooltip="how many layers the backward pass has reached")
        self._make_play_button("▶ Play backward", "animate the backward pass, output layer first")
        self._on_change(self.step_slider, lambda _: self.refresh())
        self._on_change(self.stage_slider, lambda _: self.refresh())
        self.widget = self._build_root(W.HBox([self.step_slider, self.stage_slider, self.play_button]))
        self.refresh()

    def _state_controls(self) -> dict[str, W.ValueWidget]:
        return {"train_step": self.step_slider, "backward_stage": self.stage_slider}

    # Play (see AnimatedView): the gradients appear one layer per frame, output layer first
    def _play_done(self) -> bool:
        return self.stage_slider.value >= self.model.n_layers

    def _play_advance(self) -> None:
        self.stage_slider.value += 1

    def _play_rewind(self) -> None:
        self.stage_slider.value = 0

    def _sync_controls(self) -> None:
        # Play is never a no-op (at the last layer it starts again from none); Pause stops
        # the animation and the title stops saying "playing".
        self.play_button.description = "■ Pause" if self.playing else "▶ Play backward"

    def _make_painter(self, fig: Figure) -> _Painter:
        network = NetworkPainter(fig, self.model.sizes, (0.01, 0.2, 0.66, 0.7), (0.07, 0.09, 0.54, 0.03))
        ax = fig.add_axes((0.75, 0.2, 0.23, 0.62))
        ax.set_yscale("log")
        ax.set_xlim(0, self.model.max_steps)
        first_loss = self.model.backward_pass(0).loss
        ax.set_ylim(1e-3, first_loss * 1.5)  # fixed, so training further never moves the axes
        ax.set_xlabel("training step")
        ax.set_title("training loss", fontsize=10)
        ax.grid(alpha=0.3)
        (loss_line,) = ax.plot([], [], color="black", lw=1.2)
        (loss_point,) = ax.plot([], [], "o", color=BACKWARD, ms=7)
        title = fig.text(0.01, 0.96, "", fontsize=11, va="top")
        return _Painter(fig, network, ax, loss_line, loss_point, title,
                        network.dynamic + animated(loss_line, loss_point, title))

    def _paint(self, p: _Painter) -> None:
        m = self.model
        step, stage = self.step_slider.value, self.stage_slider.value
        bp = m.backward_pass(step)
        grads = m.visible_gradients(step, stage)
        current = m.n_layers - stage if stage > 0 else None
        p.network.update(grads, scale=bp.scale, current=current,
                         current_text="← ∂L/∂W computed" if stage < m.n_layers and stage else "")
        losses = m.losses()
        p.loss_line.set_data(np.arange(losses.size), losses)
        p.loss_point.set_data([step], [bp.loss])
        reached = "no layer yet" if stage == 0 else f"{stage} of {m.n_layers} layers"
        if self.playing:
            reached += " (playing)"
        p.title.set_text(f"step {step}: loss {bp.loss:.3f}, accuracy {bp.accuracy:.0%} · "
                         f"backward pass reached {reached} · largest |∂L/∂W| = {bp.scale:.2g}")
