"""Small helpers shared by the widgets that use the vectorized engine."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from backprop_lib.i18n import _
from backprop_lib.layers import ArrayModule, Linear, ReLU, Sequential, Sigmoid, Tanh
from backprop_lib.optim import SGD, Adam, Momentum

ACTIVATIONS: dict[str, type[ArrayModule]] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}
OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def build_mlp(sizes: Sequence[int], activation: str = "tanh", init: str | float = "he",
              seed: int = 0) -> Sequential:
    """``Linear -> activation -> ... -> Linear`` through the layer ``sizes`` (input first).

    Each Linear gets its own seed (``seed + i``), so the same arguments give the same net.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(_("unknown activation {activation!r}; choose one of {choices}").format(
            activation=activation, choices=list(ACTIVATIONS)))
    if len(sizes) < 2:
        raise ValueError(_("an MLP needs at least an input and an output size, got {sizes}").format(
            sizes=list(sizes)))
    layers: list[ArrayModule] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(n_in, n_out, init=init, seed=seed + i))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return Sequential(*layers)


def linear_layers(net: Sequential) -> list[Linear]:
    """The Linear layers of ``net``, in order."""
    return [layer for layer in net.layers if isinstance(layer, Linear)]


def make_optimizer(name: str, params, lr: float):
    """An optimizer by name: ``"sgd"``, ``"momentum"`` or ``"adam"``."""
    if name not in OPTIMIZERS:
        raise ValueError(_("unknown optimizer {optimizer!r}; choose one of {choices}").format(
            optimizer=name, choices=list(OPTIMIZERS)))
    return OPTIMIZERS[name](params, lr=lr)


def parse_sizes(text: str) -> tuple[int, ...]:
    """``"16, 16"`` -> ``(16, 16)``; a clear ValueError for anything else."""
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(_("hidden sizes must be whole numbers separated by commas, like '16, 16'; "
                           "got {text!r}").format(text=text)) from None
    if not 1 <= len(sizes) <= 6 or not all(1 <= s <= 256 for s in sizes):
        raise ValueError(_("use 1 to 6 hidden layers of 1 to 256 units each, got {text!r}").format(text=text))
    return sizes


def copy_params(net: ArrayModule) -> list[np.ndarray]:
    """A snapshot of every parameter array of ``net``."""
    return [p.data.copy() for p in net.parameters()]


def load_params(net: ArrayModule, snapshot: list[np.ndarray]) -> None:
    """Write a snapshot back into ``net`` (in place)."""
    for p, data in zip(net.parameters(), snapshot):
        p.data[...] = data
