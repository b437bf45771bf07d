"""What a graded test cell calls: ``grade(check_xxx, students_answer)``.

A test cell is locked, but the names it uses live in the student's kernel, where any
cell can rebind them. So a test cell imports :func:`grade` itself, and ``grade`` makes
sure the checker it is given is the package's own before running it.
"""
from __future__ import annotations

from typing import Any

from .failure import ExerciseFailed
from .framework import Checker

__all__ = ["grade"]

TAMPERED = ("the checking code was modified in this notebook: {detail}. "
            "Restart the kernel and run the notebook again without changing the checkers.")


def grade(checker: Any, answer: Any, hidden: bool = False) -> None:
    """Run the genuine ``checker`` on the student's ``answer`` (``hidden=True``: hidden cases)."""
    if not isinstance(checker, Checker):
        raise ExerciseFailed(TAMPERED.format(detail=f"{checker!r} is not one of the package's checkers"))
    checker(answer, hidden=hidden)
