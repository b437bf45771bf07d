"""Shared helpers for the checker tests: feed a checker a wrong answer, expect a message."""
from __future__ import annotations

import pytest

from backprop_lib.checks import ExerciseFailed


def fails_with(checker, fn, *fragments, hidden=False, **options):
    """Run ``checker(fn, hidden=hidden, **options)``: it must raise exactly ExerciseFailed
    (not a subclass, not another error) whose message contains every fragment; returns
    the message. ``options`` go to the checker (``time_limit=``, ``quiet=``)."""
    with pytest.raises(ExerciseFailed) as info:
        checker(fn, hidden=hidden, **options)
    assert type(info.value) is ExerciseFailed
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    return message


def stub(*args):
    """What nbgrader leaves in a student's notebook."""
    # YOUR CODE HERE
    raise NotImplementedError()
