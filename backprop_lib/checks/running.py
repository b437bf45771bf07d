"""Running the student's code: time limits, and exceptions turned into specific messages.

:func:`call_student` calls a student's function and turns every problem into an
:class:`~.failure.ExerciseFailed`: a stub, an exception (with the line of the student's
code that raised it and a hint), or a loop that never ends. The time limit degrades
gracefully: a signal timer in the main thread on Unix, else a helper thread, else no
limit (e.g. in an in-browser Python without signals or threads).
"""
from __future__ import annotations

import functools
import linecache
import os
import signal
import sysconfig
import threading
import traceback
from typing import Any

import numpy as np

from ..i18n import N_, _
from .failure import ExerciseFailed

__all__ = ["DEFAULT_TIME_LIMIT", "call_student", "describe_object", "is_library_file", "run_limited",
           "StudentTimeout"]

DEFAULT_TIME_LIMIT = 5.0

STUB_HINT = N_("replace `raise NotImplementedError()` with your code")


class StudentTimeout(BaseException):
    """Raised inside the student's code by the timer (a BaseException, so a bare
    ``except Exception`` in the student's loop does not swallow it)."""


def fmt_seconds(seconds: float) -> str:
    return f"{seconds:g} s"


def describe_object(obj: Any) -> str:
    """'an int (5)', 'a str ('abc')': for messages."""
    try:
        text = repr(obj)
    except Exception:
        text = "?"
    if len(text) > 60:
        text = text[:57] + "..."
    kind = type(obj).__name__
    if kind[:1].lower() in "aeiou":
        return _("an {kind} ({value})").format(kind=kind, value=text)
    return _("a {kind} ({value})").format(kind=kind, value=text)


_CHECKS_DIR = os.path.dirname(os.path.abspath(__file__))
_PACKAGE_DIR = os.path.dirname(_CHECKS_DIR)


@functools.lru_cache(maxsize=1)
def _library_dirs() -> tuple[str, ...]:
    """Folders whose code is not the student's: this package, numpy, the standard library
    and installed packages."""
    dirs = {_PACKAGE_DIR, os.path.dirname(np.__file__)}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            path = sysconfig.get_paths().get(key)
        except Exception:  # pragma: no cover - exotic interpreters
            path = None
        if path:
            dirs.add(os.path.abspath(path))
    return tuple(d.rstrip(os.sep) + os.sep for d in dirs)


def is_library_file(filename: str) -> bool:
    if filename.startswith("<frozen"):
        return True
    try:
        absolute = os.path.abspath(filename)
    except Exception:
        return False
    return absolute.startswith(_library_dirs())


def _student_frame(exc: BaseException) -> traceback.FrameSummary | None:
    """The innermost frame of the traceback that is the student's code (not numpy,
    not the standard library, not this package), else the innermost frame."""
    try:
        frames = traceback.extract_tb(exc.__traceback__)
    except Exception:
        return None
    frames = [f for f in frames if os.path.abspath(f.filename) != os.path.abspath(__file__)]
    for frame in reversed(frames):
        if not is_library_file(frame.filename):
            return frame
    return frames[-1] if frames else None


_HINTS = {
    "RecursionError": N_("a function that calls itself forever? Check the stopping case."),
    "ZeroDivisionError": N_("a division by zero: is some count or norm 0 here?"),
    "NameError": N_("a name that is not defined: a typo, or a cell that has not been run?"),
    "UnboundLocalError": N_("a variable used before it is assigned in this function."),
    "IndexError": N_("an index past the end: check the range of your loop."),
    "KeyError": N_("a missing key in a dictionary."),
}


def _hint_for(exc: BaseException) -> str | None:
    name = type(exc).__name__
    text = str(exc)
    if name in _HINTS:
        return _(_HINTS[name])
    if isinstance(exc, ValueError) and any(w in text for w in ("shape", "broadcast", "mismatch", "align")):
        return _("the shapes do not fit: print the .shape of the arrays in that line.")
    if isinstance(exc, (TypeError, AttributeError)) and "NoneType" in text:
        return _("something is None: does a function you call forget to `return`?")
    if isinstance(exc, TypeError) and ("arrays can be converted to Python scalars" in text
                                       or "0-dimensional arrays can be converted" in text):
        return _("a function from `math` (like math.exp) got an array: `math` works on single numbers "
                 "only; use the numpy version (np.exp, np.tanh, ...) so arrays work too.")
    return None


def _explain_exception(exc: BaseException, name: str) -> str:
    exc_text = str(exc).strip()
    if len(exc_text) > 300:
        exc_text = exc_text[:297] + "..."
    error = type(exc).__name__
    if exc_text:
        header = _("`{name}` raised {error}: {message}").format(name=name, error=error, message=exc_text)
    else:
        header = _("`{name}` raised {error}").format(name=name, error=error)
    lines = [header]
    frame = _student_frame(exc)
    if frame is not None:
        code = (frame.line or linecache.getline(frame.filename, frame.lineno or 0) or "").strip()
        if frame.name != "<module>":
            where = _("in `{function}`, line {line}").format(function=frame.name, line=frame.lineno)
        else:
            where = _("at line {line}").format(line=frame.lineno)
        lines.append(f"{where}: {code}" if code else where)
    hint = _hint_for(exc)
    if hint:
        lines.append(_("hint: {hint}").format(hint=hint))
    return "\n".join(lines)


def _run_with_signal(fn, args, kwargs, limit):
    """Time limit with SIGALRM; raises _NoTimer if the timer cannot be set here."""
    if not (hasattr(signal, "setitimer") and hasattr(signal, "SIGALRM")):
        raise _NoTimer
    if threading.current_thread() is not threading.main_thread():
        raise _NoTimer
    try:
        if signal.getitimer(signal.ITIMER_REAL)[0] > 0:
            raise _NoTimer  # someone else's timer is running: do not disturb it

        def _alarm(signum, frame):
            raise StudentTimeout

        previous = signal.signal(signal.SIGALRM, _alarm)
    except (ValueError, OSError, AttributeError, RuntimeError):
        raise _NoTimer from None
    try:
        try:
            signal.setitimer(signal.ITIMER_REAL, limit)
        except (ValueError, OSError):
            raise _NoTimer from None
        try:
            return fn(*args, **kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)


class _NoTimer(Exception):
    pass


def _run_with_thread(fn, args, kwargs, limit):
    """Time limit with a daemon thread; raises _NoTimer if threads are unavailable.

    A student's function that runs past the limit keeps running in the background
    (Python cannot stop a thread); the checker reports the timeout regardless.
    """
    box: dict[str, Any] = {}

    def target():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed back to the calling thread
            box["error"] = exc

    try:
        worker = threading.Thread(target=target, name="student-code", daemon=True)
        worker.start()
    except (RuntimeError, OSError):
        raise _NoTimer from None
    worker.join(limit)
    if worker.is_alive():
        raise StudentTimeout
    if "error" in box:
        raise box["error"]
    return box.get("value")


def run_limited(fn, args, kwargs, limit):
    if limit is None or limit <= 0:
        return fn(*args, **kwargs)
    for runner in (_run_with_signal, _run_with_thread):
        try:
            return runner(fn, args, kwargs, limit)
        except _NoTimer:
            continue
    return fn(*args, **kwargs)


def call_student(fn: Any, *args: Any, name: str | None = None,
                 time_limit: float | None = DEFAULT_TIME_LIMIT, **kwargs: Any) -> Any:
    """Call the student's ``fn(*args, **kwargs)`` and return its result.

    Every problem becomes an :class:`ExerciseFailed` with a specific message:
    ``fn`` missing or not callable, a ``NotImplementedError`` stub, any exception
    (type, message and the line of the student's code), or running longer than
    ``time_limit`` seconds (``None`` for no limit). ``KeyboardInterrupt`` (the user
    pressing stop) is passed through.
    """
    label = name or getattr(fn, "__name__", None) or _("your function")
    if fn is None:
        raise ExerciseFailed(
            _("`{name}` is None: run the cell that defines it (and check that it is a function, "
              "not the result of calling one).").format(name=label), any_input=True)
    if not callable(fn):
        raise ExerciseFailed(_("`{name}` should be a function, but it is {description}.").format(
            name=label, description=describe_object(fn)), any_input=True)
    try:
        return run_limited(fn, args, kwargs, time_limit)
    except StudentTimeout:
        raise ExerciseFailed(_("`{name}` took longer than {limit}: is there a loop that never ends?").format(
            name=label, limit=fmt_seconds(time_limit))) from None
    except KeyboardInterrupt:
        raise
    except ExerciseFailed:
        raise  # e.g. the student's code called require() or another checker
    except BaseException as exc:  # noqa: BLE001 - anything the student's code does
        if isinstance(exc, NotImplementedError):
            raise ExerciseFailed(_("`{name}` is not written yet: {hint}.").format(name=label, hint=_(STUB_HINT)),
                                 any_input=True) from None
        if isinstance(exc, SystemExit):
            raise ExerciseFailed(_("`{name}` called exit() / sys.exit(): remove that call.").format(
                name=label)) from None
        raise ExerciseFailed(_explain_exception(exc, label)) from None
