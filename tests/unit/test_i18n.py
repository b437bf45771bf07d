"""The runtime language: chosen by a call or BACKPROP_LANG, English by default, and the
compiled catalogs shipped in the package really translate."""
from __future__ import annotations

import gettext
from pathlib import Path

import pytest

from backprop_lib import i18n
from backprop_lib.i18n import _, get_language, language, ngettext, set_language


@pytest.fixture(autouse=True)
def _no_language_chosen(monkeypatch):
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    before = i18n._chosen
    i18n._chosen = None
    yield
    i18n._chosen = before


def test_english_by_default():
    assert get_language() == "en"
    assert _("a message nobody translated") == "a message nobody translated"


@pytest.mark.parametrize(("value", "expected"), [
    ("es", "es"), ("hi", "hi"), ("es_MX.UTF-8", "es"), ("hi_IN", "hi"), ("ES", "es"),
    ("fr_FR.UTF-8", "en"), ("", "en"), ("C.UTF-8", "en"),
])
def test_the_environment_variable(monkeypatch, value, expected):
    monkeypatch.setenv(i18n.ENV_VAR, value)
    assert get_language() == expected


def test_a_call_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv(i18n.ENV_VAR, "hi")
    assert set_language("es") == "es" and get_language() == "es"
    assert set_language(None) == "hi"


def test_language_block_restores_the_choice():
    set_language("hi")
    with language("es") as chosen:
        assert chosen == "es" and get_language() == "es"
    assert get_language() == "hi"


@pytest.mark.parametrize("bad", ["fr", "spanish", 3, None.__class__])
def test_an_unknown_language_is_refused_by_name(bad):
    with pytest.raises(ValueError, match=r"expected one of 'en', 'es', 'hi', got"):
        set_language(bad)


def _translated_messages(lang: str) -> dict[str, str]:
    mo = Path(i18n.LOCALE_DIR) / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo"
    with mo.open("rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog
    return {k: v for k, v in catalog.items() if isinstance(k, str) and k and v != k}


@pytest.mark.parametrize("lang", ["es", "hi"])
def test_the_shipped_catalog_translates(lang):
    messages = _translated_messages(lang)
    assert len(messages) > 100, f"the {lang} runtime catalog has only {len(messages)} translations"
    for english, translated in list(messages.items())[:50]:
        with language(lang):
            assert _(english) == translated
        assert _(english) == english            # and English again outside the block


def test_plural_forms():
    assert ngettext("{n} step", "{n} steps", 1) == "{n} step"
    assert ngettext("{n} step", "{n} steps", 2) == "{n} steps"
