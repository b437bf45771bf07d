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
- ``public_only`` (fixture only): an answer that passes the public tests, not the hidden ones;
- ``cheat_*`` (fixture): the cheats of CHEATS below, each a few lines put at the top of a
  solution cell; ``cheat_issue17`` (the series' first assignment): every checker name
  rebound and set on its module, all exercises left unsolved. Each earns no more than a
  blank submission and is flagged (``flags``: what ``course/flags.csv`` must say).
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


# --------------------------------------------------------------------- cheats
# student -> {solution grade_id: (lines put at the top, "stub" | "right" | own source)},
#            {test grade_id: points}, {test grade_id: flag}
_DEMO = "backprop_lib.checks._demo"
WRONG_SQUARE = "def square(x):\n    return 0 * x\n"
CHEATS = {
    # the issue's one-liner, for each exercise
    "cheat_rebind": ({"ex00_1_solution": ("check_square = lambda *a, **k: None", "stub"),
                      "ex00_2_solution": ("check_grad_of_square = lambda *a, **k: None", "stub")},
                     {"ex00_1_test": 0, "ex00_2_test": 0}, {"ex00_1_test": "tampered", "ex00_2_test": "tampered"}),
    # ... and on the module: the notebook's names stay genuine
    "cheat_module_attributes": (
        {"ex00_1_solution": (f"import {_DEMO} as demo\n"
                             "demo.check_square = demo.check_grad_of_square = lambda *a, **k: None", "stub"),
         "ex00_2_solution": ("", "right")},
        {"ex00_1_test": 0, "ex00_2_test": 0}, {"ex00_1_test": "tampered", "ex00_2_test": "tampered"}),
    # grade itself replaced: nothing in the kernel runs the checks; the autograde tool notices
    "cheat_grade_replaced": (
        {"ex00_1_solution": ("import backprop_lib.checks.grading as grading\n"
                             "grading.grade = lambda *a, **k: None", "stub"),
         "ex00_2_solution": ("", "stub")},
        {"ex00_1_test": 0, "ex00_2_test": 0}, {"ex00_1_test": "bypassed", "ex00_2_test": "bypassed"}),
    "cheat_sys_modules_grading": (
        {"ex00_1_solution": ("import sys, types\n"
                             "sys.modules['backprop_lib.checks.grading'] = types.SimpleNamespace(\n"
                             "    grade=lambda *a, **k: print('✔ Exercise 0.1 square: 5 of 5 checks passed'))",
                             "stub"),
         "ex00_2_solution": ("", "stub")},
        {"ex00_1_test": 0, "ex00_2_test": 0}, {"ex00_1_test": "bypassed", "ex00_2_test": "bypassed"}),
    # a fake checker module in sys.modules, its always-passing checkers imported again
    "cheat_sys_modules_checkers": (
        {"ex00_1_solution": ("import sys, types\n"
                             "from backprop_lib.checks.framework import Checker\n"
                             f"fake = types.ModuleType('{_DEMO}')\n"
                             "for name in ('check_square', 'check_grad_of_square'):\n"
                             "    checker = Checker('Exercise 0', name[6:], lambda c: c.check(True, ''))\n"
                             "    checker.__module__, checker.__name__ = fake.__name__, name\n"
                             "    setattr(fake, name, checker)\n"
                             "sys.modules[fake.__name__] = fake\n"
                             f"from {_DEMO} import check_grad_of_square, check_square", "stub"),
         "ex00_2_solution": ("", "stub")},
        {"ex00_1_test": 0, "ex00_2_test": 0}, {"ex00_1_test": "tampered", "ex00_2_test": "tampered"}),
    "cheat_exception_replaced": (
        {"ex00_1_solution": ("import backprop_lib.checks.failure as failure\n"
                             "import backprop_lib.checks.framework as framework\n"
                             "import backprop_lib.checks.running as running\n"
                             "class ExerciseFailed(Exception):\n"
                             "    pass\n"
                             "failure.ExerciseFailed = framework.ExerciseFailed = running.ExerciseFailed = ExerciseFailed",
                             WRONG_SQUARE),
         "ex00_2_solution": ("", "right")},
        {"ex00_1_test": 0, "ex00_2_test": 0}, {"ex00_1_test": "tampered", "ex00_2_test": "tampered"}),
    # the comparison helper switched off: every wrong answer would pass
    "cheat_diagnose": (
        {"ex00_1_solution": ("import backprop_lib.checks.framework as framework\n"
                             "framework.diagnose = lambda *a, **k: None", WRONG_SQUARE),
         "ex00_2_solution": ("", "right")},
        {"ex00_1_test": 0, "ex00_2_test": 0}, {"ex00_1_test": "tampered", "ex00_2_test": "tampered"}),
    "cheat_compare": (
        {"ex00_1_solution": ("from backprop_lib.checks.framework import CheckContext\n"
                             "CheckContext.compare = lambda self, *a, **k: setattr(self, 'passed', self.passed + 1)",
                             WRONG_SQUARE),
         "ex00_2_solution": ("", "right")},
        {"ex00_1_test": 0, "ex00_2_test": 0}, {"ex00_1_test": "tampered", "ex00_2_test": "tampered"}),
    # the same, done by the answer while the checker runs it
    "cheat_while_checked": (
        {"ex00_1_solution": ("", "def square(x):\n"
                                 "    import backprop_lib.checks.framework as framework\n"
                                 "    framework.diagnose = lambda *a, **k: None\n"
                                 "    return 0 * x\n"),
         "ex00_2_solution": ("", "right")},
        {"ex00_1_test": 0, "ex00_2_test": 0}, {"ex00_1_test": "tampered", "ex00_2_test": "tampered"}),
    # not a cheat on the checks: the package's own code as the answer (points kept, flagged)
    "package_code": (
        {"ex00_1_solution": ("", "right"),
         "ex00_2_solution": ("", "def grad_of_square(x):\n"
                                 "    import numpy as np\n"
                                 "    from backprop_lib.gradcheck import numerical_gradient\n"
                                 "    v = np.array(x, dtype=float).reshape(-1)\n"
                                 "    return numerical_gradient(lambda u: float(np.sum(u * u)), v).reshape(np.shape(x))\n")},
        {"ex00_1_test": 2, "ex00_2_test": 3}, {"ex00_2_test": "package-code"}),
}


def _cheat_version(release_nb, source_nb, cells: dict):
    """The release with each solution cell in ``cells`` given (prelude, answer)."""
    stubs = {h.grade_id(c): c.source for c in release_nb.cells if h.is_solution(c)}
    solutions = {h.grade_id(c): c.source for c in source_nb.cells if h.is_solution(c)}
    custom = {}
    for gid, (prelude, answer) in cells.items():
        body = {"stub": stubs[gid], "right": h.answered(solutions.get(gid, ""))}.get(answer, answer)
        custom[gid] = (prelude + "\n\n" if prelude else "") + body
    return h.student_version(release_nb, source_nb, custom=custom)


def _issue17_cheat(release_nb, source_nb):
    """The issue's cheat on a notebook of the series: every checker name the test cells use
    rebound to a function that does nothing, and set on its module; answers left as stubs."""
    tool = h.load_tool()
    modules = tool.checker_modules(source_nb)
    names = sorted({name for c in source_nb.cells if h.is_test(c) for name, _ in tool.grade_calls(c.source)})
    lines = []
    for name in names:
        module = modules[name].rsplit(".", 1)[0]
        lines += [f"import {module}", f"{name} = lambda *a, **k: None", f"{module}.{name} = {name}"]
    prelude = "\n".join(lines)
    stubs = {h.grade_id(c): c.source for c in release_nb.cells if h.is_solution(c)}
    return h.student_version(release_nb, source_nb, custom={gid: prelude + "\n\n" + src for gid, src in stubs.items()})


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
    # flags[(student, assignment)][test grade_id] = flag expected in course/flags.csv
    flags: dict = field(default_factory=dict)
    autograde_seconds: float = 0.0
    autograde_output: str = ""

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
            for student, (cells, points, flags) in CHEATS.items():
                _submit(course, student, a, _cheat_version(release_nb, source_nb, cells))
                course.expected[(student, a)] = {k: float(v) for k, v in points.items()}
                course.flags[(student, a)] = flags

        if course.suite == "notebooks" and a == course.assignments[0]:
            _submit(course, "cheat_issue17", a, _issue17_cheat(release_nb, source_nb))
            course.expected[("cheat_issue17", a)] = {k: 0.0 for k in full}
            course.flags[("cheat_issue17", a)] = {k: "tampered" for k in full}


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
    c.autograde_output = proc.stdout
    assert proc.returncode == 0, f"autograde failed:\n{proc.stdout}\n{proc.stderr}"
    _read_grades(c)
    return c


@pytest.fixture()
def scratch_course(tmp_path) -> Path:
    """An empty directory for tests that build their own course."""
    path = tmp_path / "course"
    yield path
    shutil.rmtree(path, ignore_errors=True)
