"""The graphs the notebooks draw with a GraphStepper, for the geometry tests and pictures."""
from __future__ import annotations

from test_graph_layout import random_graph
from widget_helpers import small_expression

from backprop_lib.scalar import Value


def nb02_fork() -> Value:
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(4.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * a
    L.label = "L"
    return L


def nb02_neuron() -> Value:
    x1, x2 = Value(1.0, label="x1"), Value(-2.0, label="x2")
    w1, w2 = Value(0.5, label="w1"), Value(0.25, label="w2")
    bias = Value(0.3, label="b")
    z = x1 * w1 + x2 * w2 + bias
    z.label = "z"
    h = z.tanh()
    h.label = "h"
    L = (h - 1.0) ** 2
    L.label = "L"
    return L


def nb03_small() -> Value:
    x1, w1, b = Value(1.5, label="x1"), Value(0.8, label="w1"), Value(0.1, label="b")
    z = x1 * w1 + b
    z.label = "z"
    h = z.tanh()
    h.label = "h"
    L = (h - 0.5) ** 2
    L.label = "L"
    return L


def nb10_tanh() -> Value:
    a, b, c = Value(0.5, label="a"), Value(-1.5, label="b"), Value(1.0, label="c")
    L = (a * b + c).tanh()
    L.label = "L"
    return L


NOTEBOOK_GRAPHS = {"nb02_fork": nb02_fork, "nb02_neuron": nb02_neuron, "nb03_small": nb03_small,
                   "nb10_tanh": nb10_tanh, "small_expression": small_expression}
RANDOM_GRAPHS = {f"random{seed}": (lambda seed=seed: random_graph(5, seed)) for seed in range(6)}
