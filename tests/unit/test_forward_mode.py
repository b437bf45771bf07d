"""Forward mode: every Dual op's tangent against centered finite differences (float64)
and the reverse-mode engine; JVPs, Jacobians and gradients by forward mode."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.forward_mode import Dual, gradient_forward, jacobian_forward, jvp
from backprop_lib.tensor import Tensor

OPS = {
    "add": lambda a: a + a * 2.0 + 1.0,
    "sub": lambda a: 3.0 - a - a * a,
    "mul": lambda a: a * a * a,
    "div": lambda a: 1.0 / (a * a + 1.0) + a / 2.0,
    "pow": lambda a: (a * a + 1.0) ** 1.5,
    "exp": lambda a: (a * 0.3).exp(),
    "log": lambda a: (a * a + 0.5).log(),
    "tanh": lambda a: a.tanh(),
    "sin": lambda a: a.sin(),
    "relu": lambda a: (a - 0.1).relu(),
    "neg": lambda a: -a,
}


def fd(f, x, v, h=1e-6):
    return (np.asarray(f(Dual(x + h * v, 0 * v)).value) - np.asarray(f(Dual(x - h * v, 0 * v)).value)) / (2 * h)


@pytest.mark.parametrize("op", sorted(OPS))
def test_every_op_against_finite_differences(op):
    rng = np.random.default_rng(0)
    x, v = rng.normal(size=5), rng.normal(size=5)
    x[np.abs(x - 0.1) < 1e-3] = 0.5
    value, tangent = jvp(OPS[op], x, v)
    np.testing.assert_allclose(tangent, fd(OPS[op], x, v), rtol=1e-6, atol=1e-8)


def test_matmul_jvp_against_finite_differences():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(3, 4))
    f = lambda W: (A @ W).tanh()  # noqa: E731
    W, V = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    np.testing.assert_allclose(jvp(f, W, V)[1], fd(f, W, V), rtol=1e-6, atol=1e-8)
    g = lambda X: X @ A  # noqa: E731 - the matrix on the right
    X, U = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    np.testing.assert_allclose(jvp(g, X, U)[1], U @ A, rtol=1e-12)


def test_forward_jacobian_equals_reverse_rows():
    rng = np.random.default_rng(2)
    M = rng.normal(size=(4, 3))
    x = rng.normal(size=3)
    J_fwd = jacobian_forward(lambda d: (M @ d).tanh(), x)       # 3 passes, one column each
    rows = []
    for i in range(4):                                           # 4 backward passes, one row each
        xt = Tensor(x, requires_grad=True)
        (M @ xt.reshape(3, 1)).tanh().reshape(4)[np.array([i])].sum().backward()
        rows.append(xt.grad)
    np.testing.assert_allclose(J_fwd, np.stack(rows), rtol=1e-12, atol=1e-14)


def test_gradient_forward_equals_reverse_mode():
    rng = np.random.default_rng(3)
    W = rng.normal(size=(3, 2))
    f_dual = lambda w: ((w * w).sum() + 1.0).log()  # noqa: E731
    xt = Tensor(W, requires_grad=True)
    ((xt * xt).sum() + 1.0).log().backward()
    np.testing.assert_allclose(gradient_forward(f_dual, W), xt.grad, rtol=1e-12)


def test_numbers_and_arrays_on_either_side():
    d = Dual(2.0, 1.0)
    assert (3.0 * d).tangent == 3.0 and (d * 3.0).tangent == 3.0 and (1.0 - d).tangent == -1.0
    a = Dual(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    out = np.array([2.0, 3.0]) * a
    assert isinstance(out, Dual) and np.array_equal(out.tangent, [2.0, 0.0])


@pytest.mark.parametrize("call, kind, fragment", [
    (lambda: jvp(lambda d: d, np.ones(3), np.ones(2)), ValueError, "shape of x (3,)"),
    (lambda: jvp(lambda d: 1.0, np.ones(3), np.ones(3)), TypeError, "must return a Dual"),
    (lambda: jacobian_forward(lambda d: d, np.ones((2, 2))), ValueError, "1-d x"),
    (lambda: Dual(1.0) ** Dual(2.0), TypeError, "Python number"),
])
def test_bad_input_is_named(call, kind, fragment):
    with pytest.raises(kind, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        call()
