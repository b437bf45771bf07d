"""Property tests: random expression graphs, checked against finite differences and PyTorch.

A *program* is a few leaves and a list of instructions; each instruction applies an op to
earlier nodes, chosen at random, so the same node is often used several times (forks,
shared subexpressions). The output is the sum of the nodes nobody uses, so every node
counts. The same program is run on our Values, on plain floats (for finite differences)
and on PyTorch tensors.
"""
from __future__ import annotations

import math
from functools import reduce
from operator import add

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backprop_lib.scalar import Value, affine, topological_order

from .finite_differences import partial_difference

# name -> number of operands
ARITY = {
    "add": 2, "mul": 2, "sub": 2, "div": 2,
    "radd": 1, "rmul": 1, "rsub": 1, "rdiv": 1, "pow": 1, "neg": 1,
    "tanh": 1, "sigmoid": 1, "exp": 1, "log": 1, "relu": 1,
    "affine": 5,
}
CONSTANTS = [-1.5, 0.5, 2.0, 3.0]
EXPONENTS = [2, 3, -1, 0.5]


class OutOfDomain(Exception):
    """The program leaves the region where finite differences are reliable."""


@st.composite
def programs(draw):
    n_leaves = draw(st.integers(1, 4))
    leaves = draw(st.lists(st.floats(-2.0, 2.0), min_size=n_leaves, max_size=n_leaves))
    instructions = []
    for k in range(draw(st.integers(1, 12))):
        name = draw(st.sampled_from(sorted(ARITY)))
        args = tuple(draw(st.integers(0, n_leaves + k - 1)) for _ in range(ARITY[name]))
        const = draw(st.sampled_from(EXPONENTS if name == "pow" else CONSTANTS))
        instructions.append((name, args, const))
    return leaves, instructions


def _check(ok: bool) -> None:
    if not ok:
        raise OutOfDomain


def run(program, leaves, unary, check: bool):
    """Evaluate ``program`` on ``leaves`` (Values or tensors); ``unary`` maps op names to functions."""
    _, instructions = program
    nodes = list(leaves)
    used = set()
    for name, args, c in instructions:
        xs = [nodes[i] for i in args]
        used.update(args)
        if check:  # keep away from kinks, poles, overflow and the edges of log's domain
            d = [float(x.data) for x in xs]
            if name in ("div",):
                _check(abs(d[1]) > 0.1)
            if name == "rdiv" or (name == "pow" and c == -1):
                _check(abs(d[0]) > 0.1)
            if name == "pow" and c == 0.5 or name == "log":
                _check(d[0] > 0.1)
            if name == "relu":
                _check(abs(d[0]) > 0.05)
            if name == "exp":
                _check(d[0] < 4.0)
        a = xs[0]
        if name == "add":
            out = a + xs[1]
        elif name == "mul":
            out = a * xs[1]
        elif name == "sub":
            out = a - xs[1]
        elif name == "div":
            out = a / xs[1]
        elif name == "radd":
            out = c + a
        elif name == "rmul":
            out = c * a
        elif name == "rsub":
            out = c - a
        elif name == "rdiv":
            out = c / a
        elif name == "pow":
            out = a**c
        elif name == "neg":
            out = -a
        elif name == "affine":
            out = unary["affine"](xs[0:2], xs[2:4], xs[4])
        else:
            out = unary[name](a)
        if check:
            _check(abs(out.data) < 50.0)
        nodes.append(out)
    sinks = [n for i, n in enumerate(nodes) if i not in used and i >= len(leaves)]
    return reduce(add, sinks)


VALUE_OPS = {
    "tanh": Value.tanh, "sigmoid": Value.sigmoid, "exp": Value.exp, "log": Value.log, "relu": Value.relu,
    "affine": affine,
}


def value_grads(program):
    leaves = [Value(x) for x in program[0]]
    try:
        out = run(program, leaves, VALUE_OPS, check=True)
    except OutOfDomain:
        assume(False)
    out.backward()
    return out, leaves


def richardson_derivative(f, xs: list[float], i: int) -> float:
    """Centered difference with one Richardson step: error O(h^4) instead of O(h^2)."""

    h = 1e-3 * max(1.0, abs(xs[i]))
    return (4 * partial_difference(f, xs, i, h / 2) - partial_difference(f, xs, i, h)) / 3


def close(a: float, b: float, rel: float, floor: float) -> bool:
    """Relative error below ``rel``, measured against max(|a|, |b|, floor): a floor of 1 makes it absolute near 0."""
    return abs(a - b) <= rel * max(abs(a), abs(b), floor)


@settings(max_examples=300, deadline=None)
@given(programs())
def test_random_graphs_match_finite_differences(program):
    out, leaves = value_grads(program)
    assume(math.isfinite(out.data))

    def f(xs):
        return run(program, [Value(x) for x in xs], VALUE_OPS, check=False).data

    for i, leaf in enumerate(leaves):
        numeric = richardson_derivative(f, program[0], i)
        assert close(leaf.grad, numeric, rel=1e-7, floor=1e-2), (i, leaf.grad, numeric)


@settings(max_examples=300, deadline=None)
@given(programs())
def test_random_graphs_match_pytorch(torch, program):
    out, leaves = value_grads(program)
    tleaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in program[0]]
    torch_ops = {
        "tanh": torch.tanh, "sigmoid": torch.sigmoid, "exp": torch.exp, "log": torch.log, "relu": torch.relu,
        "affine": lambda w, x, b: b + w[0] * x[0] + w[1] * x[1],
    }
    tout = run(program, tleaves, torch_ops, check=False)
    tout.backward()
    assert close(out.data, tout.item(), rel=1e-12, floor=1.0)
    for leaf, t in zip(leaves, tleaves):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert close(leaf.grad, expected, rel=1e-10, floor=1.0), (leaf.grad, expected)


@settings(max_examples=200, deadline=None)
@given(programs())
def test_backward_twice_doubles_leaves_and_keeps_interior_grads(program):
    out, leaves = value_grads(program)
    interior = [v for v in topological_order(out) if v._prev]
    first_leaves = [v.grad for v in leaves]
    first_interior = [v.grad for v in interior]
    out.backward()
    # A leaf used twice accumulates a + b + a + b, not 2 (a + b): where a + b cancels to
    # rounding noise the second sum may round differently, so allow rounding of the largest gradient.
    noise = 1e-13 * max([1.0] + [abs(g) for g in first_leaves + first_interior])
    assert [v.grad for v in leaves] == pytest.approx([2 * g for g in first_leaves], rel=1e-13, abs=noise)
    assert [v.grad for v in interior] == first_interior


@settings(max_examples=200, deadline=None)
@given(programs())
def test_topological_order_is_a_valid_order_of_the_whole_graph(program):
    out, _ = value_grads(program)
    order = topological_order(out)
    position = {id(v): k for k, v in enumerate(order)}
    assert len(position) == len(order) and order[-1] is out
    for v in order:
        for child in v._prev:
            assert position[id(child)] < position[id(v)]
        assert len(v._prev) == len(v._local_grads)
