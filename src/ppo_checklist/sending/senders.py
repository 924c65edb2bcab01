"""The channels ppo sends through, one line each: the outbox asks this registry, never a
channel by name. A new channel is a module with a `Sender` (see channel.py) and a line here."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ppo_checklist.config import Config

if TYPE_CHECKING:  # the interface only: channel.py's types are not needed to read the config
    from ppo_checklist.sending.channel import Sender

# Each channel: the config table that turns it on, and its Sender ("module:Class"). The classes
# load when the outbox first asks for them (`SENDERS`): `ppo today` only asks whether the config
# sends (`sends_any`), and the mail and SMS modules bring ssl, smtplib and http.client, measured
# at 9-15 ms of its start.
REGISTRY: dict[str, tuple[str, str]] = {
    "email": ("email", "ppo_checklist.sending.mail:MailSender"),
    "sms": ("sms", "ppo_checklist.sending.sms:SmsSender"),
}


def _load() -> dict[str, type[Sender]]:
    loaded = {}
    for channel, (_table, where) in REGISTRY.items():
        module, _, name = where.partition(":")
        loaded[channel] = getattr(importlib.import_module(module), name)
    return loaded


def senders() -> dict[str, type[Sender]]:
    """Each channel's Sender class, loaded once (see REGISTRY); `SENDERS` is the same dict."""
    loaded = globals().get("SENDERS")
    if loaded is None:
        loaded = globals()["SENDERS"] = _load()
    return loaded


def __getattr__(name: str) -> Any:
    if name == "SENDERS":
        return senders()
    raise AttributeError(name)


def configured(config: Config, channel: str | None = None) -> dict[str, type[Sender]]:
    """The channels this config sends through (only `channel`, when given)."""
    return {
        name: sender
        for name, sender in senders().items()
        if (channel is None or name == channel) and sender.configured(config)
    }


def loaded() -> bool:
    """The Sender classes are loaded (the outbox asked for them, or a test registered one)."""
    return "SENDERS" in globals()


def sends_any(config: Config) -> bool:
    """The config sends through some channel: `today` then leaves out what ppo sends. Read from
    the config's tables; once the classes are loaded (the outbox, or a channel registered at run
    time), from them."""
    if loaded():
        return bool(configured(config))
    return any(getattr(config, table) is not None for table, _where in REGISTRY.values())
