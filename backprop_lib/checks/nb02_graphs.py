r"""Checkers for notebook 02, computational graphs.

* Exercise 2.1 ``fork_graph_grads(a, b, c)``: the gradients of
  :math:`L = (ab + c)\,a` by hand, where ``a`` is used twice (a fork).
* Exercise 2.2 ``gate_backward(op, a, b, dout)``: what a ``+``, ``*`` or ``max`` node passes
  back to its two inputs (add distributes, mul swaps and scales, max routes).
* Exercise 2.3 ``topological_order(root)``: every node of a
  :class:`~backprop_lib.scalar.Value` graph once, children before parents.
* Exercise 2.4 ``chain_backward(w, hs)``: all gradients of the chain
  :math:`h_i = w_i h_{i-1}`, :math:`L = h_n` in one backward walk, with at most about
  :math:`2n` multiplications (they are counted).

:func:`order_cases` and :func:`check_order` are shared with notebook 03's iterative order.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from ..i18n import _, ngettext
from ..scalar.engine import Value, topological_order
from .framework import CheckContext, exercise

__all__ = ["check_fork_graph_grads", "check_gate_backward", "check_topological_order", "check_chain_backward"]


@exercise("Exercise 2.1", "fork_graph_grads")
def check_fork_graph_grads(c):
    r"""``fork_graph_grads(a, b, c)`` returns ``(dL/da, dL/db, dL/dc)`` for
    :math:`e = ab`, :math:`d = e + c`, :math:`L = d\,a`."""
    public = [(2.0, -3.0, 4.0), (1.5, 2.0, -1.0), (-1.0, 0.5, 3.0)]
    hidden = [tuple(float(v) for v in c.rng.normal(scale=2.0, size=3)) for _case in range(5)]
    for a, b, cc in c.cases(public, hidden):
        e = a * b
        d = e + cc
        through_e, direct = a * b, d  # the two contributions to dL/da
        with c.case(f"a = {a:g}, b = {b:g}, c = {cc:g}"):
            da, db, dc = c.call(a, b, cc, returns=("dL/da", "dL/db", "dL/dc"))
            fork = _("a is used twice (in e = a·b and in L = d·a), so its gradient is the sum of both "
                     "contributions: gradients add at forks.")
            c.compare("dL/da", da, through_e + direct, mistakes={
                _("you kept only the contribution through e (a·b = {value:g}); {fork}").format(
                    value=through_e, fork=fork): through_e,
                _("you kept only the direct contribution (d = {value:g}); {fork}").format(value=direct, fork=fork):
                    direct,
            })
            c.compare("dL/db", db, a * a, mistakes={
                _("this is the local derivative de/db = a only: multiply it by the upstream gradient "
                  "dL/de = a (local × upstream)"): a,
                _("this is dL/de = a times de/db = b: the local derivative of e = a·b with respect to b "
                  "is the *other* factor, a"): a * b,
            })
            c.compare("dL/dc", dc, a, mistakes={
                _("this is the local derivative dd/dc = 1 only: multiply it by the upstream gradient "
                  "dL/dd = a"): 1.0,
                _("this is d, the factor's own value: dL/dd is the other factor, a, because L = d·a"): d,
            })


# ---------------------------------------------------------------------- gate patterns

def _gate_expected(op: str, a: float, b: float, dout: float) -> tuple[float, float]:
    if op == "+":
        return dout, dout
    if op == "*":
        return b * dout, a * dout
    return (dout, 0.0) if a > b else (0.0, dout)


def _gate_mistakes(op: str, a: float, b: float, dout: float) -> dict[str, tuple[float, float]]:
    if op == "+":
        return {
            _("(1, 1) are the local derivatives only: multiply each by dout (local × upstream)"): (1.0, 1.0),
            _("each input gets half: add distributes the *whole* upstream gradient to each input, "
              "because a nudge of either input moves the sum by the same amount"): (dout / 2, dout / 2),
            _("these are (a·dout, b·dout): the local derivatives of a + b are 1 and 1, so each input "
              "gets dout unchanged"): (a * dout, b * dout),
        }
    if op == "*":
        return {
            _("a gets a·dout: mul swaps, a's gradient is the *other* input times dout, b·dout"): (a * dout, b * dout),
            _("(b, a) are the local derivatives only: mul also scales by dout, (b·dout, a·dout)"): (b, a),
            _("(dout, dout) is what + passes back; mul swaps and scales: (b·dout, a·dout)"): (dout, dout),
        }
    win = _gate_expected(op, a, b, dout)
    return {
        _("the gradient went to the smaller input: max routes dout to the input that won"): win[::-1],
        _("both inputs got dout: a small nudge of the smaller input does not change the max at all, "
          "so its local derivative is 0 (max routes)"): (dout, dout),
        _("each input got half: max routes the *whole* dout to the larger input"): (dout / 2, dout / 2),
        _("the winner got its own value times dout: the local derivative of max with respect to the "
          "larger input is 1 (the max *is* that input)"): tuple(v * dout if w else 0.0
                                                                for v, w in zip((a, b), win)),
        _("(1, 0)/(0, 1) are the local derivatives only: multiply by dout"): (float(win[0] != 0),
                                                                              float(win[1] != 0)),
    }


@exercise("Exercise 2.2", "gate_backward")
def check_gate_backward(c):
    r"""``gate_backward(op, a, b, dout)`` returns ``(da, db)`` for ``op`` in ``"+"``, ``"*"``, ``"max"``:
    ``(dout, dout)``, ``(b·dout, a·dout)`` and ``dout`` to the larger input, 0 to the other."""
    public = [("+", 3.0, -2.0, 1.5), ("*", 3.0, -2.0, 1.5), ("max", 3.0, -2.0, 1.5), ("max", -1.0, 4.0, -2.0),
              ("*", -0.5, 4.0, -3.0), ("+", 0.25, 2.0, -4.0)]
    hidden = []
    for op in ("+", "*", "max", "max", "*"):
        a, b = (float(v) for v in c.rng.uniform(-3, 3, size=2))
        hidden.append((op, a, b if abs(a - b) > 0.1 else b + 1.0, float(c.rng.normal(scale=2.0))))
    for op, a, b, dout in c.cases(public, hidden):
        with c.case(f"op = {op!r}, a = {a:g}, b = {b:g}, dout = {dout:g}"):
            da, db = c.call(op, a, b, dout, returns=("da", "db"))
            c.compare(_("(da, db) of {op}").format(op=repr(op)), (da, db), _gate_expected(op, a, b, dout),
                      mistakes=_gate_mistakes(op, a, b, dout))


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


def order_cases(c: CheckContext) -> list[tuple[str, Callable[[], Value]]]:
    """The graphs on which a topological order is checked (public or hidden)."""
    public = [(_("a single leaf"), _single), ("L = tanh(a*b + c)", _chain), ("b = a + a; L = b * a", _fork),
              (_("a diamond: u = 2x, v = x + 3, L = u*v + u"), _diamond),
              (_("a random graph of 30 nodes"), _random_dag(7, 30))]
    hidden = [(_("a random graph of 120 nodes"), _random_dag(11, 120)),
              (_("a chain of 300 nodes"), _long_chain(300)),
              ("b = a + a; L = b * a", _fork), (_("a diamond"), _diamond)]
    return c.cases(public, hidden)


def check_order(c: CheckContext, root: Value, got: Any, name: str) -> None:
    """``got`` must list every node ``root`` depends on once, each after all of its inputs."""
    expected = topological_order(root)
    if got is None:
        c.fail(_("`{name}` returned None: did you forget `return order`?").format(name=name))
    try:
        got = list(got)
    except TypeError:
        c.fail(_("`{name}` should return a list of Values, got a {kind}.").format(name=name, kind=type(got).__name__))
    not_values = [g for g in got if not isinstance(g, Value)]
    c.check(not not_values,
            _("the list should contain the Value nodes themselves, but it contains a {kind}: append the node, "
              "not its .data or .label.").format(kind=type(not_values[0]).__name__ if not_values else ""))
    ids = [id(g) for g in got]
    counts = Counter(ids)
    repeated = [g for g in got if counts[id(g)] > 1]
    c.check(not repeated,
            _("node {node} appears {count} times: a node reached along two paths must be listed once; keep a set of "
              "visited nodes and skip those already seen.").format(
                node=_name(repeated[0]) if repeated else "", count=counts[id(repeated[0])] if repeated else 0))
    wanted = {id(v) for v in expected}
    listed = set(ids)
    missing = [v for v in expected if id(v) not in listed]
    # English says "nodes are" for any count (the stored outputs); ngettext gives other languages their forms
    c.check(not missing,
            ngettext("{count} of {total} nodes are missing (for example {node}): "
                     "visit every input in node._prev, and their inputs, down to the leaves.",
                     "{count} of {total} nodes are missing (for example {node}): "
                     "visit every input in node._prev, and their inputs, down to the leaves.", len(missing)).format(
                count=len(missing), total=len(expected), node=_name(missing[0]) if missing else ""))
    extra = [g for g in got if id(g) not in wanted]
    c.check(not extra, ngettext("the list contains {count} node(s) that the root does not depend on.",
                                "the list contains {count} node(s) that the root does not depend on.",
                                len(extra)).format(count=len(extra)))
    position = {id(g): i for i, g in enumerate(got)}
    bad = [(node, child) for node in got for child in node._prev if position[id(child)] > position[id(node)]]
    if bad and all(position[id(ch)] > position[id(n)] for n in got for ch in n._prev):
        c.fail(_("the order is reversed: parents come before their inputs. A node must be "
                 "appended *after* all of its children (or reverse your list at the end)."))
    node, child = bad[0] if bad else (None, None)
    c.check(not bad, _("node {node} comes before its input {child}: the order visits a node before its children; "
                       "append a node only after all of its children have been appended.").format(
        node=_name(node), child=_name(child)))
    c.check(got[-1] is root, _("the last node should be the root {root}, got {last}.").format(
        root=_name(root), last=_name(got[-1])))


@exercise("Exercise 2.3", "topological_order")
def check_topological_order(c):
    """``topological_order(root)`` lists every node once, each after all of its inputs."""
    for description, build in order_cases(c):
        root = build()
        with c.case(description):
            got = c.call(root, copy_args=False)
            check_order(c, root, got, "topological_order")


# ---------------------------------------------------------------------- counted chain

def _counting_float() -> tuple[type, list[int]]:
    """A float type that counts its multiplications and divisions (and stays counted)."""
    count = [0]

    class Counted(float):
        def _counted(self, result: float) -> Counted:
            count[0] += 1
            return Counted(result)

        def __mul__(self, other):
            return self._counted(float(self) * float(other)) if isinstance(other, (int, float)) else NotImplemented

        def __rmul__(self, other):
            return self._counted(float(other) * float(self)) if isinstance(other, (int, float)) else NotImplemented

        def __truediv__(self, other):
            return self._counted(float(self) / float(other)) if isinstance(other, (int, float)) else NotImplemented

        def __rtruediv__(self, other):
            return self._counted(float(other) / float(self)) if isinstance(other, (int, float)) else NotImplemented

    return Counted, count


def _chain_grads(w: list[float], hs: list[float]) -> list[float]:
    return [hs[i - 1] * math.prod(w[i:]) for i in range(1, len(w) + 1)]


@exercise("Exercise 2.4", "chain_backward")
def check_chain_backward(c):
    r"""``chain_backward(w, hs)`` returns :math:`[\partial L/\partial w_1, \dots, \partial L/\partial w_n]`
    for :math:`h_i = w_i h_{i-1}`, :math:`L = h_n`, with at most :math:`2n` multiplications."""
    public = [3, 5, 10]
    hidden = [1, 2, 25, 60]
    for n in c.cases(public, hidden):
        w = [float(v) for v in c.rng.uniform(0.6, 1.4, size=n) * c.rng.choice([-1, 1], size=n)]
        x = float(c.rng.uniform(0.5, 2.0))
        hs = [x]
        for wi in w:
            hs.append(hs[-1] * wi)
        expected = _chain_grads(w, hs)
        Counted, count = _counting_float()
        # English says "weights", "numbers" and "multiplications" for any count (the stored outputs);
        # ngettext gives other languages their forms
        with c.case(ngettext("n = {n} weights", "n = {n} weights", n).format(n=n)):
            got = c.call([Counted(v) for v in w], [Counted(v) for v in hs], copy_args=False)
            used = count[0]
            try:
                got = [float(g) for g in got]
            except TypeError:
                c.fail(ngettext("`chain_backward` should return a list of {n} numbers, got {kind}.",
                                "`chain_backward` should return a list of {n} numbers, got {kind}.", n).format(
                    n=n, kind=type(got).__name__))
            c.check(len(got) == n,
                    ngettext("`chain_backward` returned {count} numbers for {n} weights: one per weight.",
                             "`chain_backward` returned {count} numbers for {n} weights: one per weight.",
                             len(got)).format(count=len(got), n=n))
            c.compare(_("the gradients [dL/dw_1, ..., dL/dw_n]"), got, expected, rtol=1e-9, mistakes={
                _("the list is reversed: entry i - 1 is dL/dw_i, so the first entry belongs to w_1"):
                    expected[::-1],
                _("the factor h_(i-1) is missing: dL/dw_i = h_(i-1) · dL/dh_i (local derivative of w_i·h_(i-1) "
                  "with respect to w_i times the upstream gradient)"): [math.prod(w[i:]) for i in range(1, n + 1)],
                _("you used h_i (= w_i · h_(i-1)) where h_(i-1) belongs: the input that w_i multiplies is "
                  "h_(i-1), and dL/dh_i = w_(i+1) ··· w_n stops before w_i"):
                    [hs[i] * math.prod(w[i:]) for i in range(1, n + 1)],
            })
            if n > 1:
                c.check(used > 0, _("no multiplication could be counted: compute with the numbers as they are "
                                    "given (no np.array, float(...) or numpy functions), so the checker can count "
                                    "them."))
            c.check(used <= 2 * n,
                    ngettext("{used} multiplications for n = {n} weights: the backward pass needs at most 2n = {most} "
                             "(2n - 1 = {best} at best); computing each gradient along its own path takes "
                             "n(n + 1)/2 = {naive}. Keep dL/dh_i in a variable, walking from the output back, "
                             "and reuse it for the next weight.",
                             "{used} multiplications for n = {n} weights: the backward pass needs at most 2n = {most} "
                             "(2n - 1 = {best} at best); computing each gradient along its own path takes "
                             "n(n + 1)/2 = {naive}. Keep dL/dh_i in a variable, walking from the output back, "
                             "and reuse it for the next weight.", used).format(
                        used=used, n=n, most=2 * n, best=2 * n - 1, naive=n * (n + 1) // 2))
