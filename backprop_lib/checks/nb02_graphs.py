r"""Checkers for notebook 02, computational graphs.

* Exercise 2.1 ``fork_graph_grads(a, b, c)``: the gradients of
  :math:`L = (ab + c)\,a` by hand, where ``a`` is used twice (a fork).
* Exercise 2.2 ``topological_order(root)``: every node of a
  :class:`~backprop_lib.scalar.Value` graph once, children before parents.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..scalar.engine import Value, topological_order
from .framework import exercise

__all__ = ["check_fork_graph_grads", "check_topological_order"]


@exercise("Exercise 2.1", "fork_graph_grads")
def check_fork_graph_grads(c):
    r"""``fork_graph_grads(a, b, c)`` returns ``(dL/da, dL/db, dL/dc)`` for
    :math:`e = ab`, :math:`d = e + c`, :math:`L = d\,a`."""
    public = [(2.0, -3.0, 4.0), (1.5, 2.0, -1.0), (-1.0, 0.5, 3.0)]
    hidden = [tuple(float(v) for v in c.rng.normal(scale=2.0, size=3)) for _ in range(5)]
    for a, b, cc in c.cases(public, hidden):
        e = a * b
        d = e + cc
        through_e, direct = a * b, d  # the two contributions to dL/da
        with c.case(f"a = {a:g}, b = {b:g}, c = {cc:g}"):
            da, db, dc = c.call(a, b, cc, returns=("dL/da", "dL/db", "dL/dc"))
            fork = ("a is used twice (in e = a·b and in L = d·a), so its gradient is the sum of both "
                    "contributions: gradients add at forks.")
            c.compare("dL/da", da, through_e + direct, mistakes={
                f"you kept only the contribution through e (a·b = {through_e:g}); {fork}": through_e,
                f"you kept only the direct contribution (d = {direct:g}); {fork}": direct,
            })
            c.compare("dL/db", db, a * a, mistakes={
                "this is the local derivative de/db = a only: multiply it by the upstream gradient "
                "dL/de = a (local × upstream)": a,
                "this is dL/de = a times de/db = b: the local derivative of e = a·b with respect to b "
                "is the *other* factor, a": a * b,
            })
            c.compare("dL/dc", dc, a, mistakes={
                "this is the local derivative dd/dc = 1 only: multiply it by the upstream gradient "
                "dL/dd = a": 1.0,
                "this is d, the value of the other factor's input: dL/dd = a, because L = d·a": d,
            })


# ---------------------------------------------------------------- topological order

def _label(v: Value, name: str) -> Value:
    v.label = name
    return v


def _single() -> Value:
    return _label(Value(3.0), "a")


def _chain() -> Value:
    a, b, cc = _label(Value(2.0), "a"), _label(Value(-1.0), "b"), _label(Value(0.5), "c")
    e = _label(a * b, "e")
    d = _label(e + cc, "d")
    return _label(d.tanh(), "L")


def _fork() -> Value:
    a = _label(Value(1.5), "a")
    b = _label(a + a, "b")
    return _label(b * a, "L")


def _diamond() -> Value:
    x = _label(Value(0.7), "x")
    u = _label(x * 2.0, "u")
    v = _label(x + 3.0, "v")
    s = _label(u * v, "s")
    return _label(s + u, "L")


def _random_dag(seed: int, n: int) -> Callable[[], Value]:
    def build() -> Value:
        rng = np.random.default_rng(seed)
        nodes = [_label(Value(float(rng.normal())), f"x{i}") for i in range(4)]
        for i in range(n):
            a, b = (nodes[j] for j in rng.integers(0, len(nodes), size=2))
            op = int(rng.integers(0, 3))
            new = a + b if op == 0 else a * b if op == 1 else (a * 0.5).tanh()
            nodes.append(_label(new, f"n{i}"))
        root = nodes[-1]
        for v in nodes[-4:-1]:  # make sure the last few nodes are all used
            root = root + v
        return _label(root, "L")
    return build


def _long_chain(n: int) -> Callable[[], Value]:
    def build() -> Value:
        x = _label(Value(0.1), "x")
        v = x
        for i in range(n):
            v = _label(v * 1.0001 + x if i % 7 == 0 else v * 0.999, f"n{i}")
        return _label(v, "L")
    return build


def _name(v: Any) -> str:
    label = getattr(v, "label", "")
    return f"'{label}'" if label else repr(v)


@exercise("Exercise 2.2", "topological_order")
def check_topological_order(c):
    """``topological_order(root)`` lists every node once, each after all of its inputs."""
    public = [("a single leaf", _single), ("L = tanh(a*b + c)", _chain), ("b = a + a; L = b * a", _fork),
              ("a diamond: u = 2x, v = x + 3, L = u*v + u", _diamond),
              ("a random graph of 30 nodes", _random_dag(7, 30))]
    hidden = [("a random graph of 120 nodes", _random_dag(11, 120)), ("a chain of 300 nodes", _long_chain(300)),
              ("b = a + a; L = b * a", _fork), ("a diamond", _diamond)]
    for description, build in c.cases(public, hidden):
        root = build()
        expected = topological_order(root)
        with c.case(description):
            got = c.call(root, copy_args=False)
            if got is None:
                c.fail("`topological_order` returned None: did you forget `return order`?")
            try:
                got = list(got)
            except TypeError:
                c.fail(f"`topological_order` should return a list of Values, got a {type(got).__name__}.")
            not_values = [g for g in got if not isinstance(g, Value)]
            c.check(not not_values,
                    f"the list should contain the Value nodes themselves, but it contains a "
                    f"{type(not_values[0]).__name__ if not_values else ''}: append the node, "
                    "not its .data or .label.")
            ids = [id(g) for g in got]
            repeated = [g for g in got if ids.count(id(g)) > 1]
            c.check(not repeated,
                    f"node {_name(repeated[0]) if repeated else ''} appears {ids.count(id(repeated[0])) if repeated else 0} "
                    "times: a node reached along two paths must be listed once; keep a set of "
                    "visited nodes and skip those already seen.")
            wanted = {id(v) for v in expected}
            missing = [v for v in expected if id(v) not in set(ids)]
            c.check(not missing,
                    f"{len(missing)} of {len(expected)} nodes are missing (for example {_name(missing[0]) if missing else ''}): "
                    "visit every input in node._prev, recursively, down to the leaves.")
            extra = [g for g in got if id(g) not in wanted]
            c.check(not extra, f"the list contains {len(extra)} node(s) that the root does not depend on.")
            position = {id(g): i for i, g in enumerate(got)}
            bad = [(node, child) for node in got for child in node._prev if position[id(child)] > position[id(node)]]
            if bad and all(position[id(ch)] > position[id(n)] for n in got for ch in n._prev):
                c.fail("the order is reversed: parents come before their inputs. A node must be "
                       "appended *after* all of its children (or reverse your list at the end).")
            node, child = bad[0] if bad else (None, None)
            c.check(not bad, f"node {_name(node)} comes before its input {_name(child)}: append a node "
                             "only after all of its children have been appended.")
            c.check(got[-1] is root, f"the last node should be the root {_name(root)}, got {_name(got[-1])}.")
