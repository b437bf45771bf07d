"""Benchmark 3b: the cost of a gradient, finite differences vs backprop.

For a small MLP ``4 -> h -> h -> 1`` (tanh, MSE) with P = h^2 + 7h + 1 parameters
(h = 1, 7, 28, 96 give P = 9, 99, 981, 9889) we time

* finite differences: 2 forward passes per parameter (counted, not assumed),
* backprop: one forward and one backward pass,

and print both with their ratio. The ratio grows in proportion to P: that is the
whole reason backprop exists.
"""
from __future__ import annotations

import time

import numpy as np

from backprop_lib.gradcheck import numerical_gradient
from backprop_lib.layers import Linear, Sequential, Tanh
from backprop_lib.losses import MSELoss

from .common import format_table, median_time, ms


def build(h: int, seed: int = 0):
    net = Sequential(Linear(4, h, init="xavier", seed=seed), Tanh(),
                     Linear(h, h, init="xavier", seed=seed + 1), Tanh(),
                     Linear(h, 1, init="xavier", seed=seed + 2))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((32, 4))
    y = rng.standard_normal((32, 1))
    return net, X, y


def run(hidden=(1, 7, 28, 96), repeats: int = 5) -> tuple[str, dict]:
    rows, out = [], {}
    loss_fn = MSELoss()
    for h in hidden:
        net, X, y = build(h)
        P = sum(p.data.size for p in net.parameters())

        def loss_only() -> float:
            return loss_fn.forward(net.forward(X), y)

        def backprop() -> None:
            loss_only()
            net.backward(loss_fn.backward())
            net.zero_grad()

        t_fwd = median_time(loss_only, repeats)
        t_bp = median_time(backprop, repeats)
        # Finite differences over every parameter entry, timed once (it is the slow one).
        passes = 0
        t0 = time.perf_counter()
        for p in net.parameters():
            _, n = numerical_gradient(lambda _: loss_only(), p.data, return_count=True)
            passes += n
        t_fd = time.perf_counter() - t0
        assert passes == 2 * P, (passes, P)
        rows.append([P, passes, ms(t_fwd), ms(t_fd), ms(t_bp), t_fd / t_bp, t_fd / (passes * t_fwd)])
        out[P] = {"fd_s": t_fd, "backprop_s": t_bp, "forward_s": t_fwd, "passes": passes}
    table = format_table(
        "Cost of one gradient: finite differences (2P forward passes) vs backprop (forward + backward)",
        ["P", "FD forward passes", "forward ms", "FD ms", "backprop ms", "FD / backprop", "FD / (2P x forward)"],
        rows,
    )
    return table, out


def main() -> None:
    print(run()[0])


if __name__ == "__main__":
    main()
