r"""A scalar autograd engine: every number remembers how it was made.

A :class:`Value` wraps one float. Arithmetic on Values builds a graph: each new
node keeps its inputs (``_prev``) and, computed right there in the forward pass,
the *local derivative* of its output with respect to each input
(``_local_grads``). For example ``c = a * b`` stores

.. math::

    c = a b, \qquad \frac{\partial c}{\partial a} = b, \qquad \frac{\partial c}{\partial b} = a .

:meth:`Value.backward` then applies the chain rule once per edge, walking the
graph from the output back to the inputs:

.. math::

    \bar{x} \mathrel{+}= \frac{\partial y}{\partial x} \, \bar{y}
    \qquad \text{(local gradient} \times \text{upstream gradient)},

where :math:`\bar{v} = \partial L / \partial v` is stored in ``v.grad``. The
``+=`` is the rule "gradients add at forks": a value used twice receives a
contribution along each use.

The public API is the one of Andrej Karpathy's micrograd (``Value(data)``,
``.data``, ``.grad``, ``+ - * / **``, ``.relu()``, ``.backward()``, ``_prev``,
``_op``), so code written for micrograd runs unchanged. Differences:

* No closures. micrograd stores a ``_backward`` closure per node; here a node
  stores plain numbers (its local derivatives), so the graph holds no reference
  cycles and is freed by reference counting as soon as the loss goes out of scope.
  ``node._backward()`` still exists, as an ordinary method.
* ``_prev`` is a tuple (micrograd uses a set), aligned with ``_local_grads``;
  ``b = a + a`` has ``_prev == (a, a)``: two edges, each with local derivative 1.
* ``data`` and ``grad`` are always Python floats (float64).
* More ops: :meth:`~Value.tanh`, :meth:`~Value.exp`, :meth:`~Value.log`,
  :meth:`~Value.sigmoid`, and :func:`affine` (a whole neuron's $b + \sum_i w_i x_i$
  as one node, which is what makes :mod:`~backprop_lib.scalar.nn` fast); a ``label``
  for drawing.
* The topological sort is iterative, so a graph 100,000 nodes deep is fine.
* ``backward()`` can be called twice, with PyTorch's rules (see there).

Accepted numbers: ``int`` and ``float`` (and other real number types such as
``numpy.float32``), converted to float. ``bool`` is rejected: ``Value(True)`` is
almost always a bug. NaN and infinities are allowed and follow IEEE arithmetic
(NaN in, NaN out), exactly as they would with plain floats.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from numbers import Real
from typing import TypeVar

from ..i18n import _

__all__ = ["Value", "topological_order", "postorder", "zero_grad", "affine"]

T = TypeVar("T")

Number = int | float


def _as_float(x: object, what: str = "Value") -> float:
    """``x`` as a float, or a TypeError naming what was expected and what was given."""
    if type(x) is float:  # the common case, checked first because it is cheap
        return x
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(_("{what} expects a real number (int or float), got {kind}").format(
            what=what, kind=type(x).__name__))
    return float(x)


class Value:
    r"""One scalar in a computation graph, with its gradient.

    Attributes:
        data: the number (a float).
        grad: :math:`\partial L/\partial(\text{this value})` after ``L.backward()``; starts at 0.
        label: an optional name, shown when the graph is drawn.
        _prev: the inputs this value was computed from (a tuple; empty for a leaf).
        _local_grads: :math:`\partial(\text{this value})/\partial(\text{input})` for each
            input, aligned with ``_prev``; computed in the forward pass.
        _op: the operation that produced this value (``'+'``, ``'*'``, ``'**2'``,
            ``'ReLU'``, ``'tanh'``, ...), or ``''`` for a leaf.
    """

    __slots__ = ("data", "grad", "label", "_prev", "_local_grads", "_op", "__weakref__")

    def __init__(
        self,
        data: Number,
        _children: tuple[Value, ...] = (),
        _op: str = "",
        label: str = "",
        _local_grads: tuple[float, ...] = (),
    ) -> None:
        self.data = _as_float(data)
        self.grad = 0.0
        self.label = label
        self._prev = tuple(_children)
        self._local_grads = tuple(map(float, _local_grads))
        self._op = _op
        if not isinstance(label, str):
            raise TypeError(_("label must be a str, got {kind}").format(kind=type(label).__name__))
        if self._prev:  # a node built by hand, as in the lecture: check it is usable by backward()
            if not all(isinstance(child, Value) for child in self._prev):
                raise TypeError(_("the children of a Value must be Values"))
            if len(self._prev) != len(self._local_grads):
                raise ValueError(
                    _("a Value needs one local derivative per child: got {children} "
                      "children and {locals} local derivatives (pass _local_grads=...)").format(
                          children=len(self._prev), locals=len(self._local_grads))
                )

    # ------------------------------------------------------------------ primitives
    # Each op computes its output and, side by side, the local derivative of the
    # output with respect to each input. That is all backward() needs.

    def __add__(self, other: Value | Number) -> Value:
        r"""$c = a + b$: $\partial c/\partial a = 1$, $\partial c/\partial b = 1$."""
        other = other if isinstance(other, Value) else Value(other)
        return _node(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other: Value | Number) -> Value:
        r"""$c = a b$: $\partial c/\partial a = b$, $\partial c/\partial b = a$."""
        other = other if isinstance(other, Value) else Value(other)
        return _node(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __pow__(self, k: Number) -> Value:
        r"""$c = a^k$ for a constant number $k$: $\partial c/\partial a = k\,a^{k-1}$."""
        if type(k) is not int and type(k) is not float:
            _check_exponent(k)
            k = float(k)
        a = self.data
        try:
            out = a**k
        except ZeroDivisionError:
            raise ZeroDivisionError(
                _("{base} ** {exponent} is undefined: 0 to a negative power divides by zero "
                  "(a / b is a * b**-1)").format(base=repr(a), exponent=repr(k))
            ) from None
        except OverflowError:
            raise OverflowError(_("({base}) ** {exponent} is too large for a float "
                                  "(the largest is about 1.8e308)").format(base=repr(a), exponent=repr(k))) from None
        if type(out) is complex:
            raise ValueError(_("({base}) ** {exponent} is not a real number: a negative base needs a whole-number "
                               "exponent").format(base=repr(a), exponent=repr(k)))
        if k == 0:
            local = 0.0  # a**0 == 1 is constant, even at a == 0
        else:
            try:
                local = k * a ** (k - 1)
            except ZeroDivisionError:  # a == 0 and 0 < k < 1: the slope is vertical
                local = math.inf
            except OverflowError:  # a tiny |a| with k < 0: the slope is beyond the float range
                local = k * (out / a)  # == k a^(k-1); float division gives a signed inf
        return _node(out, (self,), (local,), f"**{k}")

    def relu(self) -> Value:
        r"""$c = \max(0, a)$: $\partial c/\partial a = 1$ if $a > 0$ else $0$ (0 at the kink, as micrograd and PyTorch)."""
        a = self.data
        return _node(0.0 if a < 0 else a, (self,), (1.0 if a > 0 else 0.0,), "ReLU")

    def tanh(self) -> Value:
        r"""$c = \tanh a = \frac{e^{2a}-1}{e^{2a}+1}$: $\partial c/\partial a = 1 - c^2$.

        ``math.tanh`` is used rather than the formula, which overflows for $a > 355$;
        ``Value(1000).tanh()`` is exactly 1.
        """
        t = math.tanh(self.data)
        return _node(t, (self,), (1.0 - t * t,), "tanh")

    def exp(self) -> Value:
        r"""$c = e^a$: $\partial c/\partial a = e^a = c$.

        Raises OverflowError if $e^a$ exceeds the largest float ($a > 709.78$).
        """
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                _("exp({value}) is too large for a float: exp overflows for inputs above 709.78").format(
                    value=repr(self.data))
            ) from None
        return _node(e, (self,), (e,), "exp")

    def log(self) -> Value:
        r"""$c = \ln a$ for $a > 0$: $\partial c/\partial a = 1/a$.

        Raises ValueError if $a \le 0$.
        """
        a = self.data
        if a <= 0:
            raise ValueError(_("log expects a positive value, got {value}").format(value=repr(a)))
        return _node(math.log(a), (self,), (1.0 / a,), "log")

    def sigmoid(self) -> Value:
        r"""$c = \sigma(a) = \frac{1}{1 + e^{-a}}$: $\partial c/\partial a = c\,(1 - c)$.

        Computed without overflow: for $a < 0$ it uses the equal form $\frac{e^{a}}{1 + e^{a}}$,
        so ``Value(-1000).sigmoid()`` is 0 and ``Value(1000).sigmoid()`` is 1.
        """
        a = self.data
        if a >= 0:
            s = 1.0 / (1.0 + math.exp(-a))
        else:
            e = math.exp(a)
            s = e / (1.0 + e)
        return _node(s, (self,), (s * (1.0 - s),), "sigmoid")

    # --------------------------------------------------------------- derived ops
    # Built from the primitives above, so they need no derivative of their own.

    def __neg__(self) -> Value:  # -a
        return self * -1

    def __radd__(self, other: Number) -> Value:  # other + a
        return self + other

    def __sub__(self, other: Value | Number) -> Value:  # a - b
        if not isinstance(other, Value):
            other = _as_float(other)  # so that a - "x" names the problem
        return self + (-other)

    def __rsub__(self, other: Number) -> Value:  # other - a
        return _as_float(other) + (-self)

    def __rmul__(self, other: Number) -> Value:  # other * a
        return self * other

    def __truediv__(self, other: Value | Number) -> Value:  # a / b
        other = other if isinstance(other, Value) else Value(other)
        return self * other**-1

    def __rtruediv__(self, other: Number) -> Value:  # other / a
        return other * self**-1

    def __rpow__(self, other: object) -> Value:
        raise TypeError(
            _("the exponent of ** must be an int or float, got Value (in {kind} ** Value); "
              "for a variable exponent write (exponent * base.log()).exp()").format(kind=type(other).__name__)
        )

    # ------------------------------------------------------------------ backward

    def _backward(self) -> None:
        """Pass this node's gradient to its inputs: ``child.grad += local * self.grad``.

        One step of the chain rule, for this node only (micrograd's lecture calls it
        node by node before automating it with :meth:`backward`).
        """
        g = self.grad
        for child, local in zip(self._prev, self._local_grads):
            child.grad += local * g

    def backward(self, grad: Number = 1.0) -> None:
        r"""Fill in ``.grad`` of every value this one depends on (reverse-mode autodiff).

        Seeds ``self.grad`` with ``grad`` (:math:`\partial L/\partial L = 1`), then visits
        the nodes in reverse topological order (each node after every node that uses it)
        and does ``child.grad += local * node.grad`` along each edge.

        Calling it twice follows PyTorch: interior nodes (those with inputs) are reset
        to 0 at the start of each call, so they hold this call's gradient only; leaves
        *accumulate*, so a second call adds the same gradient again (doubling it). Zero
        the leaves between steps with :meth:`zero_grad`, :func:`zero_grad` or
        ``model.zero_grad()``.
        """
        seed = _as_float(grad, "backward(grad=...)")
        topo = topological_order(self)
        for node in topo:
            if node._prev:
                node.grad = 0.0
        self.grad += seed
        for node in reversed(topo):
            g = node.grad
            for child, local in zip(node._prev, node._local_grads):
                child.grad += local * g

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0 on this value and every value it depends on."""
        for node in topological_order(self):
            node.grad = 0.0

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"


# ---------------------------------------------------------------------- helpers

_new = object.__new__


def _node(data: float, children: tuple[Value, ...], local_grads: tuple[float, ...], op: str) -> Value:
    """A new interior node; what ``Value(data, children, op, _local_grads=...)`` does, minus the checks.

    The ops above only ever pass floats and aligned tuples, so the checks of
    ``Value.__init__`` would be wasted time on the hot path.
    """
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._prev = children
    out._local_grads = local_grads
    out._op = op
    return out


def _check_exponent(k: object) -> None:
    if isinstance(k, Value):
        raise TypeError(
            _("the exponent of ** must be an int or float, got Value (only constant powers are supported, "
              "as in micrograd); for a variable exponent write (exponent * base.log()).exp()")
        )
    if isinstance(k, bool) or not isinstance(k, Real):
        raise TypeError(_("the exponent of ** must be an int or float, got {kind}").format(kind=type(k).__name__))


def topological_order(root: Value) -> list[Value]:
    """Every value ``root`` depends on, itself included, children before parents.

    A depth-first search with an explicit stack (no recursion, so no RecursionError on
    deep graphs): a node is appended once all of its inputs have been appended. Each
    node appears once, however many paths lead to it. (The search itself is
    :func:`postorder`, which the graph layout also uses for any micrograd-style node.)
    """
    if not isinstance(root, Value):
        raise TypeError(_("topological_order expects a Value, got {kind}").format(kind=type(root).__name__))
    return postorder(root, lambda node: node._prev)


def postorder(root: T, children: Callable[[T], Iterable[T]]) -> list[T]:
    """Every node reachable from ``root`` through ``children(node)``, each once, every node
    after all of its children (depth-first, iterative). Nodes are told apart by identity."""
    order: list[T] = []
    visited = {id(root)}
    stack = [(root, iter(children(root)))]
    while stack:
        node, inputs = stack[-1]
        for child in inputs:
            if id(child) not in visited:
                visited.add(id(child))
                stack.append((child, iter(children(child))))
                break
        else:  # every input of `node` is done
            stack.pop()
            order.append(node)
    return order


def affine(w: Sequence[Value], x: Sequence[Value | Number], b: Value) -> Value:
    r"""A neuron's pre-activation as one node: $z = b + \sum_i w_i x_i$.

    The same number as ``b + w[0]*x[0] + w[1]*x[1] + ...`` (added in that order), and
    the same gradients, but one node instead of $2n + 1$, with local derivatives

    .. math::

        \frac{\partial z}{\partial w_i} = x_i, \qquad
        \frac{\partial z}{\partial x_i} = w_i, \qquad
        \frac{\partial z}{\partial b} = 1 .

    This is what a vectorized library does with a matrix product: one op, many inputs.
    Children are ``(*w, *x, b)``; plain numbers in ``x`` become constant Values.
    """
    if len(w) != len(x):
        raise ValueError(_("affine expects as many weights as inputs, got {weights} weights and {inputs} inputs").format(
            weights=len(w), inputs=len(x)))
    x = [xi if isinstance(xi, Value) else Value(xi) for xi in x]
    if not isinstance(b, Value) or not all(isinstance(wi, Value) for wi in w):
        raise TypeError(_("affine expects the weights and the bias to be Values"))
    wd = [wi.data for wi in w]
    xd = [xi.data for xi in x]
    z = b.data
    for wi, xi in zip(wd, xd):
        z += wi * xi
    return _node(z, (*w, *x, b), (*xd, *wd, 1.0), "w·x+b")


def zero_grad(values: Iterable[Value]) -> None:
    """Set ``.grad`` to 0 on each of ``values`` (e.g. ``zero_grad(model.parameters())``)."""
    for v in values:
        if not isinstance(v, Value):
            raise TypeError(_("zero_grad expects Values, got {kind}").format(kind=type(v).__name__))
        v.grad = 0.0
