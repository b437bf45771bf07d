"""The notebook-02 checkers against correct and known-wrong student code."""
from __future__ import annotations

import pytest
from checker_helpers import fails_with

from backprop_lib.checks.nb02_graphs import (
    check_chain_backward,
    check_fork_graph_grads,
    check_gate_backward,
    check_topological_order,
)

# ------------------------------------------------------------ Exercise 2.1

def fork_graph_grads(a, b, c):
    e = a * b
    d = e + c
    dL_dd, dL_da_direct = a, d
    dL_de = dL_dd
    return dL_de * b + dL_da_direct, dL_de * a, dL_dd


def test_fork_graph_grads_correct():
    check_fork_graph_grads(fork_graph_grads, quiet=True)
    check_fork_graph_grads(fork_graph_grads, hidden=True, quiet=True)


@pytest.mark.parametrize("wrong, fragments", [
    (lambda a, b, c: (a * b, a * a, a), ["dL/da", "only the contribution through e", "gradients add at forks"]),
    (lambda a, b, c: (a * b + c, a * a, a), ["dL/da", "only the direct contribution", "gradients add at forks"]),
    (lambda a, b, c: (2 * a * b + c, a, a), ["dL/db", "multiply it by the upstream gradient"]),
    (lambda a, b, c: (2 * a * b + c, a * b, a), ["dL/db", "the *other* factor"]),
    (lambda a, b, c: (2 * a * b + c, a * a, 1.0), ["dL/dc", "upstream gradient dL/dd = a"]),
    (lambda a, b, c: (-(2 * a * b + c), a * a, a), ["dL/da", "wrong sign"]),
])
def test_fork_graph_grads_mistakes(wrong, fragments):
    fails_with(check_fork_graph_grads, wrong, "Exercise 2.1", *fragments)


def test_fork_graph_grads_return_problems():
    def returns_none(a, b, c):
        da, db, dc = 2 * a * b + c, a * a, a  # noqa: F841

    def two_values(a, b, c):
        return 2 * a * b + c, a * a

    def stub(a, b, c):
        raise NotImplementedError()

    fails_with(check_fork_graph_grads, returns_none, "returned None")
    fails_with(check_fork_graph_grads, two_values, "returned 2 values")
    fails_with(check_fork_graph_grads, stub, "not written yet")


# ------------------------------------------------------------ Exercise 2.2

def gate_backward(op, a, b, dout):
    if op == "+":
        return dout, dout
    if op == "*":
        return b * dout, a * dout
    if op == "max":
        return (dout, 0.0) if a > b else (0.0, dout)
    raise ValueError(op)


def test_gate_backward_correct():
    check_gate_backward(gate_backward, quiet=True)
    check_gate_backward(gate_backward, hidden=True, quiet=True)


def _gate(**ops):
    def fn(op, a, b, dout):
        return ops[op](a, b, dout) if op in ops else gate_backward(op, a, b, dout)
    return fn


@pytest.mark.parametrize("wrong, fragments", [
    (_gate(**{"+": lambda a, b, d: (1.0, 1.0)}), ["'+'", "local derivatives only", "multiply each by dout"]),
    (_gate(**{"+": lambda a, b, d: (d / 2, d / 2)}), ["'+'", "add distributes the *whole*"]),
    (_gate(**{"*": lambda a, b, d: (a * d, b * d)}), ["'*'", "mul swaps"]),
    (_gate(**{"*": lambda a, b, d: (b, a)}), ["'*'", "mul also scales by dout"]),
    (_gate(**{"*": lambda a, b, d: (d, d)}), ["'*'", "what + passes back"]),
    (_gate(max=lambda a, b, d: (0.0, d) if a > b else (d, 0.0)), ["'max'", "went to the smaller input"]),
    (_gate(max=lambda a, b, d: (d, d)), ["'max'", "does not change the max", "max routes"]),
    (_gate(max=lambda a, b, d: (d / 2, d / 2)), ["'max'", "routes the *whole* dout"]),
    (_gate(max=lambda a, b, d: (a * d, 0.0) if a > b else (0.0, b * d)), ["'max'", "local derivative of max"]),
    (_gate(max=lambda a, b, d: (1.0, 0.0) if a > b else (0.0, 1.0)), ["'max'", "multiply by dout"]),
    (_gate(max=lambda a, b, d: (-d, 0.0) if a > b else (0.0, -d)), ["wrong sign"]),
])
def test_gate_backward_mistakes(wrong, fragments):
    fails_with(check_gate_backward, wrong, "Exercise 2.2", *fragments)


def test_gate_backward_return_problems():
    fails_with(check_gate_backward, lambda op, a, b, dout: dout, "should return 2 values")
    fails_with(check_gate_backward, _gate(max=lambda a, b, d: None), "returned None")


# ------------------------------------------------------------ Exercise 2.3

def topological_order(root):
    order, visited = [], set()

    def visit(node):
        if node in visited:
            return
        visited.add(node)
        for child in node._prev:
            visit(child)
        order.append(node)

    visit(root)
    return order


def topo_no_visited(root):
    order = []

    def visit(node):
        for child in node._prev:
            visit(child)
        order.append(node)

    visit(root)
    return order


def topo_preorder(root):
    order, visited = [], set()

    def visit(node):
        if node in visited:
            return
        visited.add(node)
        order.append(node)  # too early
        for child in node._prev:
            visit(child)

    visit(root)
    return order


def topo_interior_first(root):
    order = topological_order(root)
    interior = [v for v in order if v._prev]
    if len(interior) < 2:
        return order
    first = interior[0]
    return [first] + [v for v in order if v is not first]


def topo_reversed(root):
    return topological_order(root)[::-1]


def topo_no_recursion(root):
    return [root, *root._prev] if root._prev else [root]


def topo_data(root):
    return [v.data for v in topological_order(root)]


def topo_none(root):
    topological_order(root)


def test_topological_order_correct():
    check_topological_order(topological_order, quiet=True)
    check_topological_order(topological_order, hidden=True, quiet=True)


def test_topological_order_generator_is_accepted():
    def generator(root):
        yield from topological_order(root)

    check_topological_order(generator, quiet=True)


@pytest.mark.parametrize("wrong, fragments", [
    (topo_no_visited, ["appears", "times", "visited"]),
    (topo_preorder, ["all of its children"]),
    (topo_interior_first, ["comes before its input", "after all of its children"]),
    (topo_reversed, ["the order is reversed"]),
    (topo_no_recursion, ["missing", "down to the leaves"]),
    (topo_data, ["Value nodes themselves", "not its .data"]),
    (topo_none, ["returned None"]),
])
def test_topological_order_mistakes(wrong, fragments):
    fails_with(check_topological_order, wrong, "Exercise 2.3", *fragments)


def test_topological_order_raises_and_stub():
    def raises(root):
        return root.children  # not an attribute of Value

    def stub(root):
        raise NotImplementedError()

    fails_with(check_topological_order, raises, "raised AttributeError")
    fails_with(check_topological_order, stub, "not written yet")


# ------------------------------------------------------------ Exercise 2.4

def chain_backward(w, hs):
    n = len(w)
    grads, g = [0.0] * n, 1.0              # g = dL/dh_n
    for i in range(n, 0, -1):
        grads[i - 1] = hs[i - 1] * g        # dL/dw_i
        if i > 1:
            g = w[i - 1] * g                # dL/dh_(i-1)
    return grads


def chain_backward_2n(w, hs):  # one multiplication more than needed: still fine
    grads, g = [], 1.0
    for i in reversed(range(len(w))):
        grads.append(hs[i] * g)
        g = g * w[i]
    return grads[::-1]


def chain_one_path_each(w, hs):
    import math
    return [hs[i - 1] * math.prod(w[i:]) for i in range(1, len(w) + 1)]


def test_chain_backward_correct():
    check_chain_backward(chain_backward, quiet=True)
    check_chain_backward(chain_backward, hidden=True, quiet=True)
    check_chain_backward(chain_backward_2n, quiet=True)


@pytest.mark.parametrize("wrong, fragments", [
    (chain_one_path_each, ["15 multiplications for n = 5", "n(n + 1)/2 = 15", "reuse it"]),
    (lambda w, hs: chain_backward(w, hs)[::-1], ["the list is reversed"]),
    (lambda w, hs: [g / h for g, h in zip(chain_backward(w, hs), hs)], ["the factor h_(i-1) is missing"]),
    (lambda w, hs: [g * wi for g, wi in zip(chain_backward(w, hs), w)], ["where h_(i-1) belongs"]),
    (lambda w, hs: [float(g) for g in chain_backward([float(v) for v in w], [float(v) for v in hs])],
     ["could be counted"]),
    (lambda w, hs: chain_backward(w, hs)[:-1], ["returned 2 numbers for 3 weights"]),
])
def test_chain_backward_mistakes(wrong, fragments):
    fails_with(check_chain_backward, wrong, "Exercise 2.4", *fragments)


def test_chain_backward_w_in_product():
    def with_wi(w, hs):
        return [g * wi for g, wi in zip(chain_backward(w, hs), w)]
    fails_with(check_chain_backward, with_wi, "Exercise 2.4", "stops before w_i")
