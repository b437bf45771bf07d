r"""A network as a pure function of its parameters: the view JAX takes of the same model.

Our ``Sequential`` holds its weights inside ``Parameter`` objects and fills in their
``.grad``; PyTorch does the same with tensors. JAX instead differentiates *functions*:
the loss is a function of a **pytree** of parameters (here a dict of arrays), and
``jax.grad(loss)`` is a new function returning a dict of gradients with the same keys.
Nothing is stored between calls, so an update builds new arrays instead of changing
old ones.

``params`` is a dict ``{name: array}`` with the names :meth:`ArrayModule.named_parameters`
gives a ``Sequential`` of Linear layers and activations (``"0.W"``, ``"0.b"``, ``"2.W"``,
...), so a dict converts to and from our networks one to one.

* :func:`params_of` copies a network's parameters into such a dict;
* :func:`mlp_loss` is the loss of that MLP (Linear layers with an activation between
  them, softmax cross-entropy) written against an array module ``xp``: ``numpy`` to
  evaluate it, ``jax.numpy`` for ``jax.grad`` to differentiate it;
* :func:`mlp_loss_and_grad` computes the value and the gradient dict with our own
  backprop (numpy only): the same contract as ``jax.value_and_grad(mlp_loss)``;
* :func:`sgd_train` is a training loop in the functional style: every step returns new
  parameters, the caller's are never changed.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import numpy as np

from .i18n import _
from .layers import ArrayModule, Linear, ReLU, Sequential, Tanh
from .losses import SoftmaxCrossEntropy

__all__ = ["params_of", "linear_names", "mlp_loss", "mlp_loss_and_grad", "sgd_train", "ACTIVATIONS"]

#: activation name -> (our layer class, the same function written with an array module xp)
ACTIVATIONS: dict[str, tuple[type[ArrayModule], Callable[[ModuleType, Any], Any]]] = {
    "relu": (ReLU, lambda xp, Z: xp.where(Z > 0, Z, 0.0)),     # slope 0 at Z = 0, as ours and PyTorch's
    "tanh": (Tanh, lambda xp, Z: xp.tanh(Z)),
}


def params_of(net: ArrayModule) -> dict[str, np.ndarray]:
    """``{name: copy of p.data}`` for every parameter of ``net``, e.g. ``{"0.W": ..., "0.b": ...}``."""
    return {name: p.data.copy() for name, p in net.named_parameters()}


def linear_names(params: Mapping[str, Any]) -> list[str]:
    """The layer prefixes of the Linear layers in order (``["0", "2", "4"]``), checked:
    every layer needs a ``W`` and a ``b``, at positions 0, 2, 4, ... (an activation
    sits between two Linear layers)."""
    if not isinstance(params, Mapping) or not params:
        raise TypeError(_("params must be a non-empty dict {{name: array}}, got {kind}").format(
            kind=type(params).__name__))
    prefixes = sorted({name.rsplit(".", 1)[0] for name in params}, key=lambda s: int(s) if s.isdigit() else -1)
    expected = [str(2 * i) for i in range(len(prefixes))]
    names = sorted(params)
    want = sorted(f"{p}.{w}" for p in expected for w in ("W", "b"))
    if prefixes != expected or names != want:
        raise ValueError(_("params should have the keys {want} (Linear layers at positions 0, 2, 4, ...), "
                           "got {names}").format(want=want, names=names))
    return expected


def mlp_loss(params: Mapping[str, Any], X: Any, y: Any, xp: ModuleType = np, activation: str = "relu") -> Any:
    r"""Mean softmax cross-entropy of the MLP ``Linear -> act -> ... -> Linear`` on ``(X, y)``.

    A pure function: it reads ``params`` and returns a number, and changes nothing.
    Every operation goes through ``xp`` (``numpy`` or ``jax.numpy``), so ``jax.grad``
    can trace it. The log-softmax is computed stably, :math:`z - \max z - \log\sum e^{z - \max z}`.
    """
    act = ACTIVATIONS[activation][1]
    layers = linear_names(params)
    H = X
    for i, prefix in enumerate(layers):
        Z = H @ params[f"{prefix}.W"] + params[f"{prefix}.b"]
        H = act(xp, Z) if i < len(layers) - 1 else Z
    shifted = H - xp.max(H, axis=1, keepdims=True)
    log_p = shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))
    return -xp.mean(log_p[xp.arange(H.shape[0]), y])


def _network(params: Mapping[str, Any], activation: str) -> Sequential:
    layer_class = ACTIVATIONS[activation][0]
    layers: list[ArrayModule] = []
    for i, prefix in enumerate(linear_names(params)):
        W = np.asarray(params[f"{prefix}.W"], dtype=np.float64)
        lin = Linear(W.shape[0], W.shape[1], seed=0)          # weights replaced below
        lin.W.data = W.copy()
        lin.b.data = np.asarray(params[f"{prefix}.b"], dtype=np.float64).copy()
        layers += [lin, layer_class()] if i < len(linear_names(params)) - 1 else [lin]
    return Sequential(*layers)


def mlp_loss_and_grad(params: Mapping[str, Any], X: Any, y: Any,
                      activation: str = "relu") -> tuple[float, dict[str, np.ndarray]]:
    """``(loss, grads)`` of :func:`mlp_loss`, the gradients computed by our backprop.

    A pure function like ``jax.value_and_grad(mlp_loss)``: ``grads`` is a new dict with
    the keys of ``params``; ``params`` is not changed."""
    net = _network(params, activation)
    loss_fn = SoftmaxCrossEntropy()
    loss = loss_fn.forward(net.forward(X), y)
    net.backward(loss_fn.backward(), input_grad=False)
    return loss, {name: p.grad.copy() for name, p in net.named_parameters()}


def sgd_train(loss_and_grad: Callable[..., tuple[Any, Mapping[str, Any]]], params: Mapping[str, Any],
              X: Any, y: Any, lr: float, steps: int) -> tuple[dict[str, Any], list[float]]:
    """``steps`` steps of gradient descent in the functional style: ``(new params, losses)``.

    Each step calls ``loss_and_grad(params, X, y) -> (loss, grads)`` and builds a new
    dict ``{k: params[k] - lr * grads[k]}``; the caller's ``params`` are never changed.
    ``losses[t]`` is the loss at the parameters *before* step ``t``'s update."""
    losses = []
    for _step in range(steps):
        loss, grads = loss_and_grad(params, X, y)
        params = {k: params[k] - lr * grads[k] for k in params}
        losses.append(float(loss))
    return dict(params), losses
