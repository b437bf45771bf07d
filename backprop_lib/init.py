r"""Weight initialization: how large should the random starting weights be?

A Linear layer computes :math:`Z = XW + b` with :math:`W` of shape ``(n_in, n_out)``.
If the inputs have unit variance and the weights are drawn independently with
variance :math:`\sigma^2`, each pre-activation is a sum of ``n_in`` terms, so

.. math::

    \operatorname{Var}(Z_{ij}) = n_\text{in} \, \sigma^2 \operatorname{Var}(X).

Too small a :math:`\sigma` and the signal shrinks layer after layer (vanishing
activations and gradients); too large and it grows (exploding). The schemes below
choose :math:`\sigma` to keep the variance roughly constant:

=============  =======================================================  =====================
scheme         standard deviation of each weight                         suited to
=============  =======================================================  =====================
``"xavier"``   :math:`\sigma = \sqrt{2 / (n_\text{in} + n_\text{out})}`  tanh, linear
``"he"``       :math:`\sigma = \sqrt{2 / n_\text{in}}`                   ReLU (it zeroes half)
``float`` s    :math:`\sigma = s` (fixed scale, e.g. 0.01)               experiments
=============  =======================================================  =====================

Xavier (Glorot & Bengio, 2010) averages the forward condition
:math:`n_\text{in}\sigma^2 = 1` and the backward one :math:`n_\text{out}\sigma^2 = 1`,
which assume an activation with slope 1 at 0 (tanh, or none). The sigmoid's slope at 0
is 1/4, so Xavier gives its layers a gain of about 1/4 (notebook 08).
He (Kaiming He et al., 2015) doubles the forward condition because a ReLU passes only
about half of its inputs. All weights here are drawn from a normal distribution
with mean 0; biases start at 0.

Randomness: a layer built without ``seed`` or ``rng`` draws from a module-level
generator seeded with 0 (reset it with :func:`manual_seed`), so re-running a notebook
gives the same weights while two layers of one network still differ.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real
from typing import Any

import numpy as np

from ._validate import check_dtype, check_positive_int, make_rng
from .i18n import _

__all__ = ["xavier_std", "he_std", "init_std", "init_weights", "manual_seed", "default_rng"]

InitSpec = str | float

_DEFAULT_RNG = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reset the generator used by layers built without ``seed``/``rng``."""
    global _DEFAULT_RNG
    _DEFAULT_RNG = make_rng(seed, who="manual_seed")


def default_rng() -> np.random.Generator:
    """The module-level generator (see :func:`manual_seed`)."""
    return _DEFAULT_RNG


def xavier_std(n_in: int, n_out: int) -> float:
    r""":math:`\sqrt{2 / (n_\text{in} + n_\text{out})}` (Glorot/Xavier, normal)."""
    return math.sqrt(2.0 / (n_in + n_out))


def he_std(n_in: int, n_out: int | None = None) -> float:
    r""":math:`\sqrt{2 / n_\text{in}}` (He/Kaiming, normal, for ReLU).

    Only the fan-in matters, so ``he_std(fan_in)`` works too; ``n_out`` is accepted so
    that every scheme has the signature ``(n_in, n_out)``.
    """
    return math.sqrt(2.0 / n_in)


_STD: dict[str, Callable[[int, int], float]] = {"xavier": xavier_std, "glorot": xavier_std,
                                                 "he": he_std, "kaiming": he_std}


def init_std(init: InitSpec, n_in: int, n_out: int) -> float:
    """The weight standard deviation that scheme ``init`` gives a ``(n_in, n_out)`` layer."""
    who = "init_std"
    n_in = check_positive_int(n_in, "n_in", who)
    n_out = check_positive_int(n_out, "n_out", who)
    if isinstance(init, str):
        key = init.lower()
        if key not in _STD:
            raise ValueError(_("unknown init {init}: expected one of 'he', 'xavier' "
                               "(aliases 'kaiming', 'glorot') or a float scale").format(init=repr(init)))
        return _STD[key](n_in, n_out)
    if isinstance(init, bool) or not isinstance(init, Real):
        raise TypeError(_("init must be 'he', 'xavier' or a float scale, got {kind} {init}").format(
            kind=type(init).__name__, init=repr(init)))
    scale = float(init)
    if not math.isfinite(scale) or scale < 0:
        raise ValueError(_("a fixed init scale must be finite and >= 0, got {scale}").format(scale=scale))
    return scale


def init_weights(n_in: int, n_out: int, init: InitSpec = "he",
                 rng: np.random.Generator | None = None, dtype: Any = np.float64) -> np.ndarray:
    r"""A ``(n_in, n_out)`` weight matrix with entries :math:`\sim \mathcal{N}(0, \sigma^2)`.

    :math:`\sigma` comes from :func:`init_std`. The draw is made in float64 and then
    cast, so a float32 layer holds the rounded weights of the float64 layer with the
    same seed.
    """
    std = init_std(init, n_in, n_out)
    dt = check_dtype(dtype, "init_weights")
    gen = _DEFAULT_RNG if rng is None else make_rng(rng=rng, who="init_weights")
    W = gen.standard_normal((n_in, n_out))
    W *= std
    return W.astype(dt, copy=False)
