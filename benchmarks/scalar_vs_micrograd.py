"""Benchmark 1: our scalar engine vs micrograd 0.1.0 on micrograd's own demo.

The demo: ``MLP(2, [16, 16, 1])`` on 100 two-moons points, hinge loss plus L2
regularisation, one step = forward + backward + SGD update, Python's default GC (each engine
runs its steps in one block after a full collection, so it pays for its own garbage).
The *same* training code runs on both engines: ours is a drop-in replacement.
"""
from __future__ import annotations

import gc
import random
import statistics
import time

from backprop_lib.datasets import make_moons

from .common import format_table, ms


def demo_step(Value, model, X, y, k: int) -> float:
    """One step of micrograd's demo, written against micrograd's public API."""
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum((p * p for p in model.parameters()))
    total_loss = data_loss + reg_loss
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return total_loss.data


def _engines():
    import micrograd.engine
    import micrograd.nn

    import backprop_lib.scalar as ours

    def unfused(nin, nouts):
        return ours.MLP(nin, nouts, fused=False)

    return {
        "micrograd 0.1.0": (micrograd.engine.Value, micrograd.nn.MLP),
        "backprop_lib.scalar (fused neuron)": (ours.Value, ours.MLP),
        "backprop_lib.scalar (fused=False)": (ours.Value, unfused),
    }


def run(steps: int = 5, n_points: int = 100) -> tuple[str, dict]:
    X, y01 = make_moons(n=n_points, noise=0.1, seed=1)
    X = X.tolist()
    y = [2 * int(t) - 1 for t in y01]  # labels in {-1, +1} for the hinge loss
    assert gc.isenabled(), "the comparison is made with Python's default GC"
    models = {}
    for name, (Value, MLP) in _engines().items():
        random.seed(1337)
        models[name] = MLP(2, [16, 16, 1])
    times: dict[str, list[float]] = {name: [] for name in models}
    losses: dict[str, list[float]] = {name: [] for name in models}
    # Each engine runs its steps as one block, after a full collection, so that it
    # pays for its own garbage: micrograd's graphs are reference cycles that only
    # the cyclic collector frees, and alternating step by step would bill that
    # collection to whichever engine happened to run next.
    for name, (Value, _) in _engines().items():
        gc.collect()
        for k in range(steps):
            t0 = time.perf_counter()
            losses[name].append(demo_step(Value, models[name], X, y, k))
            times[name].append(time.perf_counter() - t0)
    med = {name: statistics.median(ts) for name, ts in times.items()}
    base = med["micrograd 0.1.0"]
    rows = [
        [name, ms(t), base / t, f"{losses[name][-1]:.6f}"]
        for name, t in med.items()
    ]
    same = all(max(step) - min(step) < 1e-9 for step in zip(*losses.values()))
    table = format_table(
        f"Scalar engine: micrograd's demo step (MLP(2, [16, 16, 1]), {n_points} points, default GC), median of {steps} steps",
        ["engine", "ms / step", "speed-up vs micrograd", "loss after last step"],
        rows,
    )
    table += f"\nAll engines start from the same weights and follow the same loss trajectory: {same}.\n"
    table += ("The fused neuron builds b + sum(w_i x_i) as one graph node with the same gradients; "
              "fused=False builds micrograd's graph of separate * and + nodes. Target: >= 20x.\n")
    return table, {"median_s": med, "speedup": base / med["backprop_lib.scalar (fused neuron)"], "same_losses": same}


def main() -> None:
    print(run()[0])


if __name__ == "__main__":
    main()
