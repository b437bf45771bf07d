r"""Checkers for notebook 03, building an autograd engine.

A *rule* computes an operation's output and, side by side, the local derivative of the
output with respect to each input: ``rule(...) -> (out, (local_1, local_2, ...))``.

* Exercise 3.1 ``mul_rule(a, b)``: :math:`c = ab`, locals :math:`(b, a)`.
* Exercise 3.2 ``pow_rule(a, k)``: :math:`c = a^k` for a constant :math:`k`, local :math:`k a^{k-1}`.
* Exercise 3.3 ``backward(root)``: fill in ``.grad`` of every node of a graph
  (seed, reverse topological order, ``child.grad += local * node.grad``).

Local derivatives are compared with centered finite differences of the operation.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..gradcheck import centered_difference
from ..scalar.engine import Value, topological_order
from .framework import CheckContext, exercise

__all__ = ["check_mul_rule", "check_pow_rule", "check_backward"]

_H = 1e-6


def _slope(f: Callable[[float], float], x: float) -> float:
    """Centered finite difference of ``f`` at ``x`` (an oracle independent of the rule checked)."""
    return centered_difference(f, x, _H)


def _unpack_rule(c: CheckContext, result: Any, rule: str, n_inputs: int, names: str) -> tuple[Any, list]:
    """``(out, locals)`` from a rule's result, or a specific failure."""
    out, local_grads = result
    one = n_inputs == 1
    if local_grads is None:
        c.fail(f"the local derivatives are None: return `(out, ({names}{',' if one else ''}))`.")
    if not isinstance(local_grads, (tuple, list)):
        if one:
            c.fail("the local derivatives must be a tuple with one entry per input, even for one input: "
                   f"return `(out, ({names},))`; mind the comma, `(x)` is just x in parentheses.")
        c.fail(f"the local derivatives must be a tuple with one entry per input: return `(out, ({names}))`.")
    if len(local_grads) != n_inputs:
        c.fail(f"`{rule}` returned {len(local_grads)} local derivative(s), but {rule.split('_')[0]} has "
               f"{n_inputs} input(s): one local derivative per input, ({names}).")
    return out, list(local_grads)


@exercise("Exercise 3.1", "mul_rule")
def check_mul_rule(c):
    r"""``mul_rule(a, b)`` returns ``(a * b, (b, a))``: :math:`\partial c/\partial a = b`, :math:`\partial c/\partial b = a`."""
    public = [(2.0, -3.0), (0.5, 4.0), (-1.5, -2.5)]
    hidden = [tuple(float(v) for v in c.rng.normal(scale=3.0, size=2)) for _ in range(5)]
    for a, b in c.cases(public, hidden):
        with c.case(f"a = {a:g}, b = {b:g}"):
            result = c.call(a, b, returns=("out", "local_grads"))
            out, (da, db) = _unpack_rule(c, result, "mul_rule", 2, "dc/da, dc/db")
            c.compare("out", out, a * b)
            swapped = "you swapped the two: the slope of a·b with respect to a is the *other* factor, b"
            c.compare("dc/da", da, _slope(lambda t: t * b, a), rtol=1e-6, mistakes={
                f"dc/da = a? {swapped}": a,
                "dc/da = 1? That is the rule for +; for a·b the slope with respect to a is b": 1.0,
                "dc/da = a·b? That is the output itself; the slope with respect to a is b": a * b,
            })
            c.compare("dc/db", db, _slope(lambda t: a * t, b), rtol=1e-6, mistakes={
                "dc/db = b? you swapped the two: the slope of a·b with respect to b is the other factor, a": b,
                "dc/db = 1? That is the rule for +; for a·b the slope with respect to b is a": 1.0,
                "dc/db = a·b? That is the output itself; the slope with respect to b is a": a * b,
            })


@exercise("Exercise 3.2", "pow_rule")
def check_pow_rule(c):
    r"""``pow_rule(a, k)`` returns ``(a ** k, (k * a ** (k - 1),))`` for a constant number ``k``."""
    public = [(2.0, 3), (3.0, 2), (-1.5, 3), (4.0, 0.5), (2.0, -1)]
    hidden = [(0.5, -2), (1.7, 4), (-2.0, 2), (9.0, 1.5), (3.0, 1)]
    for a, k in c.cases(public, hidden):
        with c.case(f"a = {a:g}, k = {k:g}"):
            result = c.call(a, k, returns=("out", "local_grads"))
            out, (local,) = _unpack_rule(c, result, "pow_rule", 1, "dc/da")
            c.compare("out", out, a ** k, mistakes={"this is k·a, not a**k": k * a})
            c.compare("dc/da", local, _slope(lambda t: t ** k, a), rtol=1e-6, mistakes={
                "dc/da = k·a**k: the exponent must go down by one, k·a**(k − 1)": k * a ** k,
                "dc/da = a**(k − 1): the factor k in front is missing, k·a**(k − 1)": a ** (k - 1),
                "dc/da = (k − 1)·a**(k − 1): the factor in front is k itself, k·a**(k − 1)": (k - 1) * a ** (k - 1),
                "dc/da = k·a**(k + 1): the exponent goes *down* by one, k·a**(k − 1)": k * a ** (k + 1),
                "dc/da = a**k: that is the output; the slope is k·a**(k − 1)": a ** k,
            })


# --------------------------------------------------------------------------- backward

def _g_fork() -> tuple[Value, list[Value]]:
    a, b, cc = Value(2.0, label="a"), Value(-3.0, label="b"), Value(4.0, label="c")
    L = (a * b + cc) * a
    return L, [a, b, cc]


def _g_neuron() -> tuple[Value, list[Value]]:
    x1, x2 = Value(0.5, label="x1"), Value(-1.0, label="x2")
    w1, w2, b = Value(0.8, label="w1"), Value(-0.3, label="w2"), Value(0.1, label="b")
    h = (w1 * x1 + w2 * x2 + b).tanh()
    L = (h - 1.0) ** 2
    return L, [x1, x2, w1, w2, b]


def _g_double() -> tuple[Value, list[Value]]:
    a = Value(1.5, label="a")
    b = a + a
    L = b * b + a.exp()
    return L, [a]


def _g_long() -> tuple[Value, list[Value]]:
    x, w = Value(0.3, label="x"), Value(1.1, label="w")
    v = x
    for i in range(12):
        v = (v * w).tanh() + x * 0.5 if i % 3 == 0 else v * w + 0.1
    return v, [x, w]


def _g_random(seed: int) -> Callable[[], tuple[Value, list[Value]]]:
    def build() -> tuple[Value, list[Value]]:
        rng = np.random.default_rng(seed)
        leaves = [Value(float(rng.normal()), label=f"x{i}") for i in range(4)]
        nodes = list(leaves)
        for _ in range(40):
            a, b = (nodes[j] for j in rng.integers(0, len(nodes), size=2))
            op = int(rng.integers(0, 3))
            nodes.append(a + b if op == 0 else a * b if op == 1 else (a * 0.5).tanh())
        root = nodes[-1] + nodes[-2] * nodes[-3]
        return root, leaves
    return build


def _simulate(build, *, overwrite=False, forward_order=False, seed=True, use_upstream=True) -> list[float]:
    """Leaf gradients produced by a backward pass with (or without) a typical mistake."""
    root, leaves = build()
    topo = topological_order(root)
    if seed:
        root.grad = 1.0
    for node in (topo if forward_order else reversed(topo)):
        for child, local in zip(node._prev, node._local_grads):
            contribution = local * node.grad if use_upstream else local
            child.grad = contribution if overwrite else child.grad + contribution
    return [leaf.grad for leaf in leaves]


@exercise("Exercise 3.3", "backward")
def check_backward(c):
    """``backward(root)`` sets ``.grad`` of every node: seed 1 at the root, then
    ``child.grad += local * node.grad`` in reverse topological order."""
    public = [("L = (a*b + c) * a", _g_fork), ("a neuron: L = (tanh(w1 x1 + w2 x2 + b) - 1)**2", _g_neuron),
              ("b = a + a; L = b*b + exp(a)", _g_double)]
    hidden = [("a chain of 12 layers", _g_long), ("a random graph of 44 nodes", _g_random(3)),
              ("a random graph of 44 nodes (another)", _g_random(5)), ("L = (a*b + c) * a", _g_fork)]
    for description, build in c.cases(public, hidden):
        root, leaves = build()
        expected = _simulate(build)
        names = ", ".join(leaf.label for leaf in leaves)
        with c.case(description):
            c.call(root, copy_args=False)
            c.check(root.grad == 1.0,
                    f"root.grad is {root.grad!r} after backward: it should be 1.0, the seed dL/dL = 1 "
                    "(set it before passing gradients back).")
            got = [leaf.grad for leaf in leaves]
            c.compare(f"leaf gradients [{names}]", got, expected, rtol=1e-7, mistakes={
                "you overwrite child.grad instead of adding to it: a node used by several others must "
                "collect every contribution, `child.grad += local * node.grad`": _simulate(build, overwrite=True),
                "the nodes are visited in the wrong order: go through the topological order *reversed*, "
                "from the output back to the inputs, so each node's gradient is complete before it is "
                "passed on": _simulate(build, forward_order=True),
                "you pass back only the local derivative: multiply it by the upstream gradient, "
                "`child.grad += local * node.grad`": _simulate(build, use_upstream=False),
                "no gradient reached the leaves: set root.grad = 1.0 (dL/dL = 1) before the loop": [0.0] * len(leaves),
            })
