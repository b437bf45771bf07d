"""The notebook-03 checkers against a correct student engine and known-wrong pieces of it."""
from __future__ import annotations

import math

import pytest
from checker_helpers import fails_with

from backprop_lib.checks.nb03_engine import (
    check_derived_ops,
    check_grad_check,
    check_new_ops,
    check_topo_order_iterative,
    check_value_add,
    check_value_backward,
    check_value_functions,
    check_value_mul,
    check_value_pow,
)

# ------------------------------------------------- a student's engine, as the notebook builds it

def _topo_recursive(root):
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


def make_engine(**overrides):
    """A fresh class ``Value`` with the notebook's constructor and correct methods;
    ``overrides`` replace methods (``None`` leaves one out)."""

    class Value:
        def __init__(self, data, _prev=(), _local_grads=(), _op="", label=""):
            self.data = float(data)
            self.grad = 0.0
            self._prev = tuple(_prev)
            self._local_grads = tuple(_local_grads)
            self._op = _op
            self.label = label

    def as_value(x):
        return x if isinstance(x, Value) else Value(x)

    def add(self, other):
        other = as_value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def mul(self, other):
        other = as_value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data), "*")

    def pow_(self, k):
        return Value(self.data ** k, (self,), (k * self.data ** (k - 1),), f"**{k}")

    def exp(self):
        e = math.exp(self.data)
        return Value(e, (self,), (e,), "exp")

    def log(self):
        return Value(math.log(self.data), (self,), (1.0 / self.data,), "log")

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,), "tanh")

    def relu(self):
        return Value(max(self.data, 0.0), (self,), (1.0 if self.data > 0 else 0.0,), "relu")

    def sigmoid(self):
        s = 1.0 / (1.0 + math.exp(-self.data))
        return Value(s, (self,), (s * (1.0 - s),), "sigmoid")

    def backward(self):
        self.grad = 1.0
        for node in reversed(_topo_recursive(self)):
            for child, local in zip(node._prev, node._local_grads):
                child.grad += local * node.grad

    def zero_grad(self):
        for node in _topo_recursive(self):
            node.grad = 0.0

    def softplus(self):
        a = self.data
        return Value(math.log1p(math.exp(a)), (self,), (1.0 / (1.0 + math.exp(-a)),), "softplus")

    def abs_(self):
        a = self.data
        return Value(abs(a), (self,), (0.0 if a == 0 else math.copysign(1.0, a),), "abs")

    def max_(self, other):
        other = as_value(other)
        first = self.data >= other.data
        return Value(max(self.data, other.data), (self, other), (1.0, 0.0) if first else (0.0, 1.0), "max")

    methods = {
        "__add__": add, "__radd__": add, "__mul__": mul, "__rmul__": mul, "__pow__": pow_,
        "__neg__": lambda self: self * -1,
        "__sub__": lambda self, other: self + (-as_value(other)),
        "__rsub__": lambda self, other: as_value(other) + (-self),
        "__truediv__": lambda self, other: self * as_value(other) ** -1,
        "__rtruediv__": lambda self, other: as_value(other) * self ** -1,
        "exp": exp, "log": log, "tanh": tanh, "relu": relu, "sigmoid": sigmoid, "backward": backward,
        "zero_grad": zero_grad, "softplus": softplus, "__abs__": abs_, "max": max_,
    }
    for name, fn in {**methods, **overrides}.items():
        if fn is not None:
            setattr(Value, name, fn)
    Value.as_value = staticmethod(as_value)
    return Value


def node_of(V, data, prev, local, op="?"):
    return V(data, prev, local, op)


ALL_CHECKERS = [check_value_add, check_value_mul, check_value_pow, check_derived_ops, check_value_functions,
                check_value_backward, check_new_ops]


@pytest.mark.parametrize("checker", ALL_CHECKERS, ids=lambda ch: ch.name)
def test_correct_engine_passes(checker):
    V = make_engine()
    checker(V, quiet=True)
    checker(V, hidden=True, quiet=True)


@pytest.mark.parametrize("checker", ALL_CHECKERS, ids=lambda ch: ch.name)
def test_checkers_restore_the_class(checker):
    V = make_engine(__add__=lambda self, other: None)  # a broken method must survive the check untouched
    before = dict(vars(V))
    try:
        checker(V, quiet=True)
    except AssertionError:
        pass
    assert dict(vars(V)) == before


def test_each_exercise_is_judged_on_its_own():
    """A broken __add__ (Exercise 3.1) does not make the later exercises fail."""
    V = make_engine(__add__=lambda self, other: None, __radd__=lambda self, other: None)
    fails_with(check_value_add, V, "Exercise 3.1", "gave None")
    for checker in ALL_CHECKERS[1:]:
        checker(V, quiet=True)


def test_not_a_class():
    fails_with(check_value_add, lambda a, b: a + b, "pass your class itself")


# ------------------------------------------------------------ Exercise 3.1

def _add_with(local=None, data=None, prev=None, wrap=True):
    def add(self, other):
        V = type(self)
        if wrap:
            other = other if isinstance(other, V) else V(other)
        d = self.data + other.data if data is None else data(self.data, other.data)
        p = (self, other) if prev is None else prev(self, other)
        g = (1.0, 1.0) if local is None else local(self.data, other.data)
        return V(d, p, g, "+")
    return add


@pytest.mark.parametrize("wrong, fragments", [
    (dict(local=lambda a, b: (b, a)), ["local derivatives", "rule of *", "add distributes"]),
    (dict(local=lambda a, b: (a, b)), ["local derivatives", "(1, 1)"]),
    (dict(local=lambda a, b: (1.0,)), ["1 local derivative(s), expected 2"]),
    (dict(data=lambda a, b: a * b), ["(a + b).data", "this is a * b"]),
    (dict(prev=lambda s, o: (o, s)), ["(other, self)"]),
    (dict(prev=lambda s, o: (s.data, o.data)), ["holds floats", "not their .data"]),
    (dict(prev=lambda s, o: (type(s)(s.data), o)), ["a copy?"]),
    (dict(wrap=False), ["a + 5", "raised AttributeError"]),
])
def test_add_mistakes(wrong, fragments):
    V = make_engine(__add__=_add_with(**wrong), __radd__=_add_with(**wrong))
    fails_with(check_value_add, V, "Exercise 3.1", *fragments)


def test_add_in_place_and_stub():
    def in_place(self, other):
        self.data += other.data if hasattr(other, "data") else other
        return self

    def stub(self, other):
        raise NotImplementedError()

    fails_with(check_value_add, make_engine(__add__=in_place), "returned one of its inputs", "*new* Value")
    fails_with(check_value_add, make_engine(__add__=stub), "not written yet")
    fails_with(check_value_add, make_engine(__add__=lambda self, other: None), "does your __add__ `return`")
    fails_with(check_value_add, make_engine(__add__=lambda self, other: self.data + other.data),
               "should be a Value, got float")
    fails_with(check_value_add, make_engine(__radd__=None), "5 + a", "raised TypeError")


# ------------------------------------------------------------ Exercise 3.2

def _mul_with(local):
    def mul(self, other):
        V = type(self)
        other = other if isinstance(other, V) else V(other)
        return V(self.data * other.data, (self, other), local(self.data, other.data), "*")
    return mul


@pytest.mark.parametrize("local, fragments", [
    (lambda a, b: (a, b), ["a.grad would get a.data * c.grad", "mul swaps and scales"]),
    (lambda a, b: (1.0, 1.0), ["c.grad unchanged", "rule of +", "mul swaps and scales"]),
    (lambda a, b: (a * b, a * b), ["the output, not the slopes"]),
    (lambda a, b: (b, b), ["b.grad would get b.data * c.grad"]),
    (lambda a, b: (-b, -a), ["wrong sign"]),
])
def test_mul_mistakes(local, fragments):
    V = make_engine(__mul__=_mul_with(local), __rmul__=_mul_with(local))
    fails_with(check_value_mul, V, "Exercise 3.2", *fragments)


def test_mul_without_rmul():
    fails_with(check_value_mul, make_engine(__rmul__=None), "2 * a", "raised TypeError")


# ------------------------------------------------------------ Exercise 3.3

def _pow_with(local, data=lambda a, k: a ** k):
    def pow_(self, k):
        return type(self)(data(self.data, k), (self,), local(self.data, k), f"**{k}")
    return pow_


@pytest.mark.parametrize("local, fragments", [
    (lambda a, k: (k * a ** k,), ["go down by one"]),
    (lambda a, k: (a ** (k - 1),), ["factor k in front is missing"]),
    (lambda a, k: ((k - 1) * a ** (k - 1),), ["the factor in front is k itself"]),
    (lambda a, k: (k * a ** (k + 1),), ["goes *down* by one"]),
    (lambda a, k: (k * a ** (k - 1)), ["not iterable", "needs a comma: `(x,)`"]),
    (lambda a, k: (-k * a ** (k - 1),), ["wrong sign"]),
])
def test_pow_mistakes(local, fragments):
    fails_with(check_value_pow, make_engine(__pow__=_pow_with(local)), "Exercise 3.3", *fragments)


def test_pow_value_and_comma():
    fails_with(check_value_pow, make_engine(__pow__=_pow_with(lambda a, k: (k * a ** (k - 1),),
                                                              data=lambda a, k: k * a)), "k·a, not a**k")
    wrong = make_engine(__pow__=lambda self, k: type(self)(self.data ** k, (self,), (), f"**{k}"))
    fails_with(check_value_pow, wrong, "0 local derivative(s), expected 1", "needs a comma")


# ------------------------------------------------------------ Exercise 3.4

def test_derived_by_hand_is_caught():
    def sub_by_hand(self, other):
        V = type(self)
        other = other if isinstance(other, V) else V(other)
        return V(self.data - other.data, (self, other), (1.0, -1.0), "-")

    fails_with(check_derived_ops, make_engine(__sub__=sub_by_hand), "Exercise 3.4", "a node '-' of its own",
               "a - b = a + (-b)")


@pytest.mark.parametrize("overrides, fragments", [
    (dict(__sub__=lambda self, other: self + other), ["(a - b).data", "this is a + b"]),
    (dict(__sub__=lambda self, other: self + (other if isinstance(other, type(self)) else type(self)(other)) * 0
          + type(self)(-(other.data if hasattr(other, "data") else other))), ["gradients [a, b] of a - b"]),
    (dict(__rsub__=lambda self, other: self - other), ["(2 - a).data", "computes other - self"]),
    (dict(__truediv__=lambda self, other: (other if isinstance(other, type(self)) else type(self)(other))
          * self ** -1), ["(a / b).data", "this is b / a"]),
    (dict(__rtruediv__=lambda self, other: self * (1.0 / other)), ["(2 / a).data", "computes other / self"]),
    (dict(__neg__=lambda self: self * 1), ["(-a).data", "wrong sign"]),
    (dict(__neg__=None), ["-a", "raised TypeError"]),
    (dict(__truediv__=lambda self, other: None), ["`a / b` should be a Value", "NoneType"]),
])
def test_derived_mistakes(overrides, fragments):
    fails_with(check_derived_ops, make_engine(**overrides), "Exercise 3.4", *fragments)


# ------------------------------------------------------------ Exercise 3.5

def _unary(fn, local, op):
    def method(self):
        return type(self)(fn(self.data), (self,), (local(self.data),), op)
    return method


@pytest.mark.parametrize("name, method, fragments", [
    ("tanh", _unary(math.tanh, lambda a: 1 - a * a, "tanh"), ["a.tanh()", "*output* t = tanh(a)"]),
    ("tanh", _unary(math.tanh, lambda a: 1 - math.tanh(a), "tanh"), ["1 − t: the rule is 1 − t²"]),
    ("tanh", _unary(math.tanh, lambda a: math.tanh(a) * (1 - math.tanh(a)), "tanh"), ["sigmoid's rule"]),
    ("exp", _unary(math.exp, lambda a: 1.0, "exp"), ["a.exp()", "its own output"]),
    ("log", _unary(math.log, math.log, "log"), ["a.log()", "ln a is the output"]),
    ("log", _unary(math.log10, lambda a: 1 / a, "log"), ["a.log().data", "math.log10"]),
    ("log", _unary(math.log, lambda a: -1 / (a * a), "log"), ["−1/a²"]),
    ("relu", _unary(lambda a: max(a, 0.0), lambda a: max(a, 0.0), "relu"), ["a.relu()", "the slope, 1 where a > 0"]),
    ("relu", _unary(lambda a: max(a, 0.0), lambda a: 1.0, "relu"), ["no gradient where a < 0"]),
    ("relu", _unary(lambda a: a, lambda a: 1.0 if a > 0 else 0.0, "relu"), ["a.relu().data"]),
    ("sigmoid", _unary(lambda a: 1 / (1 + math.exp(-a)), lambda a: 1 - (1 / (1 + math.exp(-a))) ** 2, "sigmoid"),
     ["a.sigmoid()", "tanh's rule"]),
    ("sigmoid", _unary(lambda a: 1 / (1 + math.exp(-a)), lambda a: 1 / (1 + math.exp(-a)), "sigmoid"),
     ["s, the output"]),
])
def test_function_mistakes(name, method, fragments):
    fails_with(check_value_functions, make_engine(**{name: method}), "Exercise 3.5", *fragments)


def test_relu_kink_only_in_hidden_tests():
    kink_one = _unary(lambda a: max(a, 0.0), lambda a: 1.0 if a >= 0 else 0.0, "relu")
    check_value_functions(make_engine(relu=kink_one), quiet=True)
    fails_with(check_value_functions, make_engine(relu=kink_one), "at the kink a = 0", hidden=True)


def test_function_missing():
    fails_with(check_value_functions, make_engine(log=None), "no method `log`")


# ------------------------------------------------------------ Exercise 3.6

def _backward_variant(*, overwrite=False, forward=False, upstream=True, seed=True, seed_last=False,
                      reset_inside=False, negate=False):
    def backward(self):
        order = _topo_recursive(self)
        if seed:
            self.grad = 1.0
        for node in (order if forward else reversed(order)):
            for child, local in zip(node._prev, node._local_grads):
                contribution = local * node.grad if upstream else local
                child.grad = contribution if overwrite else child.grad + contribution
            if reset_inside and node._prev:
                node.grad = 0.0
        if seed_last:
            self.grad = 1.0
        if negate:
            for node in order:
                if not node._prev:
                    node.grad = -node.grad
    return backward


@pytest.mark.parametrize("variant, fragments", [
    (dict(overwrite=True), ["overwrite child.grad instead of adding", "gradients add at forks"]),
    (dict(forward=True), ["a node is visited before all the nodes that use it", "*reversed*"]),
    (dict(upstream=False), ["multiply it by the upstream gradient"]),
    (dict(seed=False), ["no gradient reached the leaves", "seed the output"]),
    (dict(seed=False, seed_last=True), ["no gradient reached the leaves", "*before* the loop"]),
    (dict(reset_inside=True), ["interior nodes' gradients are 0", "do not reset"]),
    (dict(negate=True), ["wrong sign"]),
])
def test_backward_mistakes(variant, fragments):
    fails_with(check_value_backward, make_engine(backward=_backward_variant(**variant)), "Exercise 3.6", *fragments)


def test_backward_missing_and_stub():
    def stub(self):
        raise NotImplementedError()

    fails_with(check_value_backward, make_engine(backward=None), "no method `backward`")
    fails_with(check_value_backward, make_engine(backward=stub), "not written yet")
    fails_with(check_value_backward, make_engine(zero_grad=None), "no method `zero_grad`")
    fails_with(check_value_backward, make_engine(zero_grad=stub), "L.zero_grad()", "not written yet")


def test_zero_grad_mistakes():
    def leaves_only(self):
        for node in _topo_recursive(self):
            if not node._prev:
                node.grad = 0.0

    def root_only(self):
        self.grad = 0.0

    fails_with(check_value_backward, make_engine(zero_grad=leaves_only), "after L.zero_grad()", "is not 0")
    fails_with(check_value_backward, make_engine(zero_grad=root_only), "after L.zero_grad()", "every node")


def test_backward_resetting_interior_nodes_first_is_fine():
    def backward(self):
        order = _topo_recursive(self)
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            for child, local in zip(node._prev, node._local_grads):
                child.grad += local * node.grad

    check_value_backward(make_engine(backward=backward), quiet=True)


# ------------------------------------------------------------ Exercise 3.7

def topo_order_iterative(root):
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev if child not in visited)
    return order


def test_topo_order_iterative_correct():
    check_topo_order_iterative(topo_order_iterative, quiet=True)
    check_topo_order_iterative(topo_order_iterative, hidden=True, quiet=True)


def test_topo_order_recursive_is_caught():
    fails_with(check_topo_order_iterative, _topo_recursive, "Exercise 3.7", "a chain of 3,000 nodes",
               "recursed", "stack")


def test_topo_order_iterative_mistakes():
    def parents_first(root):
        return list(reversed(topo_order_iterative(root)))

    def no_visited_set(root):
        order, stack = [], [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        return order

    def appended_on_entry(root):  # a preorder: a node before its children
        order, visited, stack = [], set(), [root]
        while stack:
            node = stack.pop()
            if node in visited:
                continue
            visited.add(node)
            order.append(node)
            stack.extend(node._prev)
        return list(reversed(order))

    fails_with(check_topo_order_iterative, parents_first, "the order is reversed")
    fails_with(check_topo_order_iterative, no_visited_set, "appears", "keep a set of visited nodes")
    fails_with(check_topo_order_iterative, appended_on_entry, "comes before its input", "before its children")


# ------------------------------------------------------------ Exercise 3.8

def grad_check(build, leaves, h=1e-6, *, zero=True, restore=True, forward=False, over_h=False):
    if zero:
        for leaf in leaves:
            leaf.grad = 0.0
    build().backward()
    analytic = [leaf.grad for leaf in leaves]
    numerical = []
    for leaf in leaves:
        old = leaf.data
        leaf.data = old + h
        up = build().data
        leaf.data = old if forward else old - h
        down = build().data
        if restore:
            leaf.data = old
        numerical.append((up - down) / (h if forward or over_h else 2 * h))
    return analytic, numerical


def test_grad_check_correct():
    check_grad_check(grad_check, quiet=True)
    check_grad_check(grad_check, hidden=True, quiet=True)


@pytest.mark.parametrize("options, fragments", [
    (dict(zero=False), ["`analytic`", "stale gradients were not cleared"]),
    (dict(forward=True), ["`numerical`", "forward difference"]),
    (dict(over_h=True), ["`numerical`", "divide by 2h"]),
    (dict(restore=False), ["different .data after grad_check", "put every nudged value back"]),
])
def test_grad_check_mistakes(options, fragments):
    fails_with(check_grad_check, lambda build, leaves, h: grad_check(build, leaves, h, **options),
               "Exercise 3.8", *fragments)


def test_grad_check_return_problems():
    fails_with(check_grad_check, lambda build, leaves, h: grad_check(build, leaves, h)[0], "should return 2 values")
    fails_with(check_grad_check, lambda build, leaves, h: grad_check(build, leaves, h)[::-1],
               "these are the numerical slopes")


# ------------------------------------------------------------ Exercise 3.9

def _softplus_with(local):
    def softplus(self):
        return type(self)(math.log1p(math.exp(self.data)), (self,), (local(self.data),), "softplus")
    return softplus


@pytest.mark.parametrize("local, fragments", [
    (math.exp, ["a.softplus()", "the outer ln contributes a factor 1/(1 + e^a)"]),
    (lambda a: 1 / (1 + math.exp(a)), ["multiply by the slope of the inside"]),
    (lambda a: math.exp(-a) / (1 + math.exp(-a)) ** 2, ["the slope of the sigmoid"]),
    (lambda a: math.log1p(math.exp(a)), ["the output, not its slope"]),
])
def test_softplus_mistakes(local, fragments):
    fails_with(check_new_ops, make_engine(softplus=_softplus_with(local)), "Exercise 3.9", *fragments)


def test_softplus_composed_is_not_one_node():
    composed = make_engine(softplus=lambda self: (1 + self.exp()).log())
    fails_with(check_new_ops, composed, "built from other operations", "*one* node")


def test_abs_and_max_mistakes():
    V = make_engine(__abs__=lambda self: type(self)(abs(self.data), (self,), (1.0,), "abs"))
    fails_with(check_new_ops, V, "abs(a)", "for a < 0, |a| = -a has slope -1")

    def max_both(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        return type(self)(max(self.data, other.data), (self, other), (1.0, 1.0), "max")

    def max_wrong_way(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        first = self.data >= other.data
        return type(self)(max(self.data, other.data), (self, other), (0.0, 1.0) if first else (1.0, 0.0), "max")

    fails_with(check_new_ops, make_engine(max=max_both), "a.max(b)", "max routes the gradient")
    fails_with(check_new_ops, make_engine(max=max_wrong_way), "the gradient goes to the smaller input")
    fails_with(check_new_ops, make_engine(max=None), "no method `max`")


def test_abs_kink_only_in_hidden_tests():
    sign_one = make_engine(__abs__=lambda self: type(self)(abs(self.data), (self,),
                                                           (1.0 if self.data >= 0 else -1.0,), "abs"))
    check_new_ops(sign_one, quiet=True)
    fails_with(check_new_ops, sign_one, "at the kink a = 0", hidden=True)
