"""Checkers of notebook 10 (from scratch to PyTorch and JAX) against right and known-wrong answers.

The checkers need neither PyTorch nor JAX; the tests marked torch/jax run the right
answers on the real frameworks, to show that the stand-ins the checkers use agree.
"""
from __future__ import annotations

import numpy as np
import pytest
from checker_helpers import fails_with
from checker_helpers import stub as _stub

from backprop_lib.checks.nb10_frameworks import (
    check_log_softmax_backward,
    check_mlp_loss,
    check_sgd_train,
    check_silu_backward,
    check_torch_linear_backward,
    check_torch_train,
)
from backprop_lib.functional import mlp_loss_and_grad


def _sig(z):
    return 1 / (1 + np.exp(-z))


# ---------------------------------------------------------------- Exercise 10.1

def silu_backward(Z, dout):
    s = _sig(Z)
    return dout * s * (1 + Z * (1 - s))


def silu_backward_expanded(Z, dout):
    s = _sig(Z)
    return dout * (s + Z * s * (1 - s))


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", [silu_backward, silu_backward_expanded])
def test_silu_backward_correct(fn, hidden, capsys):
    check_silu_backward(fn, hidden=hidden)
    assert "✔ Exercise 10.1 silu_backward" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (lambda Z, d: d * _sig(Z), ["treated sigma(Z) as a constant"]),
    (lambda Z, d: d * Z * _sig(Z) * (1 - _sig(Z)), ["dropped sigma(Z)"]),
    (lambda Z, d: d * _sig(Z) * (1 - _sig(Z)), ["the sigmoid's derivative"]),
    (lambda Z, d: _sig(Z) * (1 + Z * (1 - _sig(Z))), ["local derivative dH/dZ only"]),
    (lambda Z, d: d * _sig(Z) * (1 + Z * (1 - Z)), ["not Z (1 - Z)"]),
    (lambda Z, d: -silu_backward(Z, d), ["wrong sign"]),
    (lambda Z, d: 2 * silu_backward(Z, d), ["factor of 2"]),
    (lambda Z, d: silu_backward(Z, d).T, ["did you transpose?"]),
    (lambda Z, d: silu_backward(Z, d).sum(), ["should be an array"]),
    (lambda Z, d: d * Z * _sig(Z), ["`dZ` is wrong"]),
    (lambda Z, d: None, ["is None"]),
    (lambda Z, d: Z @ d, ["raised ValueError"]),
    (_stub, ["not written yet"]),
])
def test_silu_backward_wrong(fn, fragments):
    fails_with(check_silu_backward, fn, "Exercise 10.1", *fragments)


def test_silu_backward_hidden_reaches_large_inputs():
    """The hidden cases include Z = 30, where a careless exp still works but a wrong sign shows."""
    fails_with(check_silu_backward, lambda Z, d: d * _sig(Z), "treated sigma(Z) as a constant", hidden=True)


# ---------------------------------------------------------------- Exercise 10.2

def torch_linear_backward(X, W_t, dout):
    return dout @ W_t, dout.T @ X, dout.sum(axis=0)


@pytest.mark.parametrize("hidden", [False, True])
def test_torch_linear_backward_correct(hidden, capsys):
    check_torch_linear_backward(torch_linear_backward, hidden=hidden)
    assert "✔ Exercise 10.2" in capsys.readouterr().out


def _lin_wrong(kind):
    def fn(X, W_t, dout):
        dX, dW_t, db = dout @ W_t, dout.T @ X, dout.sum(axis=0)
        if kind == "our_layout":
            dW_t = X.T @ dout
        elif kind == "sign":
            dW_t = -dW_t
        elif kind == "db_mean":
            db = dout.mean(axis=0)
        elif kind == "db_axis1":
            db = dout.sum(axis=1)
        elif kind == "dX_extra_T":
            dX = dout @ W_t.T
        elif kind == "dX_zeros":
            dX = np.zeros_like(X)
        elif kind == "dict":
            return {"dX": dX, "dW_t": dW_t, "db": db}
        return dX, dW_t, db
    return fn


@pytest.mark.parametrize("kind, fragments, hidden", [
    ("our_layout", ["`dW_t` has shape (3, 2), our layout (n_in, n_out)", "dout.T @ X"], False),
    ("our_layout", ["our layout", "transpose it"], True),
    ("sign", ["`dW_t`", "wrong sign"], False),
    ("db_mean", ["`db`", "1/N"], False),
    ("db_axis1", ["`db`", "expected shape (2,), got (4,)"], False),
    ("dX_extra_T", ["raised ValueError", "shapes do not fit"], False),
    ("dX_extra_T", ["W_t is already the transpose"], True),
    ("dX_zeros", ["`dX` is all zeros"], False),
    ("dict", ["should return 3 values (dX, dW_t, db), but returned a single dict"], False),
])
def test_torch_linear_backward_wrong(kind, fragments, hidden):
    fails_with(check_torch_linear_backward, _lin_wrong(kind), "Exercise 10.2", *fragments, hidden=hidden)


def test_torch_linear_backward_none_and_stub():
    fails_with(check_torch_linear_backward, lambda X, W, d: None, "returned None")
    fails_with(check_torch_linear_backward, _stub, "not written yet")


# ---------------------------------------------------------------- against PyTorch

@pytest.mark.torch
def test_references_match_torch_autograd(torch):
    rng = np.random.default_rng(0)
    Z = rng.normal(scale=3, size=(4, 5))
    dout = rng.normal(size=(4, 5))
    z = torch.tensor(Z, requires_grad=True)
    torch.nn.functional.silu(z).backward(torch.tensor(dout))
    np.testing.assert_allclose(silu_backward(Z, dout), z.grad.numpy(), rtol=1e-12, atol=1e-14)

    X = rng.normal(size=(6, 3))
    lin = torch.nn.Linear(3, 2).double()
    G = rng.normal(size=(6, 2))
    x = torch.tensor(X, requires_grad=True)
    lin(x).backward(torch.tensor(G))
    dX, dW_t, db = torch_linear_backward(X, lin.weight.detach().numpy(), G)
    np.testing.assert_allclose(dX, x.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(dW_t, lin.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(db, lin.bias.grad.numpy(), rtol=1e-12)



# ---------------------------------------------------------------- Exercise 10.3

def _softmax(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def log_softmax_backward(Z, dout):
    p = _softmax(Z)
    return dout - p * dout.sum(axis=1, keepdims=True)


def log_softmax_backward_jacobian(Z, dout):
    """The explicit Jacobian delta_ij - p_j, row by row."""
    p = _softmax(Z)
    C = Z.shape[1]
    return np.stack([dout[n] @ (np.eye(C) - p[n][None, :]) for n in range(Z.shape[0])])


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", [log_softmax_backward, log_softmax_backward_jacobian])
def test_log_softmax_backward_correct(fn, hidden, capsys):
    check_log_softmax_backward(fn, hidden=hidden)
    assert "✔ Exercise 10.3 log_softmax_backward" in capsys.readouterr().out


def _naive_p(Z):
    e = np.exp(Z)
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("fn, fragments, hidden", [
    (lambda Z, d: d * (1 - _softmax(Z)), ["only the diagonal of the Jacobian"], False),
    (lambda Z, d: _softmax(Z) * (d - (d * _softmax(Z)).sum(axis=1, keepdims=True)),
     ["backward pass of softmax"], False),
    (lambda Z, d: d - _softmax(Z), ["sum of the upstream gradient over the row"], False),
    (lambda Z, d: 1 - _softmax(Z), ["dout missing"], False),
    (lambda Z, d: d - _softmax(Z) * d.sum(axis=0, keepdims=True), ["not axis=0 (the batch)"], False),
    (lambda Z, d: d - _naive_p(Z) * d.sum(axis=1, keepdims=True), ["entries near 1000", "overflows",
                                                                   "Subtract each row's maximum"], False),
    (lambda Z, d: -log_softmax_backward(Z, d), ["wrong sign"], False),
    (lambda Z, d: log_softmax_backward(Z, d).sum(axis=1), ["expected shape (4, 3), got (4,)"], False),
    (lambda Z, d: None, ["is None"], False),
    (_stub, ["not written yet"], False),
])
def test_log_softmax_backward_wrong(fn, fragments, hidden):
    fails_with(check_log_softmax_backward, fn, "Exercise 10.3", *fragments, hidden=hidden)


# ---------------------------------------------------------------- Exercise 10.4

def torch_train(model, loss_fn, optimizer, X, y, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def torch_train_zero_last(model, loss_fn, optimizer, X, y, steps):
    losses = []
    for _ in range(steps):
        loss = loss_fn(model.forward(X), y)
        losses.append(float(loss))
        loss.backward()
        optimizer.step()
        model.zero_grad()
    return losses


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", [torch_train, torch_train_zero_last])
def test_torch_train_correct(fn, hidden, capsys):
    check_torch_train(fn, hidden=hidden)
    assert "✔ Exercise 10.4 torch_train" in capsys.readouterr().out


def _torch_train_wrong(kind):
    def fn(model, loss_fn, optimizer, X, y, steps):
        losses = []
        loss = loss_fn(model(X), y) if kind == "forward_once" else None
        for step in range(steps):
            if kind not in ("no_zero", "zero_between", "zero_once") or (kind == "zero_once" and step == 0):
                optimizer.zero_grad()
            if kind != "forward_once":
                loss = loss_fn(model(X), y)
            if kind == "step_first":
                optimizer.step()
            if kind != "no_backward":
                loss.backward()
            if kind == "zero_between":
                optimizer.zero_grad()
            if kind not in ("no_step", "step_first"):
                optimizer.step()
            if kind == "loss_after":
                losses.append(loss_fn(model(X), y).item())
            elif kind == "tensor":
                losses.append(loss)
            elif kind != "last_only":
                losses.append(loss.item())
        if kind == "last_only":
            return [loss.item()]
        return None if kind == "none" else losses
    return fn


@pytest.mark.parametrize("kind, fragments", [
    ("no_zero", ["zero_grad() is never called", "sum of all gradients"]),
    ("zero_once", ["zero_grad() ran 1 time(s) in 3 steps"]),
    ("zero_between", ["between loss.backward() and optimizer.step()", "wipes the gradient"]),
    ("step_first", ["optimizer.step() runs before loss.backward()"]),
    ("no_backward", ["loss.backward() is never called"]),
    ("no_step", ["optimizer.step() is never called"]),
    ("forward_once", ["raised RuntimeError", "backward through the graph a second time"]),
    ("loss_after", ["losses after each update"]),
    ("tensor", ["append loss.item()", "keeps its whole graph alive"]),
    ("last_only", ["should return 3 losses (one per step), got 1"]),
    ("none", ["returned None", "list of the losses"]),
])
def test_torch_train_wrong(kind, fragments):
    fails_with(check_torch_train, _torch_train_wrong(kind), "Exercise 10.4", *fragments)


def test_torch_train_stub_and_wrong_loss_input():
    fails_with(check_torch_train, _stub, "not written yet")
    fails_with(check_torch_train, lambda m, lf, o, X, y, s: [lf(X, y) for _ in range(s)], "expects model(X)")


@pytest.mark.torch
def test_torch_train_trains_a_real_torch_model_like_the_stand_ins(torch):
    """The right answer runs on PyTorch's real objects, and gives the losses of our engine."""
    from backprop_lib.layers import Linear, ReLU, Sequential
    from backprop_lib.losses import SoftmaxCrossEntropy
    from backprop_lib.optim import SGD

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12, 2)), rng.integers(0, 3, size=12)
    net = Sequential(Linear(2, 6, seed=0), ReLU(), Linear(6, 3, seed=1))
    model = torch.nn.Sequential(torch.nn.Linear(2, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3)).double()
    with torch.no_grad():
        for ours, theirs in zip(net.layers[0::2], model[0::2]):
            theirs.weight.copy_(torch.tensor(ours.W.data.T))
            theirs.bias.copy_(torch.tensor(ours.b.data))
    got = torch_train(model, torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.5),
              torch.tensor(X), torch.tensor(y), 5)
    opt, loss_fn, expected = SGD(net.parameters(), lr=0.5), SoftmaxCrossEntropy(), []
    for _ in range(5):
        expected.append(loss_fn.forward(net.forward(X), y))
        net.backward(loss_fn.backward())
        opt.step()
        opt.zero_grad()
    assert all(isinstance(v, float) for v in got)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


# ---------------------------------------------------------------- Exercise 10.5

def mlp_loss(params, X, y, xp=np):
    H = xp.maximum(X @ params["0.W"] + params["0.b"], 0)
    H = xp.maximum(H @ params["2.W"] + params["2.b"], 0)
    Z = H @ params["4.W"] + params["4.b"]
    Z = Z - Z.max(axis=1, keepdims=True)
    log_p = Z - xp.log(xp.sum(xp.exp(Z), axis=1, keepdims=True))
    return -xp.mean(log_p[np.arange(len(y)), y])          # np.arange is fine: no traced value


def _mlp_wrong(kind):
    def fn(params, X, y, xp=np):
        act = (lambda Z: xp.tanh(Z)) if kind == "tanh" else (lambda Z: xp.maximum(Z, 0))
        if kind == "linear":
            act = (lambda Z: Z + 0 * xp.exp(0.0))
        H = act(X @ params["0.W"] + params["0.b"])
        H = act(H @ params["2.W"] + params["2.b"])
        Z = H @ params["4.W"] + params["4.b"]
        if kind == "relu_last":
            Z = act(Z)
        if kind == "mutate":
            params["4.W"] *= 1.0 + 1e-3
        if kind != "unstable":
            Z = Z - xp.max(Z, axis=1, keepdims=True)
        p = xp.exp(Z) / xp.sum(xp.exp(Z), axis=1, keepdims=True)
        if kind == "prob":
            return -xp.mean(p[xp.arange(len(y)), y])
        log_p = xp.log(p) if kind == "unstable" else Z - xp.log(xp.sum(xp.exp(Z), axis=1, keepdims=True))
        picked = log_p[xp.arange(len(y)), y]
        if kind == "sum":
            return -xp.sum(picked)
        if kind == "per_example":
            return -picked
        if kind == "sign":
            return xp.mean(picked)
        return -xp.mean(picked)
    return fn


def mlp_loss_uses_np(params, X, y, xp=np):
    Z = X @ params["0.W"]
    return np.mean(np.exp(Z))


def mlp_loss_ignores_xp(params, X, y, xp=np):
    return sum(float(v.sum()) for v in params.values()) * 0 + 1.0


@pytest.mark.parametrize("hidden", [False, True])
def test_mlp_loss_correct(hidden, capsys):
    check_mlp_loss(mlp_loss, hidden=hidden)
    assert "✔ Exercise 10.5 mlp_loss" in capsys.readouterr().out


@pytest.mark.parametrize("fn, fragments", [
    (_mlp_wrong("tanh"), ["you used tanh", "ReLU"]),
    (_mlp_wrong("relu_last"), ["the last layer has a ReLU too"]),
    (_mlp_wrong("linear"), ["no activation between the Linear layers"]),
    (_mlp_wrong("prob"), ["averaged the probabilities"]),
    (_mlp_wrong("sum"), ["factor of N = 7", "divide by N"]),
    (_mlp_wrong("per_example"), ["should be a single number", "sum or average"]),
    (_mlp_wrong("sign"), ["wrong sign"]),
    (_mlp_wrong("unstable"), ["logits in the thousands", "inf or NaN", "subtract each row's maximum"]),
    (_mlp_wrong("mutate"), ["changed params['4.W']", "pure function"]),
    (mlp_loss_uses_np, ["calls np.exp, np.mean directly", "write xp.exp", "traced values"]),
    (mlp_loss_ignores_xp, ["never used `xp`"]),
    (lambda params, X, y, xp=np: None, ["returned None", "forget `return`"]),
    (_stub, ["not written yet"]),
])
def test_mlp_loss_wrong(fn, fragments):
    fails_with(check_mlp_loss, fn, "Exercise 10.5", *fragments)


@pytest.mark.jax
def test_mlp_loss_answer_runs_under_jax_grad(jax):
    jnp = jax.numpy

    rng = np.random.default_rng(1)
    params = {"0.W": rng.normal(size=(2, 5)), "0.b": rng.normal(size=5), "2.W": rng.normal(size=(5, 4)),
              "2.b": rng.normal(size=4), "4.W": rng.normal(size=(4, 3)), "4.b": rng.normal(size=3)}
    X, y = rng.normal(size=(6, 2)), rng.integers(0, 3, size=6)
    loss, grads = mlp_loss_and_grad(params, X, y)
    jloss, jgrads = jax.jit(jax.value_and_grad(mlp_loss), static_argnums=3)(params, X, y, jnp)
    assert float(jloss) == pytest.approx(loss, rel=1e-13)
    for k in params:
        np.testing.assert_allclose(np.asarray(jgrads[k]), grads[k], rtol=1e-11, atol=1e-14)
    with pytest.raises(Exception, match="(?i)tracer|__array__|concrete"):
        jax.grad(mlp_loss_uses_np)(params, X, y, jnp)        # what the checker's np rule prevents


# ---------------------------------------------------------------- Exercise 10.6

def sgd_train(loss_and_grad, params, X, y, lr, steps):
    losses = []
    for _ in range(steps):
        loss, grads = loss_and_grad(params, X, y)
        params = {k: params[k] - lr * grads[k] for k in params}
        losses.append(float(loss))
    return params, losses


def _train_wrong(kind):
    def fn(loss_and_grad, params, X, y, lr, steps):
        losses = []
        for _ in range(steps):
            loss, grads = loss_and_grad(params, X, y)
            if kind == "inplace":
                for k in params:
                    params[k] -= lr * grads[k]
            elif kind == "assign_key":
                for k in list(params):
                    params[k] = params[k] - lr * grads[k]
            elif kind == "uphill":
                params = {k: params[k] + lr * grads[k] for k in params}
            elif kind == "no_lr":
                params = {k: params[k] - grads[k] for k in params}
            elif kind == "grads":
                params = grads
            else:
                params = {k: params[k] - lr * grads[k] for k in params}
            if kind == "loss_after":
                loss = loss_and_grad(params, X, y)[0]
            losses.append(loss)
        if kind == "list":
            return list(params.values()), losses
        if kind == "one_value":
            return params
        return params, (losses[-1] if kind == "last_loss" else losses)
    return fn


@pytest.mark.parametrize("hidden", [False, True])
def test_sgd_train_correct(hidden, capsys):
    check_sgd_train(sgd_train, hidden=hidden)
    assert "✔ Exercise 10.6 sgd_train" in capsys.readouterr().out


@pytest.mark.parametrize("kind, fragments", [
    ("inplace", ["the caller's params['0.W'] changed", "JAX arrays cannot be changed"]),
    ("assign_key", ["the caller's dict `params` was changed", "build a new dict"]),
    ("uphill", ["the change of params['0.W']", "moved uphill"]),
    ("no_lr", ["the learning rate is missing"]),
    ("grads", ["the change of params['0.W']"]),
    ("loss_after", ["called 6 times for 3 steps"]),
    ("list", ["should be the new params, a dict"]),
    ("one_value", ["should return 2 values (params, losses)"]),
    ("last_loss", ["one number per step (3)"]),
])
def test_sgd_train_wrong(kind, fragments):
    fails_with(check_sgd_train, _train_wrong(kind), "Exercise 10.6", *fragments)


def test_sgd_train_stub_and_no_call():
    fails_with(check_sgd_train, _stub, "not written yet")
    fails_with(check_sgd_train, lambda f, p, X, y, lr, s: (p, [0.0] * s), "loss_and_grad was called 0 times for 3 steps")


@pytest.mark.jax
def test_sgd_train_runs_on_jax_value_and_grad(jax):
    jnp = jax.numpy

    from backprop_lib.functional import mlp_loss as reference_loss

    rng = np.random.default_rng(2)
    params = {"0.W": rng.normal(size=(2, 5)), "0.b": np.zeros(5), "2.W": rng.normal(size=(5, 4)),
              "2.b": np.zeros(4), "4.W": rng.normal(size=(4, 3)), "4.b": np.zeros(3)}
    X, y = rng.normal(size=(9, 2)), rng.integers(0, 3, size=9)
    step = jax.jit(jax.value_and_grad(lambda p, X, y: reference_loss(p, X, y, jnp)))
    new, losses = sgd_train(step, params, X, y, 0.3, 4)
    ref, ref_losses = sgd_train(mlp_loss_and_grad, params, X, y, 0.3, 4)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-12)
    for k in params:
        np.testing.assert_allclose(np.asarray(new[k]), ref[k], rtol=1e-11, atol=1e-14)
