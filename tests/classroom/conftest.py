"""One course per notebook set, built and graded once per test session.

The sets: the fixture notebooks (always) and the series' notebooks/ (every notebook
with nbgrader cells, when there are any). Each course gets a few students, all
autograded with one `nbgrader autograde` per assignment:

- ``instructor``: the source notebook itself (solutions and hidden tests in);
- ``untouched``: the student version as released (only stubs);
- ``one_wrong``: every exercise answered with the reference solution except the first;
- ``tampered``: the first exercise answered wrongly and its test cell edited to pass,
  the last one answered wrongly and its test cell deleted, the others right;
  for the series' notebooks (where each notebook run costs seconds) these two are one
  student: only the first exercise wrong, its test cell edited, the last test cell deleted;
- ``public_only`` (fixture only): an answer that passes the public tests, not the hidden ones.
"""
from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import classroom_helpers as h  # noqa: E402

# the fixture notebooks are data for these tests, not notebooks to run with nbval
collect_ignore_glob = ["fixtures/*"]

SUITES = ["fixture"] + (["notebooks"] if h.exercise_notebooks(h.REAL_NOTEBOOKS) else [])

EDITED_TEST = 'print("all tests passed")'

PUBLIC_ONLY_SQUARE = '''\
def square(x):
    import numpy as np
    x = np.asarray(x, dtype=float)
    public = x.shape == (2, 3) if x.ndim else float(x) in (3.0, -2.0, 0.5, 0.0)
    return x * x if public else x * 0.0  # right only on the public cases
'''


@dataclass
class Course:
    suite: str
    notebooks_dir: Path
    root: Path
    assignments: list[str]
    build_output: str
    # expected[(student, assignment)][test grade_id] = points
    expected: dict = field(default_factory=dict)
    # grades[(student, assignment)][test grade_id] = (score, max_score)
    grades: dict = field(default_factory=dict)
    totals: dict = field(default_factory=dict)
    autograde_seconds: float = 0.0

    def source(self, a: str) -> Path:
        return self.root / "source" / a / f"{a}.ipynb"

    def release(self, a: str) -> Path:
        return self.root / "release" / a / f"{a}.ipynb"

    def autograded(self, student: str, a: str) -> Path:
        return self.root / "autograded" / student / a / f"{a}.ipynb"


def _submit(course: Course, student: str, a: str, nb) -> None:
    h.write(nb, course.root / "submitted" / student / a / f"{a}.ipynb")


def _plan_students(course: Course) -> None:
    for a in course.assignments:
        source_nb, release_nb = h.read(course.source(a)), h.read(course.release(a))
        exs = h.exercises(source_nb)
        assert exs, f"{a}: no graded test cells"
        full = {e.test_id: e.points for e in exs}
        first, last = exs[0], exs[-1]
        assert first.solution_ids, f"{a}: test cell {first.test_id} has no solution cell before it"

        _submit(course, "instructor", a, source_nb)
        course.expected[("instructor", a)] = dict(full)

        _submit(course, "untouched", a, release_nb)
        course.expected[("untouched", a)] = {k: 0.0 for k in full}

        if course.suite == "fixture":
            # separate students: a failure says which mechanism broke
            _submit(course, "one_wrong", a, h.student_version(release_nb, source_nb, wrong=set(first.solution_ids)))
            course.expected[("one_wrong", a)] = {**full, first.test_id: 0.0}

            wrong = set(first.solution_ids) | (set(last.solution_ids) if last is not first else set())
            tampered = h.student_version(
                release_nb, source_nb, wrong=wrong,
                edit_tests={first.test_id: EDITED_TEST},
                delete_tests={last.test_id} if last is not first else set())
            _submit(course, "tampered", a, tampered)
            course.expected[("tampered", a)] = {**full, first.test_id: 0.0, last.test_id: 0.0}
        else:
            # one student for both (a notebook run saved per assignment): only the first
            # exercise is wrong, and its test cell is edited to pass (restored: 0 points);
            # the last test cell is deleted with a right answer (restored: full points)
            one_wrong = h.student_version(
                release_nb, source_nb, wrong=set(first.solution_ids),
                edit_tests={first.test_id: EDITED_TEST},
                delete_tests={last.test_id} if last is not first else set())
            _submit(course, "one_wrong", a, one_wrong)
            course.expected[("one_wrong", a)] = {**full, first.test_id: 0.0}

        if course.suite == "fixture" and a == "01_demo_squares":
            _submit(course, "public_only", a, h.student_version(
                release_nb, source_nb, custom={"ex00_1_solution": PUBLIC_ONLY_SQUARE}))
            course.expected[("public_only", a)] = {**full, "ex00_1_test": 0.0}


def _read_grades(course: Course) -> None:
    from nbgrader.api import Gradebook

    tool = h.load_tool()
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}", tool.COURSE_ID) as gb:
        for student, a in course.expected:
            submission = gb.find_submission(a, student)
            course.totals[(student, a)] = (submission.score, submission.max_score)
            course.grades[(student, a)] = {
                g.name: (g.score, g.max_score) for nb in submission.notebooks for g in nb.grades}


@pytest.fixture(scope="session", params=SUITES)
def course(request, tmp_path_factory) -> Course:
    suite = request.param
    notebooks_dir = h.FIXTURE_NOTEBOOKS if suite == "fixture" else h.REAL_NOTEBOOKS
    root = tmp_path_factory.mktemp(f"classroom-{suite}") / "course"
    proc = h.run_tool("--notebooks", str(notebooks_dir), "--course", str(root), "build")
    assert proc.returncode == 0, f"build failed:\n{proc.stdout}\n{proc.stderr}"
    assignments = sorted(p.name for p in (root / "source").iterdir())
    c = Course(suite, notebooks_dir, root, assignments, proc.stdout)
    _plan_students(c)
    start = time.perf_counter()
    proc = h.run_tool("--course", str(root), "autograde", "--jobs", "2")
    c.autograde_seconds = time.perf_counter() - start
    assert proc.returncode == 0, f"autograde failed:\n{proc.stdout}\n{proc.stderr}"
    _read_grades(c)
    return c


@pytest.fixture()
def scratch_course(tmp_path) -> Path:
    """An empty directory for tests that build their own course."""
    path = tmp_path / "course"
    yield path
    shutil.rmtree(path, ignore_errors=True)
