"""Interactive widgets for the notebooks (ipywidgets front ends, model/view split).

=====================  ===========================================  ==========================
view                   what it shows                                state keys
=====================  ===========================================  ==========================
TangentSmokeCheck      a tangent following a slider (widget check)  x
ChainRuleExplorer      f(g(x)): two local slopes and their product  function, x
GraphStepper           forward/backward pass of a Value, per node   position
NetworkGradientView    weight gradients of an MLP, layer by layer   train_step, backward_stage
VanishingExplorer      activation spread and gradient vs depth      depth, activation, init, scale
TrainingPlayground     train a small MLP on a toy data set          dataset, hidden, activation,
                                                                    optimizer, lr
CostOfGradients        finite differences vs backprop, timed        P
BroadcastExplorer      which entries sum into a broadcast b's grad  b_shape, op, seed
ModesExplorer          Jacobian by columns (forward) or rows        n, m, mode, passes
                       (reverse)
AttentionExplorer      attention weights of one query, dK and dV    query, mask
DiagnosticsExplorer    per-layer activations, gradients, update     norm, step, layer
                       ratios and dead units, with/without BatchNorm
=====================  ===========================================  ==========================

Every view has ``.widget`` (the root box, class ``bp-widget``), ``.model`` (plain Python),
``figure()`` (a static picture), ``get_state()`` and ``from_state(state)``. Classes are
imported on first use, so ``import backprop_lib.widgets`` stays cheap.
"""
from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "WidgetView": "base",
    "AnimatedView": "play",
    "TangentSmokeCheck": "smoke",
    "TangentSmokeModel": "smoke",
    "ChainRuleExplorer": "chain_rule",
    "ChainRuleModel": "chain_rule",
    "GraphStepper": "graph_stepper",
    "GraphStepperModel": "graph_stepper",
    "NetworkGradientView": "network_gradients",
    "NetworkGradientModel": "network_gradients",
    "VanishingExplorer": "vanishing",
    "VanishingModel": "vanishing",
    "TrainingPlayground": "playground",
    "PlaygroundModel": "playground",
    "CostOfGradients": "cost",
    "CostModel": "cost",
    "BroadcastExplorer": "broadcast",
    "BroadcastModel": "broadcast",
    "ModesExplorer": "modes",
    "ModesModel": "modes",
    "AttentionExplorer": "attention",
    "AttentionModel": "attention",
    "DiagnosticsExplorer": "diagnostics",
    "DiagnosticsModel": "diagnostics",
}

__all__ = list(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        module = importlib.import_module(f"{__name__}.{_WHERE[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
