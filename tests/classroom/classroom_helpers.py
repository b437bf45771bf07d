"""Helpers for the classroom tests: the course builder, notebook surgery, grades."""
from __future__ import annotations

import copy
import importlib.util
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
FIXTURE_NOTEBOOKS = Path(__file__).resolve().parent / "fixtures" / "notebooks"
SERIES_NOTEBOOKS = REPO / "notebooks"
# the notebook set graded besides the fixture: the series, or another folder for a trial run
REAL_NOTEBOOKS = Path(os.environ.get("BACKPROP_CLASSROOM_NOTEBOOKS") or SERIES_NOTEBOOKS)
TOOL = REPO / "tools" / "assignments.py"

SOLUTION_REGION = re.compile(r"^[ \t]*### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION[^\n]*(\n|\Z)",
                             re.MULTILINE | re.DOTALL)
HIDDEN_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS[^\n]*\n(.*?)^[ \t]*### END HIDDEN TESTS[^\n]*(\n|\Z)",
                           re.MULTILINE | re.DOTALL)


def load_tool():
    spec = importlib.util.spec_from_file_location("assignments_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("assignments_tool", module)
    spec.loader.exec_module(module)
    return module


def make_assignments(notebooks: Path, course: Path, *extra: str) -> subprocess.CompletedProcess:
    """`make assignments` (with make variables in ``extra``, e.g. FORCE=1 or EDITION=es) on the
    notebooks in ``notebooks``, into ``course``."""
    env = {**os.environ, "BACKPROP_NOTEBOOKS_DIR": str(notebooks), "BACKPROP_COURSE_DIR": str(course)}
    # -o: use the virtualenv as it is (never reinstall it from inside a test)
    return subprocess.run(["make", "--no-print-directory", "-o", ".venv/.stamp-test", "assignments", *extra],
                          cwd=str(REPO), env=env, capture_output=True, text=True)


def run_tool(*args: str, env: dict | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *args], cwd=str(cwd), capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def is_solution(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_test(cell) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def grade_id(cell) -> str:
    return nbgrader_meta(cell).get("grade_id", "")


def read(path: Path):
    return nbformat.read(str(path), as_version=4)


def write(nb, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def code_lines(text: str) -> set[str]:
    """Stripped non-empty lines that are not only a comment."""
    return {s for s in (line.strip() for line in text.splitlines()) if s and not s.startswith("#")}


def region_lines(nb, region: re.Pattern) -> tuple[set[str], set[str]]:
    """Lines inside ``region`` and lines of the notebook outside it."""
    inside, outside = set(), set()
    for cell in nb.cells:
        src = cell.source
        for m in region.finditer(src):
            inside |= code_lines(m.group(1))
        outside |= code_lines(region.sub("", src))
    return inside, outside


def answered(solution_source: str) -> str:
    """The solution cell as a student would write it: the markers removed."""
    return SOLUTION_REGION.sub(lambda m: m.group(1), solution_source)


def wrong_answer(solution_source: str) -> str:
    """Each solution region replaced by a wrong answer: ``return None`` in a function,
    nothing at all (so its names stay undefined) at the top level."""
    def repl(m):
        indent = re.match(r"[ \t]*", m.group(0)).group(0)
        body = f"{indent}return None  # a wrong answer\n" if indent else "pass  # a wrong answer\n"
        return body
    return SOLUTION_REGION.sub(repl, solution_source)


@dataclass
class Exercise:
    test_id: str
    points: float
    solution_ids: list[str] = field(default_factory=list)


def exercises(nb) -> list[Exercise]:
    """Graded test cells in order, each with the solution cells since the previous one."""
    out, pending = [], []
    for cell in nb.cells:
        if is_solution(cell):
            pending.append(grade_id(cell))
        elif is_test(cell):
            out.append(Exercise(grade_id(cell), float(nbgrader_meta(cell).get("points", 0)), pending))
            pending = []
    return out


def student_version(release_nb, source_nb, *, wrong: set[str] = frozenset(), custom: dict | None = None,
                    edit_tests: dict | None = None, delete_tests: set[str] = frozenset()):
    """A submission made from the release: every stub answered with the reference
    solution, except solution cells in ``wrong`` (answered wrongly) or ``custom``
    (given source); test cells in ``edit_tests`` get new source, ``delete_tests`` are removed."""
    solutions = {grade_id(c): c.source for c in source_nb.cells if is_solution(c)}
    nb = copy.deepcopy(release_nb)
    cells = []
    for cell in nb.cells:
        gid = grade_id(cell)
        if is_solution(cell):
            if custom and gid in custom:
                cell.source = custom[gid]
            elif gid in wrong:
                cell.source = wrong_answer(solutions[gid])
            else:
                cell.source = answered(solutions[gid])
        elif is_test(cell):
            if gid in delete_tests:
                continue
            if edit_tests and gid in edit_tests:
                cell.source = edit_tests[gid]
        cells.append(cell)
    nb.cells = cells
    return nb


def exercise_notebooks(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    tool = load_tool()
    return [info.path for info in tool.exercise_notebooks(directory)]


def error_outputs(cell) -> list[dict]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def output_text(cell) -> str:
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "error":
            parts += [o.get("ename", ""), o.get("evalue", "")] + list(o.get("traceback", []))
        elif o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        else:
            parts.append(str(o.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)
