"""The notebook-02 checkers against correct and known-wrong student code."""
from __future__ import annotations

import pytest
from checker_helpers import fails_with

from backprop_lib.checks.nb02_graphs import check_fork_graph_grads, check_topological_order

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
    (topo_no_recursion, ["missing", "recursively"]),
    (topo_data, ["Value nodes themselves", "not its .data"]),
    (topo_none, ["returned None"]),
])
def test_topological_order_mistakes(wrong, fragments):
    fails_with(check_topological_order, wrong, "Exercise 2.2", *fragments)


def test_topological_order_raises_and_stub():
    def raises(root):
        return root.children  # not an attribute of Value

    def stub(root):
        raise NotImplementedError()

    fails_with(check_topological_order, raises, "raised AttributeError")
    fails_with(check_topological_order, stub, "not written yet")
