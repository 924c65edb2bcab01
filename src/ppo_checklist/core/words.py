"""The words people read for the codes that json, csv and the store keep: channels, statuses,
message states; and which cell texts a spreadsheet would run as a formula."""

from __future__ import annotations

from ppo_checklist.i18n import N_, _, language

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHANNEL_NAMES = {"email": N_("e-mail"), "sms": N_("SMS"), "call": N_("call"), "visit": N_("visit")}
# What people read for the codes json and csv keep: statuses of a step, a trip, a message.
STATUS_NAMES = {
    "done": N_("done"),
    "overdue": N_("overdue"),
    "due": N_("due"),
    "pending": N_("pending"),
    "cancelled": N_("cancelled"),
    "skipped": N_("skipped"),
    "opted_out": N_("opted out"),
    "no_consent": N_("no consent"),
    "lapsed": N_("lapsed"),
    "active": N_("active"),
    "finished": N_("finished"),
}
MESSAGE_STATES = {
    "pending": N_("pending"),
    "sending": N_("sending"),
    "sent": N_("sent"),
    "failed": N_("failed"),
    "unknown": N_("unknown"),
}


def step_named(no: int, title: str) -> str:
    """A step as people know it, named as the workbook's header names it: «1. Напомнить о
    вылете завтра», «2. SMS „Счастливого пути“» (its id is for playbooks and json)."""
    return f"«{no}. {title.replace('«', '„').replace('»', '“')}»"


def channel_name(code: str) -> str:
    return _(CHANNEL_NAMES[code]) if code in CHANNEL_NAMES else code


def status_name(code: str) -> str:
    return _(STATUS_NAMES[code]) if code in STATUS_NAMES else code


# The notes ppo writes on a step itself are stored as codes, never in the language of the run
# that wrote them (a Russian cron and an English manager share one store); `note_shown` puts
# them in the reader's words. A note a person typed is shown as typed.
IMPORTED_NOTE = "ppo:imported"
SENT_NOTE = "ppo:sent:{channel}:{id}"  # the message that did the step


def sent_note(channel: str, message_id: int | None) -> str:
    return SENT_NOTE.format(channel=channel, id=message_id)


def note_shown(note: str | None) -> str:
    if not note:
        return ""
    if note == IMPORTED_NOTE:
        return _("imported")
    parts = note.split(":")
    if len(parts) == 4 and parts[:2] == ["ppo", "sent"] and parts[3].isdigit():
        return _("sent by ppo: {channel}, message {id}").format(channel=channel_name(parts[2]), id=parts[3])
    return note


def percent(rate: float | None) -> str:
    """A rate as people of the run's language write it: `4.8%`, in Russian `4,8 %` (a no-break
    space before the sign); a dash when there is no rate."""
    if rate is None:
        return "—"
    text = f"{rate * 100:.1f}"
    return text.replace(".", ",") + "\u00a0%" if language() == "ru" else text + "%"
