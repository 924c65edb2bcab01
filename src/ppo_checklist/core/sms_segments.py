"""How many SMS an SMS text costs: GSM-7 (160 characters alone, 153 a part when split) or,
with any character outside it (Cyrillic), UCS-2 (70, 67 a part); GSM-7's extension
characters (`{ } [ ] ~ \\ | ^ €` and the form feed) take two places. A text is measured with its
placeholders filled by typical values, as the client receives it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from ppo_checklist.core.playbooks import Playbook, Step
from ppo_checklist.i18n import _

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
LIMITS = {"gsm7": (160, 153), "ucs2": (70, 67)}

# What a placeholder typically becomes: a Russian client's full name, a manager's first name,
# an agency's name, a day.
TYPICAL = {
    "client": "Анна Иванова",
    "manager": "Ольга",
    "agency": "Солнечный берег",
    "director": "Ирина Петрова",
    "service_director": "Мария Смирнова",
    "purchase": "01.12.2026",
    "departure": "10.12.2026",
    "return": "20.12.2026",
    "declined": "01.12.2026",
    "due": "10.12.2026",
}


class Segments(NamedTuple):
    encoding: str  # "gsm7" or "ucs2"
    length: int  # in the encoding's units (an extension character counts 2)
    sms: int  # how many SMS the text is sent as


def measure(text: str) -> Segments:
    """The encoding, the length in its units and the number of SMS of `text` as sent."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        encoding, length = "gsm7", sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
    else:  # UCS-2: a character outside the basic plane takes two units
        encoding, length = "ucs2", sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
    alone, part = LIMITS[encoding]
    count = 1 if length <= alone else -(-length // part)
    return Segments(encoding, length, max(count, 1) if text else 0)


def typical(text: str) -> str:
    """`text` with each placeholder filled by a typical value (unknown ones left as they are)."""
    try:
        return text.format_map(_Typical(TYPICAL))
    except (ValueError, IndexError):
        return text


class _Typical(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def of_step(step: Step) -> Segments | None:
    """An SMS step's text (the longer of its texts, pulled or not) as the client receives it;
    None for a step that is no SMS."""
    if step.channel != "sms":
        return None
    return max((measure(typical(text)) for text in (step.text, step.pulled_text) if text), key=lambda s: s.length)


def warnings(playbooks: Mapping[str, Playbook]) -> list[str]:
    """One line per SMS text that goes as more than one SMS (each one billed)."""
    lines = []
    for playbook in playbooks.values():
        for step in playbook.steps:
            segments = of_step(step)
            if segments is not None and segments.sms > 1:
                alone, _part = LIMITS[segments.encoding]
                lines.append(
                    _(
                        "{pb}: step {no} «{title}»: its SMS goes as {n} SMS ({length} characters with typical"
                        " names; one SMS holds {alone}): shorten it"
                    ).format(
                        pb=playbook.name,
                        no=step.no,
                        title=step.title,
                        n=segments.sms,
                        length=segments.length,
                        alone=alone,
                    )
                )
    return lines
