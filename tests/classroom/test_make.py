"""`make assignments` never overwrites released student versions without FORCE=1."""
from __future__ import annotations

import classroom_helpers as h
import pytest

pytestmark = pytest.mark.classroom


def make_assignments(course_dir, *extra):
    return h.make_assignments(h.FIXTURE_NOTEBOOKS, course_dir, *extra)


def test_make_assignments_twice_keeps_student_work_and_force_rebuilds(scratch_course):
    first = make_assignments(scratch_course)
    assert first.returncode == 0, first.stdout + first.stderr
    release = scratch_course / "release" / "01_demo_squares" / "01_demo_squares.ipynb"
    assert "raise NotImplementedError" in release.read_text()

    # a student works in the released copy; a submission is waiting to be graded
    nb = h.read(release)
    for cell in nb.cells:
        if h.grade_id(cell) == "ex00_1_solution":
            cell.source = "def square(x):\n    return x ** 2  # my answer\n"
    h.write(nb, release)
    submitted = scratch_course / "submitted" / "alice" / "01_demo_squares" / "01_demo_squares.ipynb"
    h.write(nb, submitted)
    edited, submitted_text = release.read_bytes(), submitted.read_bytes()

    second = make_assignments(scratch_course)
    assert second.returncode != 0
    assert "Not overwritten (already released): 01_demo_squares" in second.stderr
    assert "FORCE=1" in second.stderr
    assert release.read_bytes() == edited

    forced = make_assignments(scratch_course, "FORCE=1")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    rebuilt = release.read_text()
    assert "my answer" not in rebuilt and "raise NotImplementedError" in rebuilt
    assert submitted.read_bytes() == submitted_text  # FORCE touches release/ only


def test_build_refuses_broken_metadata(tmp_path):
    nb = h.read(h.FIXTURE_NOTEBOOKS / "01_demo_squares.ipynb")
    ids = [c for c in nb.cells if h.is_test(c)]
    ids[1].metadata["nbgrader"]["grade_id"] = h.grade_id(ids[0])  # duplicate grade_id
    h.write(nb, tmp_path / "notebooks" / "broken.ipynb")
    proc = h.run_tool("--notebooks", str(tmp_path / "notebooks"), "--course", str(tmp_path / "course"), "build")
    assert proc.returncode != 0
    assert "broken: grade_id ex00_1_test is used 2 times" in proc.stderr
    assert not (tmp_path / "course" / "release").exists()


def test_points_table_lists_every_exercise():
    proc = h.run_tool("--notebooks", str(h.FIXTURE_NOTEBOOKS), "points")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "| 01_demo_squares |         2 |      5 |" in lines
    assert "| total           |         2 |      5 |" in lines
    assert "| 01_demo_squares | Exercise 0.1: square | `ex00_1_test` | 2 | yes |" in lines
    assert not any("02_demo_reading" in line for line in lines)


def test_instructor_guide_has_the_current_points_table():
    proc = h.run_tool("--notebooks", str(h.SERIES_NOTEBOOKS), "points")
    assert proc.returncode == 0, proc.stderr
    guide = (h.REPO / "docs" / "instructors.md").read_text(encoding="utf-8")
    start, end = "<!-- points-table: start -->\n", "<!-- points-table: end -->"
    assert start in guide and end in guide
    pasted = guide.split(start, 1)[1].split(end, 1)[0]
    assert pasted.strip() == proc.stdout.strip(), (
        "docs/instructors.md has an outdated points table: run "
        "`.venv/bin/python tools/assignments.py points --update-docs`")
