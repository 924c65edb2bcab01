"""The client's word on being written to: the consent ledger's records and the rule that reads
them. Pure: no store, no network.

Every letter and SMS declares its purpose in its playbook: `service` (what the trip needs: the
thank-you, the packing letter, the departure reminder, welcome home) or `ads` (offers, the
challenge, the declined chain). Russian law (38-ФЗ art. 18) lets an advertising message go only
with the client's prior consent, which the sender must prove: so an `ads` message goes only when
the newest record for that client, channel and purpose says *given*; a `service` message goes
unless the newest record says *withdrawn* (the client unsubscribed or opted out).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from ppo_checklist.core.playbooks import Playbook, Step, message_purposes
from ppo_checklist.i18n import N_

SERVICE, ADS = "service", "ads"
PURPOSES = (SERVICE, ADS)
CONSENT_CHANNELS = ("email", "sms")
# How the client said it: in the office (a signed form), a web form, a call, a reply to a
# letter («Отписаться»), a file imported from another system.
VIA = ("office", "form", "call", "reply", "import")
VIA_NAMES = {
    "office": N_("in the office"),
    "form": N_("by a form"),
    "call": N_("by phone"),
    "reply": N_("by a reply"),
    "import": N_("by import"),
}

# A contact that does not deliver: a bounced e-mail (no more letters to it), an SMS the
# gateway could not deliver (the manager checks the phone).
BOUNCED, NOT_DELIVERED = "bounced", "not_delivered"

# An import's `consent` column: a client's consent is a yes or a no, never a tick («сделано»,
# ✓ or a date say that a step was done, not that anybody agreed to advertising). Anything else
# is refused with its line, so that no consent is recorded on a guess.
YES_WORDS = frozenset({"yes", "y", "true", "1", "+", "да", "д", "истина", "согласен", "согласна", "согласны", "есть"})
NO_WORDS = frozenset(
    {"no", "n", "false", "0", "-", "—", "–", "нет", "н", "ложь", "не согласен", "не согласна", "не согласны"}
)


class ConsentEntry(NamedTuple):
    """One line of the ledger: what the client said, about which channel and purpose, when, how."""

    client_id: int
    channel: str
    purpose: str
    given: bool
    on: dt.date
    via: str
    text_version: str | None = None
    recorded_at: str = ""
    id: int = 0


class ContactProblem(NamedTuple):
    """An address found not to work: a bounced e-mail, an undelivered SMS."""

    id: int
    client_id: int
    channel: str
    address: str  # the address's key (e-mail lower-cased, phone digits)
    kind: str  # bounced, not_delivered
    found_on: dt.date
    detail: str | None = None


def newest(entries: Iterable[ConsentEntry], channel: str, purpose: str) -> ConsentEntry | None:
    """The record that stands for this channel and purpose: the latest day, then the latest written.
    The same rule in SQL for speed: store/sql.py ADS_CONSENT_STEP, store/word.py `ads_consents`
    (tests/test_ads_consent_rule.py holds the three equal)."""
    matching = [e for e in entries if e.channel == channel and e.purpose == purpose]
    return max(matching, key=lambda e: (e.on, e.id), default=None)


def permitted(entries: Iterable[ConsentEntry], channel: str, purpose: str) -> bool:
    """May a message of this purpose go to the client on this channel, by the ledger?"""
    entries = list(entries)
    record = newest(entries, channel, purpose)
    if purpose == ADS:
        return record is not None and record.given
    return record is None or record.given


def first_purpose(step: Step) -> str | None:
    """The purpose of the message that does a sendable step (its SMS or first letter)."""
    purposes = message_purposes(step) if step.sendable else ()
    return purposes[0] if purposes else None


def ads_steps(playbooks: Mapping[str, Playbook]) -> frozenset[tuple[str, str]]:
    """(playbook id, step id) of each step ppo sends whose message is advertising: without the
    client's ads consent on the step's channel such a step is `no_consent`."""
    return frozenset((pb.id, step.id) for pb in playbooks.values() for step in pb.steps if first_purpose(step) == ADS)


def everything(
    client_id: int, given: bool, on: dt.date, via: str, text_version: str | None = None
) -> list[ConsentEntry]:
    """A record for every channel and purpose: `ppo optout` (all withdrawn), `ppo optin`."""
    return [
        ConsentEntry(client_id, channel, purpose, given, on, via, text_version)
        for channel in CONSENT_CHANNELS
        for purpose in PURPOSES
    ]


def consent_word(text: str | None) -> bool | None:
    """An import's `consent` cell: True for a yes (yes, да, 1, +, true …), False for a no (no,
    нет, 0, -, false …) or an empty cell, None for anything else (refused)."""
    word = " ".join((text or "").split()).casefold()
    if not word or word in NO_WORDS:
        return False
    return True if word in YES_WORDS else None
