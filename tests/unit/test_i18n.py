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
    # setenv first: it records the variable's state (maybe unset), which is restored after the
    # test even when set_language set it (delenv alone records nothing when it is unset)
    monkeypatch.setenv(i18n.ENV_VAR, "")
    monkeypatch.delenv(i18n.ENV_VAR)


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


def test_a_call_sets_the_environment_for_this_process_and_its_children(monkeypatch):
    import os
    import subprocess
    import sys
    monkeypatch.setenv(i18n.ENV_VAR, "hi")
    assert set_language("es") == "es" and get_language() == "es" and os.environ[i18n.ENV_VAR] == "es"
    child = subprocess.run([sys.executable, "-c", "from backprop_lib.i18n import get_language; print(get_language())"],
                           capture_output=True, text=True, check=True)
    assert child.stdout.strip() == "es"
    assert set_language(None) == "en"


def test_the_module_holds_no_state_a_notebook_changes():
    """grade() compares the package's modules with fresh copies: choosing a language and
    translating must leave i18n's module namespace as it was."""
    before = {k: v for k, v in vars(i18n).items() if not k.startswith("__")}
    with language("hi"):
        _("Step")
    set_language("es")
    _("Step")
    after = {k: v for k, v in vars(i18n).items() if not k.startswith("__")}
    assert after.keys() == before.keys() and all(after[k] is before[k] for k in before)


def test_language_block_restores_the_choice():
    set_language("hi")
    with language("es") as chosen:
        assert chosen == "es" and get_language() == "es"
    assert get_language() == "hi"
    set_language(None)
    with language("es"):
        pass
    assert get_language() == "en"


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
