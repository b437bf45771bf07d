r"""The vectorized engine: layers that know their own derivative.

Each layer is a :class:`ArrayModule` with two passes:

* ``forward(x)`` computes the output and stores in ``self.cache`` exactly what the
  backward pass will need (the input of a Linear layer, the output of a tanh, the
  mask of a ReLU);
* ``backward(dout)`` receives the upstream gradient
  :math:`\bar{H} = \partial L / \partial H` (same shape as the output), adds the
  gradients of the layer's parameters into ``p.grad`` and returns
  :math:`\bar{X} = \partial L / \partial X` (same shape as the input).

Rows are examples: ``X`` has shape ``(N, n_in)``. The derivative rules, one line each:

=============  ===================================  ===============================================
layer          forward                              backward
=============  ===================================  ===============================================
Linear         :math:`Z = XW + b`                   :math:`\bar W = X^\top \bar Z,\ \bar b = \sum_n \bar Z_n,\ \bar X = \bar Z W^\top`
ReLU           :math:`H = \max(Z, 0)`               :math:`\bar Z = \bar H \odot [Z > 0]`
Tanh           :math:`H = \tanh Z`                  :math:`\bar Z = \bar H \odot (1 - H^2)`
Sigmoid        :math:`H = 1 / (1 + e^{-Z})`         :math:`\bar Z = \bar H \odot H (1 - H)`
Identity       :math:`H = Z`                        :math:`\bar Z = \bar H`
Residual       :math:`H = X + F(X)`                 :math:`\bar X = \bar H + \bar H\,\partial F/\partial X`
Sequential     :math:`f_k \circ \dots \circ f_1`    the layers' backward passes in reverse order
=============  ===================================  ===============================================

Gradients **accumulate** (``p.grad +=``), as in PyTorch, so call ``zero_grad()``
between steps (the optimizers and :class:`~backprop_lib.training.Trainer` do).

Inputs are checked once at the public boundary (``forward``/``backward``): integer
inputs are converted to float64, NaN raises, and a wrong shape raises a ValueError
that names the layer, the expected and the given shape. Computation keeps the dtype:
a network built with ``dtype=np.float32`` and fed float32 data computes in float32
(numpy's promotion rules apply when dtypes are mixed: float32 data through float64
weights gives float64).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ._validate import as_float_array, check_dtype, check_positive_int, check_shape, is_clean_float, make_rng, shape_str
from .i18n import _
from .init import InitSpec, init_weights

__all__ = ["Parameter", "ArrayModule", "Linear", "ReLU", "Tanh", "Sigmoid", "Identity",
           "Residual", "Sequential", "unbroadcast", "sigmoid"]


def unbroadcast(grad: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    r"""Sum ``grad`` over the axes along which an array of ``shape`` was broadcast.

    If ``b`` of shape ``(n_out,)`` was added to every row of ``Z`` (shape ``(N, n_out)``),
    each entry of ``b`` was used ``N`` times, and gradients add at forks:
    :math:`\bar b = \sum_n \bar Z_{n,:}`. In general: sum over the leading axes that
    broadcasting added, then (keeping dims) over the axes where ``shape`` has size 1.

    >>> unbroadcast(np.ones((4, 3)), (3,))
    array([4., 4., 4.])
    """
    shape = tuple(int(s) for s in shape)
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    ok = extra >= 0 and all(s == 1 or s == g for s, g in zip(shape, grad.shape[extra:]))
    if not ok:
        raise ValueError(_("unbroadcast: a gradient of shape {grad_shape} cannot come "
                           "from broadcasting an array of shape {shape}").format(
                               grad_shape=shape_str(grad.shape), shape=shape_str(shape)))
    g = grad.sum(axis=tuple(range(extra))) if extra else grad
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


class Parameter:
    """A trainable array and its gradient.

    ``data``: the values; ``grad``: :math:`\\partial L/\\partial\\,\\text{data}`, same shape
    and dtype, starts at zero and accumulates over backward passes; ``name``: "W", "b", ...
    """

    def __init__(self, data: Any, name: str = "") -> None:
        self.data: np.ndarray = as_float_array(data, "data", f"Parameter({name!r})")
        self.grad: np.ndarray = np.zeros_like(self.data)
        self.name = str(name)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def zero_grad(self) -> None:
        """Set the gradient to zero in place."""
        self.grad.fill(0)

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, shape={shape_str(self.shape)}, dtype={self.dtype.name})"


class ArrayModule:
    """Base class of the vectorized layers: ``forward``, ``backward``, ``parameters``, ``zero_grad``.

    (Named for the numpy arrays it works on; ``backprop_lib.scalar.Module`` is the
    unrelated base class of the scalar, micrograd-compatible network.)

    The unchecked pass is part of the public interface. Subclasses implement
    ``forward_unchecked(x)`` and ``backward_unchecked(dout, input_grad)``: the same two
    passes without input validation (``x``/``dout`` must already be clean float arrays of
    the right shape). ``forward``/``backward`` validate once, then call them. Containers,
    the trainer, the gradient checker and the monitor call ``*_unchecked`` directly, so
    data is checked once per pass, not once per layer.
    """

    def __init__(self) -> None:
        self.cache: Any = None
        self._out_shape: tuple[int, ...] | None = None
        self._params: list[Parameter] = []

    # ---- the two passes -------------------------------------------------------------
    def forward(self, x: Any) -> np.ndarray:
        """Output for input ``x`` (checked: float array without NaN; ints become float64)."""
        if not is_clean_float(x):                  # names the module only when something is wrong
            x = as_float_array(x, _("input"), self._who())
        out = self.forward_unchecked(x)
        self._out_shape = out.shape                # so that a subclass need only write the two passes
        return out

    __call__ = forward

    def backward(self, dout: Any, input_grad: bool = True) -> np.ndarray | None:
        """Add parameter gradients into ``p.grad``; return dL/d(input).

        ``dout`` must have the shape of the last output. With ``input_grad=False`` the
        gradient with respect to the input is not computed (``None`` is returned),
        which saves the first layer's ``dZ @ W.T`` when the input is data.
        """
        if self._out_shape is None:
            raise RuntimeError(_("{module}.backward called before forward: run forward(x) first").format(
                module=self._who()))
        if not (is_clean_float(dout) and dout.shape == self._out_shape):
            who = f"{self._who()}.backward"
            dout = as_float_array(dout, "dout", who)
            check_shape(dout, self._out_shape, "dout", who,
                        hint=_("dout is dL/d(output) and has the shape of the output"))
        return self.backward_unchecked(dout, bool(input_grad))

    def forward_unchecked(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        """The forward pass without input checks: store what backward needs in ``self.cache``."""
        raise NotImplementedError

    def backward_unchecked(self, dout: np.ndarray, input_grad: bool) -> np.ndarray | None:  # pragma: no cover
        """The backward pass without input checks: add into ``p.grad``, return dL/d(input)
        (or ``None`` when ``input_grad`` is false)."""
        raise NotImplementedError

    def need_cache(self) -> Any:
        """``self.cache`` from the last forward pass; a clear error if there was none."""
        if self.cache is None:
            raise RuntimeError(_("{module}.backward needs the cache of a forward pass "
                                 "(run forward first; it may have been cleared)").format(module=self._who()))
        return self.cache

    # ---- parameters and structure --------------------------------------------------
    def children(self) -> list[ArrayModule]:
        """Direct sub-modules (empty for a plain layer)."""
        return [m for _key, m in self._named_children()]

    def _named_children(self) -> list[tuple[str, ArrayModule]]:
        return []

    def named_parameters(self, prefix: str = "") -> list[tuple[str, Parameter]]:
        """``[(name, parameter)]``, e.g. ``[("0.W", W0), ("0.b", b0), ("2.W", W2), ...]``."""
        out: list[tuple[str, Parameter]] = []
        seen = set()
        for p in self._params:
            if id(p) not in seen:
                seen.add(id(p))
                out.append((prefix + p.name, p))
        for key, child in self._named_children():
            for name, p in child.named_parameters(f"{prefix}{key}."):
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append((name, p))
        return out

    def parameters(self) -> list[Parameter]:
        """Every trainable Parameter, each once, in order."""
        return [p for _name, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """P, the number of trainable scalars."""
        return sum(p.size for p in self.parameters())

    def zero_grad(self) -> None:
        """Set every parameter gradient to zero (in place)."""
        for p in self.parameters():
            p.grad.fill(0)

    def clear_cache(self) -> None:
        """Drop what forward stored for backward (frees activation memory)."""
        self.cache = None
        for child in self.children():
            child.clear_cache()

    def astype(self, dtype: Any) -> ArrayModule:
        """Cast every parameter (and its gradient) to ``dtype`` in place; returns self."""
        dt = check_dtype(dtype, f"{self._who()}.astype")
        for p in self.parameters():
            p.data = p.data.astype(dt)
            p.grad = p.grad.astype(dt)
        self.clear_cache()
        return self

    def _who(self) -> str:
        """A one-line name for error messages."""
        return repr(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Linear(ArrayModule):
    r"""Fully connected layer :math:`Z = XW + b`.

    Shapes: ``X (N, n_in)``, ``W (n_in, n_out)``, ``b (n_out,)``, ``Z (N, n_out)``.

    Backward, given :math:`\bar Z` of shape ``(N, n_out)``:

    * :math:`\bar W = X^\top \bar Z` ``(n_in, n_out)``
    * :math:`\bar b = \sum_n \bar Z_{n,:}` ``(n_out,)``  (via :func:`unbroadcast`)
    * :math:`\bar X = \bar Z W^\top` ``(N, n_in)``

    ``init``: ``"he"`` (default), ``"xavier"`` or a float standard deviation (see
    :mod:`backprop_lib.init`). ``seed`` or ``rng`` makes the weights reproducible;
    without either, the module-level generator of :mod:`backprop_lib.init` is used.
    Cache: the input ``X``.
    """

    def __init__(self, n_in: int, n_out: int, init: InitSpec = "he", bias: bool = True,
                 seed: int | None = None, rng: np.random.Generator | None = None,
                 dtype: Any = np.float64) -> None:
        super().__init__()
        who = "Linear"
        self.n_in = check_positive_int(n_in, "n_in", who)
        self.n_out = check_positive_int(n_out, "n_out", who)
        dt = check_dtype(dtype, who)
        gen = None if (seed is None and rng is None) else make_rng(seed, rng, who)
        self.W = Parameter(init_weights(self.n_in, self.n_out, init, gen, dt), "W")
        self.b: Parameter | None = Parameter(np.zeros(self.n_out, dtype=dt), "b") if bias else None
        self._params = [self.W] + ([self.b] if self.b is not None else [])

    def forward_unchecked(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.n_in:
            message = _("{layer} expects input of shape (N, {n_in}), got {shape}").format(
                layer=repr(self), n_in=self.n_in, shape=shape_str(x.shape))
            if x.ndim == 1:
                message += "; " + _("a single example must be a row: x.reshape(1, -1)")
            elif x.ndim == 2 and x.shape[0] == self.n_in:
                message += "; " + _("rows are examples: did you pass the transpose?")
            raise ValueError(message)
        self.cache = x
        Z = x @ self.W.data
        if self.b is not None:
            Z += self.b.data                      # broadcast over the N rows
        self._out_shape = Z.shape
        return Z

    def backward_unchecked(self, dZ: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        X = self.need_cache()
        self.W.grad += X.T @ dZ                   # dW = X^T dZ
        if self.b is not None:
            self.b.grad += unbroadcast(dZ, self.b.shape)   # db = sum over rows of dZ
        return dZ @ self.W.data.T if input_grad else None  # dX = dZ W^T

    def __repr__(self) -> str:
        extra = "" if self.b is not None else ", bias=False"
        if self.W.dtype != np.float64:
            extra += f", dtype={self.W.dtype.name}"
        return f"Linear({self.n_in}, {self.n_out}{extra})"


class ReLU(ArrayModule):
    r""":math:`H = \max(Z, 0)`; :math:`\bar Z = \bar H \odot [Z > 0]` (derivative 0 at Z = 0,
    as in PyTorch). Cache: the boolean mask ``Z > 0`` (1 byte per entry). Any shape."""

    def forward_unchecked(self, x: np.ndarray) -> np.ndarray:
        self.cache = x > 0
        self._out_shape = x.shape
        return np.maximum(x, 0)

    def backward_unchecked(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        mask = self.need_cache()
        return dout * mask if input_grad else None


class Tanh(ArrayModule):
    r""":math:`H = \tanh Z`; :math:`\bar Z = \bar H \odot (1 - H^2)`. Cache: the output H.

    ``np.tanh`` saturates to :math:`\pm 1` without overflow for any finite input."""

    def forward_unchecked(self, x: np.ndarray) -> np.ndarray:
        H = np.tanh(x)
        self.cache = H
        self._out_shape = x.shape
        return H

    def backward_unchecked(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        H = self.need_cache()
        if not input_grad:
            return None
        local = H * H
        np.subtract(1, local, out=local)           # 1 - H^2
        local *= dout
        return local


class Sigmoid(ArrayModule):
    r""":math:`H = \sigma(Z) = 1/(1 + e^{-Z})`; :math:`\bar Z = \bar H \odot H(1 - H)`.

    Computed stably: with :math:`e = e^{-|Z|} \in (0, 1]`,
    :math:`\sigma(Z) = 1/(1+e)` for :math:`Z \ge 0` and :math:`e/(1+e)` for
    :math:`Z < 0`, so no exponential ever overflows (``Z = -1000`` gives 0, ``+1000``
    gives 1, without warnings). Cache: the output H.
    """

    def forward_unchecked(self, x: np.ndarray) -> np.ndarray:
        H = sigmoid(x)
        self.cache = H
        self._out_shape = x.shape
        return H

    def backward_unchecked(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        H = self.need_cache()
        if not input_grad:
            return None
        local = 1 - H
        local *= H                                 # H (1 - H)
        local *= dout
        return local


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function (see :class:`Sigmoid`); keeps the dtype."""
    with np.errstate(under="ignore"):          # e^-1000 underflowing to 0 is the right answer
        e = np.exp(-np.abs(z))
    r = 1 / (1 + e)
    return np.where(z >= 0, r, e * r)


class Identity(ArrayModule):
    r""":math:`H = Z`; :math:`\bar Z = \bar H`. Nothing to cache."""

    def forward_unchecked(self, x: np.ndarray) -> np.ndarray:
        self._out_shape = x.shape
        return x

    def backward_unchecked(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        return dout if input_grad else None


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


class Residual(ArrayModule):
    r"""Skip connection :math:`H = X + F(X)` around an inner module :math:`F`.

    Backward: the gradient reaches the input along two paths and the two add,
    :math:`\bar X = \bar H + \bar H\, \partial F / \partial X`. The first term is
    the identity: however small :math:`\partial F/\partial X` becomes in a deep
    stack, the gradient still flows through the skip path. ``inner`` must keep the
    shape ``(N, d) -> (N, d)``.
    """

    def __init__(self, inner: ArrayModule) -> None:
        super().__init__()
        if not isinstance(inner, ArrayModule):
            raise TypeError(_("Residual expects an ArrayModule, got {kind}").format(kind=type(inner).__name__))
        self.inner = inner

    def _named_children(self) -> list[tuple[str, ArrayModule]]:
        return [("inner", self.inner)]

    def forward_unchecked(self, x: np.ndarray) -> np.ndarray:
        h = self.inner.forward_unchecked(x)
        if h.shape != x.shape:
            raise ValueError(_("Residual needs an inner module that keeps the shape: "
                               "{inner} maps {shape} to {out_shape}").format(
                                   inner=self.inner._who(), shape=shape_str(x.shape), out_shape=shape_str(h.shape)))
        self._out_shape = x.shape
        return x + h

    def backward_unchecked(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        d_inner = self.inner.backward_unchecked(dout, input_grad)
        return dout + d_inner if input_grad else None    # gradients add at the fork

    def _who(self) -> str:
        return f"Residual({self.inner._who()})"

    def __repr__(self) -> str:
        return f"Residual({_indent(repr(self.inner))})"


class Sequential(ArrayModule):
    """Layers applied in order; backward runs their backward passes in reverse.

    ``net.layers`` is the list of layers; ``net[i]``, ``len(net)`` and iteration work
    (``net[1:3]`` is a Sequential sharing those layers). With
    ``backward(dout, input_grad=False)`` the layers before the first one with
    parameters are skipped and the first Linear does not compute ``dX``.
    """

    def __init__(self, *layers: ArrayModule) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers:
            raise ValueError(_("{container} needs at least one layer (use Identity() for none)").format(
                container=type(self).__name__))
        for i, layer in enumerate(layers):
            if not isinstance(layer, ArrayModule):
                message = _("{container}: layer {index} must be an ArrayModule, got {layer}").format(
                    container=type(self).__name__, index=i, layer=repr(layer))
                if isinstance(layer, type):
                    message += " " + _("(instantiate it: ReLU(), not ReLU)")
                raise TypeError(message)
        self.layers: list[ArrayModule] = list(layers)

    def _named_children(self) -> list[tuple[str, ArrayModule]]:
        return [(str(i), layer) for i, layer in enumerate(self.layers)]

    def forward_unchecked(self, x: np.ndarray) -> np.ndarray:
        for _i, _layer, x in self.forward_steps(x):
            pass
        self._out_shape = x.shape
        return x

    def forward_steps(self, x: np.ndarray, start: int = 0,
                      stop: int | None = None) -> Iterator[tuple[int, ArrayModule, np.ndarray]]:
        """The forward pass one layer at a time: yields ``(i, layer, H)``, ``H`` the output
        of layer ``i``, for the layers ``start`` to ``stop - 1`` (default: all). Unchecked,
        like ``forward_unchecked``; a monitor reads every layer's output this way."""
        for i in range(start, len(self.layers) if stop is None else stop):
            layer = self.layers[i]
            try:
                x = layer.forward_unchecked(x)
            except ValueError as exc:
                raise ValueError(_("layer {index} of {container}: {error}").format(
                    index=i, container=type(self).__name__, error=exc)) from None
            yield i, layer, x

    def _first_with_params(self) -> int:
        for i, layer in enumerate(self.layers):
            if layer.parameters():
                return i
        return len(self.layers)

    def backward_unchecked(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        for step in self.backward_steps(dout, input_grad):
            dout = step[-1]          # dX of this layer: dH of the one before
            del step                 # hold no used gradient while the next layer runs (peak memory)
        return dout if input_grad else None

    def backward_steps(self, dout: np.ndarray, input_grad: bool = True
                       ) -> Iterator[tuple[int, ArrayModule, np.ndarray, np.ndarray | None]]:
        """The backward pass one layer at a time, last layer first: yields
        ``(i, layer, dH, dX)``, the gradient with respect to the output of layer ``i`` and
        the one it passes back to its input. With ``input_grad=False`` the layers before
        the first one with parameters are skipped (the last ``dX`` is then ``None``)."""
        stop = 0 if input_grad else self._first_with_params()
        for i in range(len(self.layers) - 1, stop - 1, -1):
            layer = self.layers[i]
            dx = layer.backward_unchecked(dout, input_grad or i > stop)
            yield i, layer, dout, dx
            dout = dx

    def __getitem__(self, index: int | slice) -> ArrayModule:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[ArrayModule]:
        return iter(self.layers)

    def _who(self) -> str:
        return f"{type(self).__name__}({', '.join(layer._who() for layer in self.layers)})"

    def __repr__(self) -> str:
        lines = [f"  ({i}): {_indent(repr(layer))}" for i, layer in enumerate(self.layers)]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"
