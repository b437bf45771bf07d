"""Optimizers: update rules against plain-formula references, in-place updates, no allocations."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.checkpoint import measure_peak_bytes
from backprop_lib.layers import Parameter
from backprop_lib.optim import SGD, Adam, Momentum

RNG = np.random.default_rng(5)


def make_params(dtype=np.float64):
    return [Parameter(RNG.standard_normal((3, 4)).astype(dtype), "W"),
            Parameter(RNG.standard_normal(4).astype(dtype), "b")]


def grads_for(params, steps):
    return [[RNG.standard_normal(p.shape) for p in params] for _ in range(steps)]


def run(opt, params, grad_seq):
    for grads in grad_seq:
        for p, g in zip(params, grads):
            p.grad[...] = g
        opt.step()
        opt.zero_grad()


@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_sgd_matches_formula(wd):
    params = make_params()
    start = [p.data.copy() for p in params]
    seq = grads_for(params, 3)
    run(SGD(params, lr=0.05, weight_decay=wd), params, seq)
    for i, p in enumerate(params):
        theta = start[i].copy()
        for grads in seq:
            theta = theta - 0.05 * (grads[i] + wd * theta)
        np.testing.assert_allclose(p.data, theta, rtol=1e-13, atol=1e-15)


def test_momentum_matches_formula():
    params = make_params()
    start = [p.data.copy() for p in params]
    seq = grads_for(params, 4)
    run(Momentum(params, lr=0.1, beta=0.8), params, seq)
    for i, p in enumerate(params):
        theta, v = start[i].copy(), np.zeros_like(start[i])
        for grads in seq:
            v = 0.8 * v + grads[i]
            theta = theta - 0.1 * v
        np.testing.assert_allclose(p.data, theta, rtol=1e-13, atol=1e-15)


def test_adam_matches_formula():
    params = make_params()
    start = [p.data.copy() for p in params]
    seq = grads_for(params, 5)
    run(Adam(params, lr=0.01, betas=(0.8, 0.99), eps=1e-6), params, seq)
    for i, p in enumerate(params):
        theta, m, v = start[i].copy(), 0.0, 0.0
        for t, grads in enumerate(seq, start=1):
            g = grads[i]
            m = 0.8 * m + 0.2 * g
            v = 0.99 * v + 0.01 * g * g
            m_hat, v_hat = m / (1 - 0.8 ** t), v / (1 - 0.99 ** t)
            theta = theta - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-6)
        np.testing.assert_allclose(p.data, theta, rtol=1e-12, atol=1e-14)


def test_adam_first_step_moves_each_entry_by_about_lr():
    params = make_params()
    before = [p.data.copy() for p in params]
    for p in params:
        p.grad[...] = RNG.standard_normal(p.shape) * 100
    Adam(params, lr=0.01).step()
    for p, b in zip(params, before):
        np.testing.assert_allclose(np.abs(p.data - b), 0.01, rtol=1e-6)


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1, weight_decay=0.01),
                                  lambda ps: Momentum(ps, lr=0.1), lambda ps: Adam(ps, lr=0.1)])
def test_updates_are_in_place_and_allocate_nothing(make):
    params = [Parameter(RNG.standard_normal((500, 400)), "W")]        # 1.6 MB
    opt = make(params)
    data_id, grad_id = id(params[0].data), id(params[0].grad)
    buf = params[0].data.__array_interface__["data"][0]
    params[0].grad[...] = 1.0
    opt.step()                                                         # warm-up
    _, peak = measure_peak_bytes(opt.step)
    assert peak < 0.01 * params[0].data.nbytes, f"step allocated {peak} bytes"
    assert id(params[0].data) == data_id and id(params[0].grad) == grad_id
    assert params[0].data.__array_interface__["data"][0] == buf


@pytest.mark.parametrize("make", [SGD, Momentum, Adam])
def test_float32_parameters_stay_float32(make):
    params = make_params(np.float32)
    for p in params:
        p.grad[...] = 1.0
    opt = make(params, lr=0.01)
    opt.step()
    assert all(p.data.dtype == np.float32 for p in params)


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1), lambda ps: Momentum(ps, lr=0.05),
                                  lambda ps: Adam(ps, lr=0.1)])
def test_optimizers_minimize_a_quadratic(make):
    target = RNG.standard_normal(5)
    p = Parameter(np.zeros(5), "w")
    opt = make([p])
    for _ in range(300):
        p.grad[...] = 2 * (p.data - target)        # d/dw ||w - target||^2
        opt.step()
        opt.zero_grad()
    np.testing.assert_allclose(p.data, target, atol=1e-3)


def test_zero_grad_and_step_count():
    params = make_params()
    for p in params:
        p.grad[...] = 3.0
    opt = Adam(params)
    opt.step()
    opt.step()
    assert opt.step_count == 2
    opt.zero_grad()
    assert all(not p.grad.any() for p in params)
    assert repr(SGD(params, lr=0.1)) == "SGD(lr=0.1)"
