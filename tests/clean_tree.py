"""A pytest plugin: the test run must leave the git work tree as it found it.

Running the tests (nbval executes every notebook) must not rewrite tracked files or leave
new untracked ones: a clone stays clean after `make test`. The plugin takes a snapshot
of `git status` (with a hash of each listed file) when the session starts and again when
it ends; any path whose status or content changed in between fails the run, with the
paths named. Files that were already modified before the run are fine as long as the
run does not touch them, so a developer can test uncommitted work. Outside a git
checkout (or without git) the plugin does nothing.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest


def _status(root: Path) -> dict[str, str] | None:
    """``{path: "XY <hash of the file>"}`` for every path git lists as changed or untracked."""
    if shutil.which("git") is None:
        return None
    result = subprocess.run(["git", "status", "--porcelain=v1", "-z", "--untracked-files=all"],
                            cwd=root, capture_output=True, timeout=60)
    if result.returncode != 0:
        return None
    entries = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    out: dict[str, str] = {}
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if code[0] in "RC":                       # a rename or copy is followed by its source path
            i += 1
        file = root / path
        digest = hashlib.sha256(file.read_bytes()).hexdigest()[:16] if file.is_file() else "-"
        out[path] = f"{code} {digest}"
    return out


class CleanTreeGuard:
    """Fail the session when the tests changed the git work tree under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.before: dict[str, str] | None = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.before = _status(self.root)

    def changed_paths(self) -> list[str]:
        after = _status(self.root)
        if self.before is None or after is None:
            return []
        return sorted(p for p in set(self.before) | set(after) if self.before.get(p) != after.get(p))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        changed = self.changed_paths()
        if not changed:
            return
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = [f"the test run changed the git work tree ({len(changed)} path(s)); tests must leave "
                 "tracked files as they are and clean up what they create:"]
        lines += [f"  {path}" for path in changed[:30]]
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_sep("=", "work tree modified by the tests", red=True)
            for line in lines:
                reporter.write_line(line, red=True)
        else:  # pragma: no cover - pytest always has a terminal reporter unless -p no:terminal
            print("\n".join(lines))
