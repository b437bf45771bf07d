"""The editions follow their glossary (translations/<lang>/glossary.md).

- A term marked "always" (Siempre: sí / हमेशा: हाँ) appears, as the glossary writes it (each word
  may take an ending, and Spanish accents may change: conexión residual ~ conexiones
  residuales), in the translation of every cell whose English contains the English term.
- An "avoid" rendering (Evitar / नहीं) appears nowhere: not in the notebooks, not in the runtime
  messages.
"""
from __future__ import annotations

import re
import unicodedata

import pytest
from editions import DEVANAGARI, plain_words, prose_pairs, runtime_translations

from tools import translations as tr


def glossary(lang: str) -> list[dict[str, object]]:
    rows = []
    text = (tr.CATALOGS / lang / "glossary.md").read_text(encoding="utf-8")
    table = [line for line in text.splitlines() if line.startswith("|")]
    for line in table[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        english, term, always, avoid = cells[:4]
        rows.append({"english": english, "term": term, "always": always in {"sí", "हाँ"},
                     "avoid": [a.strip() for a in avoid.split(";") if a.strip()]})
    return rows


def _fold(text: str, lang: str) -> str:
    """Lower case, one space between words, and (Spanish) no accents: conexión ~ conexiones."""
    text = " ".join(text.lower().split())
    if lang == "es":
        text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    return text


def uses_term(text: str, term: str, lang: str) -> bool:
    """``term`` in ``text``. In Spanish each word may take an ending (derivada local ~
    derivadas locales); a Devanagari word must match whole (भार is not भारी or भारत)."""
    words = _fold(term, lang).split()
    letter = r"[\w\u0900-\u097F]"
    if lang == "hi" and DEVANAGARI.search(term):
        pattern = rf"(?<!{letter})" + r"\s+".join(map(re.escape, words)) + rf"(?!{letter})"
    else:
        pattern = r"(?<!\w)" + r"\w*\s+".join(map(re.escape, words)) + r"\w*"
    return re.search(pattern, _fold(text, lang)) is not None


def english_term(term: str) -> re.Pattern:
    return re.compile(rf"(?<![\w-]){re.escape(term)}(?:s|es)?(?![\w-])", re.I)


@pytest.mark.parametrize("lang", tr.LANGUAGES)
def test_the_glossary_is_read(lang):
    rows = glossary(lang)
    assert len(rows) >= 30
    assert sum(r["always"] for r in rows) >= 10 and sum(bool(r["avoid"]) for r in rows) >= 10


@pytest.mark.parametrize("lang", tr.LANGUAGES)
def test_always_terms_are_used(lang):
    problems = []
    for row in (r for r in glossary(lang) if r["always"]):
        pattern = english_term(row["english"])
        for notebook, cell_id, english, translated in prose_pairs(lang):
            if pattern.search(plain_words(english)) and not uses_term(translated, row["term"], lang):
                problems.append(f"{notebook}, cell {cell_id}: {row['english']!r} is not rendered {row['term']!r}")
    assert not problems, f"{len(problems)} glossary term(s) not followed:\n" + "\n".join(problems[:30])


@pytest.mark.parametrize("lang", tr.LANGUAGES)
def test_avoided_renderings_never_appear(lang):
    texts = [(f"{nb}, cell {cid}", t) for nb, cid, _e, t in prose_pairs(lang)]
    texts += [(f"runtime message {e[:40]!r}", t) for e, t in runtime_translations(lang)]
    problems = []
    for row in glossary(lang):
        for avoid in row["avoid"]:
            for where, text in texts:
                if uses_term(text, avoid, lang):
                    problems.append(f"{where}: {avoid!r} (the glossary says {row['term']!r})")
    assert not problems, f"{len(problems)} avoided rendering(s):\n" + "\n".join(problems[:30])
