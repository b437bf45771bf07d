"""The translated editions as the tests read them."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from tools import translations as tr

LANGUAGES = tr.LANGUAGES
DEVANAGARI = re.compile(r"[\u0900-\u097F]")
LATIN = re.compile(r"[A-Za-zÀ-ÿ]")


def english_notebooks() -> list[Path]:
    return tr.english_notebooks()


def read(path: Path):
    return nbformat.read(path, as_version=4)


def prose_pairs(lang: str):
    """(notebook name, cell id, English text, translated text) for every markdown cell."""
    for notebook in english_notebooks():
        english = read(notebook)
        edition = read(tr.edition_path(lang, notebook))
        translated = {c.id: c.source for c in edition.cells}
        for _index, cell in tr.prose_cells(english):
            yield notebook.name, cell.id, cell.source, translated.get(cell.id, "")


def plain_words(markdown: str) -> str:
    """The prose of a markdown cell: math, code, link targets, HTML and URLs removed."""
    text = tr.CODE.sub(" ", markdown)
    text = tr.MATH.sub(" ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = tr.HTML_TAG.sub(" ", text)
    text = re.sub(r"https?://\S+", " ", text)
    return text


def runtime_translations(lang: str) -> list[tuple[str, str]]:
    """(English, translation) for every message of the package's runtime catalog."""
    catalog = tr.read_catalog(tr.runtime_catalog_path(lang), lang)
    pairs = []
    for message in catalog or []:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        pairs.extend((ids[min(i, len(ids) - 1)], s) for i, s in enumerate(strings))
    return pairs
