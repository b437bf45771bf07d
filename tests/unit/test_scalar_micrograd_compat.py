"""Code written for micrograd runs unchanged on backprop_lib.scalar and gives the same numbers.

Each expression is written once, as a function of the Value class, and run with both
engines. micrograd (installed by `make test`, the bench extra) comes from the ``micrograd``
fixture of tests/conftest.py: missing, these tests are skipped, or fail on CI.
"""
from __future__ import annotations

import math
import random
import re

import pytest

from backprop_lib.scalar import MLP, Layer, Neuron, Value


def sanity_expression(V):
    """The first sanity check of micrograd's test suite, in our own words."""
    x = V(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return [x, y]


def more_ops_expression(V):
    """micrograd's second check: every operator, numbers on both sides, forks, ``+=``."""
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return [a, b, g]


def polynomial_and_division(V):
    a, b, c = V(1.5), V(-0.5), V(3.0)
    out = (a * b - c / a + 2 / (b**2 + 1) - (1 - c) ** 3) * a
    out += out * out
    out.backward()
    return [a, b, c, out]


@pytest.mark.parametrize("expression", [sanity_expression, more_ops_expression, polynomial_and_division])
def test_same_data_and_grads_as_micrograd(expression, micrograd):
    ours = expression(Value)
    theirs = expression(micrograd.engine.Value)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert math.isclose(o.data, t.data, rel_tol=1e-13), (o, t)
        assert math.isclose(o.grad, t.grad, rel_tol=1e-13), (o, t)


def test_known_values_of_micrograd_sanity_checks():
    """The numbers micrograd's own tests obtain from PyTorch."""
    x, y = sanity_expression(Value)
    assert y.data == -20.0 and x.grad == 46.0
    a, b, g = more_ops_expression(Value)
    assert g.data == pytest.approx(24.70408163265306, abs=1e-6)
    assert a.grad == pytest.approx(138.83381924198252, abs=1e-6)
    assert b.grad == pytest.approx(645.5772594752186, abs=1e-6)


def test_op_names_and_graph_structure_match_micrograd(micrograd):
    MGValue = micrograd.engine.Value
    for V in (Value, MGValue):
        a, b = V(2.0), V(-3.0)
        assert (a + b)._op == "+" and (a * b)._op == "*"
        assert (a**2)._op == "**2" and a.relu()._op == "ReLU"
    ours, theirs = Value(2.0), MGValue(2.0)
    o, t = ours * ours + 1, theirs * theirs + 1
    assert {c.data for c in o._prev} == {c.data for c in t._prev}
    assert [c._op for c in sorted(o._prev, key=lambda v: v.data)] == [c._op for c in sorted(t._prev, key=lambda v: v.data)]


def test_repr_matches_micrograd_after_backward(micrograd):
    # the inputs (leaves); micrograd seeds the output's grad with the int 1, we with 1.0
    # micrograd keeps a node's children in a set, so its order of accumulating at a
    # fork (and hence the last bit of a gradient) varies from run to run: compare the
    # repr's format exactly and its numbers to 1e-12.
    pattern = re.compile(r"^Value\(data=(\S+), grad=(\S+)\)$")
    for expression in (sanity_expression, more_ops_expression):
        ours, theirs = expression(Value)[:-1], expression(micrograd.engine.Value)[:-1]
        for o, t in zip(ours, theirs):
            mo, mt = pattern.match(repr(o)), pattern.match(repr(t))
            assert mo and mt, (repr(o), repr(t))
            assert mo.group(1) == mt.group(1)
            assert math.isclose(float(mo.group(2)), float(mt.group(2)), rel_tol=1e-12)
    assert repr(Value(-4.0)) == "Value(data=-4.0, grad=0.0)"


def micrograd_demo_loss(V, model, X, y):
    """The loss of micrograd's demo notebook: hinge loss + L2, written against the public API."""
    inputs = [list(map(V, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
    total = data_loss + reg_loss
    accuracy = sum((yi > 0) == (si.data > 0) for yi, si in zip(y, scores)) / len(y)
    return total, accuracy


@pytest.mark.parametrize("fused", [True, False])
def test_global_seed_gives_micrograds_weights_and_the_same_training(fused, micrograd):
    rng = random.Random(7)
    X = [[rng.uniform(-1.5, 2.5), rng.uniform(-1.0, 1.5)] for _ in range(20)]
    y = [rng.choice([-1, 1]) for _ in range(20)]
    random.seed(1337)
    theirs = micrograd.nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    ours = MLP(2, [16, 16, 1], fused=fused)
    assert repr(ours) == repr(theirs)
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    for step in range(3):
        results = []
        for V, model in ((Value, ours), (micrograd.engine.Value, theirs)):
            loss, acc = micrograd_demo_loss(V, model, X, y)
            model.zero_grad()
            loss.backward()
            results.append((loss.data, acc, [p.grad for p in model.parameters()]))
            for p in model.parameters():
                p.data -= (1.0 - 0.9 * step / 100) * p.grad
        (lo, ao, go), (lt, at, gt) = results
        assert math.isclose(lo, lt, rel_tol=1e-12) and ao == at
        assert any(g != 0 for g in go)
        for a, b in zip(go, gt):
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)


def test_neuron_and_layer_reprs_and_call_conventions_match_micrograd(micrograd):
    random.seed(3)
    theirs = [micrograd.nn.Neuron(3), micrograd.nn.Neuron(3, nonlin=False), micrograd.nn.Layer(3, 1)]
    random.seed(3)
    ours = [Neuron(3), Neuron(3, nonlin=False), Layer(3, 1)]
    x = [0.5, -1.0, 2.0]
    for o, t in zip(ours, theirs):
        assert repr(o) == repr(t)
        assert [p.data for p in o.parameters()] == [p.data for p in t.parameters()]
        out_o, out_t = o(x), t(x)
        assert isinstance(out_o, Value)  # a layer of one neuron returns a Value, not a list
        assert math.isclose(out_o.data, out_t.data, rel_tol=1e-15)
