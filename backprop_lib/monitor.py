r"""Per-layer health of a network: activation statistics and gradient norms.

:func:`record_pass` runs one forward and one backward pass layer by layer and, for
every module in ``net.layers``, records how its output is distributed and how large
the gradient flowing back into that output is. This is the measurement behind the
vanishing/exploding-gradient lesson: with a bad initialization ``out_std`` shrinks
(or grows) geometrically with depth, and so does ``grad_out_norm``.

Fields of :class:`LayerRecord` (``H`` is the layer's output, ``||.||`` the Euclidean
(Frobenius) norm over all entries):

* ``index``, ``name``: position in ``net.layers`` and ``repr`` of the layer
* ``out_mean``, ``out_std``: mean and standard deviation of all entries of ``H``
* ``frac_zero``: fraction of entries of ``H`` exactly equal to 0 (dead ReLUs)
* ``grad_out_norm``: :math:`\|\partial L/\partial H\|`
* ``param_grad_norm``, ``param_norm``: :math:`\|\bar\theta\|` and :math:`\|\theta\|`
  over all the layer's parameters together, or ``None`` for a layer without any.
* ``weight_grad_norm``: :math:`\|\bar W\|` of the weight matrix alone (biases left
  out), or ``None`` for a layer without a weight ``W``. With a tiny initialization the
  weight gradient vanishes while the bias gradient need not: plot this one for
  "how much does W learn".

Values may be ``inf`` or ``nan`` when the network has blown up; that is the point
of looking, so no error is raised for them. If the network's output is not finite,
the loss and all gradient norms are reported as ``nan`` and no backward pass is run.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import as_float_array
from .i18n import _
from .layers import Parameter, Sequential
from .losses import Loss

__all__ = ["LayerRecord", "record_pass"]


@dataclass(frozen=True)
class LayerRecord:
    """Statistics of one layer during one forward/backward pass (see module docstring)."""

    index: int
    name: str
    out_mean: float
    out_std: float
    frac_zero: float
    grad_out_norm: float
    param_grad_norm: float | None
    param_norm: float | None
    weight_grad_norm: float | None = None


def _norm(arrays: list[np.ndarray]) -> float:
    return float(np.sqrt(sum(float(np.vdot(a, a)) for a in arrays)))


def record_pass(net: Sequential, X: Any, y: Any, loss_fn: Loss) -> tuple[float, list[LayerRecord]]:
    """Forward + backward through ``net.layers``; returns ``(loss, records)``.

    Gradients are zeroed first, so after the call ``p.grad`` holds exactly this
    batch's gradients (as after ``zero_grad(); forward; backward``). One record per
    module in ``net.layers``, in order. The passes are the network's own, read layer by
    layer through :meth:`~backprop_lib.layers.Sequential.forward_steps` and
    :meth:`~backprop_lib.layers.Sequential.backward_steps`.
    """
    if not isinstance(net, Sequential):
        raise TypeError(_("record_pass expects a Sequential (a network with .layers), got {kind}").format(
            kind=type(net).__name__))
    if not isinstance(loss_fn, Loss):
        raise TypeError(_("record_pass expects a loss such as SoftmaxCrossEntropy(), got {kind}").format(
            kind=type(loss_fn).__name__))
    x = as_float_array(X, "X", "record_pass", ndim=2)
    net.zero_grad()
    layers = net.layers
    stats = []
    with np.errstate(over="ignore", invalid="ignore"):
        for _i, _layer, x in net.forward_steps(x):
            n = x.size
            stats.append((float(x.mean()) if n else 0.0, float(x.std()) if n else 0.0,
                          float(np.count_nonzero(x == 0) / n) if n else 0.0))
        grad_norms = [float("nan")] * len(layers)
        finite = bool(np.isfinite(x).all())
        if finite:
            loss = loss_fn.forward(x, y)
            for i, _layer, dH, _dX in net.backward_steps(loss_fn.backward()):
                grad_norms[i] = float(np.linalg.norm(dH))
        else:                    # the output overflowed: no loss, no gradients (reported as nan)
            loss = float("nan")
        records = []
        for i, layer in enumerate(layers):
            params = layer.parameters()
            records.append(LayerRecord(
                index=i, name=layer._who(), out_mean=stats[i][0], out_std=stats[i][1],
                frac_zero=stats[i][2], grad_out_norm=grad_norms[i],
                param_grad_norm=(_norm([p.grad for p in params]) if finite else float("nan"))
                if params else None,
                param_norm=_norm([p.data for p in params]) if params else None,
                weight_grad_norm=(_norm([layer.W.grad]) if finite else float("nan"))
                if isinstance(getattr(layer, "W", None), Parameter) else None))
    return loss, records
