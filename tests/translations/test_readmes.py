"""A README per language, with a Binder badge that opens that edition's first notebook, a
table of the edition's notebooks under their translated titles, and links that resolve; the
English README links to both."""
from __future__ import annotations

import re

import pytest
from editions import LANGUAGES, english_notebooks, read
from test_prose_language import language_problem

from tools import translations as tr

ROOT = tr.ROOT
BINDER = "https://mybinder.org/v2/gh/backprop-ground-up/backprop-ground-up/HEAD?urlpath=lab/tree/notebooks/{lang}/00_start_here.ipynb"
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def readme(lang: str) -> str:
    path = ROOT / f"README.{lang}.md"
    assert path.exists(), f"README.{lang}.md is missing"
    return path.read_text(encoding="utf-8")


def title(lang: str, notebook) -> str:
    """The edition's title of a notebook: its first heading, without "NN · "."""
    first = read(tr.edition_path(lang, notebook)).cells[0].source.splitlines()[0]
    return re.sub(r"^#\s*(\d\d\s*·\s*)?", "", first).strip()


def test_the_english_readme_links_both():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for lang in LANGUAGES:
        assert f"(README.{lang}.md)" in text, f"README.md does not link README.{lang}.md"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_binder_badge_opens_the_editions_first_notebook(lang):
    text = readme(lang)
    assert f"(https://mybinder.org/badge_logo.svg)]({BINDER.format(lang=lang)})" in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_notebook_is_listed_under_its_translated_title(lang):
    links = dict((target, text) for text, target in LINK.findall(readme(lang)))
    for notebook in english_notebooks():
        target = f"notebooks/{lang}/{notebook.name}"
        assert target in links, f"README.{lang}.md does not link {target}"
        assert links[target] == title(lang, notebook), (
            f"README.{lang}.md calls {notebook.name} {links[target]!r}; the notebook's title is {title(lang, notebook)!r}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_local_links_resolve(lang):
    for _text, target in LINK.findall(readme(lang)):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        assert (ROOT / target.split("#")[0]).exists(), f"README.{lang}.md links {target}, which does not exist"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_readme_is_in_its_language(lang):
    paragraphs = [p for p in readme(lang).split("\n\n") if not p.lstrip().startswith(("|", "```", "[!["))]
    problems = [(why, p[:80]) for p in paragraphs if (why := language_problem(lang, p))]
    assert not problems, problems


def test_the_interface_language():
    """Spanish: how to switch JupyterLab's interface (the pack is installed); Hindi: that no pack exists."""
    assert "jupyterlab-language-pack-es-ES" in readme("es") and "Settings" in readme("es")
    assert "language pack" in readme("hi").lower() or "jupyterlab-language-pack" in readme("hi")
