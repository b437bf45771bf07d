"""Comparing a student's value with the reference, and saying how it differs.

:func:`diagnose` returns ``None`` when the values match, else one message naming the
most specific difference: ``None`` returned, not numbers, a scalar for an array, a
shape (and whether it looks transposed or unsummed), NaN or inf, a known mistake, the
sign, a constant factor (such as the batch size), a transpose, or the largest difference.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..i18n import _, ngettext
from .running import describe_object

__all__ = ["diagnose", "match_known_mistakes"]


def _fmt_num(x: Any) -> str:
    try:
        value = float(x)
    except Exception:
        return repr(x)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == 0:
        return "0.0"
    return repr(float(f"{value:.4g}"))


def _fmt_index(index: tuple[int, ...]) -> str:
    if len(index) == 1:
        return str(index[0])
    return "(" + ", ".join(str(int(i)) for i in index) + ")"


def _fmt_array(a: np.ndarray) -> str:
    with np.printoptions(precision=4, suppress=True, threshold=30, edgeitems=3, linewidth=88):
        return np.array2string(np.asarray(a), separator=", ")


def _looks_like_gradient(name: str) -> bool:
    bare = name.strip("`").split(".")[-1]
    lowered = bare.lower()
    return "grad" in lowered or (len(bare) >= 2 and bare[0] == "d" and (bare[1].isupper() or bare[1:] in {
        "out", "x", "w", "b", "z", "h", "y", "a", "logits", "loss"}))


def _is_scalar_like(x: Any) -> bool:
    return isinstance(x, numbers.Number) or (isinstance(x, np.ndarray) and x.ndim == 0) or isinstance(x, np.generic)


def _as_numeric(name: str, got: Any) -> tuple[np.ndarray | None, str | None]:
    """``got`` as a float array, or a message saying why it is not numbers."""
    if isinstance(got, (str, bytes)):
        return None, _("{name} should be numbers, but it is {description}.").format(
            name=name, description=describe_object(got))
    if isinstance(got, Mapping):
        return None, _("{name} should be numbers, but it is a dict.").format(name=name)
    if callable(got) and not isinstance(got, np.ndarray):
        return None, _("{name} is a function, not its result: did you forget the parentheses "
                       "when calling it?").format(name=name)
    try:
        arr = np.asarray(got)
    except Exception:
        arr = None
    if arr is None or arr.dtype == object or arr.dtype.kind not in "biuf":
        if arr is not None and arr.dtype.kind == "c":
            return None, _("{name} has complex numbers: a square root or log of a negative number?").format(name=name)
        if hasattr(got, "data") and not isinstance(got, np.ndarray):
            return None, _("{name} should be numbers, but it is a {kind} object: did you mean its `.data`?").format(
                name=name, kind=type(got).__name__)
        return None, _("{name} should be numbers, but it is {description}.").format(
            name=name, description=describe_object(got))
    return arr.astype(float), None


def match_known_mistakes(got: Any, mistakes: Mapping[str, Any] | None, *, expected: Any = None,
                         rtol: float = 1e-6, atol: float = 1e-9) -> str | None:
    """The message of the first known-wrong value that ``got`` matches, else ``None``.

    ``mistakes`` maps a message ("you overwrite the gradient instead of adding to it")
    to the value a solution with that mistake would produce. A wrong value equal to
    ``expected`` (when given) is ignored: on that input the mistake is invisible.
    """
    if not mistakes:
        return None
    g, problem = _as_numeric("got", got)
    if problem is not None or g is None:
        return None
    exp = None
    if expected is not None:
        exp, _problem = _as_numeric("expected", expected)
    for message, wrong in mistakes.items():
        w, bad = _as_numeric("wrong", wrong)
        if bad is not None or w is None or w.shape != g.shape:
            continue
        if exp is not None and exp.shape == w.shape and np.allclose(w, exp, rtol=rtol, atol=atol, equal_nan=True):
            continue
        if np.allclose(g, w, rtol=rtol, atol=atol, equal_nan=True):
            return message
    return None


def _is_telling_factor(factor: float, batch_size: int | None) -> bool:
    telling = [2.0, 0.5, -2.0, -0.5]
    if batch_size is not None and batch_size > 1:
        telling += [float(batch_size), 1.0 / batch_size]
    return any(abs(factor - t) <= 1e-6 * max(1.0, abs(t)) for t in telling)


def _factor_message(name: str, factor: float, batch_size: int | None) -> str:
    def near(a, b):
        return abs(a - b) <= 1e-6 * max(1.0, abs(b))

    if batch_size is not None and batch_size > 1:
        if near(factor, batch_size):
            return _("{name} is off by a factor of N = {batch_size} (the batch size): "
                     "did you forget to divide by N (the loss is an average over the batch)?").format(
                name=name, batch_size=batch_size)
        if near(factor, 1.0 / batch_size):
            return _("{name} is off by a factor of 1/N = 1/{batch_size} (the batch size): "
                     "did you divide by N twice, or where no average is needed?").format(
                name=name, batch_size=batch_size)
    if near(factor, 2.0):
        return _("{name} is off by a factor of 2.0: a missing/extra factor? "
                 "(e.g. you counted a term twice)").format(name=name)
    if near(factor, 0.5):
        return _("{name} is off by a factor of 0.5: a missing/extra factor? "
                 "(e.g. the 2 in the derivative of x² is missing)").format(name=name)
    if factor < 0:
        return _("{name} is off by a factor of {factor}: the sign is wrong "
                 "and there is a missing/extra factor.").format(name=name, factor=_fmt_num(factor))
    return _("{name} is off by a factor of {factor}: a missing/extra factor?").format(
        name=name, factor=_fmt_num(factor))


def diagnose(name: str, got: Any, expected: Any, *, rtol: float = 1e-6, atol: float = 1e-9,
             batch_size: int | None = None, mistakes: Mapping[str, Any] | None = None) -> str | None:
    """``None`` if ``got`` matches ``expected``, otherwise a message saying how it differs.

    ``got`` may be any array-like (list, tuple, numpy scalar); ``expected`` is the
    reference value. ``batch_size`` enables the "forgot to divide by N" diagnosis;
    ``mistakes`` is passed to :func:`match_known_mistakes`. Checked in this order:
    ``None``, not numbers, scalar vs array, shape, NaN/inf, values (known mistakes,
    sign, constant factor, transpose, all zeros, then the largest difference).
    """
    with np.errstate(all="ignore"):  # a student's huge values must not turn into warnings
        return _diagnose(name, got, expected, rtol=rtol, atol=atol, batch_size=batch_size, mistakes=mistakes)


def _diagnose(name: str, got: Any, expected: Any, *, rtol: float, atol: float,
              batch_size: int | None, mistakes: Mapping[str, Any] | None) -> str | None:
    label = f"`{name}`"
    if expected is None:
        if got is None:
            return None
        return _("{name} should be None, got {description}.").format(name=label, description=describe_object(got))
    if got is None:
        return _("{name} is None: did you forget `return`?").format(name=label)
    exp_scalar = _is_scalar_like(expected)
    exp = np.asarray(expected, dtype=float)
    g, problem = _as_numeric(label, got)
    if problem is not None:
        return problem
    assert g is not None

    # scalar versus array
    if exp_scalar and g.ndim > 0:
        if g.size == 1:
            return _("{name} should be a single number, got an array of shape {shape}: "
                     "use `.item()` or `float(...)`, or index it.").format(name=label, shape=g.shape)
        return _("{name} should be a single number, got an array of shape {shape}: "
                 "did you forget to sum or average?").format(name=label, shape=g.shape)
    if not exp_scalar and exp.ndim > 0 and g.ndim == 0:
        return _("{name} should be an array of shape {shape}, got the single number {value}.").format(
            name=label, shape=exp.shape, value=_fmt_num(g))

    # shape
    if g.shape != exp.shape:
        shapes = {"name": label, "expected": exp.shape, "got": g.shape}
        if g.ndim == 2 and g.shape == exp.shape[::-1]:
            return _("{name}: expected shape {expected}, got {got}: did you transpose?").format(**shapes)
        if g.ndim == exp.ndim + 1 and g.shape[1:] == exp.shape:
            return _("{name}: expected shape {expected}, got {got}: "
                     "did you forget to sum over the batch (axis=0)?").format(**shapes)
        if exp.ndim == g.ndim + 1 and exp.shape[1:] == g.shape:
            return _("{name}: expected shape {expected}, got {got}: "
                     "did you sum over the batch (axis=0) where you should not?").format(**shapes)
        if g.size == exp.size:
            squeezed = tuple(s for s in g.shape if s != 1) == tuple(s for s in exp.shape if s != 1)
            if squeezed:
                return _("{name}: expected shape {expected}, got {got}: "
                         "an extra or missing axis of length 1 (check keepdims / reshape).").format(**shapes)
            return _("{name}: expected shape {expected}, got {got}: "
                     "right number of entries, wrong arrangement: a reshape or flatten?").format(**shapes)
        return _("{name}: expected shape {expected}, got {got}.").format(**shapes)

    # NaN and inf
    bad = ~np.isfinite(g) & np.isfinite(exp)
    if bad.any():
        nan = bool(np.isnan(g[bad]).any())
        if not g.ndim:
            if nan:
                return _("{name} contains NaN: a 0/0, log of a negative number, or inf - inf somewhere?").format(
                    name=label)
            return _("{name} contains inf: an overflow (exp of a large number?) or a division by zero?").format(
                name=label)
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        where = {"name": label, "index": _fmt_index(first), "count": int(bad.sum()), "size": g.size}
        # English says "entries" for any size (the stored outputs); ngettext gives other languages their forms
        if nan:
            return ngettext("{name} contains NaN at index {index} ({count} of {size} entries): a 0/0, log of a "
                            "negative number, or inf - inf somewhere?",
                            "{name} contains NaN at index {index} ({count} of {size} entries): a 0/0, log of a "
                            "negative number, or inf - inf somewhere?", g.size).format(**where)
        return ngettext("{name} contains inf at index {index} ({count} of {size} entries): an overflow (exp of a "
                        "large number?) or a division by zero?",
                        "{name} contains inf at index {index} ({count} of {size} entries): an overflow (exp of a "
                        "large number?) or a division by zero?", g.size).format(**where)

    if np.allclose(g, exp, rtol=rtol, atol=atol, equal_nan=True):
        return None

    # known mistakes first: they are the most specific
    known = match_known_mistakes(g, mistakes, expected=exp, rtol=rtol, atol=atol)
    if known is not None:
        return f"{label}: {known}"

    exp_norm = float(np.sqrt(np.sum(exp * exp)))
    if exp_norm > atol:
        if np.allclose(g, -exp, rtol=rtol, atol=atol):
            if _looks_like_gradient(name):
                return _("{name}: the gradient has the wrong sign (you got -1 × the expected value): "
                         "check the sign of each term.").format(name=label)
            return _("{name} has the wrong sign (you got -1 × the expected value): "
                     "check the sign of each term.").format(name=label)
        if np.all(g == 0):
            return _("{name} is all zeros: was it computed (or accumulated) at all?").format(name=label)
        factor = float(np.sum(g * exp) / (exp_norm ** 2))
        if abs(factor - 1.0) > 1e-3 and np.allclose(g, factor * exp, rtol=max(rtol, 1e-9), atol=atol):
            # one number is always "a multiple" of another: only name factors that mean something
            if g.size >= 2 or _is_telling_factor(factor, batch_size):
                return _factor_message(label, factor, batch_size)
        if g.ndim == 2 and g.shape[0] == g.shape[1] and np.allclose(g, exp.T, rtol=rtol, atol=atol):
            return _("{name} is the transpose of the expected value: did you swap the order of "
                     "a matrix product (e.g. X.T @ dout versus dout.T @ X)?").format(name=label)

    diff = np.abs(g - exp)
    if g.ndim == 0:
        return _("{name} is wrong: got {got}, expected {expected} (difference {difference}).").format(
            name=label, got=_fmt_num(g), expected=_fmt_num(exp), difference=_fmt_num(diff))
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
    tolerance = atol + rtol * np.abs(exp)
    wrong = int(np.sum(diff > tolerance))
    # English says "entries differ" for any count (the stored outputs); ngettext gives other languages their forms
    summary = ngettext("{name} is wrong: max difference {difference} at index {index} "
                       "(got {got}, expected {expected}; {count} of {size} entries differ)",
                       "{name} is wrong: max difference {difference} at index {index} "
                       "(got {got}, expected {expected}; {count} of {size} entries differ)", wrong)
    return "\n".join([
        summary.format(name=label, difference=_fmt_num(diff[index]), index=_fmt_index(index),
                       got=_fmt_num(g[index]), expected=_fmt_num(exp[index]), count=wrong, size=g.size),
        # TRANSLATORS: "got" and "expected" are padded to one width, so that the two arrays line up
        _("got      = {values}").format(values=_fmt_array(g)),
        _("expected = {values}").format(values=_fmt_array(exp)),
    ])
