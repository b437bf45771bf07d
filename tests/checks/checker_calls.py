"""What the checker tests did with the checkers in this session (filled in by conftest.py).

Each call of a checker is recorded under the test module that made it, with its outcome:

* ``"accepted"``: the checker passed the answer;
* ``"rejected"``: it raised ExerciseFailed about the answer (a wrong answer caught);
* ``"stub"``: it rejected an unwritten stub (``raise NotImplementedError``);
* ``"internal error"``: it failed with "internal checker error" (a bug in the checker).
"""
from __future__ import annotations

from collections import defaultdict

from backprop_lib.checks.framework import Checker
from backprop_lib.checks.running import STUB_HINT

#: test module file name -> checker key (see :func:`checker_key`) -> outcomes
CALLS: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
#: test modules of tests/checks that run in this session
PRESENT: set[str] = set()
#: ... and those of them that run only in part (some tests deselected, e.g. with -k)
PARTIAL: set[str] = set()


def checker_key(checker: Checker) -> str:
    """``"backprop_lib.checks.nb05_vectorized.check_unbroadcast"``."""
    return f"{checker.__module__}.{checker.__name__}"


def outcome(message: str) -> str:
    """The outcome of a call that raised, from its message."""
    if "internal checker error" in message:
        return "internal error"
    if STUB_HINT in message:
        return "stub"
    return "rejected"
