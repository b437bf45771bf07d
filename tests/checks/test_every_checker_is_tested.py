"""Every checker a notebook uses is exercised by its topic's tests with wrong answers.

A checker nobody feeds a wrong implementation could pass anything; this test makes
sure each one has a test module that names it and expects ExerciseFailed from it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from backprop_lib.checks import TOPICS

ROOT = Path(__file__).resolve().parents[2]
CHECKER_CALL = re.compile(r"\bgrade\((check_\w+),")


@pytest.mark.parametrize("notebook", sorted(TOPICS))
def test_topic_tests_cover_every_checker(notebook):
    module = TOPICS[notebook]
    topic = module.__name__.rsplit(".", 1)[1]
    test_file = ROOT / "tests" / "checks" / f"test_{topic}.py"
    assert test_file.exists(), f"no tests for backprop_lib.checks.{topic}"
    text = test_file.read_text()
    expects_failure = "ExerciseFailed" in text or re.search(r"\b_?fails(_with)?\(", text)
    assert expects_failure, f"{test_file.name} never expects a failure"
    for name in module.__all__:
        assert name in text, f"{name} is not tested in {test_file.name}"


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
