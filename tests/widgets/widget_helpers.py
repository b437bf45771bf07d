"""Helpers for the widget tests: small, fast configurations of every view."""
from __future__ import annotations

import io

import ipywidgets as W
import numpy as np
from PIL import Image

from backprop_lib.scalar import Value


def small_expression() -> Value:
    """L = (a*b + c) * f + a: a fork at ``a``, 8 nodes."""
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f + a
    L.label = "L"
    return L


def make_view(name: str):
    """A fresh view of the named widget with settings that keep the tests quick."""
    from backprop_lib import widgets

    if name == "TangentSmokeCheck":
        return widgets.TangentSmokeCheck()
    if name == "ChainRuleExplorer":
        return widgets.ChainRuleExplorer()
    if name == "GraphStepper":
        return widgets.GraphStepper(small_expression(), interval=0.0)
    if name == "NetworkGradientView":
        return widgets.NetworkGradientView(max_steps=40, chunk=10, interval=0.0)
    if name == "VanishingExplorer":
        return widgets.VanishingExplorer(depth=5)
    if name == "TrainingPlayground":
        return widgets.TrainingPlayground(n=60)
    if name == "CostOfGradients":
        return widgets.CostOfGradients(P=1000, budget=0.002, repeats=2)
    if name == "BroadcastExplorer":
        return widgets.BroadcastExplorer()
    if name == "AttentionExplorer":
        return widgets.AttentionExplorer()
    if name == "ModesExplorer":
        return widgets.ModesExplorer(n=4, m=3, mode="forward", passes=1)
    if name == "DiagnosticsExplorer":
        return widgets.DiagnosticsExplorer(**small_diagnostics())
    raise KeyError(name)


VIEW_NAMES = ["TangentSmokeCheck", "ChainRuleExplorer", "GraphStepper", "NetworkGradientView",
              "VanishingExplorer", "TrainingPlayground", "CostOfGradients", "BroadcastExplorer",
              "ModesExplorer", "AttentionExplorer", "DiagnosticsExplorer"]

#: A valid non-default state for each view (round-trip tests).
SAMPLE_STATES = {
    "TangentSmokeCheck": {"x": -1.5},
    "ChainRuleExplorer": {"function": "tanh(3x)", "x": 0.5},
    "GraphStepper": {"position": 3},
    "NetworkGradientView": {"train_step": 20, "backward_stage": 1},
    "VanishingExplorer": {"depth": 30, "activation": "sigmoid", "init": "fixed", "scale": 0.1},
    "TrainingPlayground": {"dataset": "xor", "hidden": "8", "activation": "relu", "optimizer": "adam",
                           "lr": 0.01},
    "CostOfGradients": {"P": 2000},
    "BroadcastExplorer": {"b_shape": "(3, 1)", "op": "a * b", "seed": 7},
    "ModesExplorer": {"n": 5, "m": 2, "mode": "reverse", "passes": 2},
    "AttentionExplorer": {"query": 3, "mask": "none"},
    "DiagnosticsExplorer": {"norm": "batchnorm", "step": 20, "layer": 3},
}

#: Constructor arguments from_state needs besides the state.
FROM_STATE_KWARGS = {
    "GraphStepper": lambda: {"root": small_expression(), "interval": 0.0},
    "NetworkGradientView": lambda: {"max_steps": 40, "chunk": 10},
    "TrainingPlayground": lambda: {"n": 60},
    "CostOfGradients": lambda: {"budget": 0.002, "repeats": 2},
    "DiagnosticsExplorer": lambda: small_diagnostics(),
}


def small_diagnostics() -> dict:
    """A DiagnosticsExplorer's model with few steps (built once, shared: it is read-only)."""
    global _SMALL_DIAGNOSTICS
    from backprop_lib import widgets

    if _SMALL_DIAGNOSTICS is None:
        _SMALL_DIAGNOSTICS = widgets.DiagnosticsModel(steps=40, every=10, depth=4)
    return {"model": _SMALL_DIAGNOSTICS}


_SMALL_DIAGNOSTICS = None


def png_pixels(data: bytes) -> np.ndarray:
    """Decoded RGBA pixels of PNG bytes."""
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def walk(widget: W.Widget):
    """Every widget in the tree below ``widget`` (itself included)."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def error_text(view) -> str:
    """Everything shown in the view's bp-error output."""
    return "".join(out.get("text", "") for out in view.error_output.outputs)
