"""Optional dependencies are reached only through fixtures (the policy of optional_deps.py).

A test module that imports an optional dependency at its top fails to collect where it is
missing; one that calls ``pytest.importorskip`` skips silently even on CI, where the
dependency is mandatory. So no test file may do either: tests ask for the fixture
(``torch``, ``micrograd``, ``jax``; ``browser`` for Playwright), which skips with a reason
locally and fails where BACKPROP_REQUIRE_* is set. And CI sets that variable for every
optional dependency the project pins.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from optional_deps import OPTIONAL

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
POLICY = TESTS / "optional_deps.py"
TEST_FILES = sorted(p for p in TESTS.rglob("*.py") if p != POLICY)


def _imported_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def optional_dependency_problems(source: str) -> list[str]:
    """Imports of optional dependencies and ``importorskip`` calls in a test file's source."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        for name in _imported_names(node):
            if name.split(".")[0] in OPTIONAL:
                problems.append(f"line {node.lineno}: imports {name}: use its fixture instead")
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called == "importorskip":
                problems.append(f"line {node.lineno}: pytest.importorskip: an optional dependency goes through "
                                "its fixture, a required one is imported")
    return problems


@pytest.mark.parametrize("path", TEST_FILES, ids=[p.relative_to(TESTS).as_posix() for p in TEST_FILES])
def test_no_test_file_imports_an_optional_dependency_or_skips_on_import(path):
    problems = optional_dependency_problems(path.read_text())
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("source, found", [
    ("import torch\n", "imports torch"),
    ("import micrograd.engine as mg\n", "imports micrograd.engine"),
    ("from playwright.sync_api import sync_playwright\n", "imports playwright.sync_api"),
    ("def test_x():\n    import jax\n", "imports jax"),
    ("import pytest\ntorch = pytest.importorskip('torch')\n", "importorskip"),
    ("from pytest import importorskip\nnp = importorskip('numpy')\n", "importorskip"),
])
def test_the_scan_finds_each_way_around_the_fixtures(source, found):
    problems = optional_dependency_problems(source)
    assert len(problems) == 1 and found in problems[0], problems


def test_ci_makes_every_pinned_optional_dependency_mandatory():
    pinned = {line.split("==")[0].strip().lower() for line in (ROOT / "constraints.txt").read_text().splitlines()
              if "==" in line and not line.lstrip().startswith("#")}
    ci = (ROOT / ".ci" / "run").read_text()
    exported = set(re.findall(r"^export (BACKPROP_REQUIRE_\w+)=1\s*$", ci, flags=re.MULTILINE))
    missing = [f"{name} ({policy.require_var})" for name, policy in OPTIONAL.items()
               if name in pinned and policy.require_var not in exported]
    assert not missing, f".ci/run does not make these pinned optional dependencies mandatory: {missing}"
