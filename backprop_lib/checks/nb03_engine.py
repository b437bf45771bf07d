r"""Checkers for notebook 03, building an autograd engine.

The student writes the class ``Value`` of the notebook step by step. Its constructor is
given, ``Value(data, _prev=(), _local_grads=(), _op="", label="")``; each exercise adds
methods to the class, and the graded cell passes the class itself to the checker:

* Exercise 3.1 ``__add__``: :math:`c = a + b`, local derivatives :math:`(1, 1)`.
* Exercise 3.2 ``__mul__``: :math:`c = ab`, local derivatives :math:`(b, a)`.
* Exercise 3.3 ``__pow__``: :math:`c = a^k` for a number :math:`k`, local :math:`k a^{k-1}`.
* Exercise 3.4 the derived ops ``__neg__``, ``__sub__``, ``__rsub__``, ``__truediv__``,
  ``__rtruediv__``, built from the primitives (``a - b`` is ``a + (-b)``).
* Exercise 3.5 ``exp``, ``log``, ``tanh``, ``relu``.
* Exercise 3.6 ``backward``: seed, reverse topological order, ``child.grad += local * node.grad``.
* Exercise 3.7 ``topo_order_iterative(root)``: a topological order without recursion.
* Exercise 3.8 ``grad_check(build, leaves, h)``: backward's gradients and centered differences.
* Exercise 3.9 ``softplus``, ``abs`` and ``max``: ops the series has not derived.

Each checker builds small graphs with the student's class and compares ``data``, the
recorded inputs and local derivatives, and the gradients that a reference backward pass
computes from them, with the same expression built on the package's
:class:`~backprop_lib.scalar.Value`. The other methods of the class are swapped for
reference versions while a checker runs, so one unfinished exercise never makes another
one fail: each exercise is judged on its own.
"""
from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ..gradcheck import numerical_gradient
from ..i18n import N_, _, ngettext
from ..scalar.engine import Value as PackageValue
from .failure import ExerciseFailed
from .framework import CheckContext, exercise
from .nb02_graphs import check_order, order_cases

__all__ = [
    "check_value_add",
    "check_value_mul",
    "check_value_pow",
    "check_derived_ops",
    "check_value_functions",
    "check_value_backward",
    "check_topo_order_iterative",
    "check_grad_check",
    "check_new_ops",
]

_MISSING = object()


# ============================================================== the student's class

def _need_class(c: CheckContext) -> type:
    V = c.student
    if not isinstance(V, type):
        c.fail(_("pass your class itself, `{name}`, to the checker; got {kind}.").format(
            name="Value", kind=type(V).__name__))
    return V


def _leaf(c: CheckContext, V: type, x: float, label: str = "") -> Any:
    """``V(x, label=label)``, or a failure saying the given constructor was changed."""
    try:
        v = V(x, label=label)
    except Exception as exc:  # noqa: BLE001 - the student's constructor
        c.fail(_("`{call}` raised {error}: {message}. The constructor of the first cell is used as given: "
                 "run that cell again (and do not change it).").format(
            call=f"Value({x!r}, label={label!r})", error=type(exc).__name__, message=exc))
    for attr in ("data", "grad", "_prev", "_local_grads"):
        if not hasattr(v, attr):
            c.fail(_("a new Value has no attribute `{attribute}`: run the cell with the class again, "
                     "unchanged.").format(attribute=attr))
    return v


def _number(x: Any) -> float | None:
    if isinstance(x, bool):
        return None
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _check_node(c: CheckContext, V: type, out: Any, what: str, inputs: Sequence[Any], method: str) -> tuple:
    """``out`` must be a new Value whose ``_prev`` are ``inputs`` (the objects themselves, in
    this order, a number input being any Value) and with one number per input in
    ``_local_grads``. Returns the local derivatives as floats."""
    if out is None:
        c.fail(_("`{what}` gave None: does your {method} `return` the new Value?").format(what=what, method=method))
    if not isinstance(out, V):
        c.fail(_("`{what}` should be a Value, got {kind}: {method} must return "
                 "`Value(result, (inputs...), (local derivatives...), op)`.").format(
            what=what, kind=type(out).__name__, method=method))
    if any(out is v for v in inputs if isinstance(v, V)):
        c.fail(_("`{what}` returned one of its inputs: {method} must create a *new* Value (the node "
                 "of this operation), leaving its inputs unchanged.").format(what=what, method=method))
    prev = getattr(out, "_prev", None)
    try:
        prev = tuple(prev)
    except TypeError:
        c.fail(_("the `_prev` of `{what}` is {kind}, not a tuple of Values.").format(
            what=what, kind=type(prev).__name__))
    # English says "input(s)" and "derivative(s)" for any count (the stored outputs); ngettext gives
    # other languages their forms
    if len(prev) != len(inputs):
        c.fail(ngettext("`{what}` has {count} input(s) in `_prev`, expected {expected}: {order}.",
                        "`{what}` has {count} input(s) in `_prev`, expected {expected}: {order}.", len(prev)).format(
            what=what, count=len(prev), expected=len(inputs), order="(self, other)" if len(inputs) == 2 else "(self,)"))
    for k, (got, want) in enumerate(zip(prev, inputs)):
        if not isinstance(got, V):
            c.fail(_("`_prev` of `{what}` holds {kind}s: store the input Values themselves "
                     "(not their .data), so that the backward pass can reach them.").format(
                what=what, kind=type(got).__name__))
        if isinstance(want, V) and got is not want:
            if any(node is want for node in _order(got)):
                c.fail(_("`{what}` is built from other operations (its input is an intermediate node, not "
                         "{input}): here {method} must be *one* node, whose local "
                         "derivatives are the ones you derived.").format(
                    what=what, input="self" if k == 0 else "other", method=method))
            if len(inputs) == 2 and got is inputs[1 - k]:
                c.fail(_("`_prev` of `{what}` is (other, self): keep the order (self, other), the order "
                         "of the local derivatives.").format(what=what))
            c.fail(_("input {index} in `_prev` of `{what}` is not the Value it was computed from (a copy?): "
                     "store the inputs themselves, so the backward pass reaches them.").format(index=k, what=what))
        if not isinstance(want, V) and _number(getattr(got, "data", None)) != float(want):
            c.fail(_("in `{what}` the number {number} should become a constant Value with data {number} "
                     "(use as_value(other)).").format(what=what, number=repr(want)))
    local = getattr(out, "_local_grads", None)
    try:
        local = tuple(local)
    except TypeError:
        c.fail(_("the `_local_grads` of `{what}` is {kind}, not a tuple of numbers.").format(
            what=what, kind=type(local).__name__))
    if len(local) != len(inputs):
        if len(inputs) == 1:
            c.fail(ngettext("`{what}` has {count} local derivative(s), expected {expected}: one per input "
                            "(a one-element tuple needs a comma: `(x,)`).",
                            "`{what}` has {count} local derivative(s), expected {expected}: one per input "
                            "(a one-element tuple needs a comma: `(x,)`).", len(local)).format(
                what=what, count=len(local), expected=len(inputs)))
        c.fail(ngettext("`{what}` has {count} local derivative(s), expected {expected}: one per input.",
                        "`{what}` has {count} local derivative(s), expected {expected}: one per input.",
                        len(local)).format(what=what, count=len(local), expected=len(inputs)))
    numbers = [_number(v) for v in local]
    if any(v is None for v in numbers):
        c.fail(_("the local derivatives of `{what}` should be numbers, got {values}.").format(
            what=what, values=repr(local)))
    return tuple(numbers)


def _data(c: CheckContext, out: Any, what: str) -> float:
    value = _number(getattr(out, "data", None))
    if value is None:
        c.fail(_("`{what}.data` should be a number, got {value}.").format(
            what=what, value=repr(getattr(out, "data", None))))
    return value


# ------------------------------------------------------------ reference engine pieces

def _sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))


def _order(root: Any) -> list:
    """Topological order of any graph of objects with ``_prev`` (iterative, by identity): the
    package's :func:`~backprop_lib.scalar.topological_order` accepts only its own Values, and
    these graphs are made of the student's."""
    order, seen, stack = [], {id(root)}, [(root, iter(tuple(root._prev)))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append((child, iter(tuple(child._prev))))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _backprop(root: Any) -> list:
    """The reference backward pass over any such graph; returns the topological order."""
    topo = _order(root)
    for node in topo:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(topo):
        for child, local in zip(node._prev, node._local_grads):
            child.grad += float(local) * node.grad
    return topo


def _check_graph(c: CheckContext, V: type, root: Any, what: str) -> None:
    """Every node of ``root``'s graph must be a Value with aligned ``_prev``/``_local_grads``."""
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not isinstance(node, V):
            c.fail(_("the graph of `{what}` contains a {kind} where a Value belongs: "
                     "`_prev` must hold Values.").format(what=what, kind=type(node).__name__))
        prev, local = tuple(getattr(node, "_prev", ())), tuple(getattr(node, "_local_grads", ()))
        if len(prev) != len(local) or any(_number(x) is None for x in local):
            # English says "inputs" for any count (the stored outputs); ngettext gives other languages their forms
            c.fail(ngettext("a node of `{what}` has {count} inputs and local derivatives {local}: "
                            "one number per input is needed.",
                            "a node of `{what}` has {count} inputs and local derivatives {local}: "
                            "one number per input is needed.", len(prev)).format(
                what=what, count=len(prev), local=repr(local)))
        stack.extend(prev)


def _reference_methods(V: type) -> dict[str, Callable]:
    """Correct versions of every method the notebook adds, building nodes of class ``V``."""

    def wrap(x):
        return x if isinstance(x, V) else V(x)

    def node(data, prev, local, op):
        return V(data, _prev=prev, _local_grads=local, _op=op)

    def add(self, other):
        other = wrap(other)
        return node(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def mul(self, other):
        other = wrap(other)
        return node(self.data * other.data, (self, other), (other.data, self.data), "*")

    def pow_(self, k):
        return node(self.data ** k, (self,), (k * self.data ** (k - 1),), f"**{k}")

    def exp(self):
        e = math.exp(self.data)
        return node(e, (self,), (e,), "exp")

    def log(self):
        return node(math.log(self.data), (self,), (1.0 / self.data,), "log")

    def tanh(self):
        t = math.tanh(self.data)
        return node(t, (self,), (1.0 - t * t,), "tanh")

    def relu(self):
        a = self.data
        return node(max(a, 0.0), (self,), (1.0 if a > 0 else 0.0,), "relu")

    def sigmoid(self):
        s = _sigmoid(self.data)
        return node(s, (self,), (s * (1.0 - s),), "sigmoid")

    def backward(self):
        _backprop(self)

    def zero_grad(self):
        for n in _order(self):
            n.grad = 0.0

    return {
        "__add__": add, "__radd__": add, "__mul__": mul, "__rmul__": mul, "__pow__": pow_,
        "__neg__": lambda self: self * -1,
        "__sub__": lambda self, other: self + (-wrap(other)),
        "__rsub__": lambda self, other: wrap(other) + (-self),
        "__truediv__": lambda self, other: self * wrap(other) ** -1,
        "__rtruediv__": lambda self, other: wrap(other) * self ** -1,
        "exp": exp, "log": log, "tanh": tanh, "relu": relu, "sigmoid": sigmoid, "backward": backward,
        "zero_grad": zero_grad,
    }


@contextlib.contextmanager
def _others_are_reference(V: type, *under_test: str) -> Iterator[None]:
    """Give ``V`` reference versions of every method except ``under_test`` (restored after)."""
    reference = _reference_methods(V)
    names = [n for n in reference if n not in under_test]
    saved = {n: V.__dict__.get(n, _MISSING) for n in names}
    try:
        for n in names:
            setattr(V, n, reference[n])
        yield
    finally:
        for n, old in saved.items():
            if old is _MISSING:
                with contextlib.suppress(AttributeError):
                    delattr(V, n)
            else:
                setattr(V, n, old)


def _run(c: CheckContext, what: str, fn: Callable[[], Any]) -> Any:
    try:
        return c.run(fn, name=what, copy_args=False)
    except ExerciseFailed as exc:
        if "is not iterable" in exc.message:
            raise ExerciseFailed(exc.message + "\n" + _("hint: `_prev` and `_local_grads` are tuples, and a tuple "
                                                         "of one thing needs a comma: `(x,)`.")) from None
        raise


def _pkg_grads(build: Callable[[type], tuple[Any, list]]) -> list[float]:
    root, leaves = build(PackageValue)
    root.backward()
    return [leaf.grad for leaf in leaves]


def _compare_grads(c: CheckContext, V: type, what: str, build: Callable[[type], tuple[Any, list]],
                   names: str, mistakes: dict | None = None) -> None:
    """Build ``what`` with the student's class, backpropagate with the reference backward,
    compare data and leaf gradients with the package's Value."""
    root, leaves = _run(c, what, lambda: build(V))
    _check_graph(c, V, root, what)
    pkg_root, _pkg_leaves = build(PackageValue)
    c.compare(f"({what}).data", _data(c, root, what), pkg_root.data, rtol=1e-9)
    _backprop(root)
    c.compare(_("the gradients [{names}] of {expression}").format(names=names, expression=what),
              [leaf.grad for leaf in leaves], _pkg_grads(build), rtol=1e-9, mistakes=mistakes)


# =================================================================== Exercise 3.1

@exercise("Exercise 3.1", "Value.__add__")
def check_value_add(c):
    r"""``a + b`` is a new Value with ``_prev == (a, b)`` and ``_local_grads == (1, 1)``; numbers work too."""
    V = _need_class(c)
    public = [(2.0, -3.0), (0.5, 4.0), (-1.25, -0.75)]
    hidden = [tuple(float(v) for v in c.rng.normal(scale=3.0, size=2)) for _case in range(4)]
    for x, y in c.cases(public, hidden):
        with c.case(f"a = Value({x:g}), b = Value({y:g})"), _others_are_reference(V, "__add__", "__radd__"):
            a, b = _leaf(c, V, x, "a"), _leaf(c, V, y, "b")
            out = _run(c, "a + b", lambda: a + b)
            local = _check_node(c, V, out, "a + b", (a, b), "__add__")
            c.compare("(a + b).data", _data(c, out, "a + b"), x + y, mistakes={
                _("this is a * b: __add__ adds"): x * y, _("this is a - b: __add__ adds"): x - y})
            c.compare(_("the local derivatives (dc/da, dc/db) of c = a + b"), local, (1.0, 1.0), mistakes={
                _("these are (b, a), the rule of *: a nudge of a moves a + b by the same amount, so the "
                  "local derivatives are (1, 1): add distributes the gradient unchanged"): (y, x),
                _("these are (a, b): the local derivatives of a + b are (1, 1), whatever a and b are"): (x, y),
                _("(0, 0) would mean the sum does not depend on its inputs: they are (1, 1)"): (0.0, 0.0),
            })
            c.check(a.data == x and b.data == y, _("a + b changed a or b: an operation must leave its inputs alone."))
            out = _run(c, "a + 5", lambda: a + 5)
            _check_node(c, V, out, "a + 5", (a, 5.0), "__add__")
            c.compare("(a + 5).data", _data(c, out, "a + 5"), x + 5)
            out = _run(c, "5 + a", lambda: 5 + a)
            c.compare("(5 + a).data", _data(c, out, "5 + a"), x + 5)
    with c.case(_("L = (a + b) + a, backpropagated")), _others_are_reference(V, "__add__", "__radd__"):
        def build(W):
            a, b = W(1.5, label="a"), W(-2.0, label="b")
            return (a + b) + a, [a, b]
        _compare_grads(c, V, "(a + b) + a", build, "a, b")


# =================================================================== Exercise 3.2

@exercise("Exercise 3.2", "Value.__mul__")
def check_value_mul(c):
    r"""``a * b`` is a new Value with ``_prev == (a, b)`` and ``_local_grads == (b, a)``."""
    V = _need_class(c)
    public = [(2.0, -3.0), (0.5, 4.0), (-1.5, -2.5)]
    hidden = [tuple(float(v) for v in c.rng.normal(scale=3.0, size=2)) for _case in range(4)]
    for x, y in c.cases(public, hidden):
        with c.case(f"a = Value({x:g}), b = Value({y:g})"), _others_are_reference(V, "__mul__", "__rmul__"):
            a, b = _leaf(c, V, x, "a"), _leaf(c, V, y, "b")
            out = _run(c, "a * b", lambda: a * b)
            local = _check_node(c, V, out, "a * b", (a, b), "__mul__")
            c.compare("(a * b).data", _data(c, out, "a * b"), x * y,
                      mistakes={_("this is a + b: __mul__ multiplies"): x + y})
            rule = _("mul swaps and scales: a.grad += b.data * c.grad and b.grad += a.data * c.grad")
            c.compare(_("the local derivatives (dc/da, dc/db) of c = a * b"), local, (y, x), mistakes={
                _("with your __mul__, a.grad would get a.data * c.grad; it should get b.data * c.grad "
                  "(the *other* factor): {rule}").format(rule=rule): (x, y),
                _("with your __mul__, a and b would get c.grad unchanged (local derivatives (1, 1), the rule "
                  "of +); {rule}").format(rule=rule): (1.0, 1.0),
                _("(a·b, a·b) is the output, not the slopes; {rule}").format(rule=rule): (x * y, x * y),
                _("with your __mul__, b.grad would get b.data * c.grad; it should get a.data * c.grad: {rule}").format(
                    rule=rule): (y, y),
                _("with your __mul__, a.grad would get a.data * c.grad; it should get b.data * c.grad: {rule}").format(
                    rule=rule): (x, x),
            })
            out = _run(c, "a * 2", lambda: a * 2)
            _check_node(c, V, out, "a * 2", (a, 2.0), "__mul__")
            c.compare("(a * 2).data", _data(c, out, "a * 2"), 2 * x)
            out = _run(c, "2 * a", lambda: 2 * a)
            c.compare("(2 * a).data", _data(c, out, "2 * a"), 2 * x)
    with c.case(_("L = (a * b) * a, backpropagated")), _others_are_reference(V, "__mul__", "__rmul__"):
        def build(W):
            a, b = W(1.5, label="a"), W(-2.0, label="b")
            return (a * b) * a, [a, b]
        _compare_grads(c, V, "(a * b) * a", build, "a, b")


# =================================================================== Exercise 3.3

@exercise("Exercise 3.3", "Value.__pow__")
def check_value_pow(c):
    r"""``a ** k`` (``k`` an int or float) has ``_prev == (a,)`` and ``_local_grads == (k * a**(k-1),)``."""
    V = _need_class(c)
    public = [(2.0, 3), (3.0, 2), (-1.5, 3), (4.0, 0.5), (2.0, -1)]
    hidden = [(0.5, -2), (1.7, 4), (-2.0, 2), (9.0, 1.5), (3.0, 1), (2.5, -0.5)]
    for x, k in c.cases(public, hidden):
        with c.case(f"a = Value({x:g}), k = {k!r}"), _others_are_reference(V, "__pow__"):
            a = _leaf(c, V, x, "a")
            out = _run(c, "a ** k", lambda: a ** k)
            (local,) = _check_node(c, V, out, "a ** k", (a,), "__pow__")
            c.compare("(a ** k).data", _data(c, out, "a ** k"), x ** k,
                      mistakes={_("this is k·a, not a**k"): k * x})
            c.compare(_("the local derivative dc/da of c = a ** k"), local, k * x ** (k - 1), mistakes={
                _("k·a**k: the exponent must go down by one, k·a**(k − 1)"): k * x ** k,
                _("a**(k − 1): the factor k in front is missing, k·a**(k − 1)"): x ** (k - 1),
                _("(k − 1)·a**(k − 1): the factor in front is k itself, k·a**(k − 1)"): (k - 1) * x ** (k - 1),
                _("k·a**(k + 1): the exponent goes *down* by one, k·a**(k − 1)"): k * x ** (k + 1),
                _("a**k is the output; the slope is k·a**(k − 1)"): x ** k,
            })
    with c.case(_("L = (a ** 2) ** -1 + a ** 3, backpropagated")), _others_are_reference(V, "__pow__"):
        def build(W):
            a = W(1.5, label="a")
            return (a ** 2) ** -1 + a ** 3, [a]
        _compare_grads(c, V, "(a ** 2) ** -1 + a ** 3", build, "a")


# =================================================================== Exercise 3.4

_DERIVED = ("__neg__", "__sub__", "__rsub__", "__truediv__", "__rtruediv__")


def _primitive_ops(V: type) -> set[str]:
    a, b = V(2.0), V(3.0)
    return {str((a + b)._op), str((a * b)._op), str((a ** -1)._op), str((a ** 2)._op)}


def _nodes(root: Any) -> list:
    return [n for n in _order(root) if tuple(n._prev)]


@exercise("Exercise 3.4", N_("the derived ops"))
def check_derived_ops(c):
    r"""``-a``, ``a - b``, ``a - 2``, ``2 - a``, ``a / b``, ``a / 2``, ``2 / a``: right values and
    gradients, each built from ``+``, ``*`` and ``**`` (no node of its own)."""
    V = _need_class(c)
    public = [(3.0, -2.0), (0.5, 4.0)]
    hidden = [tuple(float(v) for v in c.rng.uniform(0.5, 3.0, size=2) * c.rng.choice([-1, 1], size=2))
              for _case in range(3)]
    for x, y in c.cases(public, hidden):
        with c.case(f"a = Value({x:g}), b = Value({y:g})"), _others_are_reference(V, *_DERIVED):
            allowed = _primitive_ops(V)
            tests = [
                ("-a", "__neg__", lambda a, b: -a, -x, [-1.0, 0.0]),
                ("a - b", "__sub__", lambda a, b: a - b, x - y, [1.0, -1.0]),
                ("a - 2", "__sub__", lambda a, b: a - 2, x - 2, [1.0, 0.0]),
                ("2 - a", "__rsub__", lambda a, b: 2 - a, 2 - x, [-1.0, 0.0]),
                ("a / b", "__truediv__", lambda a, b: a / b, x / y, [1 / y, -x / y ** 2]),
                ("a / 2", "__truediv__", lambda a, b: a / 2, x / 2, [0.5, 0.0]),
                ("2 / a", "__rtruediv__", lambda a, b: 2 / a, 2 / x, [-2 / x ** 2, 0.0]),
            ]
            for what, method, fn, value, grads in tests:
                a, b = _leaf(c, V, x, "a"), _leaf(c, V, y, "b")
                out = _run(c, what, lambda fn=fn, a=a, b=b: fn(a, b))
                if not isinstance(out, V):
                    c.fail(_("`{what}` should be a Value, got {kind}: does your {method} "
                             "`return` the expression?").format(what=what, kind=type(out).__name__, method=method))
                _check_graph(c, V, out, what)
                mistakes = {}
                if method == "__rsub__":
                    mistakes[_("this is a - 2: {method}(self, other) computes other - self").format(
                        method=method)] = x - 2
                if method == "__rtruediv__":
                    mistakes[_("this is a / 2: {method}(self, other) computes other / self").format(
                        method=method)] = x / 2
                if method == "__truediv__" and what == "a / b":
                    mistakes[_("this is b / a: __truediv__(self, other) computes self / other")] = y / x
                if method == "__sub__" and what == "a - b":
                    mistakes[_("this is a + b: subtract the other value, a + (-b)")] = x + y
                c.compare(f"({what}).data", _data(c, out, what), value, rtol=1e-9, mistakes=mistakes)
                own = sorted({str(n._op) for n in _nodes(out)} - allowed)
                c.check(not own, _("`{what}` contains a node '{op}' of its own: build it from the "
                                   "primitives (a - b = a + (-b), a / b = a * b**-1, -a = a * -1), so that it "
                                   "needs no local derivative of its own: the chain rule through + and * "
                                   "gives it.").format(what=what, op=own[0] if own else ""))
                _backprop(out)
                c.compare(_("the gradients [{names}] of {expression}").format(names="a, b", expression=what),
                          [a.grad, b.grad], grads, rtol=1e-9, mistakes={
                              _("b gets +out.grad: in a - b = a + (-1)·b, the -1 scales b's gradient"): [1.0, 1.0],
                          })


# =================================================================== Exercise 3.5

_FUNCTIONS = {
    "exp": (math.exp, math.exp),
    "log": (math.log, lambda a: 1.0 / a),
    "tanh": (math.tanh, lambda a: 1.0 - math.tanh(a) ** 2),
    "relu": (lambda a: max(a, 0.0), lambda a: 1.0 if a > 0 else 0.0),
    "sigmoid": (lambda a: _sigmoid(a), lambda a: _sigmoid(a) * (1.0 - _sigmoid(a))),
}


def _function_mistakes(name: str, a: float) -> dict[str, float]:
    f, _derivative = _FUNCTIONS[name]
    out = f(a)
    if name == "exp":
        return {_("1: the slope of e^a is e^a itself (its own output)"): 1.0,
                _("a: the slope of e^a is e^a itself (its own output)"): a}
    if name == "log":
        return {_("ln a is the output; the slope of ln a is 1/a"): out,
                _("a: the slope of ln a is 1/a"): a,
                _("−1/a²: the slope of ln a is +1/a (you differentiated 1/a)"): -1.0 / (a * a)}
    if name == "tanh":
        return {_("1 − a²: the rule is 1 − t² with the *output* t = tanh(a), not the input"): 1.0 - a * a,
                _("1 − t: the rule is 1 − t², t squared"): 1.0 - out,
                _("t(1 − t) is the sigmoid's rule; tanh's is 1 − t²"): out * (1.0 - out),
                _("t, the output: the slope is 1 − t²"): out}
    if name == "sigmoid":
        return {_("s, the output: the slope is s(1 − s)"): out,
                _("1 − s² is tanh's rule; the sigmoid's is s(1 − s) (notebook 01)"): 1.0 - out * out,
                _("s(1 + s): it is a minus, s(1 − s)"): out * (1.0 + out),
                _("1 − s: the factor s is missing, s(1 − s)"): 1.0 - out}
    return {_("the output max(a, 0): the local derivative is the slope, 1 where a > 0"): out,
            _("1 everywhere: relu passes no gradient where a < 0 (the slope is 0 there)"): 1.0}


@exercise("Exercise 3.5", "exp, log, tanh, relu, sigmoid")
def check_value_functions(c):
    r"""``a.exp()``, ``a.log()``, ``a.tanh()``, ``a.relu()``, ``a.sigmoid()``: one input, the right
    value and local derivative."""
    V = _need_class(c)
    points = {
        "exp": c.cases([-1.0, 0.0, 2.0], hidden=[-3.5, 0.7, 4.2]),
        "log": c.cases([0.5, 1.0, 3.0], hidden=[0.05, 2.7, 40.0]),
        "tanh": c.cases([-2.0, 0.3, 1.5], hidden=[-0.7, 2.5, 0.05]),
        "relu": c.cases([-1.0, 0.5, 3.0], hidden=[-2.5, 0.0, 1.25]),
        "sigmoid": c.cases([-2.0, 0.0, 1.5], hidden=[-4.5, 0.8, 3.0]),
    }
    methods = tuple(_FUNCTIONS)
    for name, xs in points.items():
        f, df = _FUNCTIONS[name]
        for x in xs:
            with c.case(f"a = Value({x:g})"), _others_are_reference(V, *methods):
                a = _leaf(c, V, x, "a")
                method = getattr(a, name, None)
                if method is None:
                    c.fail(_("your Value has no method `{name}`: run the cell that attaches it "
                             "(`{attach} = ...`).").format(name=name, attach=f"Value.{name}"))
                out = _run(c, f"a.{name}()", method)
                (local,) = _check_node(c, V, out, f"a.{name}()", (a,), f"`{name}`")
                c.compare(f"a.{name}().data", _data(c, out, f"a.{name}()"), f(x), rtol=1e-9,
                          mistakes={_("math.log10 is the base-10 logarithm: use math.log"): math.log10(x)}
                          if name == "log" else None)
                if name == "relu" and x == 0:
                    what = _("the local derivative of {expression} (at the kink a = 0 the series takes slope 0, "
                             "as PyTorch does)").format(expression=f"a.{name}()")
                else:
                    what = _("the local derivative of {expression}").format(expression=f"a.{name}()")
                c.compare(what, local, df(x), rtol=1e-9, mistakes=_function_mistakes(name, x))
    with c.case(_("L = tanh(a).exp() + (a * a).log() + (-a).relu() + sigmoid(a), backpropagated")), \
            _others_are_reference(V, *methods):
        def build(W):
            a = W(-0.8, label="a")
            return a.tanh().exp() + (a * a).log() + (-a).relu() + a.sigmoid(), [a]
        _compare_grads(c, V, "tanh(a).exp() + (a * a).log() + (-a).relu() + sigmoid(a)", build, "a")


# =================================================================== Exercise 3.6

def _mirror(V: type, root: PackageValue) -> tuple[Any, list, list]:
    """The package graph of ``root`` rebuilt node by node with the student's constructor.
    Returns the new root, the new nodes and the package nodes, in topological order."""
    pkg_nodes = _order(root)
    made: dict[int, Any] = {}
    for node in pkg_nodes:
        made[id(node)] = V(node.data, _prev=tuple(made[id(ch)] for ch in node._prev),
                           _local_grads=tuple(node._local_grads), _op=node._op, label=node.label)
    return made[id(root)], [made[id(n)] for n in pkg_nodes], pkg_nodes


def _b_fork() -> PackageValue:
    a, b, cc = PackageValue(2.0, label="a"), PackageValue(-3.0, label="b"), PackageValue(4.0, label="c")
    return (a * b + cc) * a


def _b_neuron() -> PackageValue:
    x1, x2 = PackageValue(0.5, label="x1"), PackageValue(-1.0, label="x2")
    w1, w2, b = PackageValue(0.8, label="w1"), PackageValue(-0.3, label="w2"), PackageValue(0.1, label="b")
    h = (w1 * x1 + w2 * x2 + b).tanh()
    return (h - 1.0) ** 2


def _b_double() -> PackageValue:
    a = PackageValue(1.5, label="a")
    b = a + a
    return b * b + a.exp()


def _b_order() -> PackageValue:
    x = PackageValue(2.0, label="x")
    p = x * 3
    return p + p ** 2


def _b_long() -> PackageValue:
    x, w = PackageValue(0.3, label="x"), PackageValue(1.1, label="w")
    v = x
    for i in range(12):
        v = (v * w).tanh() + x * 0.5 if i % 3 == 0 else v * w + 0.1
    return v


def _b_random(seed: int) -> Callable[[], PackageValue]:
    def build() -> PackageValue:
        rng = np.random.default_rng(seed)
        nodes = [PackageValue(float(rng.normal()), label=f"x{i}") for i in range(4)]
        for _node in range(40):
            a, b = (nodes[j] for j in rng.integers(0, len(nodes), size=2))
            op = int(rng.integers(0, 3))
            nodes.append(a + b if op == 0 else a * b if op == 1 else (a * 0.5).tanh())
        return nodes[-1] + nodes[-2] * nodes[-3]
    return build


def _variant(build: Callable[[], PackageValue], *, overwrite=False, forward_order=False, seed=1.0,
             use_upstream=True) -> list[float]:
    """Every node's gradient (topological order) after a backward pass with a typical mistake."""
    root = build()
    topo = _order(root)
    root.grad = seed
    for node in (topo if forward_order else reversed(topo)):
        for child, local in zip(node._prev, node._local_grads):
            contribution = local * node.grad if use_upstream else local
            child.grad = contribution if overwrite else child.grad + contribution
    return [n.grad for n in topo]


@exercise("Exercise 3.6", N_("Value.backward and zero_grad"))
def check_value_backward(c):
    """``L.backward()`` sets ``.grad`` of every node of L's graph: seed ``L.grad = 1``, then
    ``child.grad += local * node.grad`` in reverse topological order; ``L.zero_grad()`` sets
    every ``.grad`` of the graph back to 0. The graphs are built with your class's
    constructor, so only these two methods are checked."""
    V = _need_class(c)
    public = [("L = (a*b + c) * a", _b_fork), (_("a neuron: L = (tanh(w1 x1 + w2 x2 + b) - 1)**2"), _b_neuron),
              ("b = a + a; L = b*b + exp(a)", _b_double), ("p = 3x; L = p + p**2", _b_order)]
    hidden = [(_("a chain of 12 layers"), _b_long), (_("a random graph of 44 nodes"), _b_random(3)),
              (_("a random graph of 44 nodes (another)"), _b_random(5)), ("L = (a*b + c) * a", _b_fork)]
    for description, build in c.cases(public, hidden):
        pkg_root = build()
        pkg_root.backward()
        with c.case(description), _others_are_reference(V, "backward", "zero_grad"):
            try:
                root, nodes, pkg_nodes = _mirror(V, pkg_root)
            except Exception as exc:  # noqa: BLE001 - the student's constructor
                c.fail(_("building the graph with `Value(data, _prev=..., _local_grads=..., _op=..., label=...)` "
                         "raised {error}: {message}. Run the cell with the class again, unchanged.").format(
                    error=type(exc).__name__, message=exc))
            if not callable(getattr(root, "backward", None)):
                c.fail(_("your Value has no method `{name}`: run the cell that attaches it (`{attach} = ...`).").format(
                    name="backward", attach="Value.backward"))
            _run(c, "L.backward()", root.backward)
            names = [n.label or f"#{k}" for k, n in enumerate(pkg_nodes)]
            leaves = [k for k, n in enumerate(pkg_nodes) if not n._prev]
            got = [_number(n.grad) for n in nodes]
            if any(g is None for g in got):
                c.fail(_("after backward() some .grad is not a number."))
            expected = [n.grad for n in pkg_nodes]
            c.compare(_("the leaf gradients [{names}]").format(names=", ".join(names[k] for k in leaves)),
                      [got[k] for k in leaves], [expected[k] for k in leaves], rtol=1e-7, mistakes={
                _("you overwrite child.grad instead of adding to it: a node used by several others must collect "
                  "every contribution (gradients add at forks), `child.grad += local * node.grad`"):
                    [_variant(build, overwrite=True)[k] for k in leaves],
                _("a node is visited before all the nodes that use it: go through the topological order "
                  "*reversed*, from the output back to the inputs, so each node's gradient is complete before "
                  "it is passed on"): [_variant(build, forward_order=True)[k] for k in leaves],
                _("you pass back only the local derivative: multiply it by the upstream gradient, "
                  "`child.grad += local * node.grad`"): [_variant(build, use_upstream=False)[k] for k in leaves],
                _("no gradient reached the leaves: seed the output, self.grad = 1.0 (dL/dL = 1), *before* the "
                  "loop that passes gradients back"): [0.0] * len(leaves),
            })
            interior = [k for k, n in enumerate(pkg_nodes) if n._prev]
            c.compare(_("the gradients of the interior nodes (L last)"), [got[k] for k in interior],
                      [expected[k] for k in interior], rtol=1e-7, mistakes={
                _("the interior nodes' gradients are 0 after backward(): do not reset a node's .grad inside the "
                  "loop; every node keeps its gradient dL/d(node), L itself 1.0"): [0.0] * len(interior),
            })
            if not callable(getattr(root, "zero_grad", None)):
                c.fail(_("your Value has no method `{name}`: run the cell that attaches it (`{attach} = ...`).").format(
                    name="zero_grad", attach="Value.zero_grad"))
            _run(c, "L.zero_grad()", root.zero_grad)
            left = [names[k] for k, n in enumerate(nodes) if _number(n.grad) != 0.0]
            # English says "are not" for any count (the stored outputs); ngettext gives other languages their forms
            c.check(not left, ngettext("after L.zero_grad() the gradient of {node} is not 0: set .grad = 0.0 on every "
                                       "node L depends on ({count} of {total} are not), L included.",
                                       "after L.zero_grad() the gradient of {node} is not 0: set .grad = 0.0 on every "
                                       "node L depends on ({count} of {total} are not), L included.", len(left)).format(
                node=left[0] if left else "", count=len(left), total=len(nodes)))


# =================================================================== Exercise 3.7

def _deep_chain(n: int) -> Callable[[], PackageValue]:
    def build() -> PackageValue:
        x = PackageValue(0.5, label="x")
        v = x
        for i in range(n):
            v = v * 0.999 + x if i % 50 == 0 else v * 1.0001
            v.label = f"n{i}"
        v.label = "L"
        return v
    return build


@exercise("Exercise 3.7", "topo_order_iterative")
def check_topo_order_iterative(c):
    """``topo_order_iterative(root)``: the order of ``topo_order`` (every node once, after its
    inputs), without recursion, so that a graph thousands of nodes deep works."""
    shallow = order_cases(c)
    deep = c.cases([(_("a chain of 3,000 nodes"), _deep_chain(3000))],
                   hidden=[(_("a chain of 20,000 nodes"), _deep_chain(20000))])
    for description, build in shallow + deep:
        root = build()
        with c.case(description):
            try:
                got = c.run(c.student, root, name="topo_order_iterative", copy_args=False)
            except ExerciseFailed as exc:
                if "RecursionError" in exc.message:
                    c.fail(_("your function recursed: on a graph this deep, Python stops at its recursion limit "
                             "(about 1,000 nested calls). Keep the pending nodes on a list used as a stack "
                             "instead of calling a function inside itself."))
                raise
            check_order(c, root, got, "topo_order_iterative")


# =================================================================== Exercise 3.8

def _gc_cases(c: CheckContext) -> list[tuple[str, Callable[[], tuple[Callable[[], PackageValue], list]]]]:
    def neuron():
        x1, x2 = PackageValue(0.5), PackageValue(-1.5)
        w1, w2, b = PackageValue(0.8), PackageValue(-0.3), PackageValue(0.2)
        return (lambda: ((w1 * x1 + w2 * x2 + b).tanh() - 1.0) ** 2), [x1, x2, w1, w2, b]

    def fork():
        a, b = PackageValue(1.2), PackageValue(-0.7)
        return (lambda: (a * b + a.exp()) * a), [a, b]

    def ratio():
        p, q = PackageValue(2.5), PackageValue(-1.5)
        return (lambda: (p / q).tanh() + (p * p).log()), [p, q]

    return c.cases([("L = (tanh(w1 x1 + w2 x2 + b) - 1)**2", neuron), ("L = (a*b + exp(a)) * a", fork)],
                   hidden=[("L = tanh(p / q) + log(p * p)", ratio), ("L = (a*b + exp(a)) * a", fork)])


def _numerical(build, leaves, h) -> list[float]:
    """The package's centered differences of ``build().data`` as a function of the leaves' data."""
    def f(data):
        for leaf, value in zip(leaves, data):
            leaf.data = float(value)
        return build().data
    start = np.array([leaf.data for leaf in leaves])
    slopes = numerical_gradient(f, start.copy(), h=h)
    for leaf, value in zip(leaves, start):
        leaf.data = float(value)
    return [float(v) for v in slopes]


def _centered(build, leaves, h, *, restore=True, forward=False, over_h=False) -> list[float]:
    """What a student's loop computes with a typical mistake (kept written out: each variant
    changes one step of the loop, which the package's numerical_gradient cannot)."""
    out = []
    for leaf in leaves:
        old = leaf.data
        leaf.data = old + h
        up = build().data
        leaf.data = old - h if not forward else old
        down = build().data
        if restore:
            leaf.data = old
        out.append((up - down) / (h if (forward or over_h) else 2 * h))
    return out


@exercise("Exercise 3.8", "grad_check")
def check_grad_check(c):
    """``grad_check(build, leaves, h)`` returns ``(analytic, numerical)``: the leaves' gradients
    from one backward pass (gradients zeroed first), and the centered differences of
    ``build().data`` nudging each leaf's ``.data`` by ``± h`` (restored afterwards)."""
    for description, make in _gc_cases(c):
        for h in c.cases([1e-6, 1e-3], hidden=[1e-5, 1e-2]):
            build, leaves = make()
            expected_analytic = _pkg_grads(lambda _cls: (build(), leaves))
            for leaf in leaves:
                leaf.grad = 7.0  # stale gradients the student's function must clear
            before = [leaf.data for leaf in leaves]
            ref_build, ref_leaves = make()
            with c.case(f"{description}, h = {h:g}"):
                result = c.run(c.student, build, leaves, h, name="grad_check", returns=("analytic", "numerical"),
                               copy_args=False)
                analytic, numerical = result
                moved = [k for k, (leaf, old) in enumerate(zip(leaves, before))
                         if abs(leaf.data - old) > 1e-12 * max(1.0, abs(old))]
                c.check(not moved, _("leaf {index} has a different .data after grad_check: "
                                     "put every nudged value back exactly (keep the old value in a variable).").format(
                    index=moved[0] if moved else 0))
                for name, got in (("analytic", analytic), ("numerical", numerical)):
                    try:
                        got = list(got)
                    except TypeError:
                        c.fail(_("`{name}` should be a list with one number per leaf, got {kind}.").format(
                            name=name, kind=type(got).__name__))
                    # English says "entries" for any count (the stored outputs); ngettext gives other languages
                    # their forms
                    c.check(len(got) == len(leaves),
                            ngettext("`{name}` has {count} entries for {leaves} leaves: one per leaf.",
                                     "`{name}` has {count} entries for {leaves} leaves: one per leaf.",
                                     len(got)).format(name=name, count=len(got), leaves=len(leaves)))
                c.compare("analytic", list(analytic), expected_analytic, rtol=1e-9, mistakes={
                    _("the stale gradients were not cleared: set every leaf's .grad to 0 before backward(), "
                      "which adds to them"): [g + 7.0 for g in expected_analytic],
                    _("these are the numerical slopes: `analytic` holds leaf.grad after one backward()"):
                        _numerical(*make(), h),
                })
                expected = _numerical(ref_build, ref_leaves, h)
                c.compare("numerical", list(numerical), expected, rtol=1e-7, atol=1e-9, mistakes={
                    _("this is the forward difference (f(x + h) - f(x)) / h: use the centered one, "
                      "(f(x + h) - f(x - h)) / (2h)"): _centered(*make(), h, forward=True),
                    _("off by a factor of 2: the two points are 2h apart, divide by 2h"):
                        _centered(*make(), h, over_h=True),
                    _("a nudge was not undone before the next leaf was nudged: restore leaf.data after each "
                      "leaf"): _centered(*make(), h, restore=False),
                })


# =================================================================== Exercise 3.9

def _softplus(a: float) -> float:
    return max(a, 0.0) + math.log1p(math.exp(-abs(a)))


@exercise("Exercise 3.9", "softplus, abs, max")
def check_new_ops(c):
    r"""``a.softplus()`` (:math:`\ln(1 + e^a)`), ``abs(a)`` and ``a.max(b)``: each one node with
    its own local derivatives (slope 0 for ``abs`` at 0; ``max`` routes to the larger input)."""
    V = _need_class(c)
    under_test = ("softplus", "__abs__", "max")
    for name in ("softplus", "__abs__", "max"):
        if not callable(getattr(V, name, None)):
            attach = {"softplus": "Value.softplus", "__abs__": "Value.__abs__", "max": "Value.max"}[name]
            c.fail(_("your Value has no method `{name}`: run the cell that attaches it (`{attach} = ...`).").format(
                name=name, attach=attach))
    for x in c.cases([-2.0, 0.5, 3.0], hidden=[-6.0, 0.0, 1.7, 12.0]):
        with c.case(f"a = Value({x:g})"), _others_are_reference(V, *under_test):
            a = _leaf(c, V, x, "a")
            out = _run(c, "a.softplus()", a.softplus)
            (local,) = _check_node(c, V, out, "a.softplus()", (a,), "softplus")
            c.compare("a.softplus().data", _data(c, out, "a.softplus()"), _softplus(x), rtol=1e-9,
                      mistakes={_("this is e^a: softplus is ln(1 + e^a)"): math.exp(x),
                                _("this is ln(e^a) = a: softplus is ln(1 + e^a)"): x})
            s = _sigmoid(x)
            c.compare(_("the local derivative of {expression}").format(expression="a.softplus()"), local, s,
                      rtol=1e-9, mistakes={
                _("e^a: the outer ln contributes a factor 1/(1 + e^a) (chain rule: d ln(u)/du = 1/u)"): math.exp(x),
                _("1/(1 + e^a) is the outer factor alone: multiply by the slope of the inside, e^a"):
                    1.0 / (1.0 + math.exp(x)),
                _("σ(a)(1 − σ(a)) is the slope of the sigmoid; softplus's own slope is σ(a) = 1/(1 + e^(−a))"):
                    s * (1 - s),
                _("ln(1 + e^a) is the output, not its slope"): _softplus(x),
            })
            out = _run(c, "abs(a)", lambda: abs(a))
            (local,) = _check_node(c, V, out, "abs(a)", (a,), "__abs__")
            c.compare("abs(a).data", _data(c, out, "abs(a)"), abs(x))
            slope = 0.0 if x == 0 else math.copysign(1.0, x)
            if x == 0:
                what = _("the local derivative of {expression} (at the kink a = 0 take slope 0, as PyTorch does)").format(
                    expression="abs(a)")
            else:
                what = _("the local derivative of {expression}").format(expression="abs(a)")
            c.compare(what, local, slope, mistakes={
                _("|a| is the output; the slope is the sign of a, +1 or -1"): abs(x),
                _("+1 everywhere: for a < 0, |a| = -a has slope -1"): 1.0,
                _("a: the slope of |a| is the sign of a, +1 or -1"): x,
            })
    pairs = c.cases([(2.0, -1.0), (-0.5, 1.5)], hidden=[(3.25, 3.0), (-4.0, -2.5), (0.1, -0.1)])
    for x, y in pairs:
        with c.case(f"a = Value({x:g}), b = Value({y:g})"), _others_are_reference(V, *under_test):
            a, b = _leaf(c, V, x, "a"), _leaf(c, V, y, "b")
            out = _run(c, "a.max(b)", lambda: a.max(b))
            local = _check_node(c, V, out, "a.max(b)", (a, b), "max")
            c.compare("a.max(b).data", _data(c, out, "a.max(b)"), max(x, y),
                      mistakes={_("this is the smaller one: max takes the larger"): min(x, y)})
            routed = (1.0, 0.0) if x > y else (0.0, 1.0)
            c.compare(_("the local derivatives (d/da, d/db) of a.max(b)"), local, routed, mistakes={
                _("the gradient goes to the smaller input: max routes it to the one that won"): routed[::-1],
                _("(1, 1): a nudge of the smaller input does not change the max; max routes the gradient "
                  "to the larger input only"): (1.0, 1.0),
                _("(a, b) are the inputs, not the slopes: 1 for the larger input, 0 for the other"): (x, y),
            })
            out = _run(c, "a.max(2.0)", lambda: a.max(2.0))
            c.compare("a.max(2.0).data", _data(c, out, "a.max(2.0)"), max(x, 2.0))
