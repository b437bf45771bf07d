"""The student versions made by `tools/assignments.py build`."""
from __future__ import annotations

import classroom_helpers as h
import pytest

pytestmark = pytest.mark.classroom


def test_one_assignment_per_notebook_with_exercises(course):
    # course.assignments: the notebooks with nbgrader cells when the course was built
    expected = sorted(course.assignments)
    assert expected and set(expected) <= {p.stem for p in course.notebooks_dir.glob("*.ipynb")}
    released = sorted(p.name for p in (course.root / "release").iterdir())
    assert released == expected
    if course.suite == "fixture":
        assert expected == ["01_demo_squares"]  # 02_demo_reading has no exercises
    for a in course.assignments:
        assert course.release(a).is_file()
        assert a in course.build_output  # the summary table


def test_no_solution_lines_in_student_versions(course):
    for a in course.assignments:
        source, release = h.read(course.source(a)), h.read(course.release(a))
        inside, outside = h.region_lines(source, h.SOLUTION_REGION)
        assert inside, f"{a}: no solution regions found"
        only_in_solutions = inside - outside
        text = "\n".join(c.source for c in release.cells)
        leaked = sorted(line for line in only_in_solutions if line in h.code_lines(text))
        assert not leaked, f"{a}: solution lines in the student version: {leaked}"
        assert "### BEGIN SOLUTION" not in text and "### END SOLUTION" not in text


def test_no_hidden_tests_in_student_versions(course):
    for a in course.assignments:
        source, release = h.read(course.source(a)), h.read(course.release(a))
        inside, outside = h.region_lines(source, h.HIDDEN_REGION)
        text = "\n".join(c.source for c in release.cells)
        leaked = sorted(line for line in inside - outside if line in h.code_lines(text))
        assert not leaked, f"{a}: hidden-test lines in the student version: {leaked}"
        assert "HIDDEN TESTS" not in text
    if course.suite == "fixture":
        inside, _ = h.region_lines(h.read(course.source("01_demo_squares")), h.HIDDEN_REGION)
        assert "grade(check_square, square, hidden=True)" in inside  # the check above is not vacuous


def test_no_outputs_in_student_versions(course):
    for a in course.assignments:
        for cell in h.read(course.release(a)).cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{a}: output left in {cell.source[:60]!r}"


def test_stub_cells_are_stubs_and_expanded(course):
    for a in course.assignments:
        source = {h.grade_id(c): c for c in h.read(course.source(a)).cells if h.is_solution(c)}
        stubs = [c for c in h.read(course.release(a)).cells if h.is_solution(c)]
        assert sorted(h.grade_id(c) for c in stubs) == sorted(source)
        for cell in stubs:
            gid = h.grade_id(cell)
            if cell.cell_type == "code":
                assert "raise NotImplementedError" in cell.source, f"{a}/{gid}: {cell.source!r}"
            assert "source_hidden" not in cell.metadata.get("jupyter", {}), f"{a}/{gid} is collapsed"
    if course.suite == "fixture":  # the source cells were collapsed: the expansion did something
        src = h.read(course.source("01_demo_squares"))
        assert all(c.metadata["jupyter"]["source_hidden"] for c in src.cells if h.is_solution(c))


def test_stubs_raise_not_implemented_when_used(course):
    """In the untouched student versions (as executed by autograde), each exercise's
    test reports the stub: its cell raised NotImplementedError, or the checker said so."""
    for a in course.assignments:
        graded = h.read(course.autograded("untouched", a))
        pending_stub_error = False
        for cell in graded.cells:
            if h.is_solution(cell):
                pending_stub_error |= any(o["ename"] == "NotImplementedError" for o in h.error_outputs(cell))
            elif h.is_test(cell):
                text = h.output_text(cell)
                assert pending_stub_error or "is not written yet" in text or "NotImplementedError" in text, \
                    f"{a}/{h.grade_id(cell)} does not report the stub:\n{text}"
                pending_stub_error = False


def test_stub_functions_raise_when_called(course):
    """Each stub cell that runs on its own (with numpy imported) raises
    NotImplementedError, or defines functions that raise it when called (with None for
    every argument). Cells that need earlier cells or real inputs are covered by the
    executed versions above."""
    import numpy as np

    checked = 0
    for a in course.assignments:
        for cell in h.read(course.release(a)).cells:
            if not (h.is_solution(cell) and cell.cell_type == "code"):
                continue
            namespace: dict = {"np": np}
            try:
                exec(compile(cell.source, f"<{a} stub>", "exec"), namespace)  # noqa: S102 - the course's code
            except NotImplementedError:
                checked += 1
                continue
            except NameError:
                continue
            functions = [v for k, v in namespace.items()
                         if k not in {"np", "__builtins__"} and callable(v) and hasattr(v, "__code__")]
            for fn in functions:
                n_args = fn.__code__.co_argcount - len(fn.__defaults__ or ())
                try:
                    fn(*([None] * n_args))
                except NotImplementedError:
                    checked += 1
                except Exception:  # noqa: BLE001 - code before the stub needs real inputs
                    continue
                else:
                    pytest.fail(f"{a}: the stub {fn.__name__}() returned instead of raising NotImplementedError")
    if course.suite == "fixture":
        assert checked == 2


def test_data_files_are_copied(course):
    tool = h.load_tool()
    for a in course.assignments:
        nb_path = course.notebooks_dir / f"{a}.ipynb"
        for f in tool.needed_files(nb_path):
            rel = f.relative_to(nb_path.parent.resolve())
            assert (course.root / "release" / a / rel).is_file(), f"{a}: {rel} not in the release"
    if course.suite == "fixture":
        assert (course.root / "release" / "01_demo_squares" / "data" / "demo_numbers.csv").is_file()
