"""The notebook-03 checkers against correct and known-wrong student code."""
from __future__ import annotations

import pytest
from checker_helpers import fails_with

from backprop_lib.checks.nb03_engine import check_backward, check_mul_rule, check_pow_rule
from backprop_lib.scalar import topological_order

# ------------------------------------------------------------ Exercise 3.1

def mul_rule(a, b):
    return a * b, (b, a)


def test_mul_rule_correct():
    check_mul_rule(mul_rule, quiet=True)
    check_mul_rule(mul_rule, hidden=True, quiet=True)


@pytest.mark.parametrize("wrong, fragments", [
    (lambda a, b: (a * b, (a, b)), ["dc/da", "swapped"]),
    (lambda a, b: (a * b, (1.0, 1.0)), ["dc/da", "rule for +"]),
    (lambda a, b: (a * b, (a * b, a * b)), ["dc/da", "the output itself"]),
    (lambda a, b: (a * b, (b, b)), ["dc/db", "swapped"]),
    (lambda a, b: (a * b, (-b, -a)), ["dc/da", "wrong sign"]),
    (lambda a, b: (a + b, (b, a)), ["`out`"]),
    (lambda a, b: (a * b, (b,)), ["1 local derivative(s)", "one local derivative per input"]),
    (lambda a, b: (a * b, None), ["local derivatives are None"]),
    (lambda a, b: (a * b, b, a), ["should return 2 values", "returned 3 values"]),
    (lambda a, b: None, ["returned None"]),
])
def test_mul_rule_mistakes(wrong, fragments):
    fails_with(check_mul_rule, wrong, "Exercise 3.1", *fragments)


# ------------------------------------------------------------ Exercise 3.2

def pow_rule(a, k):
    return a ** k, (k * a ** (k - 1),)


def test_pow_rule_correct():
    check_pow_rule(pow_rule, quiet=True)
    check_pow_rule(pow_rule, hidden=True, quiet=True)


@pytest.mark.parametrize("wrong, fragments", [
    (lambda a, k: (a ** k, (k * a ** k,)), ["go down by one"]),
    (lambda a, k: (a ** k, (a ** (k - 1),)), ["factor k in front is missing"]),
    (lambda a, k: (a ** k, ((k - 1) * a ** (k - 1),)), ["the factor in front is k itself"]),
    (lambda a, k: (a ** k, (k * a ** (k + 1),)), ["goes *down* by one"]),
    (lambda a, k: (a ** k, (k * a ** (k - 1))), ["mind the comma"]),
    (lambda a, k: (k * a, (k * a ** (k - 1),)), ["`out`", "k·a, not a**k"]),
    (lambda a, k: (a ** k, (-k * a ** (k - 1),)), ["wrong sign"]),
])
def test_pow_rule_mistakes(wrong, fragments):
    fails_with(check_pow_rule, wrong, "Exercise 3.2", *fragments)


def test_pow_rule_raises():
    def raises(a, k):
        return a ** k, (k * a ** (k - 1) / (k - 2),)  # divides by zero for k = 2

    fails_with(check_pow_rule, raises, "raised ZeroDivisionError", "division by zero")


# ------------------------------------------------------------ Exercise 3.3

def backward(root):
    topo = topological_order(root)
    root.grad = 1.0
    for node in reversed(topo):
        for child, local in zip(node._prev, node._local_grads):
            child.grad += local * node.grad


def backward_overwrite(root):
    topo = topological_order(root)
    root.grad = 1.0
    for node in reversed(topo):
        for child, local in zip(node._prev, node._local_grads):
            child.grad = local * node.grad


def backward_forward_order(root):
    root.grad = 1.0
    for node in topological_order(root):
        for child, local in zip(node._prev, node._local_grads):
            child.grad += local * node.grad


def backward_no_upstream(root):
    root.grad = 1.0
    for node in reversed(topological_order(root)):
        for child, local in zip(node._prev, node._local_grads):
            child.grad += local


def backward_no_seed(root):
    for node in reversed(topological_order(root)):
        for child, local in zip(node._prev, node._local_grads):
            child.grad += local * node.grad


def backward_seed_at_end(root):
    for node in reversed(topological_order(root)):
        for child, local in zip(node._prev, node._local_grads):
            child.grad += local * node.grad
    root.grad = 1.0


def backward_negated(root):
    backward(root)
    for node in topological_order(root):
        if not node._prev:
            node.grad = -node.grad


def test_backward_correct():
    check_backward(backward, quiet=True)
    check_backward(backward, hidden=True, quiet=True)


@pytest.mark.parametrize("wrong, fragments", [
    (backward_overwrite, ["overwrite child.grad instead of adding"]),
    (backward_forward_order, ["wrong order", "*reversed*"]),
    (backward_no_upstream, ["multiply it by the upstream gradient"]),
    (backward_no_seed, ["root.grad is 0.0", "the seed"]),
    (backward_seed_at_end, ["no gradient reached the leaves"]),
    (backward_negated, ["wrong sign"]),
])
def test_backward_mistakes(wrong, fragments):
    fails_with(check_backward, wrong, "Exercise 3.3", *fragments)


def test_backward_raises_and_stub():
    def raises(root):
        for node in reversed(root.topo()):
            pass

    def stub(root):
        raise NotImplementedError()

    fails_with(check_backward, raises, "raised AttributeError")
    fails_with(check_backward, stub, "not written yet")
