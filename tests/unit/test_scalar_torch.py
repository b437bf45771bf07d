"""Cross-checks against PyTorch autograd (float64): each op, a small MLP, backward twice."""
from __future__ import annotations

import random

import pytest

from backprop_lib.scalar import MLP, Value, affine

pytestmark = pytest.mark.torch


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b), 1.0)


# (name, our op on Values, the same op on tensors given the torch module, points)
OPS = [
    ("add", lambda v: v[0] + v[1], lambda t, v: v[0] + v[1], [(1.5, -2.25)]),
    ("mul", lambda v: v[0] * v[1], lambda t, v: v[0] * v[1], [(1.5, -2.25)]),
    ("sub", lambda v: v[0] - v[1], lambda t, v: v[0] - v[1], [(1.5, -2.25)]),
    ("div", lambda v: v[0] / v[1], lambda t, v: v[0] / v[1], [(1.5, -2.25)]),
    ("rsub_rdiv", lambda v: 3 - 2 / v[0], lambda t, v: 3 - 2 / v[0], [(0.7,), (-1.3,)]),
    ("pow", lambda v: v[0] ** 3 + v[0] ** -2 + v[0] ** 0.5, lambda t, v: v[0] ** 3 + v[0] ** -2 + v[0] ** 0.5, [(0.7,), (2.5,)]),
    ("relu", lambda v: v[0].relu(), lambda t, v: t.relu(v[0]), [(0.7,), (-1.3,), (0.0,)]),
    ("tanh", lambda v: v[0].tanh(), lambda t, v: t.tanh(v[0]), [(0.7,), (-3.0,), (1000.0,), (-1000.0,)]),
    ("sigmoid", lambda v: v[0].sigmoid(), lambda t, v: t.sigmoid(v[0]), [(0.7,), (-3.0,), (1000.0,), (-1000.0,)]),
    ("exp", lambda v: v[0].exp(), lambda t, v: t.exp(v[0]), [(0.7,), (-3.0,), (700.0,)]),
    ("log", lambda v: v[0].log(), lambda t, v: t.log(v[0]), [(0.7,), (30.0,)]),
    (
        "affine",
        lambda v: affine(v[:2], v[2:4], v[4]),
        lambda t, v: v[4] + v[0] * v[2] + v[1] * v[3],
        [(0.5, -1.0, 2.0, 0.3, 0.1)],
    ),
]


@pytest.mark.parametrize("name,ours,theirs,points", OPS, ids=[op[0] for op in OPS])
def test_each_op_matches_pytorch(torch, name, ours, theirs, points):
    for xs in points:
        vs = [Value(x) for x in xs]
        out = ours(vs)
        out.backward()
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        tout = theirs(torch, ts)
        tout.backward()
        assert close(out.data, tout.item()), (name, xs, out.data, tout.item())
        for v, t in zip(vs, ts):
            assert close(v.grad, t.grad.item()), (name, xs, v.grad, t.grad.item())


def torch_mlp_loss(torch, weights, X, y, activation):
    """The same network written with tensors: H = act(H W + b), last layer linear, MSE."""
    act = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda z: z}[activation]
    params = [(torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)) for W, b in weights]
    H = torch.tensor(X)
    for k, (W, b) in enumerate(params):
        H = H @ W + b
        if k < len(params) - 1:
            H = act(H)
    loss = ((H[:, 0] - torch.tensor(y)) ** 2).mean()
    loss.backward()
    return loss.item(), [(W.grad.tolist(), b.grad.tolist()) for W, b in params]


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("fused", [True, False])
def test_mlp_gradients_match_pytorch(torch, activation, fused):
    rng = random.Random(0)
    X = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(8)]
    y = [rng.uniform(-1, 1) for _ in range(8)]
    model = MLP(3, [5, 4, 1], activation=activation, seed=1, fused=fused)
    loss = sum((model(x) - t) ** 2 for x, t in zip(X, y)) * (1.0 / len(y))
    model.zero_grad()
    loss.backward()
    expected_loss, expected_grads = torch_mlp_loss(torch, model.get_weights(), X, y, activation)
    assert close(loss.data, expected_loss)
    nonzero = 0
    for (dW, db), (tW, tb) in zip(model.get_grads(), expected_grads):
        for row, trow in zip(dW + [db], tW + [tb]):
            for g, tg in zip(row, trow):
                assert close(g, tg), (g, tg)
                nonzero += g != 0
    assert nonzero > 10


def test_backward_twice_follows_pytorch_for_leaves(torch):
    x, w = Value(1.5), Value(-0.5)
    out = (x * w).tanh() + x * x
    out.backward()
    out.backward()
    tx = torch.tensor(1.5, requires_grad=True)
    tw = torch.tensor(-0.5, requires_grad=True)
    tout = torch.tanh(tx * tw) + tx * tx
    tout.backward(retain_graph=True)
    tout.backward()
    assert close(x.grad, tx.grad.item()) and close(w.grad, tw.grad.item())


def test_backward_seed_matches_pytorch_gradient_argument(torch):
    x = Value(0.3)
    out = x.sigmoid() * x.exp()
    out.backward(grad=-2.0)
    tx = torch.tensor(0.3, requires_grad=True)
    (torch.sigmoid(tx) * torch.exp(tx)).backward(gradient=torch.tensor(-2.0))
    assert close(x.grad, tx.grad.item())
