"""GraphStepper: stepping the forward and backward pass node by node."""
from __future__ import annotations

import asyncio

import pytest
from test_graph_layout import neuron_graph, random_graph
from widget_helpers import error_text, small_expression

from backprop_lib.scalar import topological_order
from backprop_lib.widgets import GraphStepper
from backprop_lib.widgets.graph_stepper import GraphStepperModel


def reference_grads(build, seed):
    """Gradients from the engine's own backward(), on a separate copy of the graph."""
    root = build(seed)
    root.backward()
    return [n.grad for n in topological_order(root)]


@pytest.mark.parametrize("seed", range(6))
def test_final_gradients_equal_backward(seed):
    build = lambda s: random_graph(10, s)  # noqa: E731
    model = GraphStepperModel(build(seed))
    grads = model.gradients()
    expected = reference_grads(build, seed)
    assert [grads[i] for i in range(len(model.nodes))] == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_stepping_never_touches_the_students_grads():
    root = small_expression()
    model = GraphStepperModel(root)
    model.goto(model.n_steps)
    model.state()
    assert all(n.grad == 0.0 for n in topological_order(root))


def test_forward_steps_reveal_one_node_each_in_topological_order():
    model = GraphStepperModel(small_expression())
    known_before = sum(model.state(0).known)
    for k in range(1, model.n_forward + 1):
        s = model.state(k)
        assert sum(s.known) == known_before + k
        i = s.event.node
        assert all(s.known[model.layout.index(c)] for c in model.nodes[i]._prev)
    assert all(model.state(model.n_forward).known)


def test_backward_fires_each_node_after_all_its_users():
    model = GraphStepperModel(neuron_graph(3))
    fired_at = {}
    for k in range(model.n_forward + 2, model.n_steps + 1):
        fired_at[model.events[k - 1].node] = k
    for e in model.layout.edges:
        if e.child in fired_at:  # interior child
            assert fired_at[e.parent] < fired_at[e.child]


def test_fork_shows_contributions_adding_up():
    model = GraphStepperModel(small_expression())
    model.goto(model.n_steps)
    nodes, edges = model.styles()
    a = next(i for i, n in enumerate(model.nodes) if n.label == "a")
    assert nodes[a].grad == "grad 7"          # dL/da = b*f + 1 = (-3)(-2) + 1
    assert nodes[a].fork == "=1+6"            # first via L = ... + a, then via e = a*b
    assert nodes[a].state == "backward"
    labelled = [e.label for e in edges if e.label]
    assert "-3×(-2)" in labelled              # local (b) × upstream (de = f = -2), in parentheses


def test_buttons_step_back_and_reset():
    view = GraphStepper(small_expression())
    pictures = [view.png()]
    for _ in range(3):
        view.step_button.click()
        pictures.append(view.png())
    assert view.model.position == 3 == view.position_slider.value
    assert len(set(pictures)) == 4            # every step changes the picture
    view.back_button.click()
    assert view.model.position == 2 and view.png() == pictures[2]
    view.reset_button.click()
    assert view.model.position == 0 and view.png() == pictures[0]
    view.back_button.click()                  # at the start: nothing happens, no error
    assert view.model.position == 0 and view.last_error is None


def test_caption_and_edge_labels_describe_the_step():
    view = GraphStepper(small_expression())
    view.set_state({"position": 1})
    assert view._painter.caption.get_text().startswith("Forward 1/4: e = a * b = -6")
    view.set_state({"position": view.model.n_forward + 2})  # first backward step: L fires
    caption = view._painter.caption.get_text()
    assert "Backward 1/4" in caption and "1 × 1 = 1" in caption
    shown = [t.get_text() for t in view._painter.edge_labels if t.get_visible()]
    assert shown == ["1×1", "1×1"]


def test_play_runs_to_the_end_without_blocking():
    view = GraphStepper(small_expression(), interval=0.0)
    ticks = 0

    async def ticker():
        nonlocal ticks
        while view.busy or ticks == 0:
            ticks += 1
            await asyncio.sleep(0)

    async def main():
        view.play_button.value = True
        await asyncio.gather(ticker(), view.wait_idle())

    asyncio.run(main())
    assert view.model.position == view.model.n_steps
    assert view.play_button.value is False
    assert ticks >= view.model.n_steps        # other work ran between every two steps
    assert view.last_error is None


def test_play_without_an_event_loop_says_so_in_the_widget():
    view = GraphStepper(small_expression())
    view.play_button.value = True
    assert "running event loop" in error_text(view)


def test_forty_node_graph_stays_legible():
    root = neuron_graph(n_inputs=8)
    view = GraphStepper(root)
    assert 35 <= len(view.model.nodes) <= 45
    painter = view._painter
    assert painter.fontsize >= 5.5
    view.set_state({"position": view.model.n_steps})
    renderer = view._fig.canvas.get_renderer()
    # every node's text fits inside its box
    for box, text in zip(painter.boxes, painter.texts):
        inner = box.get_window_extent(renderer)
        outer = text.get_window_extent(renderer)
        assert outer.width <= inner.width + 2 and outer.height <= inner.height + 2


def test_rejects_values_without_local_derivatives():
    class Node:
        def __init__(self, data, children=()):
            self.data, self._prev, self._op, self.label = data, tuple(children), "+", ""

    with pytest.raises(TypeError, match="_local_grads"):
        GraphStepperModel(Node(1.0, (Node(0.5), Node(0.5))))


def test_play_reads_pause_while_playing_and_pausing_shows():
    view = GraphStepper(small_expression(), interval=10.0)   # no step happens during the test
    seen = {}

    async def main():
        before = view.png()
        view.play_button.value = True
        seen["playing"] = (view.play_button.description, "playing" in view._painter.title.get_text(),
                           view.png() != before, view.reset_button.disabled)
        await asyncio.sleep(0)
        before = view.png()
        view.play_button.value = False                        # Pause
        seen["paused"] = (view.play_button.description, "playing" in view._painter.title.get_text(),
                          view.png() != before)
        await view.wait_idle()

    asyncio.run(main())
    assert seen["playing"] == ("■ Pause", True, True, False)  # Reset (stops playing) is enabled
    assert seen["paused"] == ("▶ Play", False, True)
    assert view.model.position == 0


def test_pause_then_play_again_runs_one_player():
    view = GraphStepper(small_expression(), interval=0.01)

    async def main():
        view.play_button.value = True
        await asyncio.sleep(0.015)
        view.play_button.value = False
        view.play_button.value = True                         # the first player must not revive
        await view.wait_idle()

    asyncio.run(main())
    assert view.model.position == view.model.n_steps and view.play_button.value is False


def test_buttons_follow_the_position():
    view = GraphStepper(small_expression())
    n = view.model.n_steps
    for position in [0, 1, n - 1, n]:
        view.position_slider.value = position
        assert view.reset_button.disabled == view.back_button.disabled == (position == 0)
        assert view.step_button.disabled == view.play_button.disabled == (position == n)


def test_play_without_an_event_loop_leaves_play_off():
    view = GraphStepper(small_expression())
    view.play_button.value = True
    assert view.play_button.value is False and view.play_button.description == "▶ Play"
    assert "running event loop" in error_text(view)
