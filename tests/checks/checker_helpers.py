"""Shared helpers for the checker tests: feed a checker a wrong answer, expect a message."""
from __future__ import annotations

import pytest

from backprop_lib.checks import ExerciseFailed


def fails(checker, fn, *fragments, hidden=False, quiet=False):
    """Run ``checker(fn)``; it must raise ExerciseFailed whose message has every fragment."""
    with pytest.raises(ExerciseFailed) as info:
        checker(fn, hidden=hidden, quiet=quiet)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    return message


def stub(*args):
    """What nbgrader leaves in a student's notebook."""
    # YOUR CODE HERE
    raise NotImplementedError()


def fails_with(checker, fn, *fragments, hidden=False):
    """:func:`fails`, with the checker's success line switched off."""
    return fails(checker, fn, *fragments, hidden=hidden, quiet=True)
