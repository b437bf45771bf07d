"""The course in Spanish and in Hindi: `make assignments EDITION=es|hi` builds student versions
from notebooks/<lang>/, and a student who starts from one gets graded feedback in that language.

For each language: the course is built from the edition; the released notebook keeps the
edition's prose and the stubs; a submission with one wrong answer is autograded, scores
exactly the points of the right ones, and the feedback in the autograded notebook is in the
edition's language.
"""
from __future__ import annotations

import re

import classroom_helpers as h
import pytest

pytestmark = [pytest.mark.classroom, pytest.mark.slow]

DEVANAGARI = re.compile(r"[\u0900-\u097F]")
SPANISH = re.compile(r"\b(ejercicio|tu|debería|esperaba|pero|devuelve|comprobaciones)\b", re.I)


def in_language(lang: str, text: str) -> bool:
    return bool(DEVANAGARI.search(text)) if lang == "hi" else bool(SPANISH.search(text))


@pytest.mark.parametrize("lang", ["es", "hi"])
def test_a_student_of_the_edition_is_graded_in_its_language(lang, tmp_path):
    edition = h.SERIES_NOTEBOOKS / lang
    source = edition / "01_derivatives_and_the_chain_rule.ipynb"
    assert source.exists(), f"{source} is missing: run `make translations`"
    notebooks = tmp_path / "notebooks"          # one assignment keeps the test short
    notebooks.mkdir()
    (notebooks / source.name).write_bytes(source.read_bytes())
    course = tmp_path / "course"
    made = h.make_assignments(notebooks, course, f"EDITION={lang}")
    assert made.returncode == 0, made.stdout + made.stderr

    a = source.stem
    release = h.read(course / "release" / a / f"{a}.ipynb")
    original = h.read(source)
    prose = [c.source for c in original.cells if c.cell_type == "markdown"]
    assert [c.source for c in release.cells if c.cell_type == "markdown"] == prose
    assert any("raise NotImplementedError" in c.source for c in release.cells if h.is_solution(c))

    exercises = h.exercises(h.read(course / "source" / a / f"{a}.ipynb"))
    wrong = exercises[0]
    submission = h.student_version(release, h.read(course / "source" / a / f"{a}.ipynb"),
                                   wrong=set(wrong.solution_ids))
    h.write(submission, course / "submitted" / "ana" / a / f"{a}.ipynb")
    graded = h.run_tool("--course", str(course), "autograde", a)
    assert graded.returncode == 0, graded.stdout + graded.stderr

    autograded = h.read(course / "autograded" / "ana" / a / f"{a}.ipynb")
    test_cell = next(c for c in autograded.cells if h.is_test(c) and h.grade_id(c) == wrong.test_id)
    feedback = h.output_text(test_cell)
    assert h.error_outputs(test_cell), f"the wrong answer to {wrong.test_id} was not rejected:\n{feedback}"
    assert in_language(lang, feedback), f"the feedback is not in {lang!r}:\n{feedback}"

    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", h.load_tool().COURSE_ID) as gb:
        score = gb.find_submission(a, "ana").score
    total = sum(e.points for e in exercises)
    assert score == pytest.approx(total - wrong.points), (score, total, wrong.points)
