"""Small 2-D toy data sets, generated in code from a seed (nothing is downloaded).

Every classification generator returns ``X`` float64 of shape ``(N, 2)`` and ``y``
int64 of shape ``(N,)``; :func:`make_regression_1d` returns ``X`` ``(N, 1)`` and a
float64 ``y`` ``(N,)``. The same arguments always give the same arrays.

==================  ===========  ==========================================================
name                classes      picture
==================  ===========  ==========================================================
``moons``           2            two interleaved half circles
``circles``         2            a small circle inside a large one
``spirals``         k (3)        k arms winding around the origin (not linearly separable)
``xor``             2            the four quadrants, opposite ones share a class
``regression_1d``   (real y)     a noisy wave :math:`y = \\sin(x) + 0.3 x`
==================  ===========  ==========================================================

``load(name, n, seed)`` returns exactly ``n`` points of any of them.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._validate import check_nonnegative_float, check_positive_int, make_rng
from .i18n import _

__all__ = ["make_moons", "make_circles", "make_spirals", "make_xor", "make_regression_1d",
           "DATASETS", "load"]

Data = tuple[np.ndarray, np.ndarray]


def _split(n: int, k: int) -> np.ndarray:
    """Sizes of k classes that add up to n, as equal as possible."""
    return np.array([n // k + (1 if c < n % k else 0) for c in range(k)])


def _labels(sizes: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


def _check(n: int, noise: float, who: str, minimum: int = 1) -> tuple[int, float]:
    return check_positive_int(n, "n", who, minimum), check_nonnegative_float(noise, "noise", who)


def make_moons(n: int = 100, noise: float = 0.1, seed: int | None = 0) -> Data:
    """Two interleaving half circles; ``n`` points in total (class sizes differ by at most 1),
    plus Gaussian noise of standard deviation ``noise``."""
    n, noise = _check(n, noise, "make_moons", 2)
    rng = make_rng(seed, who="make_moons")
    n0, n1 = _split(n, 2)
    t0 = np.linspace(0, np.pi, n0)
    t1 = np.linspace(0, np.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    X = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    return X, _labels(np.array([n0, n1]))


def make_circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int | None = 0) -> Data:
    """A circle of radius ``factor`` (class 1) inside one of radius 1 (class 0)."""
    n, noise = _check(n, noise, "make_circles", 2)
    factor = check_nonnegative_float(factor, "factor", "make_circles")
    if not 0 < factor < 1:
        raise ValueError(_("make_circles: factor must be in (0, 1), got {factor}").format(factor=factor))
    rng = make_rng(seed, who="make_circles")
    sizes = _split(n, 2)
    parts = []
    for radius, m in zip((1.0, factor), sizes):
        t = np.linspace(0, 2 * np.pi, m, endpoint=False)
        parts.append(radius * np.stack([np.cos(t), np.sin(t)], axis=1))
    X = np.concatenate(parts) + noise * rng.standard_normal((n, 2))
    return X, _labels(sizes)


def _spirals(n: int, k: int, noise: float, rng: np.random.Generator) -> Data:
    sizes = _split(n, k)
    parts = []
    for c, m in enumerate(sizes):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(c * 4.0, (c + 1) * 4.0, m) + noise * rng.standard_normal(m)
        parts.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
    return np.concatenate(parts), _labels(sizes)


def make_spirals(n_per_class: int = 100, k: int = 3, noise: float = 0.2, seed: int | None = 0) -> Data:
    """``k`` spiral arms of ``n_per_class`` points each (the CS231n spiral); ``noise``
    jitters the angle. Returns ``N = k * n_per_class`` points."""
    who = "make_spirals"
    n_per_class = check_positive_int(n_per_class, "n_per_class", who)
    k = check_positive_int(k, "k", who, 2)
    noise = check_nonnegative_float(noise, "noise", who)
    return _spirals(n_per_class * k, k, noise, make_rng(seed, who=who))


def make_xor(n: int = 100, noise: float = 0.05, seed: int | None = 0) -> Data:
    """Points uniform in the square [-1, 1]^2, labelled 1 when x1 and x2 have opposite
    signs (the XOR of "x1 > 0" and "x2 > 0"); then jittered by ``noise``."""
    n, noise = _check(n, noise, "make_xor")
    rng = make_rng(seed, who="make_xor")
    X = rng.uniform(-1, 1, size=(n, 2))
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)
    X += noise * rng.standard_normal((n, 2))
    return X, y


def make_regression_1d(n: int = 100, noise: float = 0.1, seed: int | None = 0) -> Data:
    r"""``X`` sorted uniform in [-3, 3], shape ``(N, 1)``; :math:`y = \sin(x) + 0.3x + \varepsilon`,
    float64 ``(N,)``, with :math:`\varepsilon \sim \mathcal N(0, \text{noise}^2)`."""
    n, noise = _check(n, noise, "make_regression_1d")
    rng = make_rng(seed, who="make_regression_1d")
    x = np.sort(rng.uniform(-3, 3, size=n))
    y = np.sin(x) + 0.3 * x + noise * rng.standard_normal(n)
    return x[:, None], y


def _load_spirals(n: int = 300, noise: float = 0.2, seed: int | None = 0) -> Data:
    n, noise = _check(n, noise, "spirals", 3)
    return _spirals(n, 3, noise, make_rng(seed, who="spirals"))


DATASETS: dict[str, Callable[..., Data]] = {
    "moons": make_moons,
    "circles": make_circles,
    "spirals": _load_spirals,      # n points in total, 3 classes
    "xor": make_xor,
    "regression_1d": make_regression_1d,
}


def load(name: str, n: int = 200, seed: int | None = 0, **kwargs) -> Data:
    """``DATASETS[name](n=n, seed=seed, **kwargs)``: exactly ``n`` points of a named data set."""
    if name not in DATASETS:
        raise ValueError(_("unknown dataset {name}; available: {names}").format(
            name=repr(name), names=", ".join(sorted(DATASETS))))
    return DATASETS[name](n=n, seed=seed, **kwargs)
