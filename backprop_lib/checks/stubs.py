"""Is the student's answer still a stub? :func:`require` guards a cell that uses it."""
from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from ..i18n import _
from .failure import ExerciseFailed
from .framework import exercise_label
from .running import DEFAULT_TIME_LIMIT, StudentTimeout, fmt_seconds, is_library_file, run_limited

__all__ = ["require", "is_stub"]


def _code_objects(obj: Any, depth: int = 0) -> Iterator[Any]:
    if depth > 3:
        return
    func = getattr(obj, "__func__", obj)  # bound methods
    code = getattr(func, "__code__", None)
    if code is not None:
        stack = [code]
        while stack:
            current = stack.pop()
            yield current
            stack.extend(k for k in current.co_consts if inspect.iscode(k))
        return
    if isinstance(obj, type):
        for member in list(vars(obj).values()):
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            if isinstance(member, property):
                member = member.fget
            if member is not None:
                yield from _code_objects(member, depth + 1)
        return
    if callable(obj) and not isinstance(obj, type):
        call = getattr(type(obj), "__call__", None)
        if call is not None and getattr(call, "__code__", None) is not None:
            yield from _code_objects(call, depth + 1)


def is_stub(obj: Any) -> bool:
    """True if ``obj`` (a function, class or instance) still contains a
    ``raise NotImplementedError`` written in the student's code."""
    target = obj
    if not callable(obj) and not isinstance(obj, type):
        target = type(obj)
    try:
        for code in _code_objects(target):
            if "NotImplementedError" in code.co_names and not is_library_file(code.co_filename):
                return True
    except Exception:
        return False
    return False


def require(obj: Any, exercise: str, *args: Any, **kwargs: Any) -> None:
    """Stop a cell that uses the student's answer to ``exercise`` if it is not done.

    ``obj`` not done means: ``None``, a stub that still contains
    ``raise NotImplementedError``, or, when ``args`` are given, calling ``obj(*args)``
    raises ``NotImplementedError``. Put it at the top of such a cell::

        require(linear_backward, "Exercise 5.1")
    """
    label = exercise_label(exercise)
    message = _("This cell uses your answer to {exercise}, which is not done yet: "
                "finish it first (or skip this cell).").format(exercise=label)
    if obj is None or is_stub(obj):
        raise ExerciseFailed(message)
    if args or kwargs:
        try:
            run_limited(obj, args, kwargs, DEFAULT_TIME_LIMIT)
        except NotImplementedError:
            raise ExerciseFailed(message) from None
        except StudentTimeout:
            raise ExerciseFailed(_("This cell uses your answer to {exercise}, which took longer than {limit}: "
                                   "is there a loop that never ends?").format(
                exercise=label, limit=fmt_seconds(DEFAULT_TIME_LIMIT))) from None
        except KeyboardInterrupt:
            raise
        except BaseException:  # noqa: BLE001 - other problems show up when the cell runs
            pass
