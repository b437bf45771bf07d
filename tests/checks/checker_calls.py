"""What the checker tests did with the checkers in this session (filled in by conftest.py).

Each call of a checker is recorded under the test module that made it, with its outcome:

* ``"accepted"``: the checker passed the answer;
* ``"rejected"``: it raised ExerciseFailed about the answer (a wrong answer caught);
* ``"stub"``: it rejected an unwritten stub (``raise NotImplementedError``);
* ``"internal error"``: it failed with "internal checker error" (a bug in the checker).

A rejected answer is also run again in each of :data:`REPLAY_LANGUAGES`, recorded as
``"<lang>: <outcome>"`` (:func:`replay`): ``translated`` when it is rejected with a message
in that language, ``untranslated`` when the message is the English one (or, for Hindi, has no
Devanagari), else ``accepted``, ``internal error`` or ``crashed``.
"""
from __future__ import annotations

import contextlib
import io
import re
from collections import defaultdict
from typing import Any

from backprop_lib.checks.failure import ExerciseFailed
from backprop_lib.checks.framework import Checker
from backprop_lib.checks.running import STUB_HINT
from backprop_lib.i18n import language

REPLAY_LANGUAGES = ("es", "hi")
DEVANAGARI = re.compile(r"[\u0900-\u097F]")

#: test module file name -> checker key (see :func:`checker_key`) -> outcomes
CALLS: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
#: test modules of tests/checks that run in this session
PRESENT: set[str] = set()
#: ... and those of them that run only in part (some tests deselected, e.g. with -k)
PARTIAL: set[str] = set()
#: (test module, checker key) -> rejections replayed in the other languages so far
REPLAYED: dict[tuple[str, str], int] = defaultdict(int)


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


def replay(call, checker: Checker, args: tuple, kwargs: dict[str, Any], lang: str, english: str) -> str:
    """Run a rejected checker call again in ``lang``; its outcome as ``"<lang>: <what>"``."""
    internal = []
    original = checker._internal_error

    def noting_internal_error(exc):
        internal.append(exc)
        return original(exc)

    checker._internal_error = noting_internal_error
    try:
        with language(lang), contextlib.redirect_stdout(io.StringIO()):
            call(checker, *args, **kwargs)
    except ExerciseFailed as exc:
        message = str(exc)
        if internal:
            return f"{lang}: internal error"
        in_language = message != english and (lang != "hi" or DEVANAGARI.search(message))
        return f"{lang}: {'translated' if in_language else 'untranslated'}"
    except Exception as exc:  # noqa: BLE001 - recorded, and reported by the meta-test
        return f"{lang}: crashed ({type(exc).__name__})"
    finally:
        del checker._internal_error
    return f"{lang}: accepted"
