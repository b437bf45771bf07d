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
