"""The array autograd engine: every op against centered finite differences (float64) and
PyTorch, on random broadcasting shapes; the repeated-index gather; a deep chain; bad input."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib.gradcheck import numerical_gradient, rel_error
from backprop_lib.tensor import Tensor, cross_entropy, log_softmax, topological_order

FD_TOL = 1e-7


def vjp_check(fn, *arrays, seed=0):
    """Analytic gradients of sum(fn(*tensors) * G), for a random upstream G, against
    centered differences: a whole-array check that a wrong VJP cannot pass by symmetry."""
    rng = np.random.default_rng(seed)
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = fn(*tensors)
    G = rng.normal(size=out.shape)
    (out * G).sum().backward()
    for t, a in zip(tensors, arrays):
        x = a.copy()

        def f(_, x=x, t=t):
            args = [Tensor(x) if u is t else Tensor(u.data) for u in tensors]
            return float(np.sum(fn(*args).data * G))

        numeric = numerical_gradient(f, x)
        assert t.grad.shape == a.shape
        assert rel_error(t.grad, numeric) < FD_TOL, (t.grad, numeric)
    return tensors, G


# --- shapes that broadcast -------------------------------------------------------------
@st.composite
def broadcast_pair(draw):
    """Two shapes that broadcast: the second drops leading axes and sets some axes to 1."""
    ndim = draw(st.integers(1, 3))
    full = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    drop = draw(st.integers(0, ndim - 1))
    other = list(full[drop:])
    for i in range(len(other)):
        if draw(st.booleans()):
            other[i] = 1
    if draw(st.booleans()):
        return full, tuple(other)
    return tuple(other), full


BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


@pytest.mark.parametrize("op", sorted(BINARY))
@settings(max_examples=25, deadline=None)
@given(shapes=broadcast_pair(), seed=st.integers(0, 2**16))
def test_binary_ops_broadcast_against_finite_differences(op, shapes, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=shapes[0])
    b = rng.uniform(0.5, 2.0, size=shapes[1]) * rng.choice([-1, 1], size=shapes[1])  # no division by ~0
    vjp_check(BINARY[op], a, b, seed=seed)


UNARY = {
    "neg": lambda a: -a,
    "exp": lambda a: a.exp(),
    "log": lambda a: (a * a + 0.5).log(),
    "tanh": lambda a: a.tanh(),
    "relu": lambda a: a.relu(),
    "sigmoid": lambda a: a.sigmoid(),
    "pow3": lambda a: a ** 3,
    "pow-half": lambda a: (a * a + 1.0) ** -0.5,
    "sum": lambda a: a.sum(),
    "sum-axis0": lambda a: a.sum(axis=0),
    "sum-last-keep": lambda a: a.sum(axis=-1, keepdims=True),
    "mean": lambda a: a.mean(),
    "mean-axis-last": lambda a: a.mean(axis=-1),
    "reshape": lambda a: a.reshape(-1),
    "T": lambda a: a.T,
    "log_softmax": lambda a: log_softmax(a, axis=-1),
    "log_softmax-axis0": lambda a: log_softmax(a, axis=0),
    "scalar-left": lambda a: 2.0 - 3.0 / (a * a + 1.0),
}


@pytest.mark.parametrize("op", sorted(UNARY))
@settings(max_examples=15, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), seed=st.integers(0, 2**16))
def test_unary_ops_against_finite_differences(op, shape, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=shape)
    a[np.abs(a) < 1e-3] = 0.1  # relu's kink: finite differences straddling 0 are meaningless
    vjp_check(UNARY[op], a, seed=seed)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 5), k=st.integers(1, 5), m=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_matmul_against_finite_differences(n, k, m, seed):
    rng = np.random.default_rng(seed)
    vjp_check(lambda a, b: a @ b, rng.normal(size=(n, k)), rng.normal(size=(k, m)), seed=seed)


def test_numpy_array_on_either_side():
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    x = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    (A * x + x / 2.0 - 1.0).sum().backward()
    np.testing.assert_allclose(x.grad, A + 0.5, rtol=1e-14)
    y = Tensor(B, requires_grad=True)
    (A @ y).sum().backward()
    np.testing.assert_allclose(y.grad, A.T @ np.ones((3, 2)), rtol=1e-14)
    assert isinstance(A + x, Tensor) and isinstance(2.0 * x, Tensor)


# --- the gather ---------------------------------------------------------------------------
def test_gather_with_repeated_indices_accumulates():
    x = Tensor(np.arange(4.0), requires_grad=True)
    x[np.array([0, 2, 2, 2, 3])].sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 3.0, 1.0])


def test_gather_rows_and_pairs_against_finite_differences():
    rng = np.random.default_rng(2)
    rows = np.array([1, 1, 0, 3])
    vjp_check(lambda a: a[rows], rng.normal(size=(4, 3)))
    cols = np.array([2, 0, 2, 1])
    vjp_check(lambda a: a[np.arange(4), cols], rng.normal(size=(4, 3)))


# --- accumulation, leaves, graph -------------------------------------------------------------
def test_fork_adds_and_backward_accumulates_like_pytorch():
    a = Tensor(3.0, requires_grad=True)
    b = a + a                      # the fork: d b / d a = 2, not 1
    b.backward()
    assert a.grad == 2.0
    (a * a).backward()             # a second backward adds 2a = 6
    assert a.grad == 8.0
    a.zero_grad()
    assert a.grad is None


def test_intermediate_grads_only_when_retained():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = (x * 3.0).retain_grad()
    z = h.tanh()
    z.sum().backward()
    np.testing.assert_allclose(h.grad, 1 - np.tanh(np.array([3.0, 6.0])) ** 2)
    assert z.grad is None and x.grad is not None


def test_constants_record_no_graph():
    c = Tensor([1.0, 2.0]) * 3.0 + 1.0
    assert not c.requires_grad and c._parents == ()
    assert Tensor(np.arange(3)).data.dtype == np.float64
    assert Tensor(np.zeros(2, dtype=np.float32)).data.dtype == np.float32


def test_a_5000_op_chain_has_no_recursion_error():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = (y * 1.0001).tanh() + 0.5
    y.backward()
    assert np.isfinite(x.grad) and len(topological_order(y)) > 10000


# --- against PyTorch ---------------------------------------------------------------------------
@pytest.mark.torch
def test_mlp_and_cross_entropy_match_pytorch(torch):
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(8, 5)), rng.integers(0, 4, size=8)
    shapes = [(5, 7), (7,), (7, 4), (4,)]
    params = [Tensor(rng.normal(size=s) * 0.5, requires_grad=True) for s in shapes]
    W1, b1, W2, b2 = params
    loss = cross_entropy((X @ W1 + b1).relu() @ W2 + b2, y)
    loss.backward()
    tp = [torch.tensor(p.data, requires_grad=True) for p in params]
    tl = torch.nn.functional.cross_entropy(torch.relu(torch.tensor(X) @ tp[0] + tp[1]) @ tp[2] + tp[3],
                                           torch.tensor(y))
    tl.backward()
    assert abs(loss.item() - tl.item()) < 1e-12
    for p, t in zip(params, tp):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-10, atol=1e-13)


def torch_unary(torch):
    """The same ops as UNARY, written with torch's names."""
    return {
        "neg": lambda a: -a,
        "exp": lambda a: a.exp(),
        "log": lambda a: (a * a + 0.5).log(),
        "tanh": lambda a: a.tanh(),
        "relu": lambda a: torch.relu(a),
        "sigmoid": lambda a: a.sigmoid(),
        "pow3": lambda a: a ** 3,
        "pow-half": lambda a: (a * a + 1.0) ** -0.5,
        "sum": lambda a: a.sum(),
        "sum-axis0": lambda a: a.sum(dim=0),
        "sum-last-keep": lambda a: a.sum(dim=-1, keepdim=True),
        "mean": lambda a: a.mean(),
        "mean-axis-last": lambda a: a.mean(dim=-1),
        "reshape": lambda a: a.reshape(-1),
        "T": lambda a: a.T,
        "log_softmax": lambda a: torch.log_softmax(a, dim=-1),
        "log_softmax-axis0": lambda a: torch.log_softmax(a, dim=0),
        "scalar-left": lambda a: 2.0 - 3.0 / (a * a + 1.0),
    }


@pytest.mark.torch
@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary_ops_match_pytorch(torch, op):
    rng = np.random.default_rng(4)
    a = rng.normal(size=(3, 4))
    a[np.abs(a) < 1e-3] = 0.1
    x = Tensor(a, requires_grad=True)
    out = UNARY[op](x)
    G = rng.normal(size=out.shape)
    (out * G).sum().backward()
    tx = torch.tensor(a, requires_grad=True)
    tout = torch_unary(torch)[op](tx)
    (tout * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_ops_match_pytorch(torch, op):
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(2, 3, 4)), rng.uniform(0.5, 2.0, size=(3, 1))
    x, w = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    BINARY[op](x, w).sum().backward()
    tx, tw = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    BINARY[op](tx, tw).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-10, atol=1e-12)


# --- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("make, kind, fragments", [
    (lambda: Tensor(np.ones((2, 3))) + Tensor(np.ones((4,))), ValueError, ["cannot broadcast", "(2, 3)", "(4,)"]),
    (lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 2))), ValueError, ["(2, 3) @ (4, 2)", "3 columns against 4 rows"]),
    (lambda: Tensor(np.ones(3)) @ Tensor(np.ones((3, 2))), ValueError, ["2-D", "(3,)"]),
    (lambda: Tensor(np.ones((2, 2)), requires_grad=True).backward(), ValueError, ["one-element", "(2, 2)", ".sum()"]),
    (lambda: Tensor([1.0, 0.0, -2.0]).log(), ValueError, ["positive", "2 of 3", "-2"]),
    (lambda: Tensor([1.0]) ** Tensor([2.0]), TypeError, ["Python number", "Tensor"]),
    (lambda: Tensor(np.ones(6)).reshape(4, 2), ValueError, ["(6,)", "(4, 2)"]),
    (lambda: Tensor(np.ones((2, 3))).sum(axis=2), ValueError, ["axis 2", "2 axes"]),
    (lambda: cross_entropy(Tensor(np.ones((2, 3))), np.array([0, 3])), ValueError, ["[0, 2]", "3"]),
    (lambda: cross_entropy(Tensor(np.ones((2, 3))), np.array([0.0, 1.0])), ValueError, ["integer targets", "(2,)"]),
    (lambda: Tensor(["a"]), TypeError, ["numbers", "dtype"]),
    (lambda: Tensor(1.0).backward(), RuntimeError, ["requires_grad=True"]),
])
def test_bad_input_gets_a_clear_error(make, kind, fragments):
    with pytest.raises(kind) as info:
        make()
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_log_softmax_is_stable_at_large_logits():
    x = Tensor(np.array([[1000.0, 0.0, -1000.0]]), requires_grad=True)
    loss = cross_entropy(x, np.array([1]))
    loss.backward()
    assert np.isfinite(loss.item()) and abs(loss.item() - 1000.0) < 1e-9
    np.testing.assert_allclose(x.grad, [[1.0, -1.0, 0.0]], atol=1e-12)
