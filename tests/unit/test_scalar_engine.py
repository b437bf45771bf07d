"""The scalar engine: every op against centered finite differences, backward's rules, errors."""
from __future__ import annotations

import gc
import math
import sys
import weakref

import pytest

from backprop_lib.scalar import Value, affine, topological_order, zero_grad

from .finite_differences import partial_difference

# ----------------------------------------------------------------- finite differences

def rel_error(a: float, b: float) -> float:
    """|a - b| / max(|a|, |b|), with a floor so that two tiny numbers count as equal."""
    return abs(a - b) / max(abs(a), abs(b), 1e-8)


def engine_grads(f, xs: list[float]) -> tuple[float, list[float]]:
    leaves = [Value(x) for x in xs]
    out = f(leaves)
    out.backward()
    return out.data, [v.grad for v in leaves]


def as_float_fn(f):
    """Run ``f`` (written for Values) on floats by wrapping them, returning the float result."""
    return lambda xs: f([Value(x) for x in xs]).data


# (name, function of a list of Values, points away from kinks and singularities)
OPS = [
    ("add", lambda v: v[0] + v[1], [[1.5, -2.25], [0.3, 0.7]]),
    ("radd", lambda v: 3.5 + v[0], [[-1.2]]),
    ("mul", lambda v: v[0] * v[1], [[1.5, -2.25], [-0.4, 3.0]]),
    ("rmul", lambda v: -2.5 * v[0], [[0.8]]),
    ("neg", lambda v: -v[0], [[0.8]]),
    ("sub", lambda v: v[0] - v[1], [[1.5, -2.25]]),
    ("sub_number", lambda v: v[0] - 4, [[1.5]]),
    ("rsub", lambda v: 4 - v[0], [[1.5]]),
    ("truediv", lambda v: v[0] / v[1], [[1.5, -2.25], [-3.0, 0.5]]),
    ("truediv_number", lambda v: v[0] / 7, [[1.5]]),
    ("rtruediv", lambda v: 2.0 / v[0], [[1.5], [-0.3]]),
    ("pow2", lambda v: v[0] ** 2, [[1.3], [-0.7]]),
    ("pow3", lambda v: v[0] ** 3, [[1.3], [-0.7]]),
    ("pow_neg", lambda v: v[0] ** -2, [[1.3], [-0.7]]),
    ("pow_half", lambda v: v[0] ** 0.5, [[1.3], [4.0]]),
    ("pow_float", lambda v: v[0] ** 2.7, [[1.3]]),
    ("pow_zero", lambda v: v[0] ** 0, [[1.3]]),
    ("relu", lambda v: v[0].relu(), [[1.3], [-0.7]]),
    ("tanh", lambda v: v[0].tanh(), [[0.3], [-1.7], [4.0]]),
    ("exp", lambda v: v[0].exp(), [[0.3], [-1.7], [5.0]]),
    ("log", lambda v: v[0].log(), [[0.3], [1.7], [50.0]]),
    ("sigmoid", lambda v: v[0].sigmoid(), [[0.3], [-1.7], [6.0], [-6.0]]),
    ("affine", lambda v: affine(v[0:2], v[2:4], v[4]), [[0.5, -1.5, 2.0, 0.25, 0.1]]),
    ("affine_numbers", lambda v: affine(v[0:2], [2.0, -3.0], v[2]), [[0.5, -1.5, 0.1]]),
    ("fork_add", lambda v: v[0] + v[0], [[1.5]]),
    ("fork_mul", lambda v: v[0] * v[0] * v[0], [[1.5]]),
    ("lecture_neuron", lambda v: (v[0] * v[2] + v[1] * v[3] + 6.8813735870195432).tanh(), [[2.0, 0.0, -3.0, 1.0]]),
    (
        "micrograd_sanity",
        lambda v: (lambda z: (z * z).relu() + z.relu() + z * v[0] + (z.relu() + z * v[0]) * v[0])(2 * v[0] + 2 + v[0]),
        [[-4.0], [1.5]],
    ),
]


@pytest.mark.parametrize("name,f,points", OPS, ids=[op[0] for op in OPS])
def test_every_op_matches_centered_finite_differences(name, f, points):
    for xs in points:
        _, grads = engine_grads(f, xs)
        numeric = [partial_difference(as_float_fn(f), xs, i) for i in range(len(xs))]
        for i, (g, n) in enumerate(zip(grads, numeric)):
            assert rel_error(g, n) < 1e-7, f"{name} at {xs}: d/dx{i} engine {g!r} vs numeric {n!r}"


@pytest.mark.parametrize(
    "expr,expected",
    [
        (lambda a, b: a + b, 2.0 + -3.0),
        (lambda a, b: a * b, 2.0 * -3.0),
        (lambda a, b: a - b, 5.0),
        (lambda a, b: a / b, 2.0 / -3.0),
        (lambda a, b: a**3, 8.0),
        (lambda a, b: b.relu(), 0.0),
        (lambda a, b: a.relu(), 2.0),
        (lambda a, b: a.tanh(), math.tanh(2.0)),
        (lambda a, b: a.exp(), math.exp(2.0)),
        (lambda a, b: a.log(), math.log(2.0)),
        (lambda a, b: b.sigmoid(), 1 / (1 + math.exp(3.0))),
    ],
)
def test_forward_values(expr, expected):
    out = expr(Value(2.0), Value(-3.0))
    assert out.data == pytest.approx(expected, rel=1e-15, abs=1e-300)


def test_local_grads_are_stored_per_edge_and_aligned_with_prev():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    assert c._prev == (a, b) and c._local_grads == (-3.0, 2.0) and c._op == "*"
    d = c + a
    assert d._prev == (c, a) and d._local_grads == (1.0, 1.0) and d._op == "+"
    e = d.tanh()
    assert e._prev == (d,) and e._local_grads == pytest.approx((1 - math.tanh(-4.0) ** 2,))
    p = a**3
    assert p._op == "**3" and p._local_grads == (3 * 2.0**2,)
    r = b.relu()
    assert r._op == "ReLU" and r._local_grads == (0.0,)
    # backward is exactly "local gradient x upstream gradient", summed over edges
    e.backward()
    assert d.grad == e._local_grads[0]
    assert c.grad == d._local_grads[0] * d.grad
    assert a.grad == c._local_grads[0] * c.grad + d._local_grads[1] * d.grad


def test_leaf_defaults_and_label_and_repr():
    v = Value(3, label="x")
    assert v.data == 3.0 and type(v.data) is float
    assert v.grad == 0.0 and v._prev == () and v._local_grads == () and v._op == ""
    assert v.label == "x"
    assert repr(v) == "Value(data=3.0, grad=0.0)"
    w = v * 2
    assert w.label == ""
    w.label = "w"
    assert w.label == "w"


def test_slots_no_instance_dict():
    v = Value(1.0)
    assert not hasattr(v, "__dict__")
    with pytest.raises(AttributeError):
        v.something_else = 1


def test_accepts_numpy_scalars():
    np = pytest.importorskip("numpy")  # numpy is a core dependency of the package
    assert Value(np.float32(1.5)).data == 1.5
    assert Value(np.int64(7)).data == 7.0
    assert (Value(1.0) + np.float64(2.0)).data == 3.0


def test_nan_and_inf_are_allowed_and_propagate():
    n = Value(float("nan"))
    out = n * 2 + 1
    out.backward()
    assert math.isnan(out.data)
    assert n.grad == 2.0
    assert (Value(math.inf) + 1).data == math.inf


# ----------------------------------------------------------------------- backward

def test_gradients_add_at_forks():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0
    a2 = Value(3.0)
    (a2 * a2).backward()
    assert a2.grad == 6.0


def test_backward_twice_accumulates_leaves_and_resets_interior_nodes():
    x, w = Value(1.5), Value(-2.0)
    h = x * w
    y = h.tanh()
    y.backward()
    first = (x.grad, w.grad, h.grad, y.grad)
    assert first[0] != 0 and first[1] != 0
    y.backward()
    assert x.grad == 2 * first[0] and w.grad == 2 * first[1]  # leaves accumulate
    assert h.grad == first[2] and y.grad == first[3]  # interior: this call's gradient only


def test_backward_seed_scales_gradients():
    x = Value(0.7)
    y = x.exp() * x
    y.backward(grad=2.5)
    assert y.grad == 2.5
    assert x.grad == pytest.approx(2.5 * (math.exp(0.7) * 0.7 + math.exp(0.7)), rel=1e-15)


def test_backward_on_a_leaf_accumulates_the_seed():
    x = Value(4.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_manual_backward_step_by_step_equals_backward():
    xs = [Value(2.0), Value(0.0), Value(-3.0), Value(1.0)]
    o = ((xs[0] * xs[2] + xs[1] * xs[3]) + 6.8813735870195432).tanh()
    o.backward()
    auto = [x.grad for x in xs]
    for x in topological_order(o):
        x.grad = 0.0
    o.grad = 1.0
    for node in reversed(topological_order(o)):
        node._backward()
    assert [x.grad for x in xs] == auto
    assert auto[0] == pytest.approx(-1.5, rel=1e-6)  # the lecture's numbers: do/dx1 = w1 (1 - o^2)


def test_zero_grad_helpers():
    a, b = Value(1.0), Value(2.0)
    c = a * b + a
    c.backward()
    zero_grad([a])
    assert a.grad == 0.0 and b.grad == 1.0
    c.backward()
    c.zero_grad()
    assert all(v.grad == 0.0 for v in topological_order(c))
    with pytest.raises(TypeError, match="zero_grad expects Values, got float"):
        zero_grad([a, 1.0])


# ------------------------------------------------------------- topological order

def test_topological_order_children_before_parents_each_once():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c + b
    order = topological_order(e)
    assert len(order) == len(set(map(id, order))) == 6  # a, b, c, d, d*c, e
    pos = {id(v): i for i, v in enumerate(order)}
    for v in order:
        for child in v._prev:
            assert pos[id(child)] < pos[id(v)]
    assert order[-1] is e


def test_topological_order_rejects_non_values():
    with pytest.raises(TypeError, match="topological_order expects a Value, got int"):
        topological_order(3)


def test_chain_of_100k_nodes_backward_without_recursion_error():
    n = 100_000
    assert sys.getrecursionlimit() < n
    x = Value(0.5)
    y = x
    for _ in range(n):
        y = y * 1.00001
    y.backward()
    assert len(topological_order(y)) == 2 * n + 1  # x, n constants, n products
    assert x.grad == pytest.approx(1.00001**n, rel=1e-9)
    # a chain of tanh: the gradient is the product of the local derivatives along it
    z = Value(0.1)
    w = z
    product = 1.0
    for _ in range(n):
        t = math.tanh(w.data)
        product *= 1.0 - t * t
        w = w.tanh()
    w.backward()
    assert z.grad == pytest.approx(product, rel=1e-12)
    del y, w  # freeing a deep chain must not crash either


# --------------------------------------------------------- memory: no reference cycles

def _build_and_backprop(refs: list):
    a, b = Value(2.0), Value(-1.0)
    h = (a * b + a).tanh()
    loss = (h * h + h.exp() + (a / b).sigmoid() + affine([a, b], [h, 2.0], b)) ** 2
    loss.backward()
    refs.extend(weakref.ref(v) for v in topological_order(loss))
    return loss


def test_graph_is_freed_by_reference_counting_alone():
    refs: list = []
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        loss = _build_and_backprop(refs)
        assert len(refs) > 10 and all(r() is not None for r in refs)
        del loss
        alive = [r() for r in refs if r() is not None]
        assert alive == []
    finally:
        if was_enabled:
            gc.enable()


# ----------------------------------------------------------------- edge cases

def test_tanh_and_sigmoid_do_not_overflow_at_large_inputs():
    for x, t, s in [(1000.0, 1.0, 1.0), (-1000.0, -1.0, 0.0), (800.0, 1.0, 1.0)]:
        a = Value(x)
        out = a.tanh() + a.sigmoid()
        out.backward()
        assert a.tanh().data == t and a.sigmoid().data == s
        assert a.grad == 0.0


def test_pow_edge_cases():
    z = Value(0.0)
    out = z**0.5
    out.backward()
    assert out.data == 0.0 and z.grad == math.inf  # vertical tangent, as PyTorch
    z2 = Value(0.0)
    (z2**0).backward()
    assert z2.grad == 0.0
    tiny = Value(1e-300)
    (tiny**-1).backward()  # 1e300 fits, its slope -1e600 does not
    assert tiny.grad == -math.inf
    assert (Value(-2.0) ** 3.0).data == -8.0  # negative base with a whole-number float exponent


def test_value_is_hashable_by_identity_for_graph_drawing():
    # the lecture's draw_dot collects nodes and edges in sets
    a = Value(1.0)
    b = a + a
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(b)
    assert nodes == {a, b} and edges == {(a, b)}
    assert Value(1.0) != Value(1.0)


# ------------------------------------------------------------------------ errors

@pytest.mark.parametrize(
    "bad,given",
    [("3", "str"), (None, "NoneType"), (True, "bool"), ([1.0], "list"), (1 + 2j, "complex")],
)
def test_value_rejects_non_real_numbers(bad, given):
    with pytest.raises(TypeError) as info:
        Value(bad)
    assert str(info.value) == f"Value expects a real number (int or float), got {given}"


@pytest.mark.parametrize(
    "op",
    [lambda a: a + "x", lambda a: "x" + a, lambda a: a * "x", lambda a: a - "x", lambda a: "x" - a, lambda a: a / "x", lambda a: "x" / a],
)
def test_arithmetic_with_non_numbers_names_the_type(op):
    with pytest.raises(TypeError, match="expects a real number .*got str"):
        op(Value(1.0))


def test_exponent_must_be_a_number():
    a = Value(2.0)
    with pytest.raises(TypeError, match="exponent of \\*\\* must be an int or float, got Value"):
        a ** Value(2.0)
    with pytest.raises(TypeError, match="exponent of \\*\\* must be an int or float, got Value"):
        2 ** a
    with pytest.raises(TypeError, match="got str"):
        a ** "2"


def test_zero_to_a_negative_power_and_division_by_zero():
    with pytest.raises(ZeroDivisionError, match=r"0.0 \*\* -1 is undefined"):
        Value(0.0) ** -1
    with pytest.raises(ZeroDivisionError, match="undefined"):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError, match="undefined"):
        1.0 / Value(0.0)


def test_negative_base_with_fractional_exponent():
    with pytest.raises(ValueError, match=r"\(-8.0\) \*\* 0.5 is not a real number"):
        Value(-8.0) ** 0.5


def test_pow_overflow_is_reported():
    with pytest.raises(OverflowError, match=r"\(10.0\) \*\* 400 is too large"):
        Value(10.0) ** 400


def test_exp_overflow_names_the_value():
    with pytest.raises(OverflowError, match=r"exp\(1000.0\)"):
        Value(1000.0).exp()
    assert Value(709.0).exp().data == math.exp(709.0)


@pytest.mark.parametrize("x", [0.0, -1.0, -math.inf])
def test_log_of_non_positive_raises(x):
    with pytest.raises(ValueError, match=f"log expects a positive value, got {x!r}"):
        Value(x).log()


def test_backward_seed_must_be_a_number():
    with pytest.raises(TypeError, match=r"backward\(grad=...\) expects a real number .*got str"):
        Value(1.0).backward("1")


def test_constructor_checks_local_grads_align_with_children():
    a = Value(1.0)
    with pytest.raises(ValueError, match="one local derivative per child: got 1 children and 0"):
        Value(2.0, (a,), "+")
    with pytest.raises(TypeError, match="children of a Value must be Values"):
        Value(2.0, (1.0,), "double", _local_grads=(2.0,))
    with pytest.raises(TypeError, match="label must be a str, got int"):
        Value(2.0, label=3)
    node = Value(2.0, (a,), "double", _local_grads=(2.0,))
    node.backward()
    assert a.grad == 2.0


def test_affine_checks_its_inputs():
    w = [Value(1.0), Value(2.0)]
    with pytest.raises(ValueError, match="2 weights and 3 inputs"):
        affine(w, [1.0, 2.0, 3.0], Value(0.0))
    with pytest.raises(TypeError, match="weights and the bias to be Values"):
        affine([1.0, 2.0], [1.0, 2.0], Value(0.0))
