"""Records every checker call made by the checker tests (see checker_calls.py), for
test_every_checker_is_tested.py.

For the whole session ``Checker.__call__`` is wrapped, and each call is recorded under the
test module that made it. The meta-test is moved to the end of the session, so that it sees
the calls of every topic test module that ran before it. With BACKPROP_CHECKER_RECORD=path,
the record is also written to that JSON file when the session ends (the meta-test uses this
to run a topic's tests on their own).

The checkers speak the student's language: the first rejections of each checker are run
again in Spanish and in Hindi, with the same answer, and the outcome of each replay is
recorded too ("es: translated", "hi: untranslated", "es: accepted", ...; see
checker_calls.replay_outcome). The meta-test asks every checker to reject in every language,
with feedback in that language.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from checker_calls import CALLS, PARTIAL, PRESENT, REPLAY_LANGUAGES, REPLAYED, checker_key, outcome, replay

from backprop_lib.checks.framework import Checker

HERE = Path(__file__).resolve().parent
META_TEST = "test_every_checker_is_tested.py"
_current_module = [""]


@pytest.fixture(scope="session", autouse=True)
def _record_checker_calls():
    original = Checker.__call__

    def recording_call(self, *args, **kwargs):
        calls = CALLS[_current_module[0]][checker_key(self)]
        try:
            result = original(self, *args, **kwargs)
        except Exception as exc:
            calls.add(outcome(str(exc)))
            key = (_current_module[0], checker_key(self))
            if outcome(str(exc)) == "rejected" and REPLAYED[key] < 2:   # two replays per checker and module
                REPLAYED[key] += 1
                for lang in REPLAY_LANGUAGES:
                    calls.add(replay(original, self, args, kwargs, lang, str(exc)))
            raise
        calls.add("accepted")
        return result

    Checker.__call__ = recording_call
    try:
        yield
    finally:
        Checker.__call__ = original


@pytest.fixture(autouse=True)
def _current_test_module(request):
    _current_module[0] = request.path.name
    yield
    _current_module[0] = ""


def _here(item) -> bool:
    return Path(item.path).resolve().parent == HERE


def pytest_deselected(items):
    PARTIAL.update(item.path.name for item in items if _here(item))


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected what they do
def pytest_collection_modifyitems(session, config, items):
    PRESENT.update(item.path.name for item in items if _here(item))
    meta = [item for item in items if _here(item) and item.path.name == META_TEST]
    items[:] = [item for item in items if item not in meta] + meta   # after every checker test


def pytest_sessionfinish(session):
    path = os.environ.get("BACKPROP_CHECKER_RECORD")
    if path:
        Path(path).write_text(json.dumps(
            {module: {checker: sorted(outcomes) for checker, outcomes in calls.items()}
             for module, calls in CALLS.items()}))
