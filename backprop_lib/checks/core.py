"""The framework every exercise checker is built on.

A checker runs the student's code on fixed and seeded random inputs, compares the
results with the reference implementation and, on the first mismatch, raises
:class:`ExerciseFailed` with a message that says *what* is wrong ("the gradient has the
wrong sign", "expected shape (3, 4), got (4, 3): did you transpose?"). Whatever the
student's code does (raise, loop forever, return ``None``, return a list), the checker
raises nothing but :class:`ExerciseFailed`.

Writing a checker
-----------------
Put it in ``backprop_lib/checks/<topic>.py`` and export it from
``backprop_lib/checks/__init__.py``::

    import numpy as np
    from .core import exercise

    @exercise("Exercise 5.1", "linear_backward")
    def check_linear_backward(c):
        for N, n_in, n_out in c.cases([(2, 3, 4), (1, 1, 1)], hidden=[(5, 7, 3), (64, 10, 10)]):
            X, W = c.rng.normal(size=(N, n_in)), c.rng.normal(size=(n_in, n_out))
            dout = c.rng.normal(size=(N, n_out))
            with c.case(f"X of shape {X.shape}, W of shape {W.shape}"):
                dX, dW, db = c.call(X, W, dout, returns=("dX", "dW", "db"))
                c.compare("dX", dX, dout @ W.T)
                c.compare("dW", dW, X.T @ dout, mistakes={
                    "dW = X @ dout.T? The order of the product is swapped": (dout.T @ X)})
                c.compare("db", db, dout.sum(axis=0))

The decorated function becomes ``check_linear_backward(student_fn, hidden=False)``.
It prints ``✔ Exercise 5.1 linear_backward: 6 of 6 checks passed`` on success.
Inside the body, ``c`` is a :class:`CheckContext`: ``c.call`` runs the student's code
(time-limited, arguments copied), ``c.compare`` counts one check and fails with a
diagnosis, ``c.check(condition, message)`` counts a yes/no check, ``c.rng`` is a
seeded :class:`numpy.random.Generator` (a different seed when ``hidden=True``).
A bug in the body itself becomes an ``ExerciseFailed`` saying "internal checker error".

Only the standard library and numpy are used here, and the time limit degrades
gracefully: a signal timer in the main thread on Unix, else a helper thread, else no
limit (e.g. in an in-browser Python without signals or threads).
"""
from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import linecache
import math
import numbers
import os
import signal
import sysconfig
import threading
import traceback
import zlib
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

__all__ = [
    "ExerciseFailed",
    "call_student",
    "diagnose",
    "match_known_mistakes",
    "require",
    "exercise",
    "Checker",
    "CheckContext",
    "DEFAULT_TIME_LIMIT",
]

DEFAULT_TIME_LIMIT = 5.0

_STUB_HINT = "replace `raise NotImplementedError()` with your code"


# --------------------------------------------------------------------------- failure


class ExerciseFailed(AssertionError):
    """A check of the student's work failed; the message says why.

    An ``AssertionError``, so nbgrader gives the test cell 0 points. IPython shows only
    the message (``_render_traceback_``), never a traceback into the checker.
    """

    def __init__(self, message: str, *, any_input: bool = False):
        super().__init__(message)
        self.message = str(message)
        # True when the problem does not depend on the inputs (a stub, not a function):
        # then a checker does not name the case it was trying
        self.any_input = any_input

    def __str__(self) -> str:
        return self.message

    def _render_traceback_(self) -> list[str]:
        lines = self.message.splitlines() or [""]
        return ["✘ " + lines[0]] + ["  " + line for line in lines[1:]]


class _StudentTimeout(BaseException):
    """Raised inside the student's code by the timer (a BaseException, so a bare
    ``except Exception`` in the student's loop does not swallow it)."""


# ------------------------------------------------------------------ running code


def _fmt_seconds(seconds: float) -> str:
    return f"{seconds:g} s"


def _describe_object(obj: Any) -> str:
    """'an int (5)', 'a str ('abc')': for messages."""
    try:
        text = repr(obj)
    except Exception:
        text = "?"
    if len(text) > 60:
        text = text[:57] + "..."
    kind = type(obj).__name__
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    return f"{article} {kind} ({text})"


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


def _is_library_file(filename: str) -> bool:
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
        if not _is_library_file(frame.filename):
            return frame
    return frames[-1] if frames else None


_HINTS = {
    "RecursionError": "a function that calls itself forever? Check the stopping case.",
    "ZeroDivisionError": "a division by zero: is some count or norm 0 here?",
    "NameError": "a name that is not defined: a typo, or a cell that has not been run?",
    "UnboundLocalError": "a variable used before it is assigned in this function.",
    "IndexError": "an index past the end: check the range of your loop.",
    "KeyError": "a missing key in a dictionary.",
}


def _hint_for(exc: BaseException) -> str | None:
    name = type(exc).__name__
    text = str(exc)
    if name in _HINTS:
        return _HINTS[name]
    if isinstance(exc, ValueError) and any(w in text for w in ("shape", "broadcast", "mismatch", "align")):
        return "the shapes do not fit: print the .shape of the arrays in that line."
    if isinstance(exc, TypeError) and "NoneType" in text:
        return "something is None: does a function you call forget to `return`?"
    if isinstance(exc, TypeError) and ("arrays can be converted to Python scalars" in text
                                       or "0-dimensional arrays can be converted" in text):
        return ("a function from `math` (like math.exp) got an array: `math` works on single numbers "
                "only; use the numpy version (np.exp, np.tanh, ...) so arrays work too.")
    if isinstance(exc, AttributeError) and "NoneType" in text:
        return "something is None: does a function you call forget to `return`?"
    return None


def _explain_exception(exc: BaseException, name: str) -> str:
    exc_text = str(exc).strip()
    if len(exc_text) > 300:
        exc_text = exc_text[:297] + "..."
    header = f"`{name}` raised {type(exc).__name__}" + (f": {exc_text}" if exc_text else "")
    lines = [header]
    frame = _student_frame(exc)
    if frame is not None:
        code = (frame.line or linecache.getline(frame.filename, frame.lineno or 0) or "").strip()
        where = f"in `{frame.name}`, line {frame.lineno}" if frame.name != "<module>" else f"at line {frame.lineno}"
        lines.append(f"{where}: {code}" if code else where)
    hint = _hint_for(exc)
    if hint:
        lines.append(f"hint: {hint}")
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
            raise _StudentTimeout

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
        raise _StudentTimeout
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _run(fn, args, kwargs, limit):
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
    label = name or getattr(fn, "__name__", None) or "your function"
    if fn is None:
        raise ExerciseFailed(
            f"`{label}` is None: run the cell that defines it (and check that it is a function, "
            "not the result of calling one).", any_input=True)
    if not callable(fn):
        raise ExerciseFailed(f"`{label}` should be a function, but it is {_describe_object(fn)}.",
                             any_input=True)
    try:
        return _run(fn, args, kwargs, time_limit)
    except _StudentTimeout:
        raise ExerciseFailed(
            f"`{label}` took longer than {_fmt_seconds(time_limit)}: is there a loop that never ends?"
        ) from None
    except KeyboardInterrupt:
        raise
    except ExerciseFailed:
        raise  # e.g. the student's code called require() or another checker
    except BaseException as exc:  # noqa: BLE001 - anything the student's code does
        if isinstance(exc, NotImplementedError):
            raise ExerciseFailed(f"`{label}` is not written yet: {_STUB_HINT}.", any_input=True) from None
        if isinstance(exc, SystemExit):
            raise ExerciseFailed(f"`{label}` called exit() / sys.exit(): remove that call.") from None
        raise ExerciseFailed(_explain_exception(exc, label)) from None


# --------------------------------------------------------------------- comparing


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
        return None, f"{name} should be numbers, but it is {_describe_object(got)}."
    if isinstance(got, Mapping):
        return None, f"{name} should be numbers, but it is a dict."
    if callable(got) and not isinstance(got, np.ndarray):
        return None, (f"{name} is a function, not its result: did you forget the parentheses "
                      "when calling it?")
    try:
        arr = np.asarray(got)
    except Exception:
        arr = None
    if arr is None or arr.dtype == object or arr.dtype.kind not in "biuf":
        if arr is not None and arr.dtype.kind == "c":
            return None, f"{name} has complex numbers: a square root or log of a negative number?"
        if hasattr(got, "data") and not isinstance(got, np.ndarray):
            return None, (f"{name} should be numbers, but it is a {type(got).__name__} object: "
                          "did you mean its `.data`?")
        return None, f"{name} should be numbers, but it is {_describe_object(got)}."
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
        exp, _ = _as_numeric("expected", expected)
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
            return (f"{name} is off by a factor of N = {batch_size} (the batch size): "
                    "did you forget to divide by N (the loss is an average over the batch)?")
        if near(factor, 1.0 / batch_size):
            return (f"{name} is off by a factor of 1/N = 1/{batch_size} (the batch size): "
                    "did you divide by N twice, or where no average is needed?")
    if near(factor, 2.0):
        return (f"{name} is off by a factor of 2.0: a missing/extra factor? "
                "(e.g. you counted a term twice)")
    if near(factor, 0.5):
        return (f"{name} is off by a factor of 0.5: a missing/extra factor? "
                "(e.g. the 2 in the derivative of x² is missing)")
    if factor < 0:
        return (f"{name} is off by a factor of {_fmt_num(factor)}: the sign is wrong "
                "and there is a missing/extra factor.")
    return f"{name} is off by a factor of {_fmt_num(factor)}: a missing/extra factor?"


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
        return None if got is None else f"{label} should be None, got {_describe_object(got)}."
    if got is None:
        return f"{label} is None: did you forget `return`?"
    exp_scalar = _is_scalar_like(expected)
    exp = np.asarray(expected, dtype=float)
    g, problem = _as_numeric(label, got)
    if problem is not None:
        return problem
    assert g is not None

    # scalar versus array
    if exp_scalar and g.ndim > 0:
        if g.size == 1:
            return (f"{label} should be a single number, got an array of shape {g.shape}: "
                    "use `.item()` or `float(...)`, or index it.")
        return (f"{label} should be a single number, got an array of shape {g.shape}: "
                "did you forget to sum or average?")
    if not exp_scalar and exp.ndim > 0 and g.ndim == 0:
        return f"{label} should be an array of shape {exp.shape}, got the single number {_fmt_num(g)}."

    # shape
    if g.shape != exp.shape:
        msg = f"{label}: expected shape {exp.shape}, got {g.shape}"
        if g.ndim == 2 and g.shape == exp.shape[::-1]:
            return msg + ": did you transpose?"
        if g.ndim == exp.ndim + 1 and g.shape[1:] == exp.shape:
            return msg + ": did you forget to sum over the batch (axis=0)?"
        if exp.ndim == g.ndim + 1 and exp.shape[1:] == g.shape:
            return msg + ": did you sum over the batch (axis=0) where you should not?"
        if g.size == exp.size:
            squeezed = tuple(s for s in g.shape if s != 1) == tuple(s for s in exp.shape if s != 1)
            if squeezed:
                return msg + ": an extra or missing axis of length 1 (check keepdims / reshape)."
            return msg + ": right number of entries, wrong arrangement: a reshape or flatten?"
        return msg + "."

    # NaN and inf
    bad = ~np.isfinite(g) & np.isfinite(exp)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0]) if g.ndim else ()
        where = f" at index {_fmt_index(first)}" if first else ""
        count = f" ({int(bad.sum())} of {g.size} entries)" if g.ndim else ""
        if np.isnan(g[bad]).any():
            return (f"{label} contains NaN{where}{count}: a 0/0, log of a negative number, "
                    "or inf - inf somewhere?")
        return (f"{label} contains inf{where}{count}: an overflow (exp of a large number?) "
                "or a division by zero?")

    if np.allclose(g, exp, rtol=rtol, atol=atol, equal_nan=True):
        return None

    # known mistakes first: they are the most specific
    known = match_known_mistakes(g, mistakes, expected=exp, rtol=rtol, atol=atol)
    if known is not None:
        return f"{label}: {known}"

    exp_norm = float(np.sqrt(np.sum(exp * exp)))
    if exp_norm > atol:
        if np.allclose(g, -exp, rtol=rtol, atol=atol):
            what = "the gradient" if _looks_like_gradient(name) else label
            prefix = f"{label}: " if what == "the gradient" else ""
            return (f"{prefix}{what} has the wrong sign (you got -1 × the expected value): "
                    "check the sign of each term.")
        if np.all(g == 0):
            return f"{label} is all zeros: was it computed (or accumulated) at all?"
        factor = float(np.sum(g * exp) / (exp_norm ** 2))
        if abs(factor - 1.0) > 1e-3 and np.allclose(g, factor * exp, rtol=max(rtol, 1e-9), atol=atol):
            # one number is always "a multiple" of another: only name factors that mean something
            if g.size >= 2 or _is_telling_factor(factor, batch_size):
                return _factor_message(label, factor, batch_size)
        if g.ndim == 2 and g.shape[0] == g.shape[1] and np.allclose(g, exp.T, rtol=rtol, atol=atol):
            return (f"{label} is the transpose of the expected value: did you swap the order of "
                    "a matrix product (e.g. X.T @ dout versus dout.T @ X)?")

    diff = np.abs(g - exp)
    if g.ndim == 0:
        return (f"{label} is wrong: got {_fmt_num(g)}, expected {_fmt_num(exp)} "
                f"(difference {_fmt_num(diff)}).")
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
    tolerance = atol + rtol * np.abs(exp)
    wrong = int(np.sum(diff > tolerance))
    return "\n".join([
        f"{label} is wrong: max difference {_fmt_num(diff[index])} at index {_fmt_index(index)} "
        f"(got {_fmt_num(g[index])}, expected {_fmt_num(exp[index])}; "
        f"{wrong} of {g.size} entries differ)",
        f"got      = {_fmt_array(g)}",
        f"expected = {_fmt_array(exp)}",
    ])


# ---------------------------------------------------------------------- checkers


class CheckContext:
    """What a checker body receives: the student's object, the random generator and
    the operations that count checks. Create it through :func:`exercise`."""

    def __init__(self, checker: "Checker", student: Any, hidden: bool, time_limit: float | None):
        self.checker = checker
        self.student = student
        self.hidden = bool(hidden)
        self.time_limit = time_limit
        self.name = checker.name
        self.passed = 0
        self._case: str | None = None
        seed = zlib.crc32(f"{checker.exercise}/{checker.name}/{'hidden' if hidden else 'public'}".encode())
        self.rng = np.random.default_rng(seed if checker.seed is None else checker.seed + int(hidden))

    # -- cases ---------------------------------------------------------------
    def cases(self, public: Iterable[Any], hidden: Iterable[Any] | None = None) -> list[Any]:
        """The public cases, or with ``hidden=True`` the hidden ones (default: both)."""
        public = list(public)
        if not self.hidden:
            return public
        return list(hidden) if hidden is not None else public

    @contextlib.contextmanager
    def case(self, description: str) -> Iterator[None]:
        """Name the current inputs in failure messages: ``with c.case("X of shape (2, 3)"):``."""
        previous, self._case = self._case, description
        try:
            yield
        finally:
            self._case = previous

    # -- running the student's code -------------------------------------------
    def call(self, *args: Any, returns: Sequence[str] | None = None, copy_args: bool = True,
             **kwargs: Any) -> Any:
        """Call the student's object with copies of the arguments (time-limited).

        ``returns=("dX", "dW", "db")`` checks that a tuple of that length comes back.
        """
        return self.run(self.student, *args, name=self.name, returns=returns, copy_args=copy_args, **kwargs)

    def run(self, fn: Any, *args: Any, name: str | None = None, returns: Sequence[str] | None = None,
            copy_args: bool = True, **kwargs: Any) -> Any:
        """Like :meth:`call` for any callable of the student's (e.g. a bound method)."""
        if copy_args:
            args = copy.deepcopy(args)
            kwargs = copy.deepcopy(kwargs)
        label = name or getattr(fn, "__name__", None) or self.name
        try:
            result = call_student(fn, *args, name=label, time_limit=self.time_limit, **kwargs)
        except ExerciseFailed as exc:
            self.fail(exc.message, name_case=not exc.any_input)
        if returns is not None:
            result = self._unpack(label, result, tuple(returns))
        return result

    def _unpack(self, label: str, result: Any, names: tuple[str, ...]) -> tuple:
        want = f"{len(names)} values ({', '.join(names)})"
        if result is None:
            self.fail(f"`{label}` returned None, but it should return {want}: did you forget `return`?")
        if not isinstance(result, (tuple, list)):
            self.fail(f"`{label}` should return {want}, but returned a single {type(result).__name__}.")
        if len(result) != len(names):
            self.fail(f"`{label}` should return {want}, but returned {len(result)} values.")
        return tuple(result)

    # -- counting checks -------------------------------------------------------
    def compare(self, what: str, got: Any, expected: Any, *, rtol: float = 1e-6, atol: float = 1e-9,
                batch_size: int | None = None, mistakes: Mapping[str, Any] | None = None) -> None:
        """One check: ``got`` must match ``expected`` (see :func:`diagnose`)."""
        message = diagnose(what, got, expected, rtol=rtol, atol=atol, batch_size=batch_size, mistakes=mistakes)
        if message is not None:
            self.fail(message)
        self.passed += 1

    def check(self, condition: Any, message: str) -> None:
        """One yes/no check; ``message`` says what is wrong when ``condition`` is false."""
        if not bool(condition):
            self.fail(message)
        self.passed += 1

    def fail(self, message: str, *, name_case: bool = True) -> None:
        """Stop with ``message`` (the exercise and, if ``name_case``, the current case are added)."""
        raise ExerciseFailed(self._format(message, name_case=name_case))

    def _format(self, message: str, *, name_case: bool = True) -> str:
        head = f"{self.checker.exercise} {self.name}"
        if self._case and name_case:
            head += f" (with {self._case})"
        return f"{head}:\n{message}"


class Checker:
    """A callable checker: ``checker(student, hidden=False)``.

    Usually made by the :func:`exercise` decorator. ``body(c)`` receives a
    :class:`CheckContext` and performs the checks through it.
    """

    def __init__(self, exercise: str, name: str, body: Callable[[CheckContext], Any], *,
                 time_limit: float | None = DEFAULT_TIME_LIMIT, seed: int | None = None):
        self.exercise = exercise
        self.name = name
        self.body = body
        self.time_limit = time_limit
        self.seed = seed
        for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
            try:
                setattr(self, attr, getattr(body, attr))
            except AttributeError:
                pass

    def __call__(self, student: Any, hidden: bool = False, *, time_limit: float | None = None,
                 quiet: bool = False) -> None:
        limit = self.time_limit if time_limit is None else time_limit
        c = CheckContext(self, student, hidden, limit)
        try:
            result = self.body(c)
            if inspect.isgenerator(result):
                # a generator body may yield (what, got, expected) or dicts of compare()'s arguments
                for item in result:
                    if isinstance(item, Mapping):
                        c.compare(**item)
                    elif isinstance(item, tuple) and len(item) == 3:
                        c.compare(*item)
        except ExerciseFailed as exc:
            message = exc.message
            if not message.startswith(self.exercise):
                message = c._format(message)
            raise ExerciseFailed(message) from None
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - a bug in the checker itself
            raise ExerciseFailed(self._internal_error(exc)) from None
        if c.passed == 0:
            raise ExerciseFailed(self._internal_error(RuntimeError("the checker ran no checks")))
        if not quiet:
            extra = " (hidden tests)" if c.hidden else ""
            print(f"✔ {self.exercise} {self.name}: {c.passed} of {c.passed} checks passed{extra}")

    def _internal_error(self, exc: BaseException) -> str:
        frame = None
        try:
            frame = traceback.extract_tb(exc.__traceback__)[-1]
        except Exception:
            pass
        where = f" ({os.path.basename(frame.filename)}, line {frame.lineno})" if frame else ""
        return (f"internal checker error in {self.exercise} {self.name}: "
                f"{type(exc).__name__}: {exc}{where}\n"
                "This is a bug in the checker, not necessarily in your code: please report it.")

    def __repr__(self) -> str:
        return f"<checker for {self.exercise} {self.name}>"


def exercise(exercise_id: str, name: str, *, time_limit: float | None = DEFAULT_TIME_LIMIT,
             seed: int | None = None) -> Callable[[Callable[[CheckContext], Any]], Checker]:
    """Decorator turning ``body(c)`` into a :class:`Checker` for ``exercise_id``
    ("Exercise 5.1"), where the student writes ``name`` ("linear_backward")."""

    def decorate(body: Callable[[CheckContext], Any]) -> Checker:
        return Checker(exercise_id, name, body, time_limit=time_limit, seed=seed)

    return decorate


# ----------------------------------------------------------------------- require


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


def _is_stub(obj: Any) -> bool:
    """True if ``obj`` (a function, class or instance) still contains a
    ``raise NotImplementedError`` written in the student's code."""
    target = obj
    if not callable(obj) and not isinstance(obj, type):
        target = type(obj)
    try:
        for code in _code_objects(target):
            if "NotImplementedError" in code.co_names and not _is_library_file(code.co_filename):
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
    message = (f"This cell uses your answer to {exercise}, which is not done yet: "
               "finish it first (or skip this cell).")
    if obj is None or _is_stub(obj):
        raise ExerciseFailed(message)
    if args or kwargs:
        try:
            _run(obj, args, kwargs, DEFAULT_TIME_LIMIT)
        except NotImplementedError:
            raise ExerciseFailed(message) from None
        except _StudentTimeout:
            raise ExerciseFailed(f"This cell uses your answer to {exercise}, which took longer than "
                                 f"{_fmt_seconds(DEFAULT_TIME_LIMIT)}: is there a loop that never ends?") from None
        except KeyboardInterrupt:
            raise
        except BaseException:  # noqa: BLE001 - other problems show up when the cell runs
            pass
