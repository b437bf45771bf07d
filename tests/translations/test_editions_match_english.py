"""Each edition has every notebook, the same cells with the same ids in the same order, and
code cells identical to English but for one line: the one that selects the language."""
from __future__ import annotations

import pytest
from editions import LANGUAGES, english_notebooks, read

from tools import translations as tr


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_notebook_has_an_edition(lang):
    missing = [nb.name for nb in english_notebooks() if not tr.edition_path(lang, nb).exists()]
    assert not missing, f"notebooks/{lang}/ lacks {missing}: run `make translations`"
    extra = sorted({p.name for p in (tr.NOTEBOOKS / lang).glob("*.ipynb")} - {nb.name for nb in english_notebooks()})
    assert not extra, f"notebooks/{lang}/ has notebooks English does not: {extra}"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("notebook", english_notebooks(), ids=lambda p: p.stem[:2])
def test_same_cells_and_identical_code(lang, notebook):
    english, edition = read(notebook), read(tr.edition_path(lang, notebook))
    assert [(c.id, c.cell_type) for c in edition.cells] == [(c.id, c.cell_type) for c in english.cells]
    differing = []
    for mine, theirs in zip(edition.cells, english.cells):
        if mine.cell_type != "code":
            continue
        assert mine.metadata == theirs.metadata, f"cell {mine.id}: metadata differs from English"
        if mine.source != theirs.source:
            lines, english_lines = mine.source.split("\n"), theirs.source.split("\n")
            extra = [line for line in lines if line not in english_lines]
            assert lines[1:] == english_lines and extra == [tr.LANGUAGE_LINE[lang]], (
                f"code cell {mine.id} of {notebook.name} differs from English by more than the language line")
            differing.append(mine.id)
    first_code = next(c.id for c in english.cells if c.cell_type == "code")
    assert differing == [first_code], f"the language line should be in the first code cell only, found in {differing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_language_line_selects_the_language(lang):
    namespace: dict = {}
    from backprop_lib import i18n
    try:
        exec(tr.LANGUAGE_LINE[lang], namespace)
        assert i18n.get_language() == lang
    finally:
        i18n.set_language(None)
