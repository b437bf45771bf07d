r"""An autograd engine for arrays: the scalar engine's idea, one numpy array per node.

``Value`` (notebook 03) holds one number per node, so a 100×100 matrix product becomes
a million nodes. A :class:`Tensor` holds a whole array, and each operation records, for
each of its inputs, a *vector-Jacobian product* (VJP): a function that turns the
gradient of the loss with respect to the op's output, ``g`` (same shape as the output),
into the gradient with respect to that input. The Jacobian itself is never built::

    op          forward          VJP for a            VJP for b
    a + b       a + b            g                    g
    a * b       a * b            g * b                g * a
    a @ b       a @ b            g @ b.T              a.T @ g
    a.sum()     sum(a)           g broadcast to a     -

When numpy *broadcasts* an input (a bias of shape ``(n,)`` added to every row of an
``(N, n)`` array), that input was used many times, and gradients add at forks: the
engine sums the VJP's result over the broadcast axes (:func:`~backprop_lib.layers.unbroadcast`).

>>> W = Tensor(np.ones((3, 2)), requires_grad=True)
>>> x = Tensor([[1.0, 2.0, 3.0]])
>>> loss = (x @ W).tanh().sum()
>>> loss.backward()
>>> W.grad.shape
(3, 2)

As in PyTorch, gradients accumulate in ``.grad`` of the tensors created with
``requires_grad=True`` (the leaves) over backward calls; set ``t.grad = None`` (or call
``t.zero_grad()``) to start again. Intermediate results keep no ``.grad`` unless
:meth:`Tensor.retain_grad` was called on them. No node refers to its own output, so a
graph is freed as soon as nothing refers to its loss.
"""
from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._operators import DerivedOperators
from .i18n import _
from .layers import sigmoid, unbroadcast
from .losses import logsumexp, softmax
from .scalar.engine import postorder

__all__ = ["Tensor", "log_softmax", "cross_entropy", "topological_order"]

VJP = Callable[[np.ndarray], np.ndarray]


def _as_array(data: Any) -> np.ndarray:
    """Float arrays keep their dtype; everything else becomes float64."""
    if isinstance(data, Tensor):
        return data.data
    arr = np.asarray(data)
    if arr.dtype.kind == "f":
        return arr
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    raise TypeError(_("Tensor needs numbers, got {kind} with dtype {dtype}").format(
        kind=type(data).__name__, dtype=arr.dtype))


def _lift(x: Any) -> Tensor:
    """A Python number or an array on the other side of an operator becomes a constant."""
    return x if isinstance(x, Tensor) else Tensor(x)


def _broadcast_shape(op: str, a: Tensor, b: Tensor) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(_("'{op}' cannot broadcast shapes {a_shape} and {b_shape}: each axis, counted "
                           "from the right, must be equal or 1").format(op=op, a_shape=a.shape, b_shape=b.shape)
                         ) from None


class Tensor(DerivedOperators):
    """A node of the graph: an array ``data``, its gradient ``grad`` and how it was made.

    ``Tensor(data, requires_grad=False)``: ``data`` is anything ``np.asarray`` takes
    (float64 unless it already is a float array). ``requires_grad=True`` marks a leaf
    whose gradient you want: ``.grad`` is ``None`` until a backward pass reaches it,
    then an array of ``.shape``.
    """

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_op", "_retain")
    __array_ufunc__ = None  # `ndarray + Tensor` calls Tensor.__radd__ instead of numpy's loop

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        self.data: np.ndarray = _as_array(data)
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._parents: tuple[tuple[Tensor, VJP], ...] = ()  # (input, VJP for that input)
        self._op = ""
        self._retain = False

    # ---- recording an operation ---------------------------------------------------
    @staticmethod
    def from_op(op: str, data: np.ndarray, *inputs: tuple[Tensor, VJP]) -> Tensor:
        """The output of an operation named ``op`` whose result is ``data``, with one
        ``(input, vjp)`` pair per input: ``vjp(g)`` turns the gradient of the output into
        that input's gradient. Every op below is built this way, and so can a new one be.
        The graph is recorded only for inputs that need a gradient."""
        out = Tensor(data)
        parents = tuple((t, vjp) for t, vjp in inputs if t.requires_grad)
        if parents:
            out.requires_grad = True
            out._parents = parents
            out._op = op
        return out

    # ---- attributes ------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed, as numpy's ``.T``)."""
        return self.from_op("T", self.data.T, (self, lambda g: g.T))

    def item(self) -> float:
        return self.data.item()

    def detach(self) -> Tensor:
        """The same numbers, outside the graph."""
        return Tensor(self.data)

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this intermediate result too (leaves always keep it)."""
        self._retain = True
        return self

    def zero_grad(self) -> None:
        self.grad = None

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, threshold=20, separator=", ", prefix="Tensor(")
        extra = f", op='{self._op}'" if self._op else (", requires_grad=True" if self.requires_grad else "")
        return f"Tensor({body}{extra})"

    # ---- elementwise arithmetic: forward and VJP side by side ------------------------
    def __add__(self, other: Any) -> Tensor:
        other = _lift(other)
        _broadcast_shape("+", self, other)
        return self.from_op("+", self.data + other.data, (self, lambda g: g), (other, lambda g: g))

    def __mul__(self, other: Any) -> Tensor:
        other = _lift(other)
        _broadcast_shape("*", self, other)
        a, b = self.data, other.data
        return self.from_op("*", a * b, (self, lambda g: g * b), (other, lambda g: g * a))

    def __pow__(self, k: Any) -> Tensor:
        if not isinstance(k, numbers.Real) or isinstance(k, bool):
            raise TypeError(_("Tensor ** k needs a Python number k, got {kind}").format(kind=type(k).__name__))
        a = self.data
        return self.from_op(f"**{k:g}", a ** k, (self, lambda g: g * k * a ** (k - 1)))

    # derived from the primitives, as in micrograd: a - b is a + (-b), a / b is a * b**-1
    # (DerivedOperators: -a, a - b, a / b, 2 + a, 2 - a, 2 * a, 2 / a)
    _lift = staticmethod(_lift)

    # ---- matrix product ---------------------------------------------------------------
    # Its two errors stay in English: notebook 12 prints this method's source (inspect.getsource),
    # so marking them for translation would change that notebook's stored output.
    def __matmul__(self, other: Any) -> Tensor:
        other = _lift(other)
        a, b = self.data, other.data
        if a.ndim != 2 or b.ndim != 2:
            raise ValueError(f"'@' works on 2-D tensors here; got shapes {a.shape} @ {b.shape}")
        if a.shape[1] != b.shape[0]:
            raise ValueError(f"'@' needs A of shape (n, k) and B of shape (k, m); got {a.shape} @ {b.shape}: "
                             f"{a.shape[1]} columns against {b.shape[0]} rows")
        return self.from_op("@", a @ b, (self, lambda g: g @ b.T), (other, lambda g: a.T @ g))

    def __rmatmul__(self, other: Any) -> Tensor:
        return _lift(other) @ self

    # ---- elementwise functions ----------------------------------------------------------
    def exp(self) -> Tensor:
        out = np.exp(self.data)
        return self.from_op("exp", out, (self, lambda g: g * out))

    def log(self) -> Tensor:
        a = self.data
        if np.any(a <= 0):
            bad = int(np.sum(a <= 0))
            raise ValueError(_("log needs positive values; {bad} of {size} entries are <= 0 "
                               "(smallest {smallest:g}). For a loss, use log_softmax / cross_entropy, "
                               "which never take the log of 0").format(bad=bad, size=a.size, smallest=a.min()))
        return self.from_op("log", np.log(a), (self, lambda g: g / a))

    def tanh(self) -> Tensor:
        out = np.tanh(self.data)
        return self.from_op("tanh", out, (self, lambda g: g * (1.0 - out * out)))

    def relu(self) -> Tensor:
        mask = self.data > 0
        return self.from_op("relu", np.where(mask, self.data, 0.0), (self, lambda g: g * mask))

    def sigmoid(self) -> Tensor:
        out = sigmoid(self.data)  # 1 / (1 + e^-x) without overflow
        return self.from_op("sigmoid", out, (self, lambda g: g * out * (1.0 - out)))

    # ---- reductions and shapes ----------------------------------------------------------
    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        shape = self.shape
        axes = _normalize_axes(axis, self.ndim)

        def vjp(g: np.ndarray) -> np.ndarray:
            if not keepdims:
                g = np.expand_dims(g, axes)
            return np.broadcast_to(g, shape)

        return self.from_op("sum", self.data.sum(axis=axes, keepdims=keepdims), (self, vjp))

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        axes = _normalize_axes(axis, self.ndim)
        count = int(np.prod([self.shape[i] for i in axes]))
        return self.sum(axis=axes, keepdims=keepdims) * (1.0 / count)

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        old = self.shape
        try:
            out = self.data.reshape(shape)
        except ValueError:
            raise ValueError(_("cannot reshape a tensor of shape {old} ({size} entries) into shape {shape}").format(
                old=old, size=self.size, shape=tuple(shape))) from None
        return self.from_op("reshape", out, (self, lambda g: g.reshape(old)))

    def __getitem__(self, index: Any) -> Tensor:
        """Indexing, including a gather with an integer array: repeated indices add up."""
        shape, dtype = self.shape, self.data.dtype

        def vjp(g: np.ndarray) -> np.ndarray:
            full = np.zeros(shape, dtype=dtype)
            np.add.at(full, index, g)  # `full[index] += g` would count a repeated index once
            return full

        return self.from_op("index", self.data[index], (self, vjp))

    # ---- the backward pass --------------------------------------------------------------
    def backward(self) -> None:
        """Fill ``.grad`` of every leaf this one-element tensor depends on (accumulating)."""
        if self.size != 1:
            raise ValueError(_("backward() needs a one-element tensor (a scalar loss); this one has shape "
                               "{shape}: reduce it first, e.g. with .sum() or .mean()").format(shape=self.shape))
        if not self.requires_grad:
            raise RuntimeError(_("backward(): this tensor does not depend on any tensor with requires_grad=True"))
        grads: dict[int, np.ndarray] = {id(self): np.ones_like(self.data)}
        for node in reversed(topological_order(self)):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if not node._parents or node._retain:
                node.grad = g.copy() if node.grad is None else node.grad + g
            for parent, vjp in node._parents:
                contribution = unbroadcast(np.asarray(vjp(g)), parent.shape)
                key = id(parent)
                grads[key] = contribution if key not in grads else grads[key] + contribution


def _normalize_axes(axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    if not all(isinstance(a, numbers.Integral) and -ndim <= a < ndim for a in axes):
        raise ValueError(_("axis {axis} is out of range for a tensor with {ndim} axes").format(axis=axis, ndim=ndim))
    return tuple(sorted(int(a) % ndim for a in axes))


def topological_order(root: Tensor) -> list[Tensor]:
    """Every node ``root`` depends on, inputs before the ops that use them (iterative, so
    a chain of thousands of ops cannot hit Python's recursion limit)."""
    return postorder(root, lambda node: [parent for parent, _vjp in node._parents])


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    r"""``x - logsumexp(x)`` along ``axis``, stable for large logits.

    VJP: :math:`\bar x = \bar y - \operatorname{softmax}(x) \sum_j \bar y_j` (along ``axis``).
    """
    x = _lift(x)
    probs = softmax(x.data, axis=axis)
    return Tensor.from_op("log_softmax", x.data - logsumexp(x.data, axis=axis, keepdims=True),
                        (x, lambda g: g - probs * g.sum(axis=axis, keepdims=True)))


def cross_entropy(logits: Tensor, targets: Any) -> Tensor:
    """Mean over the batch of ``-log softmax(logits)[n, targets[n]]``, as
    ``torch.nn.functional.cross_entropy``: ``logits`` of shape ``(N, C)``, integer ``targets`` ``(N,)``."""
    logits = _lift(logits)
    y = np.asarray(targets)
    if logits.ndim != 2:
        raise ValueError(_("cross_entropy needs logits of shape (N, C), got {shape}").format(shape=logits.shape))
    N, C = logits.shape
    if y.shape != (N,) or y.dtype.kind not in "iu":
        raise ValueError(_("cross_entropy needs integer targets of shape ({N},), got dtype {dtype} "
                           "and shape {shape}").format(N=N, dtype=y.dtype, shape=y.shape))
    if N and (y.min() < 0 or y.max() >= C):
        raise ValueError(_("cross_entropy targets must be class indices in [0, {last}], got "
                           "values from {low} to {high}").format(last=C - 1, low=y.min(), high=y.max()))
    return -log_softmax(logits, axis=1)[np.arange(N), y].mean()
