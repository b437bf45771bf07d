"""Input checks shared by the public functions of the vectorized engine.

Every public entry point checks what it is given *at its boundary* and raises an
error that names what was expected and what was given, so a learner reads
"Linear(2, 16) expects input of shape (N, 2), got (16, 2)" instead of a numpy
traceback from deep inside a matrix multiply.

Conventions (the same everywhere):

* Floating point arrays keep their dtype when it is ``float32`` or ``float64``.
* Integer and boolean arrays (and Python lists of numbers) are **converted to
  float64** where real numbers are needed, never truncated. Other float types
  (``float16``, ``longdouble``) are converted to float64 as well.
* Complex, string and object arrays raise ``TypeError``.
* NaN or infinity in an input raises ``ValueError`` (with the count and the first
  position), because it would silently poison every gradient downstream.
* Class labels must be an integer array of shape ``(N,)`` with values in
  ``[0, C)``; float labels raise ``TypeError`` (``y.astype(int)`` would hide a bug).
"""
from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np

from .i18n import _, ngettext

__all__ = [
    "FLOAT_DTYPES",
    "as_float_array",
    "is_clean_float",
    "check_finite",
    "check_shape",
    "check_labels",
    "check_positive_int",
    "check_nonnegative_float",
    "check_positive_float",
    "check_dtype",
    "make_rng",
    "shape_str",
]

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def shape_str(shape: Sequence[Any]) -> str:
    """``(16, 2)``-style text for a shape; ``N`` and other strings are kept as they are."""
    parts = [str(s) for s in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def check_dtype(dtype: Any, who: str) -> np.dtype:
    """``dtype`` as a numpy float32/float64 dtype, or a TypeError."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(_("{who}: dtype must be float32 or float64, got {dtype}").format(
            who=who, dtype=repr(dtype))) from exc
    if dt not in FLOAT_DTYPES:
        raise TypeError(_("{who}: dtype must be float32 or float64, got {dtype}").format(who=who, dtype=dt.name))
    return dt


def check_finite(x: np.ndarray, name: str, who: str) -> None:
    """Raise ValueError if ``x`` holds a NaN or an infinity (saying how many and where)."""
    if not np.isfinite(x).all():
        bad = ~np.isfinite(x)
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        kind = "NaN" if np.isnan(x[first]) else _("infinity")
        count = int(bad.sum())
        raise ValueError(ngettext(
            "{who}: {name} contains {count} non-finite value(s) (first: {kind} at index {index}); "
            "clean the data first",
            "{who}: {name} contains {count} non-finite value(s) (first: {kind} at index {index}); "
            "clean the data first", count).format(who=who, name=name, count=count, kind=kind, index=first))


def is_clean_float(x: Any) -> bool:
    """True for a float32/float64 ndarray without NaN or infinity (the fast path: no copy, no message)."""
    return isinstance(x, np.ndarray) and x.dtype in FLOAT_DTYPES and bool(np.isfinite(x).all())


def as_float_array(x: Any, name: str, who: str, ndim: int | None = None,
                   finite: bool = True) -> np.ndarray:
    """``x`` as a float32/float64 ndarray, checked.

    float32 and float64 arrays are returned as they are (no copy). Integers, booleans
    and lists are converted to float64. ``ndim`` (if given) is checked, then (if
    ``finite``) the absence of NaN and infinities.
    """
    if isinstance(x, np.ndarray):
        arr = x
    else:
        if hasattr(x, "detach") and hasattr(x, "numpy"):
            raise TypeError(_("{who}: {name} must be a numpy array, got a torch tensor "
                              "(use tensor.detach().numpy())").format(who=who, name=name))
        try:
            arr = np.asarray(x)
        except Exception as exc:  # ragged lists and the like
            raise TypeError(_("{who}: {name} must be an array of numbers, got {kind}").format(
                who=who, name=name, kind=type(x).__name__)) from exc
    kind = arr.dtype.kind
    if arr.dtype in FLOAT_DTYPES:
        pass
    elif kind in "iub" or kind == "f":
        arr = arr.astype(np.float64)
    else:
        raise TypeError(_("{who}: {name} must hold real numbers (float32/float64, or integers "
                          "which are converted to float64), got dtype {dtype}").format(
                              who=who, name=name, dtype=arr.dtype))
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(_("{who}: {name} must be {ndim}-D, got shape {shape}").format(
            who=who, name=name, ndim=ndim, shape=shape_str(arr.shape)))
    if finite:
        check_finite(arr, name, who)
    return arr


def check_shape(arr: np.ndarray, expected: Sequence[int | None], name: str, who: str,
                hint: str = "") -> None:
    """Check ``arr.shape`` against ``expected``, where ``None`` means "any size" (shown as N)."""
    ok = arr.ndim == len(expected) and all(e is None or e == s for e, s in zip(expected, arr.shape))
    if not ok:
        shown = shape_str(["N" if e is None else e for e in expected])
        message = _("{who} expects {name} of shape {expected}, got {shape}").format(
            who=who, name=name, expected=shown, shape=shape_str(arr.shape))
        raise ValueError(f"{message}; {hint}" if hint else message)


def check_labels(y: Any, n: int, n_classes: int, who: str) -> np.ndarray:
    """Integer class labels of shape ``(n,)`` with values in ``[0, n_classes)``."""
    if not isinstance(y, np.ndarray):
        y = np.asarray(y)
    if y.dtype.kind == "b" or y.dtype.kind not in "iu":
        message = _("{who} expects integer class labels y (dtype int), got dtype {dtype}").format(
            who=who, dtype=y.dtype)
        if y.dtype.kind == "f":
            hint = _("if they are whole numbers, convert with y.astype(np.int64)")
            message = f"{message}; {hint}"
        raise TypeError(message)
    if y.shape != (n,):
        raise ValueError(_("{who} expects labels y of shape ({n},) (one per row of the input), "
                           "got {shape}").format(who=who, n=n, shape=shape_str(y.shape)))
    if n and (y.min() < 0 or y.max() >= n_classes):
        bad = y[(y < 0) | (y >= n_classes)]
        raise ValueError(ngettext(
            "{who}: labels must be in [0, {n_classes}) for {n_classes} classes, "
            "got {label} ({count} label(s) out of range)",
            "{who}: labels must be in [0, {n_classes}) for {n_classes} classes, "
            "got {label} ({count} label(s) out of range)", bad.size).format(
                who=who, n_classes=n_classes, label=int(bad[0]), count=bad.size))
    return y


def check_positive_int(value: Any, name: str, who: str, minimum: int = 1) -> int:
    """An int >= ``minimum`` (bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(_("{who}: {name} must be an int, got {kind} {value}").format(
            who=who, name=name, kind=type(value).__name__, value=repr(value)))
    if value < minimum:
        raise ValueError(_("{who}: {name} must be >= {minimum}, got {value}").format(
            who=who, name=name, minimum=minimum, value=value))
    return int(value)


def _check_real(value: Any, name: str, who: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(_("{who}: {name} must be a real number, got {kind} {value}").format(
            who=who, name=name, kind=type(value).__name__, value=repr(value)))
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(_("{who}: {name} must be finite, got {value}").format(who=who, name=name, value=value))
    return value


def check_positive_float(value: Any, name: str, who: str) -> float:
    """A finite float > 0."""
    value = _check_real(value, name, who)
    if value <= 0:
        raise ValueError(_("{who}: {name} must be > 0, got {value}").format(who=who, name=name, value=value))
    return value


def check_nonnegative_float(value: Any, name: str, who: str) -> float:
    """A finite float >= 0."""
    value = _check_real(value, name, who)
    if value < 0:
        raise ValueError(_("{who}: {name} must be >= 0, got {value}").format(who=who, name=name, value=value))
    return value


def make_rng(seed: Any = None, rng: Any = None, who: str = "") -> np.random.Generator:
    """A numpy Generator from ``seed`` (int or None) or ``rng`` (a Generator); not both."""
    if rng is not None:
        if seed is not None:
            raise ValueError(_("{who}: give seed or rng, not both").format(who=who))
        if not isinstance(rng, np.random.Generator):
            raise TypeError(_("{who}: rng must be a numpy.random.Generator, got {kind}").format(
                who=who, kind=type(rng).__name__))
        return rng
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, Integral)):
        raise TypeError(_("{who}: seed must be an int or None, got {kind} {value}").format(
            who=who, kind=type(seed).__name__, value=repr(seed)))
    return np.random.default_rng(seed)
