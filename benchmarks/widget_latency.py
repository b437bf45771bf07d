"""Widget update latency: median and 90th percentile per widget, against a 100 ms target.

An "update" is what one user action costs in the kernel: the callback (model work) plus
rendering the new PNG. The time for the browser to receive and show the image is not
included (about 10-20 ms more on a local server).

    python -m benchmarks.widget_latency            # prints the table
    python -m benchmarks.widget_latency --repeats 40

Small matrix products are slow when the BLAS library's threads compete with other busy
processes; the table header shows the BLAS thread setting in use
(``OPENBLAS_NUM_THREADS=1`` gives stable numbers for the small networks used here).
"""
from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

TARGET_MS = 100.0


def _neuron_expression(n_inputs: int, seed: int = 0):
    """A tanh neuron with ``n_inputs`` inputs and a squared-error loss (the notebooks' example)."""
    from backprop_lib.scalar import Value

    rng = random.Random(seed)
    s = Value(0.1, label="b")
    for i in range(n_inputs):
        s = s + Value(rng.uniform(-1, 1), label=f"w{i}") * Value(rng.uniform(-1, 1), label=f"x{i}")
    out = s.tanh()
    out.label = "o"
    loss = (out - 1.0) ** 2
    loss.label = "L"
    return loss


def _cycle_slider(slider, values) -> Callable[[], None]:
    it = itertools.cycle(values)

    def action() -> None:
        slider.value = next(it)

    return action


def _scenarios() -> list[tuple[str, str, Callable[[], Any], Callable[[Any], Callable[[], None]]]]:
    """(widget, action, make the view, make one update action) for every measured case."""
    from backprop_lib import widgets

    def stepper_action(view):
        def action() -> None:
            if view.model.position >= view.model.n_steps:
                view.position_slider.value = 0
            else:
                view.step_button.click()
        return action

    def playground_chunk(view):
        def action() -> None:
            view.model.train_for(view.CHUNK_SECONDS, 10_000)
            view.refresh()
        return action

    return [
        ("TangentSmokeCheck", "move x", widgets.TangentSmokeCheck,
         lambda v: _cycle_slider(v.slider, [-1.5, -0.5, 0.5, 1.5, 0.0])),
        ("ChainRuleExplorer", "move x", widgets.ChainRuleExplorer,
         lambda v: _cycle_slider(v.x_slider, [-2.0, -1.0, 0.3, 1.1, 2.2])),
        ("ChainRuleExplorer", "change function", widgets.ChainRuleExplorer,
         lambda v: _cycle_slider(v.function_dropdown, list(v.function_dropdown.options))),
        ("GraphStepper", "step (neuron, 2 inputs)", lambda: widgets.GraphStepper(_neuron_expression(2)),
         stepper_action),
        ("GraphStepper", "step (37 nodes)", lambda: widgets.GraphStepper(_neuron_expression(8)),
         stepper_action),
        ("NetworkGradientView", "backward stage", widgets.NetworkGradientView,
         lambda v: _cycle_slider(v.stage_slider, [0, 1, 2, 3])),
        ("NetworkGradientView", "training step", widgets.NetworkGradientView,
         lambda v: _cycle_slider(v.step_slider, list(range(0, 301, 15)))),
        ("VanishingExplorer", "depth", widgets.VanishingExplorer,
         lambda v: _cycle_slider(v.depth_slider, list(range(2, 51, 3)))),
        ("VanishingExplorer", "activation", widgets.VanishingExplorer,
         lambda v: _cycle_slider(v.activation_dropdown, ["sigmoid", "relu", "tanh"])),
        ("TrainingPlayground", "Step (10 steps)", widgets.TrainingPlayground,
         lambda v: v.step_button.click),
        ("TrainingPlayground", "Train: one chunk", widgets.TrainingPlayground, playground_chunk),
        ("CostOfGradients", "change P", widgets.CostOfGradients,
         lambda v: _cycle_slider(v.P_slider, [1_000, 3_000, 10_000, 30_000, 100_000, 300_000])),
    ]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run(repeats: int = 20, warmup: int = 2, quick: bool = False) -> list[dict[str, Any]]:
    """Measure every scenario; one row per scenario (times in milliseconds).

    ``quick`` measures 3 updates per scenario (a smoke run of the code, not a measurement).
    """
    if quick:
        repeats, warmup = 3, 1
    rows = []
    for widget, action_name, make_view, make_action in _scenarios():
        view = make_view()
        action = make_action(view)
        for _ in range(warmup):
            action()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            action()
            times.append((time.perf_counter() - start) * 1e3)
        if view.last_error:
            raise RuntimeError(f"{widget} / {action_name} failed: {view.last_error}")
        median = statistics.median(times)
        rows.append({"widget": widget, "action": action_name, "median_ms": median,
                     "p90_ms": _percentile(times, 0.9), "n": repeats, "target_ms": TARGET_MS,
                     "ok": median <= TARGET_MS})
        view.close()
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    """The rows as a fixed-width text table."""
    header = f"{'widget':<22} {'action':<26} {'median ms':>10} {'p90 ms':>8}  target {TARGET_MS:.0f} ms"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r['widget']:<22} {r['action']:<26} {r['median_ms']:>10.1f} {r['p90_ms']:>8.1f}  "
                     f"{'ok' if r['ok'] else 'SLOW'}")
    return "\n".join(lines)


render = format_table  # the name benchmarks.run uses


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="updates measured per scenario")
    args = parser.parse_args(argv)
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "not set")
    print(f"Widget update latency (callback + PNG render), {args.repeats} updates each; "
          f"OPENBLAS_NUM_THREADS={blas}")
    print(format_table(run(repeats=args.repeats)))


if __name__ == "__main__":
    main()
