r"""Checkers for notebook 07, "Training multilayer networks".

* Exercise 7.1 ``train_step(net, loss_fn, opt, X, y) -> loss``: one forward, loss,
  backward, update, and the gradients zeroed for the next step.
* Exercise 7.2 ``momentum_update(param, grad, velocity, lr, beta)``: in place,
  :math:`v \leftarrow \beta v + g,\ \theta \leftarrow \theta - \eta v` (PyTorch's convention,
  as :class:`backprop_lib.optim.Momentum`).
"""
from __future__ import annotations

import copy

import numpy as np

from ..layers import Linear, Sequential, Tanh
from ..losses import SoftmaxCrossEntropy
from ..optim import SGD, Momentum
from ..training import Trainer
from .framework import exercise

__all__ = ["check_train_step", "check_momentum_update"]


# ------------------------------------------------------------------ Exercise 7.1


def _setup(seed, N, optimizer):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, 3))
    y = rng.integers(0, 3, size=N)
    net = Sequential(Linear(3, 5, init="xavier", rng=rng), Tanh(), Linear(5, 3, init="xavier", rng=rng))
    opt = SGD(net.parameters(), lr=0.5) if optimizer == "sgd" else Momentum(net.parameters(), lr=0.3, beta=0.9)
    return net, SoftmaxCrossEntropy(), opt, X, y


def _params(net):
    return [p.data.copy() for p in net.parameters()]


def _same(a, b, rtol=1e-9, atol=1e-12):
    return all(x.shape == y.shape and np.allclose(x, y, rtol=rtol, atol=atol) for x, y in zip(a, b))


@exercise("Exercise 7.1", "train_step")
def check_train_step(c):
    """Three calls of ``train_step`` must move the parameters exactly as the reference loop does."""
    settings = c.cases([("sgd", 8), ("momentum", 6)], hidden=[("sgd", 12), ("momentum", 10), ("sgd", 1)])
    for optimizer, N in settings:
        seed = int(c.rng.integers(0, 2 ** 31))
        mine = _setup(seed, N, optimizer)
        ref = copy.deepcopy(mine)          # one deepcopy keeps the optimizer pointing at its own net
        net, loss_fn, opt = mine[:3]
        with c.case(f"a Linear-Tanh-Linear net, {type(opt).__name__} optimizer, a batch of {N}"):
            for step in (1, 2, 3):
                before = _params(net)
                X, y = ref[3].copy(), ref[4].copy()
                got = c.run(c.student, net, loss_fn, opt, X, y, name=c.name, copy_args=False)
                expected = Trainer(*ref).step()   # the package's step: forward, loss, backward, update, zero
                after = _params(net)
                if _same(before, after, rtol=0, atol=0):
                    grads_zero = all(not np.any(p.grad) for p in net.parameters())
                    if grads_zero:
                        c.fail(f"step {step}: the parameters did not change and the gradients are zero. "
                               "Did you call net.backward(loss_fn.backward()) and then opt.step() "
                               "before opt.zero_grad()? Zeroing before the update throws the gradient away.")
                    c.fail(f"step {step}: the parameters did not change, although the gradients were "
                           "computed: did you forget opt.step()?")
                if not _same(after, _params(ref[0])):
                    if step > 1:
                        c.fail(f"step 1 was right, but step {step} is not: the gradients are not "
                               "zeroed between steps, so each backward adds to the previous one. "
                               "Call opt.zero_grad() (or net.zero_grad()) once per step.")
                    c.fail("after one step the parameters differ from one step of the reference loop: "
                           "forward, loss, backward, opt.step(), zero the gradients; in that order.")
                c.compare("the returned loss", got, expected, mistakes={
                    "this is the loss after the update: return the loss computed in this step's "
                    "forward pass (before opt.step())": loss_fn.forward(ref[0].forward(ref[3]), ref[4]),
                })


# ------------------------------------------------------------------ Exercise 7.2


@exercise("Exercise 7.2", "momentum_update")
def check_momentum_update(c):
    """``momentum_update(param, grad, velocity, lr, beta)`` updates ``param`` and ``velocity`` in place."""
    for shape, lr, beta in c.cases([((3,), 0.1, 0.9), ((2, 3), 0.05, 0.5)],
                                   hidden=[((4,), 0.01, 0.99), ((3, 2), 0.2, 0.0), ((5, 4), 0.1, 0.8)]):
        param = c.rng.normal(size=shape)
        velocity = c.rng.normal(size=shape)            # not zero: a stale velocity must be used
        p_ref, v_ref = param.copy(), velocity.copy()
        with c.case(f"param of shape {shape}, lr={lr}, beta={beta}, a non-zero starting velocity"):
            for step in (1, 2, 3):
                grad = c.rng.normal(size=shape)
                p_old, v_old = p_ref.copy(), v_ref.copy()
                result = c.run(c.student, param, grad.copy(), velocity, lr, beta, name=c.name, copy_args=False)
                # optim.Momentum's update (a test feeds Momentum itself), written out: the mistakes need v_old
                v_ref = beta * v_ref + grad
                p_ref = p_ref - lr * v_ref
                if result is not None and not (isinstance(result, tuple) and len(result) == 0):
                    unchanged = np.array_equal(param, p_old)
                    if unchanged:
                        c.fail("`momentum_update` returned a value and left `param` unchanged: update the "
                               "arrays in place (param -= ..., velocity *= ..., velocity += ...) and return "
                               "nothing; the optimizer keeps using the same arrays.")
                if np.array_equal(velocity, v_old) and not np.array_equal(v_ref, v_old):
                    c.fail("`velocity` did not change: update it in place (velocity *= beta; velocity += grad, "
                           "or velocity[...] = ...). `velocity = beta * velocity + grad` only rebinds the "
                           "local name; the caller's array keeps the old value.")
                if np.array_equal(param, p_old):
                    c.fail("`param` did not change: update it in place (param -= lr * velocity). "
                           "`param = param - ...` only rebinds the local name.")
                v_mistakes = {
                    "the velocity should be beta * velocity + grad (PyTorch's convention); "
                    "you used the averaged form beta * velocity + (1 - beta) * grad": beta * v_old + (1 - beta) * grad,
                    "beta is missing: the velocity must decay, velocity = beta * velocity + grad": v_old + grad,
                    "the gradient is subtracted from the velocity; add it: velocity = beta * velocity + grad":
                        beta * v_old - grad,
                }
                c.compare("velocity", velocity, v_ref, mistakes=v_mistakes)
                step_ref = p_ref - p_old
                c.compare("the change of param", param - p_old, step_ref, mistakes={
                    "param moved with the old velocity: update the velocity first, then "
                    "param -= lr * velocity": -lr * v_old,
                    "param moved by the gradient alone, as plain SGD: use the velocity, "
                    "param -= lr * velocity": -lr * grad,
                    "param moves uphill: it must be param -= lr * velocity (minus, not plus)": -step_ref,
                })
