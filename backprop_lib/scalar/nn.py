r"""A tiny neural-network library on top of :class:`~backprop_lib.scalar.engine.Value`.

The API is micrograd's (``Neuron``, ``Layer``, ``MLP``, ``parameters()``,
``zero_grad()``), plus a choice of activation and reproducible initialization.

A neuron with inputs $x_1, \dots, x_n$ computes

.. math::

    h = \sigma\Big(b + \sum_{i=1}^{n} w_i x_i\Big),

with $\sigma$ one of ReLU, tanh, sigmoid, or the identity ("linear"). A layer is
``nout`` neurons reading the same inputs; an MLP is a stack of layers whose last
layer is linear. Written with the notation of the vectorized engine, layer
$\ell$ computes $Z = XW + b$ with $W$ of shape ``(n_in, n_out)``: neuron ``j``
holds column ``j`` of $W$ and entry ``j`` of $b$ (see :meth:`Layer.set_weights`).

Weights start uniform in $[-1, 1]$ and biases at 0, as in micrograd. By default
they are drawn from Python's global ``random`` in micrograd's order, so after
``random.seed(1337)`` an ``MLP(2, [16, 16, 1])`` here has exactly the weights of
micrograd's. Pass ``seed=`` or ``rng=`` for reproducibility without global state.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from ..i18n import _
from .engine import Number, Value, affine

__all__ = ["Module", "Neuron", "Layer", "MLP", "ACTIVATIONS"]

#: activation name -> (name shown in reprs, the Value method applying it, or None for the identity)
ACTIVATIONS = {
    "relu": ("ReLU", Value.relu),
    "tanh": ("Tanh", Value.tanh),
    "sigmoid": ("Sigmoid", Value.sigmoid),
    "linear": ("Linear", None),
}

Matrix = Sequence[Sequence[Number]]  # nested lists or a 2-D numpy array


class Module:
    """Something with parameters: ``parameters()`` lists them, ``zero_grad()`` resets their gradients."""

    def zero_grad(self) -> None:
        """Set ``.grad`` of every parameter to 0 (do this before each ``loss.backward()``)."""
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        """All trainable Values of this module."""
        return []


def _make_rng(seed: int | None, rng: random.Random | None) -> Any:
    """The source of random numbers: ``rng``, a fresh ``Random(seed)``, or the global ``random`` module."""
    if seed is not None and rng is not None:
        raise ValueError(_("pass either seed or rng, not both"))
    if rng is not None:
        if not isinstance(rng, random.Random):
            raise TypeError(_("rng must be a random.Random, got {kind}").format(kind=type(rng).__name__))
        return rng
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(_("seed must be an int or None, got {kind}").format(kind=type(seed).__name__))
        return random.Random(seed)
    return random  # the global generator, as micrograd


def _check_size(name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(_("{name} must be an int, got {kind}").format(name=name, kind=type(n).__name__))
    if n < 1:
        raise ValueError(_("{name} must be at least 1, got {n}").format(name=name, n=n))
    return n


def _as_inputs(x: object, nin: int, who: str) -> Sequence[Value | Number]:
    """``x`` as a sequence of ``nin`` inputs (a single number or Value is accepted when ``nin == 1``)."""
    if isinstance(x, (Value, int, float)) and not isinstance(x, bool):
        x = [x]
    try:
        n = len(x)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(_("{who} expects a list of {nin} inputs, got {kind}").format(
            who=who, nin=nin, kind=type(x).__name__)) from None
    if n != nin:
        raise ValueError(_("{who} expects {nin} inputs, got {n}").format(who=who, nin=nin, n=n))
    return x  # type: ignore[return-value]


def _float_list(v: object, n: int, what: str) -> list[float]:
    """``v`` (a list or 1-D array) as ``n`` floats, or a ValueError/TypeError saying why not."""
    try:
        items = list(v)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(_("{what} must be a sequence of {n} numbers, got {kind}").format(
            what=what, n=n, kind=type(v).__name__)) from None
    if len(items) != n:
        raise ValueError(_("{what} must have {n} entries, got {got}").format(what=what, n=n, got=len(items)))
    out = []
    for item in items:
        try:
            out.append(float(item))
        except (TypeError, ValueError):
            raise TypeError(_("{what} must contain numbers, got {kind}").format(
                what=what, kind=type(item).__name__)) from None
    return out


class Neuron(Module):
    r"""$h = \sigma(b + \sum_i w_i x_i)$ with ``nin`` weights $w_i \sim U(-1, 1)$ and $b = 0$.

    Args:
        nin: number of inputs.
        nonlin: micrograd's switch; ``nonlin=False`` makes the neuron linear whatever ``activation`` says.
        activation: ``"relu"`` (default, as micrograd), ``"tanh"``, ``"sigmoid"`` or ``"linear"``.
        fused: build $b + \sum_i w_i x_i$ as one :func:`~backprop_lib.scalar.engine.affine` node
            (default, fast), or from ``*`` and ``+`` nodes as micrograd does (``fused=False``:
            a bigger graph, every multiplication visible when it is drawn). Same numbers either way.
        seed, rng: where the initial weights come from (default: the global ``random``).
    """

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        activation: str = "relu",
        *,
        fused: bool = True,
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        _check_size("nin", nin)
        if activation not in ACTIVATIONS:
            raise ValueError(_("activation must be one of {choices}; got {activation}").format(
                choices=", ".join(map(repr, ACTIVATIONS)), activation=repr(activation)))
        r = _make_rng(seed, rng)
        self.w = [Value(r.uniform(-1, 1)) for _i in range(nin)]
        self.b = Value(0)
        self.activation = activation if nonlin else "linear"
        self._act = ACTIVATIONS[self.activation][1]
        self.fused = bool(fused)

    @property
    def nonlin(self) -> bool:
        """True unless the neuron is linear (micrograd's attribute)."""
        return self.activation != "linear"

    def __call__(self, x: Sequence[Value | Number]) -> Value:
        x = _as_inputs(x, len(self.w), repr(self))
        if self.fused:
            act = affine(self.w, x, self.b)
        else:
            act = self.b
            for wi, xi in zip(self.w, x):  # b + w1 x1 + w2 x2 + ..., in micrograd's order
                act = act + wi * xi
        return act if self._act is None else self._act(act)

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def set_weights(self, w: Sequence[Number], b: Number) -> None:
        """Overwrite the weights (``nin`` numbers) and the bias in place; gradients are kept."""
        for wi, value in zip(self.w, _float_list(w, len(self.w), "w")):
            wi.data = value
        self.b.data = _float_list([b], 1, "b")[0]

    def __repr__(self) -> str:
        return f"{ACTIVATIONS[self.activation][0]}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs. Extra keyword arguments go to :class:`Neuron`.

    Calling it returns a list of ``nout`` Values, or a single Value when ``nout == 1`` (as micrograd).
    """

    def __init__(self, nin: int, nout: int, *, seed: int | None = None, rng: random.Random | None = None, **kwargs: Any) -> None:
        _check_size("nout", nout)
        r = _make_rng(seed, rng)
        shared = {} if r is random else {"rng": r}  # one generator for all neurons, so they differ
        self.neurons = [Neuron(nin, **kwargs, **shared) for _j in range(nout)]

    def __call__(self, x: Sequence[Value | Number]) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def set_weights(self, W: Matrix, b: Sequence[Number]) -> None:
        r"""Set the layer from $Z = XW + b$: ``W`` of shape ``(nin, nout)``, ``b`` of shape ``(nout,)``.

        Neuron ``j`` gets column ``W[:, j]`` and bias ``b[j]``. Nested lists and numpy arrays both work.
        """
        nin, nout = len(self.neurons[0].w), len(self.neurons)
        rows = _matrix(W, nin, nout)
        bias = _float_list(b, nout, _("b (shape ({nout},))").format(nout=nout))
        for j, neuron in enumerate(self.neurons):
            neuron.set_weights([row[j] for row in rows], bias[j])

    def get_weights(self) -> tuple[list[list[float]], list[float]]:
        """``(W, b)`` as nested lists, ``W`` of shape ``(nin, nout)``: the layout of :meth:`set_weights`."""
        return _columns(self.neurons, "data")

    def get_grads(self) -> tuple[list[list[float]], list[float]]:
        """``(dW, db)``, the gradients in the layout of :meth:`get_weights`."""
        return _columns(self.neurons, "grad")

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: ``nin`` inputs, then layers of sizes ``nouts``; the last layer is linear.

    Args:
        nin: number of inputs.
        nouts: sizes of the layers, e.g. ``[16, 16, 1]``.
        activation: activation of every hidden layer (``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"linear"``).
        fused: one node per neuron (default) or micrograd's ``*`` and ``+`` nodes; see :class:`Neuron`.
        seed, rng: where the initial weights come from (default: the global ``random``, as micrograd).
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        *,
        fused: bool = True,
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        _check_size("nin", nin)
        try:
            nouts = list(nouts)
        except TypeError:
            raise TypeError(_("nouts must be a list of layer sizes, got {kind}").format(
                kind=type(nouts).__name__)) from None
        if not nouts:
            raise ValueError(_("nouts must list at least one layer size, got an empty list"))
        r = _make_rng(seed, rng)
        shared = {} if r is random else {"rng": r}
        sz = [nin] + nouts
        self.layers = [
            Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1, activation=activation, fused=fused, **shared)
            for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence[Value | Number]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def set_weights(self, weights: Sequence[tuple[Matrix, Sequence[Number]]]) -> None:
        """Set every layer from ``[(W1, b1), (W2, b2), ...]``, each ``W`` of shape ``(n_in, n_out)``.

        The same convention as the vectorized ``Linear`` layer ($Z = XW + b$), so the two
        engines can be given identical weights.
        """
        weights = list(weights)
        if len(weights) != len(self.layers):
            raise ValueError(_("expected {layers} (W, b) pairs, one per layer, got {pairs}").format(
                layers=len(self.layers), pairs=len(weights)))
        for k, (layer, pair) in enumerate(zip(self.layers, weights)):
            try:
                W, b = pair
            except (TypeError, ValueError):
                raise TypeError(_("layer {index}: expected a (W, b) pair, got {kind}").format(
                    index=k, kind=type(pair).__name__)) from None
            layer.set_weights(W, b)

    def get_weights(self) -> list[tuple[list[list[float]], list[float]]]:
        """``[(W1, b1), ...]`` as nested lists, the layout of :meth:`set_weights`."""
        return [layer.get_weights() for layer in self.layers]

    def get_grads(self) -> list[tuple[list[list[float]], list[float]]]:
        """``[(dW1, db1), ...]``: the gradients, in the layout of :meth:`get_weights`."""
        return [layer.get_grads() for layer in self.layers]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


def _matrix(W: object, nin: int, nout: int) -> list[list[float]]:
    """``W`` (nested lists or a 2-D array) as ``nin`` rows of ``nout`` floats."""
    shape = getattr(W, "shape", None)
    if shape is not None and tuple(shape) != (nin, nout):
        message = _("W must have shape ({nin}, {nout}), got {shape}").format(nin=nin, nout=nout, shape=tuple(shape))
        if tuple(shape) == (nout, nin):
            message += " " + _("(did you transpose?)")
        raise ValueError(message)
    try:
        rows = list(W)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(_("W must be a nested list or a 2-D array of shape ({nin}, {nout}), got {kind}").format(
            nin=nin, nout=nout, kind=type(W).__name__)) from None
    if len(rows) != nin:
        raise ValueError(_("W must have shape ({nin}, {nout}): expected {nin} rows, got {rows}").format(
            nin=nin, nout=nout, rows=len(rows)))
    what = _("each row of W (shape ({nin}, {nout}))").format(nin=nin, nout=nout)
    return [_float_list(row, nout, what) for row in rows]


def _columns(neurons: list[Neuron], attr: str) -> tuple[list[list[float]], list[float]]:
    """Weights (or grads) of ``neurons`` as ``(W, b)``: column ``j`` of ``W`` is neuron ``j``."""
    nin = len(neurons[0].w)
    W = [[getattr(n.w[i], attr) for n in neurons] for i in range(nin)]
    b = [getattr(n.b, attr) for n in neurons]
    return W, b
