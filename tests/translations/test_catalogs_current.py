"""The English notebooks are the one source: every translation must be current.

``tools/translations.py check`` is the staleness check: a markdown cell whose English changed
(fuzzy, or a msgid that no longer matches), a cell not translated yet, a translation that
changed math, code or a link target, a built notebook that is not what English plus the
catalog give, or a runtime message not translated: each is named, with its cell. The second
test proves it on a copy: one sentence added to an English cell fails it for both languages.
"""
from __future__ import annotations

import shutil

import nbformat
from editions import LANGUAGES

from tools import translations as tr


def test_every_translation_is_complete_and_current():
    problems = tr.check()
    shown = "\n".join(str(p) for p in problems[:40])
    more = f"\n... and {len(problems) - 40} more" if len(problems) > 40 else ""
    assert not problems, (f"{len(problems)} translation problem(s); run `make translations`, translate what is "
                          f"named (tools/translations.py export/import, or any PO editor), then `make notebooks`:\n"
                          f"{shown}{more}")


def test_an_english_sentence_added_makes_the_check_fail(tmp_path, monkeypatch):
    notebooks, catalogs = tmp_path / "notebooks", tmp_path / "translations"
    shutil.copytree(tr.NOTEBOOKS, notebooks)
    shutil.copytree(tr.CATALOGS, catalogs)
    monkeypatch.setattr(tr, "ROOT", tmp_path)
    monkeypatch.setattr(tr, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(tr, "CATALOGS", catalogs)
    before = {str(p) for p in tr.check(runtime=False)}

    path = notebooks / "03_building_an_autograd_engine.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for _i, c in tr.prose_cells(nb) if len(c.source) > 200)
    cell.source += "\n\nOne more sentence, added to the English."
    nbformat.write(nb, path)
    after = [p for p in tr.check(runtime=False) if str(p) not in before]
    for lang in LANGUAGES:
        named = [p for p in after if p.language == lang and p.cell == cell.id]
        assert named, f"adding a sentence to cell {cell.id} did not fail the {lang} check: {after}"
        assert "changed" in named[0].what

    # `make translations` then flags the old translation fuzzy, and the check still fails
    tr.update_notebook_catalogs()
    for lang in LANGUAGES:
        message = tr.read_catalog(tr.catalog_path(lang, path), lang).get(cell.source, context=cell.id)
        assert message is not None and (message.fuzzy or not message.string)
        assert any(p.language == lang and p.cell == cell.id for p in tr.check(runtime=False))
