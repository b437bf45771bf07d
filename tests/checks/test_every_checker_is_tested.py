"""Every checker of every notebook rejects wrong answers in its topic's tests, in every language.

A checker that no test feeds a wrong answer could accept anything, and a test file that
merely names it (an import line does) proves nothing. So this looks at what the checker
tests did: tests/checks/conftest.py records every call of every checker in the session
(checker_calls.py), and each checker in the ``__all__`` of a notebook's topic module (every
notebook in ``TOPICS``, including ones added later) must have been run by
``tests/checks/test_<topic>.py`` on at least one wrong answer that it rejected (rejecting a
stub or failing with an internal error does not count) and on a right answer that it
accepted. Those wrong answers are replayed in Spanish and Hindi (conftest.py): each must be
rejected again, with feedback in that language.

conftest.py moves this test to the end of the session. A topic's test module that did not
run in full in this session (this file run alone, or ``-k``) is run in a subprocess first.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from checker_calls import CALLS, PARTIAL, PRESENT, REPLAY_LANGUAGES, checker_key

from backprop_lib.checks import TOPICS
from backprop_lib.checks.framework import Checker

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHECKER_CALL = re.compile(r"\bgrade\((check_\w+),")


def _calls_made_by(test_file: Path, tmp_path: Path) -> dict[str, set[str]]:
    """Checker key -> outcomes of the calls made by ``test_file``'s tests."""
    if test_file.name in PRESENT and test_file.name not in PARTIAL:
        return CALLS[test_file.name]
    record = tmp_path / "checker_calls.json"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(test_file), "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, env={**os.environ, "BACKPROP_CHECKER_RECORD": str(record)},
        capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, f"{test_file.name} fails on its own:\n{run.stdout[-3000:]}"
    return {key: set(outcomes) for key, outcomes in json.loads(record.read_text()).get(test_file.name, {}).items()}


@pytest.mark.parametrize("notebook", sorted(TOPICS))
def test_every_checker_rejects_a_wrong_answer_in_its_tests(notebook, tmp_path):
    module = TOPICS[notebook]
    topic = module.__name__.rsplit(".", 1)[1]
    test_file = HERE / f"test_{topic}.py"
    assert test_file.exists(), f"no tests for backprop_lib.checks.{topic}: write {test_file.name}"
    checkers = {name: getattr(module, name) for name in module.__all__}
    not_checkers = sorted(name for name, obj in checkers.items() if not isinstance(obj, Checker))
    assert not not_checkers, f"{module.__name__}.__all__ lists objects that are not checkers: {not_checkers}"
    calls = _calls_made_by(test_file, tmp_path)
    problems = []
    for name, checker in checkers.items():
        outcomes = calls.get(checker_key(checker), set())
        if not outcomes:
            problems.append(f"{name} is never run by {test_file.name}")
            continue
        if "rejected" not in outcomes:
            problems.append(f"{name} never rejects a wrong answer in {test_file.name} (outcomes: {sorted(outcomes)})")
        if "accepted" not in outcomes:
            problems.append(f"{name} never accepts a right answer in {test_file.name} (outcomes: {sorted(outcomes)})")
        for lang in REPLAY_LANGUAGES:   # the same wrong answers, replayed in each language
            replays = sorted(o for o in outcomes if o.startswith(f"{lang}: "))
            if replays and replays != [f"{lang}: translated"]:
                problems.append(f"{name} in {lang!r}: a wrong answer gave {replays}; every one must be rejected "
                                f"with feedback in that language ('{lang}: translated')")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("notebook", sorted(TOPICS))
def test_notebook_uses_its_checkers(notebook):
    """Each graded test cell calls a checker of the notebook's own topic module."""
    module = TOPICS[notebook]
    nb = json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text())
    graded = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    assert len(graded) >= 2, f"{notebook} has {len(graded)} graded cells; the rubric asks for at least 2"
    for cell in graded:
        called = set(CHECKER_CALL.findall("".join(cell["source"])))
        assert called, f"graded cell {cell['metadata']['nbgrader']['grade_id']} calls no checker"
        assert called <= set(module.__all__), (
            f"{cell['metadata']['nbgrader']['grade_id']} calls {sorted(called - set(module.__all__))}, "
            f"not in backprop_lib.checks.{module.__name__.rsplit('.', 1)[1]}")
