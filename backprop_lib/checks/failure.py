"""The exception a checker raises: :class:`ExerciseFailed`, whose message says what is wrong
(:class:`CheckingCodeModified` when ``grade`` finds the checking code changed)."""
from __future__ import annotations

__all__ = ["ExerciseFailed", "CheckingCodeModified"]


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


class CheckingCodeModified(ExerciseFailed):
    """``grade`` found the checking code modified: 0 points. A class of its own, so the
    autograde tool recognizes it by name (``ename``) in any language of the message."""
