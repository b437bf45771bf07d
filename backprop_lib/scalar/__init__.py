"""The scalar autograd engine: :class:`Value` and a micrograd-style neural net library.

    from backprop_lib.scalar import Value, topological_order, MLP, Neuron, Layer
"""
from __future__ import annotations

from .engine import Value, affine, topological_order, zero_grad
from .nn import MLP, Layer, Module, Neuron

__all__ = ["Value", "topological_order", "zero_grad", "affine", "Module", "Neuron", "Layer", "MLP"]
