"""Every prose cell of an edition is written in its language, and so is the runtime catalog.

No language-ID model: a script and function-word check, which is reliable for whole cells.
- Hindi: Devanagari letters are a good share of the letters (English technical terms stay in
  Latin script, so not all of them), and Hindi function words are there.
- Spanish: Spanish function words outnumber English ones.
Math, code, link targets, HTML and URLs are left out before counting. Cells with too few
words to judge (a one-word heading) are skipped.
"""
from __future__ import annotations

import re

import pytest
from editions import DEVANAGARI, LATIN, plain_words, prose_pairs, runtime_translations

HINDI_FUNCTION_WORDS = {"है", "हैं", "के", "का", "की", "में", "को", "से", "और", "पर", "यह", "ये", "एक", "नहीं",
                        "भी", "तो", "कि", "जो", "हम", "आप", "इस", "उस", "कर", "करता", "करते", "होता", "था", "लिए"}
SPANISH_FUNCTION_WORDS = {"el", "la", "los", "las", "de", "del", "que", "y", "en", "un", "una", "es", "se", "por",
                          "con", "para", "al", "lo", "como", "más", "su", "sus", "cada", "este", "esta", "sin",
                          "pero", "también", "cuando", "donde", "porque", "sobre", "entre", "hay", "son"}
ENGLISH_FUNCTION_WORDS = {"the", "and", "of", "is", "to", "that", "this", "with", "for", "are", "it", "we", "you",
                          "be", "which", "from", "each", "when", "what", "not", "its", "there", "into", "than"}
WORD = re.compile(r"[A-Za-zÀ-ÿ\u0900-\u0963\u0966-\u097F]+")   # Devanagari without its full stops
MIN_DEVANAGARI_SHARE = 0.30


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def language_problem(lang: str, text: str) -> str | None:
    """Why ``text`` does not read as ``lang``, or None (also None if too short to judge)."""
    prose = plain_words(text)
    tokens = words(prose)
    if len(tokens) < 6:
        return None
    if lang == "hi":
        devanagari = len(DEVANAGARI.findall(prose))
        latin = len(LATIN.findall(prose))
        share = devanagari / max(1, devanagari + latin)
        if share < MIN_DEVANAGARI_SHARE:
            return f"only {share:.0%} of its letters are Devanagari (at least {MIN_DEVANAGARI_SHARE:.0%} expected)"
        if not HINDI_FUNCTION_WORDS & set(tokens):
            return "no Hindi function words (है, के, में, ...)"
        return None
    spanish = sum(t in SPANISH_FUNCTION_WORDS for t in tokens)
    english = sum(t in ENGLISH_FUNCTION_WORDS for t in tokens)
    if spanish <= english:
        return f"{spanish} Spanish function words against {english} English ones"
    return None


@pytest.mark.parametrize("lang", ["es", "hi"])
def test_every_prose_cell_is_in_its_language(lang):
    problems = []
    for notebook, cell_id, _english, translated in prose_pairs(lang):
        why = language_problem(lang, translated)
        if why:
            problems.append(f"{notebook}, cell {cell_id}: {why}: {' '.join(translated.split())[:80]!r}")
    assert not problems, f"{len(problems)} cell(s) do not read as {lang!r}:\n" + "\n".join(problems[:30])


@pytest.mark.parametrize("lang", ["es", "hi"])
def test_every_runtime_message_is_in_its_language(lang):
    problems = []
    for english, translated in runtime_translations(lang):
        bare = re.sub(r"\{[^{}]*\}", " ", english)
        if len(words(bare)) < 3:
            continue       # a label such as "Step" or "{name}: {detail}": too short to judge
        if translated == english:
            problems.append(f"left in English: {english[:70]!r}")
        elif lang == "hi" and not DEVANAGARI.search(translated):
            problems.append(f"no Devanagari: {translated[:70]!r}")
    assert not problems, f"{len(problems)} runtime message(s) not in {lang!r}:\n" + "\n".join(problems[:30])


@pytest.mark.parametrize(("lang", "text", "ok"), [
    ("hi", "Backpropagation वो algorithm है जो compute करता है कि हर parameter ने error में कितना contribute किया।", True),
    ("hi", "Backpropagation is the algorithm that computes how much each parameter contributed.", False),
    ("es", "La backpropagation aplica la regla de la cadena a cada nodo del grafo.", True),
    ("es", "Backpropagation applies the chain rule to each node of the graph, from the loss.", False),
])
def test_the_check_tells_the_languages_apart(lang, text, ok):
    assert (language_problem(lang, text) is None) == ok
