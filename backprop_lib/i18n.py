"""The student's language for what the package says at runtime.

Widget labels, titles, status lines and legends, checker feedback and error messages go
through :func:`_`. English is the default and the English strings are the message ids;
Spanish and Hindi come from the gettext catalogs shipped in ``backprop_lib/locale/``
(``<code>/LC_MESSAGES/backprop_lib.po``, compiled to ``.mo`` by ``make translations``).

The language comes from, in this order:

1. the environment variable ``BACKPROP_LANG`` (``es``, ``hi``, or a locale such as ``es_MX.UTF-8``),
   which :func:`set_language` sets (a translated notebook's first code cell calls it);
2. else English.

A message is translated when it is shown, not when a module is imported, so switching the
language affects every widget and check made afterwards::

    >>> from backprop_lib.i18n import _, language
    >>> with language("es"):
    ...     _("Reset")
    'Reiniciar'

Writing a translatable message: the English text is the id, placeholders are named, and
the values go in after translation, so a translator can reorder them::

    raise ValueError(_("expected shape {expected}, got {got}").format(expected=..., got=...))

Never pass an f-string to ``_``: it would be looked up after formatting and never found
(ruff's flake8-gettext rules, ``INT``, reject it).
"""
from __future__ import annotations

import contextlib
import functools
import gettext as _gettext
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["LANGUAGES", "ENV_VAR", "set_language", "get_language", "language", "_", "N_", "ngettext"]

LANGUAGES: dict[str, str] = {"en": "English", "es": "Español", "hi": "हिन्दी"}
ENV_VAR = "BACKPROP_LANG"
DOMAIN = "backprop_lib"
LOCALE_DIR = Path(__file__).with_name("locale")

def _normalize(code: str) -> str | None:
    """``'es'``, ``'es_MX.UTF-8'``, ``'ES-es'`` -> ``'es'``; None if not a language we have."""
    base = code.strip().split(".")[0].replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGES else None


def set_language(code: str | None) -> str:
    """Use ``code`` (``'en'``, ``'es'`` or ``'hi'``) from now on, in this process and the
    processes it starts; None goes back to English. Returns the language now in use.

    The choice is kept in ``$BACKPROP_LANG`` itself, not in this module: grading compares the
    package's modules with fresh copies (checks/grading.py), so they hold no state that a
    notebook changes."""
    if code is None:
        os.environ.pop(ENV_VAR, None)
        return get_language()
    if not isinstance(code, str) or _normalize(code) is None:
        choices = ", ".join(repr(c) for c in LANGUAGES)
        raise ValueError(f"language: expected one of {choices}, got {code!r}")
    os.environ[ENV_VAR] = _normalize(code)
    return os.environ[ENV_VAR]


def get_language() -> str:
    """The language in use: ``$BACKPROP_LANG`` if we have that language, else ``'en'``."""
    return _normalize(os.environ.get(ENV_VAR, "")) or "en"


@contextlib.contextmanager
def language(code: str | None) -> Iterator[str]:
    """Use ``code`` inside a ``with`` block, then restore the previous choice."""
    before = os.environ.get(ENV_VAR)
    try:
        yield set_language(code)
    finally:
        if before is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = before


@functools.lru_cache(maxsize=None)
def _catalog(code: str) -> _gettext.NullTranslations:
    """The catalog of ``code``, loaded once. An lru_cache rather than a dict: grading's
    tamper check (checks/grading.py) compares caches by type, a dict by its contents."""
    if code == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[code], fallback=True)


def _(message: str) -> str:
    """``message`` in the language in use (the English text itself if it has no translation)."""
    return _catalog(get_language()).gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it now: for texts kept in a
    module-level table. Translate them where they are shown, with ``_(text)``."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the language in use."""
    return _catalog(get_language()).ngettext(singular, plural, n)

