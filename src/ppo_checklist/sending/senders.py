"""The channels ppo sends through, one line each: the outbox asks this registry, never a
channel by name. A new channel is a module with a `Sender` (see channel.py) and a line here."""

from __future__ import annotations

from ppo_checklist.config import Config
from ppo_checklist.sending.channel import Sender
from ppo_checklist.sending.mail import MailSender
from ppo_checklist.sending.sms import SmsSender

SENDERS: dict[str, type[Sender]] = {
    MailSender.channel: MailSender,
    SmsSender.channel: SmsSender,
}


def configured(config: Config, channel: str | None = None) -> dict[str, type[Sender]]:
    """The channels this config sends through (only `channel`, when given)."""
    return {
        name: sender
        for name, sender in SENDERS.items()
        if (channel is None or name == channel) and sender.configured(config)
    }


def sends_any(config: Config) -> bool:
    """The config sends through some channel: `today` then leaves out what ppo sends."""
    return bool(configured(config))
