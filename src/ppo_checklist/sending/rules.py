"""What ppo sends of a step by itself, channel by channel, and whether it will today: the rules
`ppo today` asks on every run to leave out what ppo sends, kept apart from the senders, whose
modules bring smtplib, ssl and http.client. Each channel's `Sender` (mail.py, sms.py) is its
rules' subclass, so the outbox and `today` read the same rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from ppo_checklist.config import Config
from ppo_checklist.core import texts
from ppo_checklist.core.model import AgendaRow
from ppo_checklist.core.playbooks import SMS_LETTER, Step
from ppo_checklist.i18n import N_
from ppo_checklist.sending import senders

# The line under every letter telling how to stop them (the List-Unsubscribe header says the
# same to mail programs). Russian, as the letters are: it is part of the letter, not of ppo.
UNSUBSCRIBE_LINE = (
    "\n\n—\nНе хотите больше получать от нас письма? Ответьте на это письмо словом «Отписаться» — "
    "и мы больше не будем писать."
)


class EmailRules:
    """An e-mail step's letters, to the client's e-mail, when [email] is set."""

    channel: ClassVar[str] = "email"
    contact: ClassVar[str] = "email"
    missing: ClassVar[str] = N_("no e-mail address")

    @staticmethod
    def configured(config: Config) -> bool:
        return config.email is not None

    @staticmethod
    def messages(step: Step) -> list[tuple[str, str | None, str]]:
        if step.channel != "email":
            return []
        return [(letter.id, letter.subject, letter.body + UNSUBSCRIBE_LINE) for letter in step.letters]


class SmsRules:
    """An SMS step's text, to the client's mobile phone, when [sms] is set."""

    channel: ClassVar[str] = "sms"
    contact: ClassVar[str] = "phone"
    missing: ClassVar[str] = N_("no phone")

    @staticmethod
    def configured(config: Config) -> bool:
        return config.sms is not None

    @staticmethod
    def messages(step: Step) -> list[tuple[str, str | None, str]]:
        return [(SMS_LETTER, None, step.text)] if step.channel == "sms" else []


RULES: dict[str, type[EmailRules] | type[SmsRules]] = {"email": EmailRules, "sms": SmsRules}


def rules_of(channel: str) -> Any:
    """What this channel sends: its Sender class once the classes are loaded (the outbox, or a
    channel registered at run time), else its rules here, so that `ppo today` loads no sender."""
    return senders.senders().get(channel) if senders.loaded() else RULES.get(channel)


def will_send(row: AgendaRow, step: Step | None, config: Config, today: dt.date) -> bool:
    """ppo sends this open step by itself today: its channel is configured, the client has the
    address and consents, ppo has not tried it yet, and today is within the step's window."""
    sender = rules_of(row.channel)
    if step is None or sender is None or not sender.configured(config):
        return False
    if step.channel != row.channel or not sender.messages(step):
        return False
    if row.opted_out or row.outbox is not None:
        return False
    if not getattr(row, sender.contact):
        return False
    if not row.due <= today <= row.due + dt.timedelta(days=step.late_days):
        return False
    return not _needs_setup(sender.messages(step)[0], row, config)


def _needs_setup(letter: tuple[str, str | None, str], row: AgendaRow, config: Config) -> bool:
    """The message names a setting not given yet (⟨директор⟩): ppo holds it for a person."""
    _id, subject, body = letter
    return any(
        texts.fill_text(text, config, row.client, row.manager, row.dates, row.due).missing
        for text in (subject, body)
        if text
    )
