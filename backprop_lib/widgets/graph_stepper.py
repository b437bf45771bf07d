"""Step through the forward and the backward pass of any scalar expression, node by node.

Build an expression with :class:`backprop_lib.scalar.Value` and hand its output to
:class:`GraphStepper`. The Step button first computes the values one node at a time
(forward pass, in topological order), then sets ``dL/dL = 1`` at the output and passes
gradients back one node at a time (backward pass, reverse topological order). Along each
edge the gradient that arrives is ``local derivative × upstream gradient``; where a
value is used more than once (a fork) the contributions add up.

The model computes everything from ``.data``, ``._prev`` and ``._local_grads`` without
calling ``backward()``, so it never changes the ``.grad`` of the student's values.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any, Literal

import ipywidgets as W
from matplotlib.figure import Figure

from backprop_lib.graph_layout import GraphLayout, layered_layout
from backprop_lib.i18n import N_, _
from backprop_lib.viz.graph import EdgeStyle, GraphPainter, NodeStyle, fmt, product_label
from backprop_lib.widgets.play import AnimatedView

Kind = Literal["forward", "seed", "backward"]

#: How the title names each phase (see :attr:`GraphStepperModel.phase`).
PHASE_LABELS = {"start": N_("start"), "forward": N_("forward pass"), "backward": N_("backward pass"),
                "done": N_("done: every gradient is final")}


@dataclass(frozen=True)
class Event:
    """One step: compute a node's value, seed the output's gradient, or pass a gradient back."""

    kind: Kind
    node: int  # index into the layout's nodes


@dataclass
class StepState:
    """Everything known after the first ``position`` events."""

    known: list[bool]                            # value computed (leaves: always)
    grad: list[float | None]                     # gradient so far (None: nothing arrived yet)
    parts: list[list[float]]                     # contributions that arrived, in order
    fired: list[bool]                            # node has passed its gradient to its inputs
    edge_done: list[bool]                        # a contribution travelled along this edge
    event: Event | None                          # the event of this step (None at the start)


class GraphStepperModel:
    """The forward and backward pass of one expression, as a list of steps.

    Args:
        root: the output ``Value`` (the "loss"). Nodes must store their local
            derivatives (``_local_grads``), as ``backprop_lib.scalar.Value`` does.
    """

    def __init__(self, root: Any) -> None:
        if not hasattr(root, "_prev") or not hasattr(root, "data"):
            raise TypeError(_("GraphStepper needs a Value expression, got {kind}").format(kind=type(root).__name__))
        self.root = root
        self.layout: GraphLayout = layered_layout(root)
        self.nodes = self.layout.nodes
        for node in self.nodes:
            if len(getattr(node, "_local_grads", ())) != len(node._prev):
                raise TypeError(
                    _("GraphStepper needs values that store their local derivatives "
                      "(_local_grads), such as backprop_lib.scalar.Value")
                )
        self.names = [self._name(i) for i in range(len(self.nodes))]
        interior = [i for i, n in enumerate(self.nodes) if n._prev]
        root_index = len(self.nodes) - 1  # the root comes last in a topological order
        self.events: list[Event] = (
            [Event("forward", i) for i in interior]
            + [Event("seed", root_index)]
            + [Event("backward", i) for i in reversed(interior)]
        )
        self.n_forward = len(interior)
        self.position = 0
        # the edges leaving each node's inputs, to find them quickly
        self.edges_into: dict[int, list[int]] = {}
        for k, e in enumerate(self.layout.edges):
            self.edges_into.setdefault(e.parent, []).append(k)

    # ------------------------------------------------------------------ stepping
    @property
    def n_steps(self) -> int:
        """Number of events; ``position`` runs from 0 to ``n_steps``."""
        return len(self.events)

    @property
    def phase(self) -> str:
        """``"start"``, ``"forward"``, ``"backward"`` or ``"done"``."""
        if self.position == 0:
            return "start"
        if self.position == self.n_steps:
            return "done"
        return "forward" if self.position <= self.n_forward else "backward"

    def goto(self, position: int) -> None:
        if not 0 <= position <= self.n_steps:
            raise ValueError(_("position must be between 0 and {n_steps}, got {position}").format(
                n_steps=self.n_steps, position=position))
        self.position = int(position)

    def step(self) -> bool:
        """Advance one event; False (and no change) when already at the end."""
        if self.position >= self.n_steps:
            return False
        self.position += 1
        return True

    def back(self) -> bool:
        """Undo one event; False at the start."""
        if self.position <= 0:
            return False
        self.position -= 1
        return True

    def reset(self) -> None:
        self.position = 0

    # ------------------------------------------------------------------ replay
    def state(self, position: int | None = None) -> StepState:
        """Replay the first ``position`` events (default: the current position)."""
        position = self.position if position is None else position
        n, edges = len(self.nodes), self.layout.edges
        known = [not node._prev for node in self.nodes]
        grad: list[float | None] = [None] * n
        parts: list[list[float]] = [[] for _node in range(n)]
        fired = [False] * n
        edge_done = [False] * len(edges)
        for event in self.events[:position]:
            i = event.node
            if event.kind == "forward":
                known[i] = True
            elif event.kind == "seed":
                grad[i] = 1.0
                parts[i].append(1.0)
            else:
                fired[i] = True
                upstream = grad[i] if grad[i] is not None else 0.0
                for k in self.edges_into.get(i, []):
                    e = edges[k]
                    contribution = self.local(k) * upstream
                    grad[e.child] = (grad[e.child] or 0.0) + contribution
                    parts[e.child].append(contribution)
                    edge_done[k] = True
        event = self.events[position - 1] if position > 0 else None
        return StepState(known, grad, parts, fired, edge_done, event)

    def local(self, edge: int) -> float:
        """Local derivative d(parent)/d(child) along ``edge`` (stored in the forward pass)."""
        e = self.layout.edges[edge]
        return float(self.nodes[e.parent]._local_grads[e.slot])

    def final_labels(self) -> list[str]:
        """Every edge label the steps will show (an edge's label never changes once shown)."""
        grads = self.gradients()
        return [product_label(self.local(k), grads[e.parent]) for k, e in enumerate(self.layout.edges)]

    def gradients(self) -> dict[int, float]:
        """Final gradient of every node (by index), as ``root.backward()`` would give it."""
        final = self.state(self.n_steps)
        return {i: (g if g is not None else 0.0) for i, g in enumerate(final.grad)}

    def is_final(self, state: StepState, i: int) -> bool:
        """True when every user of node ``i`` has passed its gradient back (or ``i`` is the root)."""
        users = [e.parent for e in self.layout.edges if e.child == i]
        if not users:
            return state.grad[i] is not None
        return all(state.fired[u] for u in users)

    # ------------------------------------------------------------------ text
    def _name(self, i: int) -> str:
        node = self.nodes[i]
        if node.label:
            return node.label
        if not node._prev:
            return fmt(node.data)
        return f"#{i}"

    def formula(self, i: int) -> str:
        """How node ``i`` is computed from its inputs, e.g. ``"a * b"`` or ``"tanh(n)"``."""
        node = self.nodes[i]
        args = [self.names[self.layout.index(c)] for c in node._prev]
        op = node._op
        if op in {"+", "*"} and len(args) == 2:
            return f"{args[0]} {op} {args[1]}"
        if op.startswith("**") and len(args) == 1:
            return f"{args[0]}{op}"
        if len(args) > 4:
            args = args[:3] + ["…"]
        return f"{op}({', '.join(args)})"

    def describe(self) -> str:
        """What the current step did, in words."""
        s = self.state()
        event = s.event
        if event is None:
            return _("Start: the inputs (leaves) are known. Step ▶ computes the values one node "
                     "at a time (forward pass).")
        i, name = event.node, self.names[event.node]
        if event.kind == "forward":
            return _("Forward {position}/{n_forward}: {name} = {formula} = {value}").format(
                position=self.position, n_forward=self.n_forward, name=name, formula=self.formula(i),
                value=fmt(self.nodes[i].data))
        if event.kind == "seed":
            return _("Backward begins at the output {name}: dL/d{name} = 1. Next, each node passes "
                     "local derivative × upstream gradient to its inputs (reverse topological order).").format(
                name=name)
        upstream = s.grad[i] or 0.0
        pieces = []
        for k in self.edges_into.get(i, [])[:4]:
            child = self.names[self.layout.edges[k].child]
            local = self.local(k)
            pieces.append(_("to {child}: {local} × {upstream} = {product}").format(
                child=child, local=fmt(local), upstream=fmt(upstream), product=fmt(local * upstream)))
        if len(self.edges_into.get(i, [])) > 4:
            pieces.append("…")
        step = self.position - self.n_forward - 1
        total = self.n_steps - self.n_forward - 1
        return _("Backward {step}/{total}: {name} = {formula} passes back {contributions}").format(
            step=step, total=total, name=name, formula=self.formula(i), contributions="; ".join(pieces))

    def styles(self, compact: bool = False) -> tuple[list[NodeStyle], list[EdgeStyle]]:
        """What every box and edge shows at the current position.

        ``compact`` shortens the text for crowded pictures ("d" for data, "g" for grad).
        """
        data_word, grad_word, fork_digits = ("d", "g", 2) if compact else ("data", "grad", 3)
        s = self.state()
        current = s.event.node if s.event else None
        nodes = []
        for i, node in enumerate(self.nodes):
            grad_text, fork = "", ""
            if s.grad[i] is not None:
                grad_text = f"{grad_word} {fmt(s.grad[i], 3)}"
                if len(s.parts[i]) > 1:
                    terms = "+".join(fmt(p, fork_digits) for p in s.parts[i][:2])
                    fork = f"={terms}" + ("+…" if len(s.parts[i]) > 2 else "")
            if s.grad[i] is not None and self.is_final(s, i):
                state = "backward"
            elif s.known[i]:
                state = "forward"
            else:
                state = "pending"
            nodes.append(NodeStyle(
                title=self.names[i] + (f" ({node._op})" if node._op else ""),
                data=f"{data_word} {fmt(node.data, 3)}" if s.known[i] else f"{data_word} ?",
                grad=grad_text, fork=fork, state=state, current=(i == current),
            ))
        edges = []
        for k, e in enumerate(self.layout.edges):
            is_current = (s.event is not None and s.event.kind == "backward" and e.parent == current) or (
                s.event is not None and s.event.kind == "forward" and e.parent == current)
            if s.edge_done[k]:
                upstream = s.grad[e.parent] or 0.0
                edges.append(EdgeStyle(label=product_label(self.local(k), upstream),
                                       state="backward", current=is_current))
            elif s.known[e.parent]:
                edges.append(EdgeStyle(state="forward", current=is_current))
            else:
                edges.append(EdgeStyle())
        return nodes, edges


class GraphStepper(AnimatedView):
    """Buttons reset, ◀ back, ▶ step, ▶ play/pause, and a step slider, over the graph of ``root``.

    >>> from backprop_lib.scalar import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> L = a * b + a; L.label = "L"
    >>> view = GraphStepper(L)
    >>> view.step_button.click()      # the first forward step

    A button that would do nothing is disabled: Reset and Back at the start, Step and
    Play at the end. While playing, Play reads Pause and the title says "playing".

    State key: ``position`` (0 .. number of steps). ``from_state`` needs the expression:
    ``GraphStepper.from_state({"position": 5}, root=L)``.
    """

    STATE_KEYS = ("position",)
    WIDTH_PX = 1000
    HEIGHT_PX = 600

    def __init__(self, root: Any, *, interval: float = 0.6) -> None:
        super().__init__()
        self.model = GraphStepperModel(root)
        #: Seconds between two steps while playing.
        self.interval = float(interval)
        self.reset_button = W.Button(description=_("Reset"), tooltip=_("Back to the start"))
        self.back_button = W.Button(description=_("◀ Back"), tooltip=_("Undo one step"))
        self.step_button = W.Button(description=_("Step ▶"), tooltip=_("Do one step"), button_style="primary")
        self._make_play_button(_("▶ Play"), _("Step automatically; click again to pause"))
        self.position_slider = W.IntSlider(value=0, min=0, max=self.model.n_steps, description=_("step"),
                                           continuous_update=True)
        self._on_click(self.reset_button, self.reset)
        self._on_click(self.back_button, self.back)
        self._on_click(self.step_button, self.step)
        self._on_change(self.position_slider, self._position_changed)
        controls = W.HBox([self.reset_button, self.back_button, self.step_button, self.play_button,
                           self.position_slider])
        self.widget = self._build_root(controls)
        self.refresh()

    def _state_controls(self) -> dict[str, W.ValueWidget]:
        return {"position": self.position_slider}

    # ------------------------------------------------------------------ actions
    def step(self) -> None:
        """One step forward (the Step button)."""
        self.position_slider.value = min(self.model.position + 1, self.model.n_steps)

    def back(self) -> None:
        """One step back (the Back button)."""
        self.position_slider.value = max(self.model.position - 1, 0)

    def reset(self) -> None:
        """Back to the start (the Reset button); also stops playing."""
        with self.hold_refresh():
            self.play_button.value = False
            self.position_slider.value = 0

    def _position_changed(self, position: int) -> None:
        self.model.goto(position)
        self.refresh()

    # Play (see AnimatedView): one step per frame, from the start again after the end
    def _play_done(self) -> bool:
        return self.model.position >= self.model.n_steps

    def _play_advance(self) -> None:
        self.step()

    def _play_rewind(self) -> None:
        self.position_slider.value = 0

    def _sync_controls(self) -> None:
        m, playing = self.model, self.playing
        at_start, at_end = m.position == 0, m.position >= m.n_steps
        self.reset_button.disabled = at_start and not playing  # (Reset also stops playing)
        self.back_button.disabled = at_start
        self.step_button.disabled = at_end
        self.play_button.disabled = at_end and not playing
        self.play_button.description = _("■ Pause") if playing else _("▶ Play")

    # ------------------------------------------------------------------ drawing
    def _make_painter(self, fig: Figure) -> GraphPainter:
        return GraphPainter(fig, self.model.layout, labels=self.model.final_labels())

    def _paint(self, painter: GraphPainter) -> None:
        nodes, edges = self.model.styles(compact=painter.compact)
        m = self.model
        title = _("step {position}/{n_steps} · {phase}").format(position=m.position, n_steps=m.n_steps,
                                                                phase=_(PHASE_LABELS[m.phase]))
        if self.playing:
            title = _("{title} · ▶ playing").format(title=title)
        caption = "\n".join(textwrap.wrap(m.describe(), width=150)[:2])
        painter.update(nodes, edges, title=title, caption=caption)
