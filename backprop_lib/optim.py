r"""Optimizers: turn gradients into parameter updates, in place.

Each optimizer holds the list of :class:`~backprop_lib.layers.Parameter` objects it
updates. ``step()`` reads ``p.grad`` and changes ``p.data`` **in place** (the arrays
keep their identity, so a layer never notices); ``zero_grad()`` resets the gradients.
Work buffers are allocated once, in the constructor, so a step allocates no arrays.

The update rules (:math:`g` = ``p.grad``, :math:`\eta` = ``lr``, :math:`t` = step count),
written as in PyTorch so the two agree step for step:

* SGD: :math:`\theta \leftarrow \theta - \eta\,(g + \lambda\theta)` (``weight_decay`` :math:`\lambda`)
* Momentum: :math:`v \leftarrow \beta v + g,\quad \theta \leftarrow \theta - \eta v`
* Adam: :math:`m \leftarrow \beta_1 m + (1-\beta_1) g,\quad v \leftarrow \beta_2 v + (1-\beta_2) g^2,`
  :math:`\quad \theta \leftarrow \theta - \eta\,\dfrac{m/(1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t)} + \epsilon}`

:func:`clip_grad_norm` rescales all gradients together before a step when their global
norm is too large (exploding gradients), as ``torch.nn.utils.clip_grad_norm_`` does.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ._validate import check_nonnegative_float, check_positive_float
from .i18n import _
from .layers import Parameter

__all__ = ["Optimizer", "SGD", "Momentum", "Adam", "clip_grad_norm"]


class Optimizer:
    """Base class: ``params``, ``lr``, ``step()``, ``zero_grad()``, ``step_count``."""

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        who = type(self).__name__
        if isinstance(params, Parameter):
            params = [params]
        try:
            params = list(params)
        except TypeError:
            raise TypeError(_("{who} expects a list of Parameters (net.parameters()), got {kind}").format(
                who=who, kind=type(params).__name__)) from None
        if not params:
            raise ValueError(_("{who} got an empty parameter list").format(who=who))
        _check_parameters(params, who)
        if len({id(p) for p in params}) != len(params):
            raise ValueError(_("{who}: a Parameter appears twice in the list").format(who=who))
        self.params: list[Parameter] = params
        self.lr = check_positive_float(lr, "lr", who)
        self.step_count = 0
        self._buf = [np.empty_like(p.data) for p in params]     # scratch, reused every step

    def step(self) -> None:
        """Apply one update to every parameter (in place)."""
        for p in self.params:
            if p.grad.shape != p.data.shape:
                raise ValueError(_("{who}: {parameter} has a gradient of shape {shape}, expected {expected}").format(
                    who=type(self).__name__, parameter=repr(p), shape=p.grad.shape, expected=p.data.shape))
        self.step_count += 1
        for i, p in enumerate(self.params):
            self._update(i, p)

    def _update(self, i: int, p: Parameter) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def zero_grad(self) -> None:
        """Set every gradient to zero (in place)."""
        for p in self.params:
            p.grad.fill(0)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr:g})"


class SGD(Optimizer):
    r"""Plain gradient descent: :math:`\theta \leftarrow \theta - \eta\,(g + \lambda \theta)`."""

    def __init__(self, params: Iterable[Parameter], lr: float, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.weight_decay = check_nonnegative_float(weight_decay, "weight_decay", "SGD")

    def _update(self, i: int, p: Parameter) -> None:
        if self.weight_decay:
            np.multiply(p.data, 1 - self.lr * self.weight_decay, out=p.data)   # theta -= lr*wd*theta
        buf = np.multiply(p.grad, self.lr, out=self._buf[i])
        np.subtract(p.data, buf, out=p.data)                                   # theta -= lr*g

    def __repr__(self) -> str:
        wd = f", weight_decay={self.weight_decay:g}" if self.weight_decay else ""
        return f"SGD(lr={self.lr:g}{wd})"


class Momentum(Optimizer):
    r"""Heavy-ball momentum (PyTorch's ``SGD(momentum=beta)``):
    :math:`v \leftarrow \beta v + g,\ \theta \leftarrow \theta - \eta v`.

    The velocity :math:`v` is a running sum of past gradients, so steady directions
    speed up (by up to :math:`1/(1-\beta)`) and oscillating ones cancel.
    """

    def __init__(self, params: Iterable[Parameter], lr: float, beta: float = 0.9) -> None:
        super().__init__(params, lr)
        self.beta = check_nonnegative_float(beta, "beta", "Momentum")
        if self.beta >= 1:
            raise ValueError(_("Momentum: beta must be in [0, 1), got {beta}").format(beta=self.beta))
        self.velocity = [np.zeros_like(p.data) for p in self.params]

    def _update(self, i: int, p: Parameter) -> None:
        v = self.velocity[i]
        np.multiply(v, self.beta, out=v)
        np.add(v, p.grad, out=v)                              # v = beta v + g
        buf = np.multiply(v, self.lr, out=self._buf[i])
        np.subtract(p.data, buf, out=p.data)                  # theta -= lr v

    def __repr__(self) -> str:
        return f"Momentum(lr={self.lr:g}, beta={self.beta:g})"


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015): momentum on :math:`g` and a per-entry scale from :math:`g^2`.

    :math:`m` and :math:`v` start at zero, so they are divided by :math:`1-\beta^t`
    ("bias correction") to undo the pull towards zero in the first steps.
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(params, lr)
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise TypeError(_("Adam: betas must be a pair (beta1, beta2), got {betas}").format(
                betas=repr(betas))) from None
        self.beta1 = check_nonnegative_float(b1, "beta1", "Adam")
        self.beta2 = check_nonnegative_float(b2, "beta2", "Adam")
        for name, b in (("beta1", self.beta1), ("beta2", self.beta2)):
            if b >= 1:
                raise ValueError(_("Adam: {name} must be in [0, 1), got {value}").format(name=name, value=b))
        self.eps = check_positive_float(eps, "eps", "Adam")
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]

    def _update(self, i: int, p: Parameter) -> None:
        t = self.step_count
        m, v, buf, g = self.m[i], self.v[i], self._buf[i], p.grad
        np.multiply(m, self.beta1, out=m)
        np.multiply(g, 1 - self.beta1, out=buf)
        np.add(m, buf, out=m)                                 # m = b1 m + (1 - b1) g
        np.multiply(v, self.beta2, out=v)
        np.multiply(g, g, out=buf)
        np.multiply(buf, 1 - self.beta2, out=buf)
        np.add(v, buf, out=v)                                 # v = b2 v + (1 - b2) g^2
        step_size = self.lr / (1 - self.beta1 ** t)
        np.sqrt(v, out=buf)
        np.divide(buf, math.sqrt(1 - self.beta2 ** t), out=buf)
        np.add(buf, self.eps, out=buf)                        # sqrt(v_hat) + eps
        np.divide(m, buf, out=buf)
        np.multiply(buf, step_size, out=buf)
        np.subtract(p.data, buf, out=p.data)                  # theta -= lr m_hat / (sqrt(v_hat) + eps)

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr:g}, betas=({self.beta1:g}, {self.beta2:g}), eps={self.eps:g})"


def _check_parameters(params: list[Any], who: str) -> None:
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(_("{who}: params[{index}] must be a Parameter, got {kind}").format(
                who=who, index=i, kind=type(p).__name__))


def clip_grad_norm(params: Iterable[Parameter], max_norm: float) -> float:
    r"""Clip the gradients of ``params`` by their global norm, in place; return that norm.

    The global norm is :math:`\|g\| = \sqrt{\sum_p \sum_i g_{p,i}^2}` over every entry
    of every gradient. If it exceeds ``max_norm``, every gradient is multiplied by the
    same factor :math:`\text{max\_norm}/\|g\|`: the direction of the whole gradient is
    kept and its length becomes ``max_norm``, so an SGD step moves the parameters by at
    most ``lr * max_norm``. Gradients already within the limit are left alone. Returns
    the norm *before* clipping (as PyTorch's ``clip_grad_norm_``, which also adds
    ``1e-6`` to the norm in the factor; this one does not). A non-finite norm is
    returned as it is and nothing is scaled.
    """
    who = "clip_grad_norm"
    if isinstance(params, Parameter):
        params = [params]
    params = list(params)
    _check_parameters(params, who)
    max_norm = check_positive_float(max_norm, "max_norm", who)
    if not params:
        return 0.0
    biggest = max(float(np.max(np.abs(p.grad), initial=0.0)) for p in params)
    if biggest == 0.0 or not math.isfinite(biggest):
        return biggest
    # scaled by the largest entry first, so that huge gradients do not overflow when squared
    total = biggest * math.sqrt(sum(float(np.sum(np.square(p.grad / biggest))) for p in params))
    if total > max_norm:
        factor = max_norm / total
        for p in params:
            p.grad *= factor
    return total
