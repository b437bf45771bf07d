"""The framework every exercise checker is built on: :func:`exercise`, :class:`Checker`
and the :class:`CheckContext` a checker body works through.

A checker runs the student's code on fixed and seeded random inputs, compares the
results with the reference implementation and, on the first mismatch, raises
:class:`~.failure.ExerciseFailed` with a message that says *what* is wrong ("the
gradient has the wrong sign", "expected shape (3, 4), got (4, 3): did you transpose?").
Whatever the student's code does (raise, loop forever, return ``None``, return a list),
the checker raises nothing but ``ExerciseFailed``.

Writing a checker
-----------------
Put it in ``backprop_lib/checks/nbNN_<topic>.py`` (the module of that notebook)::

    from ..i18n import _
    from .framework import exercise

    @exercise("Exercise 5.1", "linear_backward")
    def check_linear_backward(c):
        for N, n_in, n_out in c.cases([(2, 3, 4), (1, 1, 1)], hidden=[(5, 7, 3), (64, 10, 10)]):
            X, W = c.rng.normal(size=(N, n_in)), c.rng.normal(size=(n_in, n_out))
            dout = c.rng.normal(size=(N, n_out))
            with c.case(_("X of shape {x}, W of shape {w}").format(x=X.shape, w=W.shape)):
                dX, dW, db = c.call(X, W, dout, returns=("dX", "dW", "db"))
                c.compare("dX", dX, dout @ W.T)
                c.compare("dW", dW, X.T @ dout, mistakes={
                    _("dW = X @ dout.T? The order of the product is swapped"): (dout.T @ X)})
                c.compare("db", db, dout.sum(axis=0))

The decorated function becomes ``check_linear_backward(student_fn, hidden=False)``.
It prints ``✔ Exercise 5.1 linear_backward: 6 of 6 checks passed`` on success.
Inside the body, ``c`` is a :class:`CheckContext`: ``c.call`` runs the student's code
(time-limited, arguments copied), ``c.compare`` counts one check and fails with a
diagnosis, ``c.check(condition, message)`` counts a yes/no check, ``c.rng`` is a
seeded :class:`numpy.random.Generator` (a different seed when ``hidden=True``).
A bug in the body itself becomes an ``ExerciseFailed`` saying "internal checker error".

The student reads every message in their language (:mod:`backprop_lib.i18n`): a body wraps
the texts it passes (``c.check``/``c.fail`` messages, ``mistakes`` keys, case descriptions
with words) in ``_()`` where it writes them, and the framework shows them as they are.
A message with a count uses ``ngettext``; where the English text has always been the same
for 1 ("1 of 1 checks passed", stored in the notebooks' outputs), both English forms are
that text, and other languages still get their own forms. The exercise id stays the
English ``"Exercise 5.1"`` (it seeds the random cases); :func:`exercise_label` shows it
translated.
"""
from __future__ import annotations

import contextlib
import copy
import os
import traceback
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ..i18n import _, ngettext
from .diagnosis import diagnose
from .failure import ExerciseFailed
from .running import DEFAULT_TIME_LIMIT, call_student

__all__ = ["CheckContext", "Checker", "exercise", "exercise_label"]


def exercise_label(exercise_id: str) -> str:
    """How the student sees an exercise id: ``"Exercise 5.1"`` in their language. The id itself
    stays English (it seeds the random cases); an id of another form is shown as it is."""
    word, _space, number = exercise_id.partition(" ")
    if word == "Exercise" and number:
        return _("Exercise {number}").format(number=number)
    return exercise_id


class CheckContext:
    """What a checker body receives: the student's object, the random generator and
    the operations that count checks. Create it through :func:`exercise`."""

    def __init__(self, checker: Checker, student: Any, hidden: bool, time_limit: float | None):
        self.checker = checker
        self.student = student
        self.hidden = bool(hidden)
        self.time_limit = time_limit
        self.name = checker.name
        self.passed = 0
        # the package's classes of the objects handed to the student's code by `run` (grade's
        # check for an answer that uses the package's own code lets these through)
        self.handed: set[type] = set()
        self._case: str | None = None
        seed = zlib.crc32(f"{checker.exercise}/{checker.name}/{'hidden' if hidden else 'public'}".encode())
        self.rng = np.random.default_rng(seed)

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
        self._note_handed(args, kwargs)
        try:
            result = call_student(fn, *args, name=label, time_limit=self.time_limit, **kwargs)
        except ExerciseFailed as exc:
            self.fail(exc.message, name_case=not exc.any_input)
        if returns is not None:
            result = self._unpack(label, result, tuple(returns))
        return result

    def _note_handed(self, args: tuple, kwargs: dict) -> None:
        values = list(args) + list(kwargs.values())
        for value in list(values):
            if isinstance(value, (list, tuple)):
                values.extend(value[:100])
            elif isinstance(value, dict):
                values.extend(list(value.values())[:100])
        for value in values:
            for kind in type(value).__mro__:
                if kind.__module__.split(".")[0] == "backprop_lib":
                    self.handed.add(kind)

    def _unpack(self, label: str, result: Any, names: tuple[str, ...]) -> tuple:
        want = {"name": label, "count": len(names), "names": ", ".join(names)}
        if result is None:
            self.fail(_("`{name}` returned None, but it should return {count} values ({names}): "
                        "did you forget `return`?").format(**want))
        if not isinstance(result, (tuple, list)):
            self.fail(_("`{name}` should return {count} values ({names}), but returned a single {kind}.").format(
                kind=type(result).__name__, **want))
        if len(result) != len(names):
            # English says "values" for any count (the stored outputs); ngettext gives other languages their forms
            self.fail(ngettext("`{name}` should return {count} values ({names}), but returned {got} values.",
                               "`{name}` should return {count} values ({names}), but returned {got} values.",
                               len(result)).format(got=len(result), **want))
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
        head = self.checker.label()
        if self._case and name_case:
            # TRANSLATORS: follows an exercise's name, in the first line of a failure message
            head += " " + _("(with {case})").format(case=self._case)
        return f"{head}:\n{message}"


class Checker:
    """A callable checker: ``checker(student, hidden=False)``.

    Usually made by the :func:`exercise` decorator. ``body(c)`` receives a
    :class:`CheckContext` and performs the checks through it.
    """

    def __init__(self, exercise: str, name: str, body: Callable[[CheckContext], Any], *,
                 time_limit: float | None = DEFAULT_TIME_LIMIT):
        self.exercise = exercise
        self.name = name
        self.body = body
        self.time_limit = time_limit
        for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
            try:
                setattr(self, attr, getattr(body, attr))
            except AttributeError:
                pass

    def __call__(self, student: Any, hidden: bool = False, *, time_limit: float | None = None,
                 quiet: bool = False) -> None:
        self.run(student, hidden, time_limit=time_limit, quiet=quiet)

    def run(self, student: Any, hidden: bool = False, *, time_limit: float | None = None,
            quiet: bool = False) -> CheckContext:
        """Like calling the checker; returns the :class:`CheckContext` of the run (what
        :func:`~.grading.grade` reads: ``passed``, ``handed``)."""
        limit = self.time_limit if time_limit is None else time_limit
        c = CheckContext(self, student, hidden, limit)
        try:
            self.body(c)
        except ExerciseFailed as exc:
            message = exc.message
            if not message.startswith(exercise_label(self.exercise)):
                message = c._format(message)
            raise ExerciseFailed(message) from None
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - a bug in the checker itself
            raise ExerciseFailed(self._internal_error(exc)) from None
        if c.passed == 0:
            raise ExerciseFailed(self._internal_error(RuntimeError(_("the checker ran no checks"))))
        if not quiet:
            # English says "checks" for any count (the stored outputs); ngettext gives other languages their forms
            if c.hidden:
                passed = ngettext("{exercise}: {passed} of {total} checks passed (hidden tests)",
                                  "{exercise}: {passed} of {total} checks passed (hidden tests)", c.passed)
            else:
                passed = ngettext("{exercise}: {passed} of {total} checks passed",
                                  "{exercise}: {passed} of {total} checks passed", c.passed)
            print("✔ " + passed.format(exercise=self.label(), passed=c.passed, total=c.passed))
        return c

    def label(self) -> str:
        """``"Exercise 5.1 linear_backward"``, in the student's language (a name with words, such
        as ``"Layer and MLP"``, is marked with ``N_`` where the checker is defined). A name that is
        an identifier (``square``, ``linear_backward``) is code and never looked up: as a message it
        could pick up the translation of a word that happens to be spelled the same."""
        name = self.name if self.name.isidentifier() else _(self.name)
        return f"{exercise_label(self.exercise)} {name}"

    def _internal_error(self, exc: BaseException) -> str:
        frame = None
        try:
            frame = traceback.extract_tb(exc.__traceback__)[-1]
        except Exception:
            pass
        error = f"{type(exc).__name__}: {exc}"
        if frame:
            head = _("internal checker error in {exercise}: {error} ({file}, line {line})").format(
                exercise=self.label(), error=error, file=os.path.basename(frame.filename), line=frame.lineno)
        else:
            head = _("internal checker error in {exercise}: {error}").format(exercise=self.label(), error=error)
        return head + "\n" + _("This is a bug in the checker, not necessarily in your code: please report it.")

    def __repr__(self) -> str:
        return f"<checker for {self.exercise} {self.name}>"


def exercise(exercise_id: str, name: str) -> Callable[[Callable[[CheckContext], Any]], Checker]:
    """Decorator turning ``body(c)`` into a :class:`Checker` for ``exercise_id``
    ("Exercise 5.1"), where the student writes ``name`` ("linear_backward"; a name with
    words is marked for translation, ``N_("Layer and MLP")``)."""

    def decorate(body: Callable[[CheckContext], Any]) -> Checker:
        return Checker(exercise_id, name, body)

    return decorate
