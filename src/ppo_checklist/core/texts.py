"""A message's text with its placeholders filled: the agency's settings, the client, the dates.

Pure: the settings come in as a Config, the dates as values.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from typing import NamedTuple

from ppo_checklist.config import Config
from ppo_checklist.i18n import N_, _

# The settings a text's placeholders take, and how a missing one shows in the text (in the
# run's language: "⟨агентство⟩" for a Russian manager, "⟨agency⟩" in English).
SETTINGS = {
    "agency": N_("agency"),
    "director": N_("director"),
    "service_director": N_("service director"),
    "manager": N_("manager"),
}
MISSING = "⟨{}⟩"
_MISSING_DATES = {
    "purchase": N_("purchase date"),
    "departure": N_("departure date"),
    "return": N_("return date"),
    "declined": N_("decline date"),
}


def setting_names(keys) -> str:
    """The settings `keys` as a person reads them, in the run's language."""
    return ", ".join(_(SETTINGS.get(key, key)) for key in sorted(keys))


class Filled(NamedTuple):
    text: str
    missing: frozenset[str]  # the config settings the text needed and did not have


_PARAGRAPHS = re.compile(r"\n[ \t]*\n")


def without_unset(text: str, config: Config) -> str:
    """The text without each paragraph naming a setting the agency left unset (`{review_url}`):
    the letter reads as if it never had it."""
    unset = [f"{{{name}}}" for name, value in (("review_url", config.review_url),) if not value.strip()]
    if not unset or not any(mark in text for mark in unset):
        return text
    return "\n\n".join(p for p in _PARAGRAPHS.split(text) if not any(mark in p for mark in unset))


def fill_text(text: str, config: Config, client: str, manager: str, dates: dict[str, dt.date], due: dt.date) -> Filled:
    """A step's ready-to-send text with its placeholders filled in; a placeholder with no value
    shows as visibly missing (⟨агентство⟩), never as nothing: a text must not look ready when
    it is not. A paragraph naming an optional setting left unset (`{review_url}`) is left out."""
    text = without_unset(text, config)
    shown = {name: day.strftime(config.date_format) for name, day in dates.items()}
    settings = {
        "agency": config.agency,
        "director": config.director,
        "service_director": config.service_director_name,
        "manager": manager or config.default_manager,
    }
    values = {
        "client": client,
        **{name: value.strip() or MISSING.format(_(SETTINGS[name])) for name, value in settings.items()},
        **{name: MISSING.format(_(shown_as)) for name, shown_as in _MISSING_DATES.items()},
        **shown,
        "due": due.strftime(config.date_format),
        "review_url": config.review_url.strip(),
    }
    used = {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}
    missing = frozenset(name for name in used & set(settings) if not settings[name].strip())
    return Filled(text.format(**values), missing)
