"""The clean-tree guard (tests/clean_tree.py) fails a test run that changes the work tree.

Each case builds a small git repository with one tracked file, a conftest that
registers the guard, and one test; then runs pytest on it in a subprocess.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]

CONFTEST = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})
from pathlib import Path
from clean_tree import CleanTreeGuard

def pytest_configure(config):
    config.pluginmanager.register(CleanTreeGuard(Path(__file__).parent), "clean-tree-guard")
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _run(tmp_path: Path, test_body: str, dirty_before: bool = False) -> subprocess.CompletedProcess:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "data.txt").write_text("stored numbers\n")
    (repo / ".gitignore").write_text("__pycache__/\n")
    (repo / "conftest.py").write_text(CONFTEST)
    (repo / "test_case.py").write_text("from pathlib import Path\nHERE = Path(__file__).parent\n\n"
                                       f"def test_case():\n    {test_body}\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "start")
    if dirty_before:
        (repo / "data.txt").write_text("an edit not yet committed\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"              # only the guard: a faster start
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_case.py"],
                          cwd=repo, capture_output=True, text=True, timeout=120, env=env)


def test_a_clean_run_passes(tmp_path):
    result = _run(tmp_path, "assert (HERE / 'data.txt').read_text()")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "work tree modified" not in result.stdout


def test_rewriting_a_tracked_file_fails_the_run(tmp_path):
    result = _run(tmp_path, "(HERE / 'data.txt').write_text('machine-dependent digits\\n')")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed" in result.stdout                  # the test itself passed: the guard failed the run
    assert "work tree modified by the tests" in result.stdout and "data.txt" in result.stdout


def test_leaving_a_new_file_fails_the_run(tmp_path):
    result = _run(tmp_path, "(HERE / 'output.json').write_text('{}')")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "output.json" in result.stdout


def test_uncommitted_edits_made_before_the_run_are_fine(tmp_path):
    result = _run(tmp_path, "assert 'not yet committed' in (HERE / 'data.txt').read_text()", dirty_before=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_touching_an_already_modified_file_fails_the_run(tmp_path):
    result = _run(tmp_path, "(HERE / 'data.txt').write_text('changed again\\n')", dirty_before=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "data.txt" in result.stdout


@pytest.mark.parametrize("name", ["clean-tree-guard"])
def test_the_suite_registers_the_guard(request, name):
    assert request.config.pluginmanager.has_plugin(name)
