"""The language ppo speaks: English (the message ids) or Russian (the `ppo` gettext catalogue).

Chosen at the start of every run (`cli.run`), not at import: the config's `language` wins,
else `LANGUAGE`, `LC_ALL`, `LC_MESSAGES`, `LANG` in gettext's order. Only the variables are
read, never the C library's locale, so `ru_RU.UTF-8` works on a machine without it.

`_()` translates when called; `N_()` only marks a text evaluated at import time (a help
text, a sheet name) for extraction: it is translated with `_()` where it is used.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

DOMAIN = "ppo"
LANGUAGES = ("en", "ru")
_LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")
# gettext's order (Python's gettext.find and GNU gettext agree on it)
_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_ENGLISH = gettext.NullTranslations()
_loaded: dict[str, gettext.NullTranslations] = {"en": _ENGLISH}
_current: gettext.NullTranslations = _ENGLISH
_language = "en"


def _(message: str) -> str:
    return _current.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` where the same English word needs another translation (a count, not a date)."""
    return _current.pgettext(context, message)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark only"
    return message


def language() -> str:
    """The language of this run: "en" or "ru"."""
    return _language


def from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The language the locale variables ask for: the first set variable, each of its
    colon-separated entries in turn (LANGUAGE=de:ru is Russian); English when none is ours."""
    environ = os.environ if environ is None else environ
    for variable in _VARIABLES:
        value = environ.get(variable)
        if not value:
            continue
        for entry in value.split(":"):
            code = entry.split(".")[0].split("@")[0].split("_")[0].lower()
            if code in ("c", "posix", "en"):
                return "en"
            if code in LANGUAGES:
                return code
        return "en"
    return "en"


def activate(code: str) -> None:
    """Speak `code` ("en" or "ru") from now on."""
    global _current, _language
    if code not in _loaded:
        path = os.path.join(_LOCALE_DIR, code, "LC_MESSAGES", DOMAIN + ".mo")
        try:
            with open(path, "rb") as handle:
                _loaded[code] = gettext.GNUTranslations(handle)
        except OSError:  # a broken installation: English rather than no answer at all
            _loaded[code] = _ENGLISH
    _current, _language = _loaded[code], code


def choose(configured: str = "", environ: Mapping[str, str] | None = None) -> str:
    """The run's language: the config's `language` if set, else the locale variables'."""
    code = configured or from_environment(environ)
    activate(code)
    return code


@contextmanager
def use(code: str | None) -> Iterator[None]:
    """Speak `code` inside the block (`ppo export --language`), then the run's language again."""
    if not code:
        yield
        return
    before = _language
    activate(code)
    try:
        yield
    finally:
        activate(before)


@contextmanager
def frameworks(code: str) -> Iterator[None]:
    """click translates its own words (a usage error, "Usage:", "Options:") with the standard
    gettext module: its global text domain, in the language the locale variables name. For the
    block that domain is ppo's catalogue and that language the run's (the config's `language`
    as much as the locale's); both are set back after. The words are in the catalogue through
    cli/click_words.py."""
    gettext.bindtextdomain(DOMAIN, _LOCALE_DIR)
    domain = gettext.textdomain()
    language_variable = os.environ.get("LANGUAGE")
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = code
    try:
        yield
    finally:
        gettext.textdomain(domain)
        if language_variable is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = language_variable
