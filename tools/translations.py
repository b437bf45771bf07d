#!/usr/bin/env python3
"""The Spanish and Hindi editions: gettext catalogs in, translated notebooks out.

The English notebooks are the one source. Each translation lives in a gettext PO catalog,
``translations/<lang>/<notebook>.po``: one message per markdown cell, the cell id as the
message context and the English text as the msgid, so Poedit, Weblate or any PO editor
can work on it. The package's runtime text (widgets, checker feedback, errors) has its own
catalog, ``backprop_lib/locale/<lang>/LC_MESSAGES/backprop_lib.po``, extracted from the code.

Usage::

    python tools/translations.py update      # English changed: refresh every catalog (changed cells go fuzzy)
    python tools/translations.py build       # write notebooks/<lang>/ from English + catalogs, compile .mo
    python tools/translations.py check       # what is missing, fuzzy or stale (the test runs this), exit 1 if any
    python tools/translations.py export es 03 --out work.md     # cells of notebook 03 to translate, as plain text
    python tools/translations.py import es 03 work.md           # ... and back into the catalog
    python tools/translations.py export-runtime es --out es.json  # the same for the runtime messages
    python tools/translations.py import-runtime es es.json

``make translations`` runs update and build; ``make notebooks`` then executes the built
notebooks. A translated notebook keeps the stored outputs of a code cell whose source is
unchanged, so fixing a translation needs no re-run.

Code cells are copied from English unchanged, except one line added at the top of each
notebook's first code cell, which selects the edition's language for the package
(:data:`LANGUAGE_LINE`).
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import io
import json
import re
import shutil
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from backprop_lib import i18n

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CATALOGS = ROOT / "translations"
PACKAGE = ROOT / "backprop_lib"
RUNTIME_LOCALE = PACKAGE / "locale"
RUNTIME_DOMAIN = "backprop_lib"
RUNTIME_KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
LANGUAGES = tuple(code for code in i18n.LANGUAGES if code != "en")   # the translated editions
NOTEBOOK_NAME = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")
PROJECT = "Backprop from the Ground Up"
# fixed header dates: a rerun rewrites a catalog only when a message changes
EPOCH = dt.datetime(2026, 11, 29, tzinfo=dt.timezone.utc)

#: the one line a translated notebook adds, at the top of its first code cell
LANGUAGE_LINE = {
    "es": 'from backprop_lib.i18n import set_language; set_language("es")  # el idioma de esta edición',
    "hi": 'from backprop_lib.i18n import set_language; set_language("hi")  # इस edition की भाषा',
}


# --------------------------------------------------------------------------- text checks

MATH = re.compile(r"\$\$.+?\$\$|\$(?:[^$\n]|\n(?!\n))+?\$", re.S)   # inline math may wrap a line
CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)
LINK_TARGET = re.compile(r"\]\(([^)\s]+)[^)]*\)")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def protected_spans(text: str) -> dict[str, list[str]]:
    """What a translation must keep exactly: math, code, link targets and HTML tags."""
    without_code = CODE.sub(" ", text)
    return {
        "code": sorted(CODE.findall(text)),
        "math": sorted(" ".join(span.split()) for span in MATH.findall(without_code)),   # line breaks aside
        "link targets": sorted(LINK_TARGET.findall(without_code)),
        "HTML tags": sorted(HTML_TAG.findall(MATH.sub(" ", without_code))),
    }


def span_differences(english: str, translation: str) -> list[str]:
    """One line per kind of protected span that the translation changed (empty if none)."""
    problems = []
    want, got = protected_spans(english), protected_spans(translation)
    for kind in want:
        if want[kind] != got[kind]:
            missing = [s for s in want[kind] if s not in got[kind]]
            extra = [s for s in got[kind] if s not in want[kind]]
            detail = "; ".join(part for part in (
                f"missing {', '.join(map(repr, missing[:3]))}" if missing else "",
                f"unexpected {', '.join(map(repr, extra[:3]))}" if extra else "",
                "" if missing or extra else "a different count",
            ) if part)
            problems.append(f"{kind} changed: {detail}")
    return problems


# --------------------------------------------------------------------------- notebooks

def english_notebooks() -> list[Path]:
    return sorted(p for p in NOTEBOOKS.glob("*.ipynb") if NOTEBOOK_NAME.match(p.name))


def find_notebook(key: str) -> Path:
    """``'03'``, ``'03_building_an_autograd_engine'`` or the file name -> the English notebook."""
    for path in english_notebooks():
        if path.name == key or path.stem == key or path.name.startswith(f"{key}_"):
            return path
    raise SystemExit(f"no English notebook matches {key!r}")


def prose_cells(nb) -> Iterator[tuple[int, object]]:
    """(index, cell) for each cell that is translated: the markdown cells."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            yield index, cell


def catalog_path(lang: str, notebook: Path) -> Path:
    return CATALOGS / lang / f"{notebook.stem}.po"


def edition_path(lang: str, notebook: Path) -> Path:
    return NOTEBOOKS / lang / notebook.name


# --------------------------------------------------------------------------- catalogs

def new_catalog(lang: str, domain: str) -> Catalog:
    header = (f"# {PROJECT}: {'the message template' if lang == 'en' else 'the ' + lang + ' translation'} "
              f"of {domain}.\n# Edit with any PO editor (Poedit, Weblate, ...); see CONTRIBUTING.md, "
              "'Translations'.\n#")
    return Catalog(locale=lang, domain=domain, project=PROJECT, version="1", header_comment=header,
                   copyright_holder="the authors of Backprop from the Ground Up",
                   msgid_bugs_address="https://github.com/ (the project's issues)", creation_date=EPOCH, revision_date=EPOCH,
                   last_translator="the translators", language_team=lang, fuzzy=False)


def read_catalog(path: Path, lang: str) -> Catalog | None:
    if not path.exists():
        return None
    with path.open("rb") as f:
        return read_po(f, locale=lang, abort_invalid=True)


def write_catalog(path: Path, catalog: Catalog, *, lineno: bool = True) -> bool:
    """Write ``catalog`` as PO; True if the file changed."""
    buffer = io.BytesIO()
    # no "#| msgid" lines: Babel writes a multi-line previous msgid on one line and reads it
    # back as a comment, so a fuzzy message keeps its old translation but not its old English
    write_po(buffer, catalog, include_previous=False, include_lineno=lineno, width=0)
    data = buffer.getvalue()
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def merge(lang: str, domain: str, wanted: Iterable[tuple[str, str | None, list, list]],
          old: Catalog | None) -> Catalog:
    """A catalog with exactly the ``wanted`` messages (msgid, context, locations, comments),
    keeping old translations: an unchanged message keeps its translation and flags, a
    message whose context (cell id) survived with new English text keeps the old
    translation marked fuzzy, anything else is new. Translators' comments are kept."""
    catalog = new_catalog(lang, domain)
    by_context = {}
    if old is not None:
        by_context = {m.context: m for m in old if m.id and m.context}
    for msgid, context, locations, comments in wanted:
        before = old.get(msgid, context=context) if old is not None else None
        if before is not None:
            catalog.add(msgid, before.string, locations=locations, auto_comments=comments,
                        flags=before.flags, context=context, user_comments=_comments(before))
        elif context in by_context and by_context[context].string:
            previous = by_context[context]
            catalog.add(msgid, previous.string, locations=locations, auto_comments=comments,
                        flags={"fuzzy"} | set(previous.flags), context=context,
                        user_comments=_comments(previous))
        else:
            catalog.add(msgid, "" if isinstance(msgid, str) else ("", ""), locations=locations,
                        auto_comments=comments, context=context)
    return catalog


def _comments(message: Message) -> list[str]:
    """A message's translator comments (without the remains of an old "#|" line)."""
    return [c for c in message.user_comments if not c.startswith("|")]


def notebook_messages(notebook: Path) -> list[tuple[str, str, list, list]]:
    nb = nbformat.read(notebook, as_version=4)
    messages = []
    for index, cell in prose_cells(nb):
        messages.append((cell.source, cell.id, [(notebook.name, index)],
                         [f"markdown cell {index} of {notebook.name}; keep math, code and link targets exactly"]))
    return messages


def update_notebook_catalogs(langs: Iterable[str] = LANGUAGES) -> list[Path]:
    changed = []
    for lang in langs:
        for notebook in english_notebooks():
            path = catalog_path(lang, notebook)
            catalog = merge(lang, notebook.stem, notebook_messages(notebook), read_catalog(path, lang))
            if write_catalog(path, catalog):
                changed.append(path)
    return changed


# --------------------------------------------------------------------------- runtime catalog

def runtime_catalog_path(lang: str) -> Path:
    return RUNTIME_LOCALE / lang / "LC_MESSAGES" / f"{RUNTIME_DOMAIN}.po"


def runtime_messages() -> list[tuple[object, None, list, list]]:
    """Every message the package marks with ``_``, ``N_`` or ``ngettext``, with where it is."""
    found: dict[object, list] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            PACKAGE, keywords=RUNTIME_KEYWORDS, comment_tags=()):
        key = message if isinstance(message, str) else tuple(message)
        found.setdefault(key, []).append((f"backprop_lib/{filename}", lineno))
    return [(key, None, sorted(locations), []) for key, locations in sorted(found.items(), key=lambda kv: kv[1][0])]


def update_runtime_catalogs(langs: Iterable[str] = LANGUAGES) -> list[Path]:
    changed = []
    messages = runtime_messages()
    template = merge("en", RUNTIME_DOMAIN, messages, None)
    if write_catalog(RUNTIME_LOCALE / f"{RUNTIME_DOMAIN}.pot", template, lineno=False):
        changed.append(RUNTIME_LOCALE / f"{RUNTIME_DOMAIN}.pot")
    for lang in langs:
        path = runtime_catalog_path(lang)
        old = read_catalog(path, lang)
        if old is not None:   # runtime messages have no context: match changed ones by similarity
            fresh = new_catalog(lang, RUNTIME_DOMAIN)
            for m in old:
                if m.id:
                    fresh[m.id] = m
            fresh.update(template, no_fuzzy_matching=False)
            catalog = fresh
            for m in list(catalog.obsolete):
                del catalog.obsolete[m]
        else:
            catalog = merge(lang, RUNTIME_DOMAIN, messages, None)
        if write_catalog(path, catalog, lineno=False):
            changed.append(path)
    return changed


def compiled_runtime_catalog(lang: str) -> bytes:
    """The .mo for ``lang``: fuzzy and untranslated messages left out (they show in English)."""
    catalog = read_catalog(runtime_catalog_path(lang), lang) or new_catalog(lang, RUNTIME_DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_runtime_catalogs(langs: Iterable[str] = LANGUAGES) -> list[Path]:
    changed = []
    for lang in langs:
        path = runtime_catalog_path(lang).with_suffix(".mo")
        data = compiled_runtime_catalog(lang)
        if not path.exists() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            changed.append(path)
    return changed


# --------------------------------------------------------------------------- building editions

def translation_of(catalog: Catalog | None, cell) -> str | None:
    """The usable translation of a markdown cell, or None (missing, empty or fuzzy)."""
    if catalog is None:
        return None
    message = catalog.get(cell.source, context=cell.id)
    if message is None or message.fuzzy or not message.string:
        return None
    return message.string


def relocate_links(markdown: str) -> str:
    """Links that leave notebooks/ (``../docs/...``) get one more ``../``: an edition sits a
    folder deeper. Links to other notebooks stay as they are: every edition has them all."""
    return re.sub(r"\]\(\.\./", "](../../", markdown)


def add_language_line(source: str, lang: str) -> str:
    return f"{LANGUAGE_LINE[lang]}\n{source}"


def built_edition(lang: str, notebook: Path, previous=None):
    """The ``lang`` edition of ``notebook``: English cells, ids and order; markdown from the
    catalog (English where no usable translation exists); code identical but for the language
    line; outputs of unchanged code cells taken from ``previous`` (the edition as stored)."""
    english = nbformat.read(notebook, as_version=4)
    catalog = read_catalog(catalog_path(lang, notebook), lang)
    nb = copy.deepcopy(english)
    nb.metadata["language_edition"] = {"language": lang, "source": f"../{notebook.name}"}
    stored = {c.id: c for c in previous.cells} if previous is not None else {}
    first_code = True
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = relocate_links(translation_of(catalog, cell) or cell.source)
        elif cell.cell_type == "code":
            if first_code:
                cell.source = add_language_line(cell.source, lang)
                first_code = False
            old = stored.get(cell.id)
            if old is not None and old.cell_type == "code" and old.source == cell.source:
                cell.outputs = old.outputs
                cell.execution_count = old.execution_count
            else:
                cell.outputs = []
                cell.execution_count = None
    return nb


def write_edition(lang: str, notebook: Path) -> bool:
    path = edition_path(lang, notebook)
    previous = nbformat.read(path, as_version=4) if path.exists() else None
    nb = built_edition(lang, notebook, previous)
    text = nbformat.writes(nb) + "\n"
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def copy_data(lang: str) -> None:
    """notebooks/data/ beside each edition, so a notebook's relative paths work there too."""
    source = NOTEBOOKS / "data"
    if source.is_dir():
        shutil.copytree(source, NOTEBOOKS / lang / "data", dirs_exist_ok=True)


def build(langs: Iterable[str] = LANGUAGES) -> list[Path]:
    changed = compile_runtime_catalogs(langs)
    for lang in langs:
        for notebook in english_notebooks():
            if write_edition(lang, notebook):
                changed.append(edition_path(lang, notebook))
        copy_data(lang)
    return changed


# --------------------------------------------------------------------------- checking

@dataclass(frozen=True)
class Problem:
    language: str
    where: str      # notebook file or the runtime catalog
    cell: str       # cell id or runtime msgid
    what: str

    def __str__(self) -> str:
        return f"[{self.language}] {self.where}, cell {self.cell}: {self.what}"


def _short(text: str, n: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= n else line[: n - 1] + "…"


def notebook_problems(lang: str, notebook: Path) -> list[Problem]:
    problems = []
    english = nbformat.read(notebook, as_version=4)
    catalog = read_catalog(catalog_path(lang, notebook), lang)
    name = notebook.name
    if catalog is None:
        return [Problem(lang, name, "-", f"no catalog {catalog_path(lang, notebook).relative_to(ROOT)}: "
                        "run `make translations`")]
    wanted = set()
    for index, cell in prose_cells(english):
        wanted.add(cell.id)
        message = catalog.get(cell.source, context=cell.id)
        if message is None:
            stale = next((m for m in catalog if m.context == cell.id), None)
            what = ("the English text changed since it was translated: run `make translations`, then translate it again"
                    if stale is not None else "not in the catalog: run `make translations`, then translate it")
            problems.append(Problem(lang, name, cell.id, f"(markdown cell {index}, \"{_short(cell.source)}\") {what}"))
        elif message.fuzzy:
            problems.append(Problem(lang, name, cell.id, f"(markdown cell {index}, \"{_short(cell.source)}\") "
                                    "is fuzzy: the English changed; update the translation and clear the fuzzy flag"))
        elif not message.string:
            problems.append(Problem(lang, name, cell.id, f"(markdown cell {index}, \"{_short(cell.source)}\") "
                                    "is not translated yet"))
        else:
            for difference in span_differences(cell.source, message.string):
                problems.append(Problem(lang, name, cell.id, f"(markdown cell {index}) {difference}"))
    for message in catalog:
        if message.id and message.context not in wanted:
            problems.append(Problem(lang, name, message.context or "-",
                                    "the catalog has a cell the English notebook no longer has: run `make translations`"))
    path = edition_path(lang, notebook)
    if not path.exists():
        problems.append(Problem(lang, name, "-", f"{path.relative_to(ROOT)} is missing: run `make translations`"))
        return problems
    stored = nbformat.read(path, as_version=4)
    expected = built_edition(lang, notebook, stored)
    if [c.id for c in stored.cells] != [c.id for c in expected.cells]:
        problems.append(Problem(lang, name, "-", "cells or their order differ from English: run `make translations`"))
        return problems
    for have, want in zip(stored.cells, expected.cells):
        if have.cell_type != want.cell_type or have.source != want.source:
            problems.append(Problem(lang, name, have.id, f"the {have.cell_type} cell is not what the English notebook "
                                    "and the catalog give: run `make translations`"))
        elif have.cell_type == "code" and not have.outputs and _has_outputs(english, have.id):
            problems.append(Problem(lang, name, have.id, "the code cell has no stored outputs: run `make notebooks`"))
    return problems


def _has_outputs(nb, cell_id: str) -> bool:
    return any(c.id == cell_id and c.get("outputs") for c in nb.cells)


def runtime_problems(lang: str) -> list[Problem]:
    problems = []
    where = str(runtime_catalog_path(lang).relative_to(ROOT))
    catalog = read_catalog(runtime_catalog_path(lang), lang)
    if catalog is None:
        return [Problem(lang, where, "-", "missing: run `make translations`")]
    in_code = {key for key, *_rest in runtime_messages()}
    in_catalog = {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}
    for key in sorted(in_code - in_catalog, key=str):
        problems.append(Problem(lang, where, _short(str(key)), "in the code but not in the catalog: run `make translations`"))
    for key in sorted(in_catalog - in_code, key=str):
        problems.append(Problem(lang, where, _short(str(key)), "no longer in the code: run `make translations`"))
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        label = _short(ids[0])
        if message.fuzzy:
            problems.append(Problem(lang, where, label, "is fuzzy: the English changed; update the translation"))
        elif not all(strings):
            problems.append(Problem(lang, where, label, "is not translated yet"))
        else:
            want = sorted(set(re.findall(r"\{[^{}]*\}", ids[0])))
            for string in strings:
                got = sorted(set(re.findall(r"\{[^{}]*\}", string)))
                if got != want:
                    problems.append(Problem(lang, where, label, f"placeholders {got} differ from the English {want}"))
    mo = runtime_catalog_path(lang).with_suffix(".mo")
    if not mo.exists() or mo.read_bytes() != compiled_runtime_catalog(lang):
        problems.append(Problem(lang, str(mo.relative_to(ROOT)), "-", "is not compiled from the .po: run `make translations`"))
    return problems


def check(langs: Iterable[str] = LANGUAGES, *, runtime: bool = True) -> list[Problem]:
    problems = []
    for lang in langs:
        for notebook in english_notebooks():
            problems.extend(notebook_problems(lang, notebook))
        if runtime:
            problems.extend(runtime_problems(lang))
    return problems


# --------------------------------------------------------------------------- work files

MARKER = re.compile(r"^<!-- cell ([A-Za-z0-9_-]+)(?: [^>]*)?-->\n", re.M)


def export_work(lang: str, notebook: Path, *, everything: bool = False) -> str:
    """The cells still to translate (or all), as plain text: a marker line per cell, then
    the English text; the translator replaces each English text with its translation."""
    english = nbformat.read(notebook, as_version=4)
    catalog = read_catalog(catalog_path(lang, notebook), lang)
    parts = []
    for index, cell in prose_cells(english):
        if not everything and translation_of(catalog, cell) is not None:
            continue
        parts.append(f"<!-- cell {cell.id} (markdown cell {index}) -->\n{cell.source}\n")
        # the cell's translation so far (one message per cell id: fuzzy, or for an older English)
        current = next((m for m in (catalog or []) if m.context == cell.id and m.string), None)
        if current is not None:
            parts.append(f"<!-- current translation, for reference:\n{current.string}\n-->\n")
    return "\n".join(parts)


def parse_work(text: str) -> dict[str, str]:
    matches = list(MARKER.finditer(text))
    cells = {}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = re.sub(r"<!-- current translation, for reference:.*?-->\n?", "", text[match.end():end], flags=re.S)
        cells[match.group(1)] = body.rstrip("\n")
    return cells


def import_work(lang: str, notebook: Path, text: str) -> list[str]:
    """Put the translated cells of a work file into the catalog; returns the problems found
    (cells with problems are not imported)."""
    english = {cell.id: cell for _i, cell in prose_cells(nbformat.read(notebook, as_version=4))}
    path = catalog_path(lang, notebook)
    catalog = read_catalog(path, lang) or merge(lang, notebook.stem, notebook_messages(notebook), None)
    problems = []
    for cell_id, translation in parse_work(text).items():
        cell = english.get(cell_id)
        if cell is None:
            problems.append(f"cell {cell_id}: not a markdown cell of {notebook.name}")
            continue
        if not translation.strip():
            problems.append(f"cell {cell_id}: empty translation")
            continue
        differences = span_differences(cell.source, translation)
        if differences:
            problems.extend(f"cell {cell_id}: {d}" for d in differences)
            continue
        message = catalog.get(cell.source, context=cell_id)
        if message is None:
            catalog.add(cell.source, translation, context=cell_id, locations=[(notebook.name, 0)])
        else:
            message.string = translation
            message.flags.discard("fuzzy")
            message.previous_id = ()
    write_catalog(path, catalog)
    return problems


def export_runtime(lang: str, *, everything: bool = False) -> str:
    catalog = read_catalog(runtime_catalog_path(lang), lang)
    items = []
    for message in catalog or []:
        if not message.id or (not everything and not message.fuzzy and all(
                [message.string] if isinstance(message.string, str) else message.string)):
            continue
        if isinstance(message.id, str):
            items.append({"english": message.id, "translation": message.string if message.fuzzy or everything else "",
                          "where": ", ".join(f"{f}:{n}" for f, n in message.locations[:2])})
        else:
            items.append({"english": list(message.id), "translation": list(message.string),
                          "where": ", ".join(f"{f}:{n}" for f, n in message.locations[:2])})
    return json.dumps(items, ensure_ascii=False, indent=1) + "\n"


def import_runtime(lang: str, text: str) -> list[str]:
    path = runtime_catalog_path(lang)
    catalog = read_catalog(path, lang)
    if catalog is None:
        raise SystemExit(f"{path} is missing: run `python tools/translations.py update` first")
    problems = []
    for item in json.loads(text):
        key = item["english"] if isinstance(item["english"], str) else tuple(item["english"])
        message = catalog.get(key)
        if message is None:
            problems.append(f"{_short(str(key))}: not in the catalog")
            continue
        strings = [item["translation"]] if isinstance(item["translation"], str) else list(item["translation"])
        want = sorted(set(re.findall(r"\{[^{}]*\}", key if isinstance(key, str) else key[0])))
        bad = [s for s in strings if not s or sorted(set(re.findall(r"\{[^{}]*\}", s))) != want]
        if bad:
            problems.append(f"{_short(str(key))}: empty, or placeholders differ from {want}")
            continue
        if isinstance(key, str):
            message.string = strings[0]
        else:
            n = catalog.num_plurals
            message.string = tuple((strings + [strings[-1]] * n)[:n])
        message.flags.discard("fuzzy")
        message.previous_id = ()
    write_catalog(path, catalog, lineno=False)
    return problems


# --------------------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("update", "build", "check"):
        p = sub.add_parser(name)
        p.add_argument("--lang", action="append", choices=LANGUAGES, help="only this language (repeatable)")
    p = sub.add_parser("export")
    p.add_argument("lang", choices=LANGUAGES)
    p.add_argument("notebook")
    p.add_argument("--all", action="store_true", help="every cell, not only those still to translate")
    p.add_argument("--out", type=Path)
    p = sub.add_parser("import")
    p.add_argument("lang", choices=LANGUAGES)
    p.add_argument("notebook")
    p.add_argument("file", type=Path)
    p = sub.add_parser("export-runtime")
    p.add_argument("lang", choices=LANGUAGES)
    p.add_argument("--all", action="store_true")
    p.add_argument("--out", type=Path)
    p = sub.add_parser("import-runtime")
    p.add_argument("lang", choices=LANGUAGES)
    p.add_argument("file", type=Path)
    args = parser.parse_args(argv)

    langs = tuple(getattr(args, "lang", None) or LANGUAGES) if args.command in ("update", "build", "check") else ()
    if args.command == "update":
        changed = update_notebook_catalogs(langs) + update_runtime_catalogs(langs)
        for path in changed:
            print(f"updated {path.relative_to(ROOT)}")
        return 0
    if args.command == "build":
        for path in build(langs):
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    if args.command == "check":
        problems = check(langs)
        for problem in problems:
            print(problem)
        print(f"{len(problems)} problem(s)" if problems else "every translation is complete and current")
        return 1 if problems else 0
    if args.command in ("export", "export-runtime"):
        text = (export_work(args.lang, find_notebook(args.notebook), everything=args.all) if args.command == "export"
                else export_runtime(args.lang, everything=args.all))
        if args.out:
            args.out.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    text = args.file.read_text(encoding="utf-8")
    problems = (import_work(args.lang, find_notebook(args.notebook), text) if args.command == "import"
                else import_runtime(args.lang, text))
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"imported; {len(problems)} problem(s)" if problems else "imported")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
