"""Cross-check with PyTorch autograd: same weights -> same loss and gradients; same optimizer steps."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.layers import Identity, Linear, ReLU, Residual, Sequential, Sigmoid, Tanh
from backprop_lib.losses import MSELoss, SoftmaxCrossEntropy, logsumexp, softmax
from backprop_lib.optim import SGD, Adam, Momentum

pytestmark = pytest.mark.torch

RNG = np.random.default_rng(2024)
TOL = 1e-10


def torch_twin(torch, module):
    """The same network in torch.nn, sharing our weights (W is (n_in, n_out); torch stores W.T)."""
    nn = torch.nn
    if isinstance(module, Linear):
        lin = nn.Linear(module.n_in, module.n_out, bias=module.b is not None, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(module.W.data.T.copy()))
            if module.b is not None:
                lin.bias.copy_(torch.from_numpy(module.b.data.copy()))
        return lin
    if isinstance(module, Sequential):
        return nn.Sequential(*[torch_twin(torch, m) for m in module.layers])
    if isinstance(module, Residual):
        inner = torch_twin(torch, module.inner)

        class Res(nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = inner

            def forward(self, x):
                return x + self.inner(x)
        return Res()
    return {ReLU: nn.ReLU, Tanh: nn.Tanh, Sigmoid: nn.Sigmoid, Identity: nn.Identity}[type(module)]()


def torch_grads(torch, tmod):
    """Gradients of a torch twin, in our order and layout (W as (n_in, n_out))."""
    out = []
    for m in tmod.modules():
        if isinstance(m, torch.nn.Linear):
            out.append(m.weight.grad.numpy().T)
            if m.bias is not None:
                out.append(m.bias.grad.numpy())
    return out


def random_biases(net):
    for p in net.parameters():
        if p.name == "b":
            p.data[:] = RNG.standard_normal(p.shape)


NETS = {
    "relu": lambda: Sequential(Linear(3, 8, seed=0), ReLU(), Linear(8, 8, seed=1), ReLU(), Linear(8, 4, seed=2)),
    "tanh": lambda: Sequential(Linear(3, 6, init="xavier", seed=0), Tanh(), Linear(6, 4, seed=1)),
    "sigmoid": lambda: Sequential(Linear(3, 6, seed=0), Sigmoid(), Linear(6, 5, bias=False, seed=1), Identity(),
                                  Linear(5, 4, seed=2)),
    "residual": lambda: Sequential(Linear(3, 6, seed=0), Residual(Sequential(Linear(6, 6, seed=1), Tanh())),
                                   ReLU(), Linear(6, 4, seed=2)),
}


@pytest.mark.parametrize("name", sorted(NETS))
@pytest.mark.parametrize("loss_name", ["ce", "mse"])
def test_loss_and_gradients_match_torch(torch, name, loss_name):
    net = NETS[name]()
    random_biases(net)
    tnet = torch_twin(torch, net)
    X = RNG.standard_normal((7, 3))
    if loss_name == "ce":
        y = RNG.integers(0, 4, 7)
        ours_loss, t_target, t_loss_fn = SoftmaxCrossEntropy(), torch.from_numpy(y), torch.nn.CrossEntropyLoss()
    else:
        y = RNG.standard_normal((7, 4))
        ours_loss, t_target, t_loss_fn = MSELoss(), torch.from_numpy(y), torch.nn.MSELoss()

    loss = ours_loss.forward(net.forward(X), y)
    dX = net.backward(ours_loss.backward())

    tX = torch.from_numpy(X.copy()).requires_grad_(True)
    tloss = t_loss_fn(tnet(tX), t_target)
    tloss.backward()

    assert abs(loss - tloss.item()) <= TOL * max(1.0, abs(loss))
    np.testing.assert_allclose(dX, tX.grad.numpy(), rtol=TOL, atol=TOL)
    ours = [p.grad for p in net.parameters()]
    theirs = torch_grads(torch, tnet)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=TOL, atol=TOL)


def test_activations_match_torch_at_extremes(torch):
    x = np.array([[-1000.0, -40.0, -1e-3, 0.0, 1e-3, 40.0, 1000.0]])
    for ours, theirs in [(Sigmoid(), torch.sigmoid), (Tanh(), torch.tanh), (ReLU(), torch.relu)]:
        tx = torch.from_numpy(x.copy()).requires_grad_(True)
        ty = theirs(tx)
        G = RNG.standard_normal(x.shape)
        ty.backward(torch.from_numpy(G))
        np.testing.assert_allclose(ours.forward(x), ty.detach().numpy(), rtol=1e-15, atol=0)
        np.testing.assert_allclose(ours.backward(G), tx.grad.numpy(), rtol=1e-15, atol=1e-300)


def test_softmax_and_logsumexp_match_torch(torch):
    z = np.concatenate([RNG.standard_normal((3, 5)), 500 + 30 * RNG.standard_normal((2, 5))])
    tz = torch.from_numpy(z)
    np.testing.assert_allclose(softmax(z), torch.softmax(tz, dim=1).numpy(), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(logsumexp(z), torch.logsumexp(tz, dim=1).numpy(), rtol=1e-14)


OPTIMIZERS = {
    "sgd": (lambda ps: SGD(ps, lr=0.1), lambda torch, ps: torch.optim.SGD(ps, lr=0.1)),
    "sgd_wd": (lambda ps: SGD(ps, lr=0.1, weight_decay=0.05),
               lambda torch, ps: torch.optim.SGD(ps, lr=0.1, weight_decay=0.05)),
    "momentum": (lambda ps: Momentum(ps, lr=0.05, beta=0.9),
                 lambda torch, ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
    "adam": (lambda ps: Adam(ps, lr=0.01), lambda torch, ps: torch.optim.Adam(ps, lr=0.01)),
    "adam_betas": (lambda ps: Adam(ps, lr=0.003, betas=(0.8, 0.95), eps=1e-6),
                   lambda torch, ps: torch.optim.Adam(ps, lr=0.003, betas=(0.8, 0.95), eps=1e-6)),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_steps_match_torch(torch, name):
    make_ours, make_theirs = OPTIMIZERS[name]
    net = NETS["tanh"]()
    random_biases(net)
    tnet = torch_twin(torch, net)
    opt, topt = make_ours(net.parameters()), make_theirs(torch, list(tnet.parameters()))
    ce, tce = SoftmaxCrossEntropy(), torch.nn.CrossEntropyLoss()
    for step in range(8):
        X = RNG.standard_normal((10, 3))
        y = RNG.integers(0, 4, 10)
        loss = ce.forward(net.forward(X), y)
        net.backward(ce.backward(), input_grad=False)
        opt.step()
        opt.zero_grad()
        tloss = tce(tnet(torch.from_numpy(X)), torch.from_numpy(y))
        tloss.backward()
        topt.step()
        topt.zero_grad()
        assert abs(loss - tloss.item()) <= TOL, f"step {step}"
    ours = [p.data for p in net.parameters()]
    theirs = []
    for m in tnet.modules():
        if isinstance(m, torch.nn.Linear):
            theirs += [m.weight.detach().numpy().T, m.bias.detach().numpy()]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=TOL, atol=TOL)


def test_float32_forward_matches_torch_float32(torch):
    net = Sequential(Linear(3, 8, seed=0, dtype=np.float32), ReLU(), Linear(8, 4, seed=1, dtype=np.float32))
    tnet = torch_twin(torch, Sequential(Linear(3, 8, seed=0), ReLU(), Linear(8, 4, seed=1))).float()
    X = RNG.standard_normal((5, 3)).astype(np.float32)
    ours = net.forward(X)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, tnet(torch.from_numpy(X)).detach().numpy(), rtol=1e-5, atol=1e-6)
