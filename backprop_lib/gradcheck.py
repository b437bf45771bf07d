r"""Checking gradients: finite differences, relative error, and a verdict.

The centered difference estimates one partial derivative from two evaluations,

.. math::

    \frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h},

with error :math:`O(h^2)` (the one-sided difference has error :math:`O(h)`). Doing it
for every entry costs **2 forward passes per entry**: :math:`2P` passes for a network
with :math:`P` parameters, against about one forward plus one backward for backprop.
That is why finite differences are a *check*, never the way to train.

Rules that make the check trustworthy:

* work in float64 (in float32 the rounding error of :math:`f` divided by :math:`h`
  swamps the estimate), with :math:`h \approx 10^{-5}`;
* compare with a *relative* error, so that the verdict does not depend on the scale;
* check an array operation against a *random* upstream gradient :math:`G` by
  differentiating :math:`f(x) = \sum \text{layer}(x) \odot G`: an all-ones :math:`G`
  could hide a transposed or mis-summed gradient;
* ReLU has a kink at 0: if an input is within :math:`h` of 0 the estimate straddles
  it and the error is large even for a correct gradient ("acceptable near kinks").

The threshold ladder for the relative error (:func:`verdict`):

=================  ===========================
rel error          verdict
=================  ===========================
> 1e-2             "wrong"
1e-4 .. 1e-2       "suspicious"
1e-7 .. 1e-4       "acceptable near kinks"
< 1e-7             "good"
=================  ===========================
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validate import as_float_array, check_positive_float, shape_str
from .i18n import N_, _
from .layers import ArrayModule, Parameter
from .losses import Loss

__all__ = ["centered_difference", "numerical_gradient", "CallCounter", "rel_error", "verdict", "check_layer",
           "check_model", "GradCheckReport", "compare"]


class CallCounter:
    """Wrap ``f`` and count its calls: ``g = CallCounter(f); g(x); g.calls == 1``."""

    def __init__(self, f: Callable[..., Any]) -> None:
        if not callable(f):
            raise TypeError(_("CallCounter expects a function, got {kind}").format(kind=type(f).__name__))
        self.f = f
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.f(*args, **kwargs)


def centered_difference(f: Callable[[float], float], x: float, h: float = 1e-5) -> float:
    r"""The slope of a function of one number at ``x``: :math:`(f(x + h) - f(x - h)) / 2h`.

    Two evaluations, error :math:`O(h^2)`. :func:`numerical_gradient` does the same for
    every entry of an array.
    """
    h = check_positive_float(h, "h", "centered_difference")
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f: Callable[[np.ndarray], float], x: Any, h: float = 1e-5,
                       return_count: bool = False
                       ) -> np.ndarray | tuple[np.ndarray, int]:
    r"""Centered finite-difference gradient of the scalar function ``f`` at ``x``.

    ``x`` is perturbed **in place**, one entry at a time, and restored exactly; so
    ``x`` may be a parameter array that ``f`` reads (``f = lambda _: loss(net)``).
    It must be a float64 ndarray (a list or an integer array is first copied to
    float64). Returns the gradient (shape of ``x``), or ``(gradient, n_forward)`` with
    ``return_count=True``, where ``n_forward = 2 * x.size`` is the number of calls to ``f``.
    """
    who = "numerical_gradient"
    if not callable(f):
        raise TypeError(_("{who}: f must be a function of x returning a number, got {kind}").format(
            who=who, kind=type(f).__name__))
    h = check_positive_float(h, "h", who)
    if isinstance(x, np.ndarray):
        if x.dtype != np.float64:
            raise TypeError(_("{who} needs x in float64 (rounding in {dtype} ruins finite differences); "
                              "got {dtype}: use x.astype(np.float64)").format(who=who, dtype=x.dtype))
        if not x.flags.writeable:
            raise ValueError(_("{who}: x must be writeable (it is perturbed in place)").format(who=who))
    else:
        x = as_float_array(x, "x", who).astype(np.float64)
    counter = CallCounter(f)
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = counter(x)
        x[idx] = old - h
        f_minus = counter(x)
        x[idx] = old
        try:
            grad[idx] = (float(f_plus) - float(f_minus)) / (2 * h)
        except (TypeError, ValueError):
            raise TypeError(_("{who}: f must return a single number, got {kind}").format(
                who=who, kind=type(f_plus).__name__)) from None
    return (grad, counter.calls) if return_count else grad


def rel_error(a: Any, b: Any, floor: float = 1e-12, elementwise: bool = False) -> float:
    r"""Relative error between two gradients of the same shape.

    Default (whole array): :math:`\dfrac{\|a - b\|}{\max(\|a\| + \|b\|,\ \text{floor})}`.
    With ``elementwise=True``, the classic per-entry form
    :math:`\max_i \dfrac{|a_i - b_i|}{\max(|a_i| + |b_i|,\ \text{floor})}`, which is
    stricter: an entry whose true value is almost 0 gets a large relative error from
    rounding alone. The floor avoids 0/0 when both are zero (the error is then 0).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(_("rel_error: shapes differ: {a_shape} vs {b_shape}").format(
            a_shape=shape_str(a.shape), b_shape=shape_str(b.shape)))
    floor = check_positive_float(floor, "floor", "rel_error")
    if elementwise:
        if a.size == 0:
            return 0.0
        return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), floor))


def verdict(rel: float) -> str:
    """The threshold ladder: "wrong" (> 1e-2), "suspicious" (> 1e-4),
    "acceptable near kinks" (>= 1e-7), "good" (< 1e-7). NaN is "wrong".

    The English word is returned (code compares it); ``_(verdict(rel))`` is the one to show."""
    rel = float(rel)
    if math.isnan(rel) or rel > 1e-2:
        return N_("wrong")
    if rel > 1e-4:
        return N_("suspicious")
    if rel >= 1e-7:
        return N_("acceptable near kinks")
    return N_("good")


@dataclass
class GradCheckReport:
    """Relative error per checked array (``errors``), the forward passes used, and verdicts.

    ``ok`` is True when every error is below ``tol`` (default 1e-7, "good").
    """

    errors: dict[str, float]
    n_forward: int
    tol: float = 1e-7
    analytic: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    numerical: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def worst(self) -> float:
        return max(self.errors.values()) if self.errors else 0.0

    @property
    def ok(self) -> bool:
        return all(e < self.tol for e in self.errors.values())

    @property
    def verdict(self) -> str:
        return verdict(self.worst)

    def __str__(self) -> str:
        width = max([len(k) for k in self.errors] + [4])
        lines = [_("{name:<{width}}  rel error {error:.2e}  {verdict}").format(
            name=k, width=width, error=e, verdict=_(verdict(e))) for k, e in self.errors.items()]
        lines.append(_("({n} forward passes for the finite differences)").format(n=self.n_forward))
        return "\n".join(lines)


def _float64_copy(module: ArrayModule, x: Any, name: str, who: str) -> np.ndarray:
    """Check that ``module`` is an ArrayModule with float64 parameters and that ``x`` is a
    float64 array; return a copy of ``x`` (the finite differences perturb it in place)."""
    if not isinstance(module, ArrayModule):
        raise TypeError(_("{who} expects an ArrayModule, got {kind}").format(who=who, kind=type(module).__name__))
    x = as_float_array(x, name, who)
    if x.dtype != np.float64:
        raise TypeError(_("{who} needs {name} in float64, got {dtype}").format(who=who, name=name, dtype=x.dtype))
    for pname, p in module.named_parameters():
        if p.dtype != np.float64:
            raise TypeError(_("{who} needs float64 parameters; {parameter} is {dtype} "
                              "(build the layer with dtype=np.float64 or call .astype(np.float64))").format(
                                  who=who, parameter=pname, dtype=p.dtype))
    return x.copy()


def _report(f: Callable[[np.ndarray], float], analytic: dict[str, np.ndarray],
            arrays: list[tuple[str, np.ndarray]], h: float, tol: float) -> GradCheckReport:
    """Finite differences of ``f`` in each of ``arrays`` (the input first), compared with
    ``analytic``. One more call of ``f`` at the end leaves the caches consistent with the
    unperturbed input."""
    numerical, n_forward = {}, 0
    for name, arr in arrays:
        numerical[name], n = numerical_gradient(f, arr, h=h, return_count=True)
        n_forward += n
    f(arrays[0][1])
    errors = {k: rel_error(analytic[k], numerical[k]) for k in analytic}
    return GradCheckReport(errors, n_forward, tol, analytic, numerical)


def check_layer(layer: ArrayModule, x: Any, seed: int = 0, h: float = 1e-5, tol: float = 1e-7) -> GradCheckReport:
    r"""Check a layer's input and parameter gradients against finite differences.

    Draws a random upstream gradient :math:`G` (shape of the output, from ``seed``)
    and differentiates :math:`f(x, \theta) = \sum \text{layer}(x) \odot G`, whose
    gradients are exactly what ``layer.backward(G)`` returns (for ``x``) and adds into
    ``p.grad``. Entries: ``"x"`` and each parameter by name. The layer's gradients
    are overwritten.
    """
    x = _float64_copy(layer, x, "x", "check_layer")
    out = layer.forward(x)
    G = np.random.default_rng(seed).standard_normal(out.shape)

    layer.zero_grad()
    layer.forward(x)
    analytic = {"x": layer.backward(G)}
    named = layer.named_parameters()
    analytic.update({name: p.grad.copy() for name, p in named})

    def f(_x: np.ndarray) -> float:
        return float(np.sum(layer.forward_unchecked(x) * G))

    return _report(f, analytic, [("x", x)] + [(name, p.data) for name, p in named], h, tol)


def check_model(net: ArrayModule, loss_fn: Loss, X: Any, y: Any, h: float = 1e-5,
                tol: float = 1e-7) -> GradCheckReport:
    """Check every parameter gradient (and ``"X"``) of ``loss_fn(net(X), y)`` by finite differences.

    Costs 2 forward passes per parameter entry and per entry of X. The network's
    gradients are overwritten with this batch's gradients.
    """
    who = "check_model"
    if not isinstance(loss_fn, Loss):
        raise TypeError(_("{who} expects a loss such as SoftmaxCrossEntropy(), got {kind}").format(
            who=who, kind=type(loss_fn).__name__))
    X = _float64_copy(net, X, "X", who)
    net.zero_grad()
    loss_fn.forward(net.forward(X), y)
    analytic = {"X": net.backward(loss_fn.backward())}
    named = net.named_parameters()
    analytic.update({name: p.grad.copy() for name, p in named})

    def f(_x: np.ndarray) -> float:
        return loss_fn.forward(net.forward_unchecked(X), y)

    return _report(f, analytic, [("X", X)] + [(name, p.data) for name, p in named], h, tol)


def _to_numpy(v: Any) -> np.ndarray:
    if hasattr(v, "detach") and hasattr(v, "cpu"):      # a torch tensor, without importing torch
        v = v.detach().cpu().numpy()
    elif isinstance(v, Parameter):
        v = v.data
    return np.asarray(v)


def compare(name: str, ours: Any, reference: Any, rtol: float = 1e-7, atol: float = 1e-10) -> bool:
    """Print ``name | exact: ... | close: ... | max difference: ...``; return ``close``.

    ``exact``: every entry equal. ``close``: ``np.allclose(ours, reference, rtol, atol)``.
    ``reference`` may be a numpy array, a number or a torch tensor. A shape mismatch is
    reported (and returns False) rather than raised, since it answers the question.
    """
    a, b = _to_numpy(ours), _to_numpy(reference)
    if a.shape != b.shape:
        print(_("{name:<15s} | shape mismatch: ours {ours}, reference {reference}").format(
            name=name, ours=shape_str(a.shape), reference=shape_str(b.shape)))
        return False
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    exact = bool(np.array_equal(a64, b64))
    close = bool(np.allclose(a64, b64, rtol=rtol, atol=atol))
    maxdiff = float(np.max(np.abs(a64 - b64))) if a.size else 0.0
    print(_("{name:<15s} | exact: {exact:5s} | close: {close:5s} | max difference: {difference:.2e}").format(
        name=name, exact=str(exact), close=str(close), difference=maxdiff))
    return close
