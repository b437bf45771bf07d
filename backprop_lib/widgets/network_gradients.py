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
from backprop_lib.i18n import _
from backprop_lib.losses import HingeLoss, SoftmaxCrossEntropy
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
    db: list[np.ndarray] | None = None   # one (n_out,) array per Linear layer

    @property
    def scale(self) -> float:
        """Largest |dW| over all layers (colours are relative to it); 1 when every gradient is 0."""
        return self.largest or 1.0

    @property
    def largest(self) -> float:
        """Largest |dW| over all layers (0 when every gradient is 0, as with a hinge loss of 0)."""
        return max(float(np.abs(g).max()) for g in self.dW)


class NetworkGradientModel:
    """A small MLP, its training snapshots, and the backward pass at any stored step.

    Args:
        hidden: hidden layer sizes (keep them small so every weight is visible).
        activation: ``"tanh"``, ``"relu"`` or ``"sigmoid"``.
        dataset: a name for :func:`backprop_lib.datasets.load`.
        max_steps: the last training step that can be shown (``K``).
        chunk: training steps done per call of :meth:`train_chunk`.
        loss: ``"cross_entropy"`` (one output per class, softmax cross-entropy) or ``"hinge"``
            (two classes, one output: the score; notebook 04's hinge loss).
    """

    LOSSES = ("cross_entropy", "hinge")

    def __init__(self, hidden: tuple[int, ...] = (5, 5), activation: str = "tanh",
                 dataset: str = "moons", n: int = 100, lr: float = 1.0, optimizer: str = "sgd",
                 max_steps: int = 300, chunk: int = 50, seed: int = 0, loss: str = "cross_entropy") -> None:
        if loss not in self.LOSSES:
            raise ValueError(_("loss must be one of {choices}; got {loss!r}").format(
                choices=", ".join(map(repr, self.LOSSES)), loss=loss))
        self.X, self.y = load(dataset, n=n, seed=seed)
        n_classes = int(self.y.max()) + 1
        if loss == "hinge" and n_classes != 2:
            raise ValueError(_("the hinge loss needs a data set of two classes; {dataset!r} has {n_classes}").format(
                dataset=dataset, n_classes=n_classes))
        self.sizes = (self.X.shape[1], *hidden, 1 if loss == "hinge" else n_classes)
        self.net = build_mlp(self.sizes, activation, "xavier", seed=seed)
        self.probe = build_mlp(self.sizes, activation, "xavier", seed=seed)  # replays snapshots
        self.loss_fn = HingeLoss() if loss == "hinge" else SoftmaxCrossEntropy()
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
        for _step in range(todo):
            self.trainer.step()
            self.snapshots.append(copy_params(self.net))
        return todo

    def ensure_trained(self, step: int) -> None:
        """Train (in chunks) until the snapshot of ``step`` exists."""
        if not 0 <= step <= self.max_steps:
            raise ValueError(_("step must be between 0 and {max_steps}, got {step}").format(
                max_steps=self.max_steps, step=step))
        while self.trained_steps < step:
            self.train_chunk()

    def backward_pass(self, step: int) -> BackwardPass:
        """Gradients of the weights at training ``step`` (cached)."""
        if step not in self._passes:
            self.ensure_trained(step)
            load_params(self.probe, self.snapshots[step])
            loss, _records = record_pass(self.probe, self.X, self.y, self.loss_fn)
            layers = linear_layers(self.probe)
            dW = [layer.W.grad.copy() for layer in layers]
            db = [layer.b.grad.copy() for layer in layers]
            self._passes[step] = BackwardPass(step, float(loss), dW, accuracy(self.probe, self.X, self.y), db)
        return self._passes[step]

    def scalar_parameters(self, step: int) -> list[float]:
        """The weights at training ``step`` as one list of numbers, in the order of the scalar
        engine's ``MLP.parameters()``: layer by layer, neuron by neuron, each neuron's weights
        and then its bias (neuron ``j`` of a layer holds column ``j`` of ``W`` and entry ``j`` of ``b``)."""
        self.ensure_trained(step)
        snapshot = self.snapshots[step]
        return _neuron_order(snapshot[0::2], snapshot[1::2])

    def scalar_gradients(self, step: int) -> list[float]:
        """The gradients at training ``step``, in the order of :meth:`scalar_parameters`."""
        bp = self.backward_pass(step)
        return _neuron_order(bp.dW, bp.db)

    def visible_gradients(self, step: int, stage: int) -> list[np.ndarray | None]:
        """What backprop has computed after ``stage`` layers: the last ``stage`` dW, others None."""
        if not 0 <= stage <= self.n_layers:
            raise ValueError(_("stage must be between 0 and {n_layers}, got {stage}").format(
                n_layers=self.n_layers, stage=stage))
        dW = self.backward_pass(step).dW
        first_done = self.n_layers - stage
        return [g if k >= first_done else None for k, g in enumerate(dW)]

    def losses(self) -> np.ndarray:
        """Loss of every training step done so far."""
        return np.asarray(self.trainer.history, dtype=float)


#: lowest loss drawn on the log-scale loss axis; smaller losses (0 included) sit on its bottom edge
_LOSS_FLOOR = 1e-3


def _neuron_order(Ws: list[np.ndarray], bs: list[np.ndarray]) -> list[float]:
    out: list[float] = []
    for weights, bias in zip(Ws, bs):
        for j in range(weights.shape[1]):
            out.extend(float(v) for v in weights[:, j])
            out.append(float(bias[j]))
    return out


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
        self.step_slider = W.IntSlider(value=0, min=0, max=m.max_steps, description=_("training step"),
                                       style={"description_width": "initial"}, continuous_update=True)
        self.stage_slider = W.IntSlider(value=m.n_layers, min=0, max=m.n_layers, description=_("backward"),
                                        tooltip=_("how many layers the backward pass has reached"))
        self._make_play_button(_("▶ Play backward"), _("animate the backward pass, output layer first"))
        self._on_change(self.step_slider, lambda _value: self.refresh())
        self._on_change(self.stage_slider, lambda _value: self.refresh())
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
        self.play_button.description = _("■ Pause") if self.playing else _("▶ Play backward")

    def _make_painter(self, fig: Figure) -> _Painter:
        network = NetworkPainter(fig, self.model.sizes, (0.01, 0.2, 0.66, 0.7), (0.07, 0.09, 0.54, 0.03))
        ax = fig.add_axes((0.75, 0.2, 0.23, 0.62))
        ax.set_yscale("log")
        ax.set_xlim(0, self.model.max_steps)
        first_loss = self.model.backward_pass(0).loss
        ax.set_ylim(_LOSS_FLOOR, first_loss * 1.5)  # fixed, so training further never moves the axes
        ax.set_xlabel(_("training step"))
        ax.set_title(_("training loss"), fontsize=10)
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
                         current_text=_("← ∂L/∂W computed") if stage < m.n_layers and stage else "")
        losses = m.losses()
        # a loss of exactly 0 (the hinge loss once every margin is >= 1) is drawn on the bottom edge
        p.loss_line.set_data(np.arange(losses.size), np.maximum(losses, _LOSS_FLOOR))
        p.loss_point.set_data([step], [max(bp.loss, _LOSS_FLOOR)])
        if stage == 0:
            reached = _("no layer yet")
        else:
            reached = _("{stage} of {n_layers} layers").format(stage=stage, n_layers=m.n_layers)
        if self.playing:
            reached = _("{reached} (playing)").format(reached=reached)
        p.title.set_text(_("step {step}: loss {loss:.3f}, accuracy {accuracy:.0%} · "
                           "backward pass reached {reached} · largest |∂L/∂W| = {largest:.2g}").format(
            step=step, loss=bp.loss, accuracy=bp.accuracy, reached=reached, largest=bp.largest))
