"""nbgrader autograde and export on the course built from the notebooks."""
from __future__ import annotations

import csv

import classroom_helpers as h
import pytest

pytestmark = pytest.mark.classroom


def _scores(course, student, a):
    return {gid: score for gid, (score, _max) in course.grades[(student, a)].items()}


def test_solutions_get_full_points_and_run_clean(course):
    for a in course.assignments:
        expected = course.expected[("instructor", a)]
        assert _scores(course, "instructor", a) == expected
        score, max_score = course.totals[("instructor", a)]
        assert score == max_score == sum(expected.values()) > 0
        errors = [(c.source[:60], h.output_text(c)[:300]) for c in h.read(course.autograded("instructor", a)).cells
                  if h.error_outputs(c) and "raises-exception" not in c.metadata.get("tags", [])]
        assert not errors, f"{a}: cells fail even with the solutions in: {errors}"


def test_untouched_student_versions_get_zero(course):
    for a in course.assignments:
        assert course.autograded("untouched", a).is_file()
        assert course.totals[("untouched", a)][0] == 0
        assert _scores(course, "untouched", a) == course.expected[("untouched", a)]


def test_one_wrong_exercise_loses_only_its_points(course):
    for a in course.assignments:
        assert _scores(course, "one_wrong", a) == course.expected[("one_wrong", a)], a


def test_edited_and_deleted_test_cells_are_restored(course):
    tampered = "tampered" if course.suite == "fixture" else "one_wrong"
    for a in course.assignments:
        assert _scores(course, tampered, a) == course.expected[(tampered, a)], a
        source_tests = {h.grade_id(c): c.source for c in h.read(course.source(a)).cells if h.is_test(c)}
        graded = h.read(course.autograded(tampered, a))
        graded_tests = {h.grade_id(c): c.source for c in graded.cells if h.is_test(c)}
        assert set(graded_tests) == set(source_tests)  # the deleted one is back
        for gid, src in graded_tests.items():
            assert src.endswith(source_tests[gid]), f"{a}/{gid} was not restored: {src!r}"
        assert all('print("all tests passed")' not in c.source for c in graded.cells)


@pytest.mark.parametrize("course", ["fixture"], indirect=True)
def test_hidden_tests_count_at_grading(course):
    assert _scores(course, "public_only", "01_demo_squares") == {"ex00_1_test": 0.0, "ex00_2_test": 3.0}
    graded = h.read(course.autograded("public_only", "01_demo_squares"))
    test = next(c for c in graded.cells if h.grade_id(c) == "ex00_1_test")
    text = h.output_text(test)
    assert "✔ Exercise 0.1 square: 5 of 5 checks passed" in text  # the public part passed
    assert "`square(x)` is all zeros" in text  # the hidden part did not


@pytest.mark.parametrize("course", ["fixture"], indirect=True)
def test_failures_show_the_friendly_message_only(course):
    graded = h.read(course.autograded("untouched", "01_demo_squares"))
    test = next(c for c in graded.cells if h.grade_id(c) == "ex00_1_test")
    (error,) = h.error_outputs(test)
    assert error["ename"] == "ExerciseFailed"
    assert "\n".join(error["traceback"]) == (
        "✘ Exercise 0.1 square:\n"
        "  `square` is not written yet: replace `raise NotImplementedError()` with your code.")


def test_export_writes_grades_csv_with_the_totals(course):
    proc = h.run_tool("--course", str(course.root), "export")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(course.root / "grades.csv", newline="") as fh:
        rows = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(fh)}
    for (student, a), expected in course.expected.items():
        row = rows[(student, a)]
        assert float(row["score"]) == sum(expected.values()), (student, a)
        assert float(row["max_score"]) == sum(course.expected[("instructor", a)].values())


# ------------------------------------------------------------------- cheating
# The cheats are planned in conftest.py (CHEATS, cheat_issue17); the mechanism is
# explained in backprop_lib/checks/grading.py.


def _flag_rows(course) -> dict:
    with open(course.root / "flags.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    found: dict = {}
    for r in rows:
        found.setdefault((r["student_id"], r["assignment"]), {})[r["exercise"]] = r["flag"]
    return found


def test_cheats_earn_no_more_than_a_blank_submission(course):
    assert course.flags, "no cheating submission planned"
    for (student, a) in course.flags:
        assert _scores(course, student, a) == course.expected[(student, a)], (student, a)
        if student.startswith("cheat"):
            assert course.totals[(student, a)][0] <= course.totals[("untouched", a)][0] == 0, (student, a)


def test_every_cheat_is_flagged_and_no_honest_submission_is(course):
    expected = {key: flags for key, flags in course.flags.items() if flags}
    assert _flag_rows(course) == expected
    out = course.autograde_output
    assert "FLAGGED:" in out, out
    for (student, a), flags in expected.items():
        for gid, flag in flags.items():
            assert f"{student} {a} {gid}: {flag}, points " in out, (student, gid, out)


@pytest.mark.parametrize("course", ["fixture"], indirect=True)
def test_a_tampered_test_cell_names_the_modification(course):
    from backprop_lib.checks.grading import TAMPER_MARK

    cases = {
        "cheat_rebind": ("ex00_1_test", "`check_square` is not one of the package's checkers: "
                                        "it is a function defined in this notebook"),
        "cheat_module_attributes": ("ex00_1_test", "backprop_lib.checks._demo.check_square was replaced"),
        "cheat_sys_modules_checkers": ("ex00_2_test", "sys.modules['backprop_lib.checks._demo'] was replaced"),
        "cheat_exception_replaced": ("ex00_1_test", "backprop_lib.checks.failure.ExerciseFailed was replaced"),
        "cheat_diagnose": ("ex00_2_test", "backprop_lib.checks.framework.diagnose was replaced"),
        "cheat_compare": ("ex00_1_test", "backprop_lib.checks.framework.CheckContext.compare was replaced"),
        "cheat_while_checked": ("ex00_1_test", "while `square` ran: backprop_lib.checks.framework.diagnose was replaced"),
    }
    for student, (gid, fragment) in cases.items():
        graded = h.read(course.autograded(student, "01_demo_squares"))
        test = next(c for c in graded.cells if h.grade_id(c) == gid)
        (error,) = h.error_outputs(test)
        assert error["ename"] == "CheckingCodeModified"   # how the autograde tool knows it in any language
        assert error["evalue"].startswith(TAMPER_MARK) and fragment in error["evalue"], (student, error["evalue"])


@pytest.mark.parametrize("course", ["fixture"], indirect=True)
def test_a_test_cell_that_bypassed_grade_scores_zero_and_says_why(course):
    for student in ("cheat_grade_replaced", "cheat_sys_modules_grading"):
        graded = h.read(course.autograded(student, "01_demo_squares"))
        test = next(c for c in graded.cells if h.grade_id(c) == "ex00_1_test")
        (error,) = h.error_outputs(test)
        assert ("no proof that the package's grade ran: grade(check_square, ...), "
                "grade(check_square, ..., hidden=True) (0 points)") in error["evalue"], error["evalue"]
    # the fake grade printed a pass line: text in the output is not trusted
    graded = h.read(course.autograded("cheat_sys_modules_grading", "01_demo_squares"))
    test = next(c for c in graded.cells if h.grade_id(c) == "ex00_1_test")
    assert "✔ Exercise 0.1 square: 5 of 5 checks passed" in h.output_text(test)


@pytest.mark.parametrize("course", ["fixture"], indirect=True)
def test_the_packages_own_code_keeps_its_points_and_asks_for_a_look(course):
    from nbgrader.api import Gradebook

    rows = _flag_rows(course)
    assert rows[("package_code", "01_demo_squares")] == {"ex00_2_test": "package-code"}
    with open(course.root / "flags.csv", newline="") as fh:
        (row,) = [r for r in csv.DictReader(fh) if r["student_id"] == "package_code"]
    assert row["points"] == "kept" and row["detail"] == "uses backprop_lib.gradcheck.numerical_gradient"
    tool = h.load_tool()
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}", tool.COURSE_ID) as gb:
        flagged = gb.find_grade("ex00_2_test", "01_demo_squares", "01_demo_squares", "package_code")
        honest = gb.find_grade("ex00_2_test", "01_demo_squares", "01_demo_squares", "instructor")
        assert flagged.needs_manual_grade and flagged.score == 3.0
        assert not honest.needs_manual_grade
